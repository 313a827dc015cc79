"""The kernel procedure's ``find``: the next (or previous) cell of a view, in the
view's order, whose shown text holds a term (README, "Data Explorer").

Every answer is checked against a reference made from the view's own pages (the
text the grid shows), over every start cell and both directions."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .test_tables_procedure import call, filt, fresh_procedure, opened, page, sort

pytestmark = pytest.mark.timeout(60)

SPECIAL = {0: "null", 1: "NaN", 2: "NaT", 3: "inf", 4: "-inf"}


@pytest.fixture
def tables():
    return fresh_procedure()


def shown(tables, ns, view):
    """The view's cells as the grid shows them: rows of texts, and the column indexes."""
    answer = page(tables, ns, view, count=1000, max_chars=2000)
    columns = [c["index"] for c in answer["columns"]]
    texts = [[SPECIAL.get(v, v) for v in c["values"]] for c in answer["columns"]]
    cells = [list(row) for row in zip(*texts, strict=True)]
    return cells, columns


def expected(cells, columns, term, row, column, forward, case=False):
    """The reference: the cells in row-major order from the start cell, wrapped once."""
    k = len(columns)
    start = row * k + columns.index(column)
    total = len(cells) * k
    steps = range(total) if forward else range(0, -total, -1)
    fold = (lambda t: t) if case else str.casefold
    for step in steps:
        at = (start + step) % total
        r, o = divmod(at, k)
        if fold(term) in fold(cells[r][o]):
            wrapped = at < start if forward else at > start
            return {"row": r, "column": columns[o]}, wrapped
    return None, False


def find(tables, ns, view, text, **options):
    generation = tables._views[view].state.generation
    answer = call(tables, ns, op="find", view=view, generation=generation, text=text, **options)
    assert answer["status"] == "ok", answer
    return answer


def check_everywhere(tables, ns, view, terms, case=False):
    cells, columns = shown(tables, ns, view)
    checked = 0
    for term in terms:
        for row in range(len(cells)):
            for column in columns:
                for direction in ("next", "previous"):
                    forward = direction == "next"
                    answer = find(
                        tables,
                        ns,
                        view,
                        term,
                        row=row,
                        column=column,
                        direction=direction,
                        case_sensitive=case,
                    )
                    match, wrapped = expected(cells, columns, term, row, column, forward, case)
                    where = (term, row, column, direction)
                    assert answer["match"] == match, (where, answer)
                    assert answer["wrapped"] == wrapped, (where, answer)
                    checked += 1
    return checked


FRAME = pd.DataFrame(
    {
        "n": [1.5, np.nan, -2.25, np.inf, 15.0, 1e20, 0.5],
        "i": [15, 2, 3, 150, -15, 7, 1],
        "s": ["Apple", None, "pineapple", "15 apples", "", "ß-straße", "<img onerror=x>"],
        "d": pd.to_datetime(
            ["2024-01-15", None, "2023-12-31", "2024-01-15", "2015-05-05", "2024-02-29", None]
        ),
        "b": [True, False, True, False, True, False, True],
    }
)
TERMS = ["15", "apple", "APPLE", "NaN", "null", "NaT", "e+20", "inf", "-", "true", "ss", "<img"]


def test_every_start_cell_and_direction_matches_what_the_grid_shows(tables):
    ns = {"t": FRAME}
    view = opened(tables, ns)["view"]
    assert check_everywhere(tables, ns, view, TERMS) == len(TERMS) * 7 * 5 * 2


def test_case_sensitive_finds_only_the_same_case(tables):
    ns = {"t": FRAME}
    view = opened(tables, ns)["view"]
    check_everywhere(tables, ns, view, ["Apple", "apple", "APPLE"], case=True)
    assert find(tables, ns, view, "APPLE", case_sensitive=True)["match"] is None


def test_a_sorted_and_filtered_view_is_searched_in_its_own_order(tables):
    ns = {"t": FRAME}
    view = opened(tables, ns)["view"]
    assert filt(tables, ns, view, {"kind": "not_null", "column": 0})["status"] == "ok"
    sort(tables, ns, view, (1, False))
    check_everywhere(tables, ns, view, ["15", "apple", "inf"])
    # Row 0 of the view is the row whose i is largest (150): "15 apples".
    assert find(tables, ns, view, "apples", columns=[2])["match"] == {"row": 0, "column": 2}


