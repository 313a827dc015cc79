"""Sorting in the Data Explorer's kernel procedure: the same order as Python's
stable sort (missing values last, mixed types grouped), reached without holding
the GIL for long (the user's cell and the fast lane run beside a sort), the first
rows of a big numeric sort committed early, progress steps and cancelling
(README, "Data Explorer")."""

from __future__ import annotations

import datetime
import decimal
import random
import threading
import time
import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .test_tables_procedure import call, fresh_procedure, opened

pytestmark = pytest.mark.timeout(60)


# -- a reference: Python's own stable sort ------------------------------------------------------


def _null(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(v != v)
    if isinstance(v, np.datetime64 | np.timedelta64):
        return bool(np.isnat(v))
    return False


def _group(v: Any) -> tuple[int, Any]:
    if isinstance(v, int | float | np.number | np.bool_):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    return (2, 0)


def reference(columns: list[list[Any]], keys: list[tuple[int, bool]], natural: bool = True):
    """Stable passes from the last key to the first, nulls last in each; a key's
    values by their own order, or grouped (numbers, strings, the rest in table
    order) when they do not compare or ``natural`` is false (Python sources)."""
    n = len(columns[0]) if columns else 0
    order = list(range(n))
    for j, ascending in reversed(keys):
        values = columns[j]
        present = [p for p in order if not _null(values[p])]
        missing = [p for p in order if _null(values[p])]
        try:
            if not natural:
                raise TypeError
            present = sorted(present, key=values.__getitem__, reverse=not ascending)
        except TypeError:
            present = sorted(present, key=lambda p: _group(values[p]), reverse=not ascending)
        order = present + missing
    return order


def positions(tables, view: str) -> list[int]:
    state = tables._views[view].state
    n = tables._views[view].row_count(state)
    return list(range(n)) if state.positions is None else list(np.asarray(state.positions))


def sorted_by(tables, ns, keys: list[tuple[int, bool]], **task: Any) -> tuple[str, dict]:
    view = opened(tables, ns, rows=0)["view"]
    specs = [{"column": c, "ascending": a} for c, a in keys]
    answer = call(tables, ns, op="sort", view=view, keys=specs, **task)
    return view, answer


def small_steps(tables, memory: int | None = None) -> None:
    """Tiny chunks, so a small table goes through every path of a big one."""
    tables.SORT_CHUNK = 7
    tables.PYTHON_SORT_CHUNK = 5
    if memory is not None:
        tables.SORT_MEMORY = memory


def random_text(rng: random.Random) -> str:
    alphabet = ["a", "b", "Z", "\x00", "\u00e9", "\U0001f600", "ab", " ", "\ud800"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))


# -- the order is Python's ----------------------------------------------------------------------


@pytest.mark.parametrize("memory", [None, 1, 64], ids=["whole-width", "one-char-prefix", "prefix"])
@pytest.mark.parametrize("ascending", [True, False])
def test_string_sorts_keep_python_order(memory, ascending):
    """Trailing NUL (numpy drops it), shared prefixes longer than the width kept,
    lone surrogates, astral characters, empty strings and nulls of three kinds."""
    rng = random.Random(7)
    values: list[Any] = [random_text(rng) for _ in range(400)]
    values += ["p" * 30 + "b", "p" * 30 + "a", "p" * 30, "p" * 30 + "\x00", "p" * 30 + "\x00a"]
    values += ["", "\x00", "\x00\x00", None, float("nan"), pd.NA, "a\x00", "a"]
    rng.shuffle(values)
    tables = fresh_procedure()
    small_steps(tables, None if memory is None else memory * 4 * len(values))
    ns = {"t": pd.DataFrame({"s": pd.Series(values, dtype=object)})}
    view, answer = sorted_by(tables, ns, [(0, ascending)])
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == reference([values], [(0, ascending)])