@pytest.mark.parametrize("kind", ["records", "rows", "columns", "structured", "series"])
def test_other_sources(tables, kind):
    records = [
        {"a": 1, "b": "one", "c": None},
        {"a": 22, "b": "two", "c": 2.5},
        {"a": 3, "b": "twenty two", "c": float("nan")},
    ]
    if kind == "records":
        obj: Any = records
    elif kind == "rows":
        obj = [tuple(r.values()) for r in records]
    elif kind == "columns":
        obj = {k: [r[k] for r in records] for k in "abc"}
    elif kind == "structured":
        fields = [("a", "i8"), ("b", "U20")]
        obj = np.array([(1, "one"), (22, "two"), (3, "twenty two")], dtype=fields)
    else:
        obj = pd.Series(["one", "two", "twenty two"], name="b")
    ns = {"t": obj}
    view = opened(tables, ns)["view"]
    check_everywhere(tables, ns, view, ["two", "2", "null", "NaN", "w"])


def test_columns_limit_the_search_and_keep_their_order(tables):
    ns = {"t": FRAME}
    view = opened(tables, ns)["view"]
    # Searched in the order given: s before i on each row.
    answer = find(tables, ns, view, "15", columns=[2, 1], row=3, column=2)
    assert answer["match"] == {"row": 3, "column": 2}
    answer = find(tables, ns, view, "15", columns=[2, 1], row=3, column=1)
    assert answer["match"] == {"row": 3, "column": 1}
    assert find(tables, ns, view, "Apple", columns=[0, 1])["match"] is None


def test_chunks_of_rows_are_searched_across_their_edges(tables, monkeypatch):
    """A view longer than a chunk: matches on both sides of every chunk's edge,
    with chunks that start small and grow."""
    monkeypatch.setattr(tables, "CHUNK_ROWS", 3)
    monkeypatch.setattr(tables, "MAX_CHUNK_ROWS", 8)
    rows = 60
    ns = {"t": pd.DataFrame({"x": [f"r{r}" for r in range(rows)], "y": np.arange(rows) * 10})}
    view = opened(tables, ns)["view"]
    check_everywhere(tables, ns, view, ["r1", "50", "9", "r59"])


def test_a_big_view_without_a_match_is_scanned_once_and_said_so(tables):
    rows = 300_000
    ns = {"t": pd.DataFrame({"x": np.arange(rows, dtype=float), "s": ["abc"] * rows})}
    view = opened(tables, ns)["view"]
    answer = find(tables, ns, view, "zzz", row=1000, column=1)
    assert answer["match"] is None and answer["wrapped"] is False
    assert answer["scanned_rows"] == rows
    # A number column is not searched for a term it cannot show, yet found for one it can.
    answer = find(tables, ns, view, "299999.0", row=1000)
    assert answer["match"] == {"row": 299_999, "column": 0}


def test_a_term_is_text_not_a_pattern(tables):
    ns = {"t": pd.DataFrame({"s": ["a.c", "abc", "(x", "a*"]})}
    view = opened(tables, ns)["view"]
    assert find(tables, ns, view, "a.c", row=1)["match"] == {"row": 0, "column": 0}
    assert find(tables, ns, view, "(")["match"] == {"row": 2, "column": 0}
    assert find(tables, ns, view, "*")["match"] == {"row": 3, "column": 0}


def test_odd_values_are_searched_as_shown(tables):
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    surrogate = "bad\udcff name"
    ns = {"t": [{"v": Broken()}, {"v": surrogate}, {"v": {"k": [1, 2]}}, {"v": "x" * 5000}]}
    view = opened(tables, ns)["view"]
    assert find(tables, ns, view, "\udcff")["match"] == {"row": 1, "column": 0}
    assert find(tables, ns, view, "'k'")["match"] == {"row": 2, "column": 0}
    # A long value is searched further than a page shows it (200 characters).
    ns["t"][3]["v"] = "x" * 1500 + "needle"
    assert find(tables, ns, view, "needle")["match"] == {"row": 3, "column": 0}
    cells, _ = shown(tables, ns, view)
    assert find(tables, ns, view, cells[0][0][:5])["match"]["row"] == 0


def test_an_empty_view_has_no_match(tables):
    ns = {"t": pd.DataFrame({"a": [1, 2]})}
    view = opened(tables, ns)["view"]
    assert (
        filt(tables, ns, view, {"kind": "compare", "column": 0, "op": ">", "value": 5})["row_count"]
        == 0
    )
    answer = find(tables, ns, view, "1")
    assert answer["match"] is None and answer["scanned_rows"] == 0