@pytest.mark.parametrize("source", ["pandas", "numpy", "records"])
def test_several_keys_of_strings_and_numbers(source):
    rng = random.Random(3)
    n = 300
    texts = [rng.choice(["b", "a", "ab", "a\x00", None, "\u00e9"]) for _ in range(n)]
    floats = [rng.choice([1.5, -0.0, 0.0, float("nan"), 2.0]) for _ in range(n)]
    ints = [rng.randint(0, 3) for _ in range(n)]
    columns = [texts, floats, ints]
    if source == "pandas":
        table: Any = pd.DataFrame({"s": pd.Series(texts, dtype=object), "f": floats, "i": ints})
    elif source == "numpy":
        table = np.empty(n, dtype=[("s", object), ("f", "f8"), ("i", "i8")])
        table["s"], table["f"], table["i"] = texts, floats, ints
    else:
        table = [{"s": s, "f": f, "i": i} for s, f, i in zip(texts, floats, ints, strict=True)]
    for keys in (
        [(0, True), (1, False)],
        [(2, False), (0, False), (1, True)],
        [(1, True), (0, True)],
    ):
        tables = fresh_procedure()
        small_steps(tables, 4 * n)
        view, answer = sorted_by(tables, {"t": table}, keys)
        assert answer["status"] == "ok", answer
        assert positions(tables, view) == reference(columns, keys), keys


MIXED = {
    "numbers-strings-rest": [3, "a", 1, None, "b", 2.5, ("t",), True, "a", 2**70, -1.5, ("s",)],
    "decimals": [decimal.Decimal(v) for v in ["3", "1", "2", "1", "0", "2", "5", "1"]],
    "dates": [datetime.date(2024, 1, d) for d in (3, 1, 2, 1)] + [None],
    "dates-and-strings": [datetime.date(2024, 1, 2), "b", datetime.date(2024, 1, 1), "a", 5],
    "big-ints-and-floats": [2**53 + 1, float(2**53), 2**53, 1.5, -(2**64), 2**64, 7, 2**53 + 1],
    "ints-and-decimals": [3, decimal.Decimal("2.5"), 1, decimal.Decimal(1)],
    "tuples": [(2, "a"), (1, "b"), (2, "a"), (1, "a")],
}


@pytest.mark.parametrize("name", list(MIXED))
@pytest.mark.parametrize("ascending", [True, False])
def test_object_columns_keep_todays_semantics(name, ascending):
    """Values that compare sort by their own order (ints past 2**53 stay exact);
    values that do not are numbers, then strings, then the rest in table order."""
    values = MIXED[name] * 40  # past the tiny chunks: the sampled buckets run too
    tables = fresh_procedure()
    small_steps(tables)
    ns = {"t": pd.DataFrame({"m": pd.Series(values, dtype=object)})}
    view, answer = sorted_by(tables, ns, [(0, ascending)])
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == reference([values], [(0, ascending)])


@pytest.mark.parametrize("name", ["decimals", "dates", "numbers-strings-rest"])
def test_python_sources_group_values_as_before(name):
    """A list of dicts orders numbers and strings only; other values keep table
    order (as its sort always did), even values that compare."""
    values = MIXED[name] * 30
    tables = fresh_procedure()
    small_steps(tables)
    ns = {"t": [{"v": v} for v in values]}
    view, answer = sorted_by(tables, ns, [(0, True)])
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == reference([values], [(0, True)], natural=False)


def test_a_str_subclass_compares_its_own_way():
    class Backwards(str):
        def __lt__(self, other):
            return str.__gt__(self, other)

    values = [Backwards(s) for s in "abcab"]
    tables = fresh_procedure()
    ns = {"t": pd.DataFrame({"s": pd.Series(values, dtype=object)})}
    view, _ = sorted_by(tables, ns, [(0, True)])
    assert positions(tables, view) == [2, 1, 4, 0, 3]


@pytest.mark.parametrize("ascending", [True, False])
def test_values_that_never_compare_keep_table_order(ascending):
    """Python's complex numbers do not order (and are not numbers to the grouping):
    the rest, in table order, as before."""
    values = [2j, None, 1j, 3 + 0j, 1j]
    tables = fresh_procedure()
    ns = {"t": pd.DataFrame({"c": pd.Series(values, dtype=object)})}
    view, answer = sorted_by(tables, ns, [(0, ascending)])
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == [0, 2, 3, 4, 1]


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([], dtype=object),
        pd.Series([None, None, float("nan")], dtype=object),
        pd.Series([np.nan] * 3),
        pd.Series(["only"], dtype=object),
        pd.Series(["same"] * 50, dtype=object),
        pd.Series(["x" * 100_000, "x" * 99_999 + "a", "x"], dtype=object),
        pd.Series(["b", None, "a"], dtype="str"),
        pd.Series(["b", None, "a"], dtype="string[python]"),
        pd.Series(pd.Categorical(["b", None, "a", "c"], categories=["c", "b", "a"])),
    ],
    ids=["empty", "all-null", "all-nan", "one", "all-equal", "huge", "arrow", "python", "category"],
)
@pytest.mark.parametrize("ascending", [True, False])
def test_odd_columns(series, ascending):
    tables = fresh_procedure()
    small_steps(tables, 64)
    values = series.tolist()
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.tolist()
        values = [None if c < 0 else c for c in codes]  # category order
    ns = {"t": pd.DataFrame({"v": series, "w": range(len(series))})}
    for keys in ([(0, ascending)], [(0, ascending), (1, False)]):
        view, answer = sorted_by(tables, ns, keys)
        assert answer["status"] == "ok", answer
        assert positions(tables, view) == reference([values, list(range(len(series)))], keys)


@pytest.mark.parametrize("kind", ["float", "object", "records", "arrow"])
@pytest.mark.parametrize("kept", [0, 1, 3])
def test_a_view_filtered_to_its_first_rows_sorts_those_only(kind, kept):
    """A filter that keeps rows 0..k-1: the sort must not take them for the whole table."""
    floats = [3.0, 1.0, 2.0, 0.5, np.nan]
    texts = ["c", "a", "b", "0", None]
    if kind == "float":
        table: Any = pd.DataFrame({"v": floats, "i": range(5)})
    elif kind == "object":
        table = pd.DataFrame({"v": pd.Series(texts, dtype=object), "i": range(5)})
    elif kind == "arrow":
        table = pd.DataFrame({"v": pd.Series(texts, dtype="str"), "i": range(5)})
    else:
        table = [{"v": v, "i": i} for i, v in enumerate(texts)]
    values = floats if kind == "float" else texts
    tables = fresh_procedure()
    ns = {"t": table}
    view = opened(tables, ns, rows=0)["view"]
    spec = {"kind": "compare", "column": 1, "op": "<", "value": kept}
    assert call(tables, ns, op="filter", view=view, filters=[spec])["row_count"] == kept
    for keys in ([(0, True)], [(0, False), (1, True)]):
        specs = [{"column": c, "ascending": a} for c, a in keys]
        answer = call(tables, ns, op="sort", view=view, keys=specs)
        assert answer["status"] == "ok" and answer["row_count"] == kept, answer
        expected = reference([values[:kept], list(range(kept))], keys)
        assert positions(tables, view) == expected, keys


def test_a_column_changed_under_the_view_sorts_as_it_now_is():
    frame = pd.DataFrame({"v": pd.Series(["b", "a", "c"], dtype=object)})
    tables = fresh_procedure()
    ns = {"t": frame}
    view = opened(tables, ns, rows=0)["view"]
    frame["v"] = pd.Series([2, "a", None], dtype=object)
    answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0}])
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == [0, 1, 2]


def test_a_long_string_key_stays_within_its_memory_bound():
    """20,000 strings of 400 characters sharing 390: the whole width would be
    32 MB; with a 1 MiB bound, a prefix and refinements, order kept."""
    rng = random.Random(5)
    shared = "https://example.com/" + "p" * 370
    values = [shared + "".join(rng.choice("ab") for _ in range(10)) for _ in range(20_000)]
    values = np.array(values, dtype=object)
    tables = fresh_procedure()
    tables.SORT_MEMORY = 1 << 20
    ns = {"t": values}
    view = opened(tables, ns, rows=0)["view"]
    tracemalloc.start()
    try:
        answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0, "ascending": False}])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer["status"] == "ok", answer
    assert positions(tables, view) == reference([list(values)], [(0, False)])
    assert peak < 8 * 2**20, peak


# -- the GIL is never held long -----------------------------------------------------------------