def test_a_row_past_the_end_starts_at_the_last_row(tables):
    ns = {"t": pd.DataFrame({"a": ["x", "y", "x"]})}
    view = opened(tables, ns)["view"]
    assert find(tables, ns, view, "x", row=10**9)["match"] == {"row": 2, "column": 0}
    assert find(tables, ns, view, "y", row=10**9)["wrapped"] is True


def test_a_stale_generation_is_said(tables):
    ns = {"t": pd.DataFrame({"a": [2, 1]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    answer = call(tables, ns, op="find", view=view, generation=0, text="1")
    assert answer == {"status": "stale", "generation": 1, "elapsed_ms": answer["elapsed_ms"]}


@pytest.mark.parametrize(
    "options",
    [
        {"text": ""},
        {"text": "x" * 1001},
        {"text": 5},
        {"text": "x", "case_sensitive": "yes"},
        {"text": "x", "direction": "sideways"},
        {"text": "x", "column": 9},
        {"text": "x", "column": 1, "columns": [0]},
        {"text": "x", "columns": [0, 7]},
        {"text": "x", "row": -1},
    ],
)
def test_bad_requests(tables, options):
    ns = {"t": pd.DataFrame({"a": ["x"], "b": ["y"]})}
    view = opened(tables, ns)["view"]
    answer = call(tables, ns, op="find", view=view, generation=0, **options)
    assert answer["ename"] == "BadRequest", answer


def test_an_unknown_view_and_a_lazy_one(tables):
    polars = pytest.importorskip("polars")
    answer = call(tables, {}, op="find", view="nope", generation=0, text="x")
    assert answer["ename"] == "UnknownView"
    ns = {"t": polars.LazyFrame({"a": ["x"]})}
    answer = opened(tables, ns)
    view, features = answer["view"], answer["features"]
    assert features["find"]["supported"] is False and features["find"]["reason"], features
    answer = call(tables, ns, op="find", view=view, generation=0, text="x")
    assert answer["ename"] == "BadRequest" and "lazy" in answer["evalue"].lower(), answer


def test_polars_and_arrow_tables(tables):
    polars = pytest.importorskip("polars")
    pyarrow = pytest.importorskip("pyarrow")
    data = {"a": [1.5, None, 3.0], "s": ["x", "yy", None], "b": [True, None, False]}
    for obj in (polars.DataFrame(data), pyarrow.table(data)):
        ns = {"t": obj}
        view = opened(tables, ns)["view"]
        check_everywhere(tables, ns, view, ["y", "null", "1.5", "true", "3"])


def test_a_table_shorter_than_its_view_is_an_error_not_a_crash(tables):
    df = pd.DataFrame({"a": [f"v{i}" for i in range(10)]})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, False))
    df.drop(index=range(5, 10), inplace=True)
    answer = call(tables, ns, op="find", view=view, generation=1, text="zzz")
    assert answer["status"] == "error" and answer["ename"] == "IndexError", answer


def test_features_say_what_find_does(tables):
    features = opened(tables, {"t": [[1]]})["features"]
    assert features["find"] == {
        "max_chars": 2000,
        "directions": ["next", "previous"],
        "case_sensitive": True,
        "supported": True,
    }


class Gate:
    """A value whose text waits at a gate: a find through it is held mid-way."""

    reached = threading.Event()
    opened = threading.Event()

    def __repr__(self) -> str:
        Gate.reached.set()
        assert Gate.opened.wait(10)
        return "gate"


def test_a_find_reports_progress_and_is_cancelled(tables, monkeypatch):
    monkeypatch.setattr(tables, "CHUNK_ROWS", 1)
    monkeypatch.setattr(tables, "MAX_CHUNK_ROWS", 1)
    Gate.reached.clear()
    Gate.opened.clear()
    ns = {"t": [{"v": "a"}, {"v": Gate()}, {"v": "b"}, {"v": "c"}]}
    view = opened(tables, ns)["view"]
    answers: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            call(tables, ns, op="find", view=view, generation=0, text="zz", task="f1")
        )
    )
    thread.start()
    try:
        assert Gate.reached.wait(10)
        progress = call(tables, ns, op="progress", tasks=["f1"])["tasks"]["f1"]
        assert progress["stage"] == "finding" and 0 < progress["progress"] < 1, progress
        assert call(tables, ns, op="cancel", tasks=["f1"])["running"] == 1
    finally:
        Gate.opened.set()
        thread.join(10)
    assert answers[0]["ename"] == "Cancelled", answers[0]