def _largest_gap(work) -> tuple[float, Any]:
    """Run ``work`` on a thread while this one ticks every millisecond: the
    longest wait between two ticks (the GIL held by the other thread)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    largest = 0.0
    last = time.perf_counter()
    thread.start()
    while thread.is_alive():
        time.sleep(0.001)
        now = time.perf_counter()
        largest = max(largest, now - last)
        last = now
    thread.join()
    return largest, result[0]


def _strings(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 10**12, n).tolist()
    return [f"{x:x}"[: 8 + x % 5] for x in numbers]


@pytest.mark.timeout(120)
def test_a_big_string_sort_never_holds_the_gil_long():
    """2M object strings (an object argsort of them holds the GIL for seconds),
    one key descending, then with a number as a second key: between two ticks of
    this thread never more than 100 ms."""
    texts = _strings(2_000_000, 1)
    frame = pd.DataFrame(
        {"s": pd.Series(texts, dtype=object), "f": np.arange(len(texts)) % 7 * 0.5}
    )
    tables = fresh_procedure()
    ns = {"t": frame}
    view = opened(tables, ns, rows=0)["view"]
    for keys in ([{"column": 0, "ascending": False}], [{"column": 1}, {"column": 0}]):
        gap, answer = _largest_gap(
            lambda keys=keys: call(tables, ns, op="sort", view=view, keys=keys)
        )
        assert answer["status"] == "ok", answer
        assert gap < 0.1, f"the GIL was held {gap * 1000:.0f} ms"
    got = np.asarray(tables._views[view].state.positions)
    ordered = pd.DataFrame({"f": frame["f"].to_numpy()[got], "s": np.array(texts)[got]})
    assert ordered.equals(ordered.sort_values(["f", "s"], kind="stable"))


def test_an_arrow_string_sort_never_holds_the_gil_long():
    texts = _strings(1_000_000, 2)
    series = pd.Series(texts, dtype="str")
    tables = fresh_procedure()
    ns = {"t": pd.DataFrame({"s": series, "i": np.arange(len(texts)) % 3})}
    view = opened(tables, ns, rows=0)["view"]
    for keys in ([{"column": 0}], [{"column": 1, "ascending": False}, {"column": 0}]):
        gap, answer = _largest_gap(
            lambda keys=keys: call(tables, ns, op="sort", view=view, keys=keys)
        )
        assert answer["status"] == "ok", answer
        assert gap < 0.1, f"the GIL was held {gap * 1000:.0f} ms"
    got = np.asarray(tables._views[view].state.positions)
    ordered = pd.DataFrame({"i": ns["t"]["i"].to_numpy()[got], "s": np.array(texts)[got]})
    expected = ordered.sort_values(["i", "s"], ascending=[False, True], kind="stable")
    assert ordered.equals(expected)


# -- the first rows of a big numeric sort, early ---------------------------------------------


def _watch_first_rows(tables) -> list[dict[str, Any]]:
    """Record, at the ``first_rows`` step, the view's state and what ``progress`` says."""
    seen: list[dict[str, Any]] = []
    real = tables._step

    def step(request, progress, stage="", **extra):
        real(request, progress, stage, **extra)
        if "generation" in extra:
            view = tables._views[request["view"]]
            task = request["_task"].id
            seen.append(
                {
                    "state": view.state,
                    "extra": extra,
                    "progress": tables._progress({"tasks": [task]})["tasks"][task],
                }
            )

    tables._step = step
    return seen


N_EARLY = 250_000


def _early_series(kind: str) -> pd.Series:
    rng = np.random.default_rng(11)
    if kind == "float-continuous":
        values = rng.random(N_EARLY)
        values[rng.random(N_EARLY) < 0.1] = np.nan
        values[::1000] = -0.0  # ties among the first rows
        values[1::1000] = 0.0
        return pd.Series(values)
    if kind == "float-ties":
        values = rng.integers(0, 3, N_EARLY).astype(float)
        values[rng.random(N_EARLY) < 0.3] = np.nan
        return pd.Series(values)
    if kind == "float-mostly-nan":
        values = np.full(N_EARLY, np.nan)
        values[rng.integers(0, N_EARLY, 300)] = rng.random(300)
        return pd.Series(values)
    if kind == "int-ties":
        return pd.Series(rng.integers(-5, 5, N_EARLY))
    if kind == "uint8":
        return pd.Series(rng.integers(0, 256, N_EARLY).astype(np.uint8))
    if kind == "Int64-with-NA":
        values = pd.array(rng.integers(0, 10**6, N_EARLY), dtype="Int64")
        values[rng.random(N_EARLY) < 0.2] = pd.NA
        return pd.Series(values)
    if kind == "datetime-with-NaT":
        stamps = pd.Series(pd.to_datetime(rng.integers(0, 10**17, N_EARLY)))
        stamps[rng.random(N_EARLY) < 0.1] = pd.NaT
        return stamps
    if kind == "timedelta":
        return pd.Series(pd.to_timedelta(rng.integers(-50, 50, N_EARLY), unit="s"))
    raise KeyError(kind)


EARLY_KINDS = [
    "float-continuous",
    "float-ties",
    "float-mostly-nan",
    "int-ties",
    "uint8",
    "Int64-with-NA",
    "datetime-with-NaT",
    "timedelta",
]


@pytest.mark.parametrize("kind", EARLY_KINDS)
@pytest.mark.parametrize("ascending", [True, False])
def test_the_first_rows_come_first_and_are_the_final_ones(kind, ascending):
    series = _early_series(kind)
    tables = fresh_procedure()
    seen = _watch_first_rows(tables)
    ns = {"t": pd.DataFrame({"v": series})}
    view, answer = sorted_by(tables, ns, [(0, ascending)], task="s1")
    assert answer["status"] == "ok", answer
    assert len(seen) == 1
    early = seen[0]
    k = tables.FIRST_ROWS
    assert early["extra"] == {"generation": 1, "sorted_rows": k}
    assert early["progress"]["stage"] == "first_rows"
    assert early["progress"]["generation"] == 1 and early["progress"]["sorted_rows"] == k
    assert answer["generation"] == 2 and answer["row_count"] == N_EARLY
    final = positions(tables, view)
    provisional = list(np.asarray(early["state"].positions))
    assert early["state"].generation == 1
    assert provisional[:k] == final[:k]
    assert sorted(provisional) == list(range(N_EARLY))
    values = [None if v is pd.NaT or v is pd.NA else v for v in series.tolist()]
    assert final == reference([values], [(0, ascending)])


@pytest.mark.parametrize("ascending", [True, False])
def test_the_first_rows_of_a_filtered_view(ascending):
    series = _early_series("float-continuous")
    tables = fresh_procedure()
    seen = _watch_first_rows(tables)
    ns = {"t": pd.DataFrame({"v": series, "i": np.arange(N_EARLY) % 5})}
    view = opened(tables, ns, rows=0)["view"]
    kept = call(
        tables,
        ns,
        op="filter",
        view=view,
        filters=[{"kind": "compare", "column": 1, "op": "!=", "value": 2}],
    )
    assert kept["row_count"] == N_EARLY * 4 // 5
    answer = call(
        tables, ns, op="sort", view=view, keys=[{"column": 0, "ascending": ascending}], task="s2"
    )
    assert answer["status"] == "ok" and answer["generation"] == 3, answer
    final = positions(tables, view)
    provisional = list(np.asarray(seen[0]["state"].positions))
    assert provisional[:1000] == final[:1000]
    assert sorted(provisional) == sorted(final) == [p for p in range(N_EARLY) if p % 5 != 2]
    values = series.tolist()
    kept_rows = [p for p in range(N_EARLY) if p % 5 != 2]
    order = reference([[values[p] for p in kept_rows]], [(0, ascending)])
    assert final == [kept_rows[p] for p in order]


def test_a_small_view_or_a_string_key_has_no_early_rows():
    tables = fresh_procedure()
    seen = _watch_first_rows(tables)
    small = {"t": pd.DataFrame({"v": np.arange(1000.0)})}
    assert sorted_by(tables, small, [(0, False)], task="a")[1]["generation"] == 1
    texts = {"t": pd.DataFrame({"s": pd.Series(_strings(N_EARLY, 3), dtype=object)})}
    assert sorted_by(tables, texts, [(0, True)], task="b")[1]["generation"] == 1
    assert seen == []


def test_a_sort_cancelled_after_its_first_rows_puts_the_former_order_back():
    tables = fresh_procedure()
    real = tables._step

    def step(request, progress, stage="", **extra):
        real(request, progress, stage, **extra)
        if "generation" in extra and request.get("task") == "c1":  # the user cancels
            assert call(tables, {}, op="cancel", tasks=[request["task"]])["running"] == 1

    tables._step = step
    series = _early_series("float-continuous")
    ns = {"t": pd.DataFrame({"v": series})}
    view = opened(tables, ns, rows=0)["view"]
    call(tables, ns, op="sort", view=view, keys=[{"column": 0, "ascending": False}])
    before = positions(tables, view)
    answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0}], task="c1")
    assert answer["ename"] == "Cancelled", answer
    state = tables._views[view].state
    assert state.generation == 4  # 1, 2: the first sort (early rows, all); 3 early; 4 undone
    assert [(s["column"], s["ascending"]) for s in state.sort] == [(0, False)]
    assert positions(tables, view) == before


def test_the_first_rows_are_fast_on_a_big_column():
    """On 2M floats the first rows are committed in well under the full sort's time."""
    values = np.random.default_rng(4).random(2_000_000)
    tables = fresh_procedure()
    times: list[float] = []
    real = tables._step

    def step(request, progress, stage="", **extra):
        real(request, progress, stage, **extra)
        if "generation" in extra:
            times.append(time.perf_counter())

    tables._step = step
    ns = {"t": pd.DataFrame({"v": values})}
    view = opened(tables, ns, rows=0)["view"]
    started = time.perf_counter()
    answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0}], task="f")
    ended = time.perf_counter()
    assert answer["status"] == "ok"
    assert times[0] - started < 0.25 * (ended - started), (times[0] - started, ended - started)


# -- progress and cancelling --------------------------------------------------------------------


def _paused_at(tables, calls: int):
    """Make the slow request's ``calls``-th step wait for the test; counts steps."""
    real = tables._step
    state = {"count": 0}
    reached, go = threading.Event(), threading.Event()
    stages: list[str] = []

    def step(request, progress, stage="", **extra):
        state["count"] += 1
        stages.append(stage)
        if state["count"] == calls:
            reached.set()
            assert go.wait(20)
        real(request, progress, stage, **extra)

    tables._step = step
    return state, reached, go, stages


@pytest.mark.parametrize("op", ["sort", "filter"])
def test_a_cancelled_sort_or_filter_stops_at_its_next_step(op):
    texts = _strings(100_000, 5)
    tables = fresh_procedure()
    tables.SORT_CHUNK = 2000
    ns = {"t": pd.DataFrame({"s": pd.Series(texts, dtype=object), "i": np.arange(len(texts))})}
    view = opened(tables, ns, rows=0)["view"]
    if op == "filter":  # a filter of a sorted view sorts again: steps there
        assert call(tables, ns, op="sort", view=view, keys=[{"column": 0}])["status"] == "ok"
        request = {
            "op": "filter",
            "filters": [{"kind": "compare", "column": 1, "op": ">", "value": 5}],
        }
    else:
        request = {"op": "sort", "keys": [{"column": 0, "ascending": False}, {"column": 1}]}
    before = tables._views[view].state
    state, reached, go, stages = _paused_at(tables, 12)
    answers: list[dict] = []
    thread = threading.Thread(
        target=lambda: answers.append(call(tables, ns, view=view, task="x", **request))
    )
    thread.start()
    assert reached.wait(20)
    progress = call(tables, ns, op="progress", tasks=["x"])["tasks"]["x"]
    assert 0 <= progress["progress"] < 1 and progress["stage"] in (
        "filtering",
        "sorting",
        "ranking",
        "reading",
    )
    assert call(tables, ns, op="cancel", tasks=["x"])["running"] == 1
    go.set()
    thread.join(20)
    assert answers[0]["ename"] == "Cancelled", answers[0]
    assert state["count"] == 12  # the step it waited in ended it: no step after
    assert tables._views[view].state is before  # nothing committed
    assert {"ranking", "reading"} & set(stages)
    if op == "filter":
        assert "filtering" in stages


def test_a_sort_reports_its_stages_in_order():
    texts = _strings(50_000, 6)
    tables = fresh_procedure()
    tables.SORT_CHUNK = 5000
    progress: list[tuple[float, str]] = []
    real = tables._step

    def step(request, fraction, stage="", **extra):
        real(request, fraction, stage, **extra)
        task = request["_task"]
        progress.append((task.progress, task.stage))

    tables._step = step
    ns = {"t": pd.DataFrame({"s": pd.Series(texts, dtype=object), "f": np.arange(50_000) % 3})}
    view = opened(tables, ns, rows=0)["view"]
    keys = [{"column": 1}, {"column": 0}]
    assert call(tables, ns, op="sort", view=view, keys=keys, task="p")["status"] == "ok"
    fractions = [p for p, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(progress) > 10
    stages = [s for _, s in progress]
    assert stages.index("ranking") < len(stages) - 1 - stages[::-1].index("sorting")


def test_a_sort_by_a_time_zone_column_warns_nothing():
    """A warning in the kernel would show in the user's running cell."""
    import warnings

    tables = fresh_procedure()
    ns = {"t": pd.DataFrame({"d": pd.date_range("2020", periods=1000, freq="min", tz="UTC")})}
    view = opened(tables, ns)["view"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0, "ascending": False}])
    assert answer["status"] == "ok", answer
    rows = call(tables, ns, op="rows", view=view, generation=1, start=0, count=1)
    assert rows["positions"] == [999]
