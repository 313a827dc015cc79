"""The Data Explorer procedure's ``check``: after a cell, a view whose variable was
deleted closes, one reassigned or changed in place is rebuilt on the current object
with its sort keys and filters kept where their columns (by name) still are; nothing
changes for the rest. Fingerprints are equal while an object is unchanged."""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest

from .test_tables_procedure import call, column, fresh_procedure, opened, page

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture
def tables():
    return fresh_procedure()


def check(tables, ns, **extra):
    answer = call(tables, ns, op="check", **extra)
    assert answer["status"] == "ok", answer
    return answer["updates"]


def one_update(tables, ns):
    updates = check(tables, ns)
    assert len(updates) == 1, updates
    return updates[0]


Row = collections.namedtuple("Row", "a b")


def every_source():
    frame = pd.DataFrame({"a": [3, 1, 2], "b": ["x", None, "z"], "c": [1.5, np.nan, 0.0]})
    return {
        "frame": frame,
        "series": frame["a"].copy(),
        "multi": frame.set_index(["a", "b"]),
        "array": np.arange(12.0).reshape(4, 3).copy(),
        "records": np.array([(1, 2.0)], dtype=[("x", "i4"), ("y", "f8")]),
        "dicts": [{"a": 1, "b": "x"}, {"a": 2}],
        "tuples": [Row(1, 2), Row(3, 4)],
        "columns": {"a": [1, 2, 3], "b": np.arange(3)},
        "polars": pl.DataFrame({"a": [1, None, 3], "s": ["p", "q", None]}),
        "lazy": pl.LazyFrame({"a": [1, 2]}),
        "arrow": pa.table({"a": [1, None], "s": ["p", "q"]}),
        "batch": pa.record_batch({"a": [1, 2]}),
        "dask": dd.from_pandas(frame, npartitions=2),
    }


def test_nothing_changed_nothing_updated_for_every_source(tables):
    ns = every_source()
    for name in ns:
        opened(tables, ns, name)
    assert check(tables, ns) == []
    assert check(tables, ns) == []  # fingerprints are stable (no wrapper identities)
    assert all(view.state.generation == 0 for view in tables._views.values())


def test_a_deleted_variable_closes_its_view(tables):
    ns = {"t": pd.DataFrame({"a": [1, 2]}), "u": [{"a": 1}]}
    view, other = opened(tables, ns)["view"], opened(tables, ns, "u")["view"]
    del ns["t"]
    assert check(tables, ns) == [{"view": view, "name": "t", "reason": "deleted", "closed": True}]
    assert view not in tables._views and other in tables._views
    gone = call(tables, ns, op="rows", view=view, generation=0, start=0, count=1)
    assert gone["ename"] == "UnknownView"
    assert check(tables, ns) == []


def test_a_reassigned_frame_keeps_sort_and_filters_by_column_name(tables):
    ns = {"t": pd.DataFrame({"a": [3, 1, 2, 1], "b": ["w", "x", "y", "z"], "c": [0, 1, 2, 3]})}
    view = opened(tables, ns)["view"]
    keys = [{"column": 0, "ascending": True}, {"column": 2, "ascending": False}]
    assert call(tables, ns, op="sort", view=view, keys=keys)["status"] == "ok"
    filters = [
        {"kind": "compare", "column": 2, "op": ">", "value": 0},
        {"kind": "not_null", "column": 1},
    ]
    answer = call(tables, ns, op="filter", view=view, filters=filters)
    assert answer["generation"] == 2
    # the new frame: "a" moved to the end, "b" gone, a new column first
    ns["t"] = pd.DataFrame({"n": [9, 9, 9, 9, 9], "c": [5, 0, 7, 6, 8], "a": [2, 2, 1, 1, 0]})
    update = one_update(tables, ns)
    assert update["view"] == view and update["name"] == "t" and update["reason"] == "reassigned"
    assert update["closed"] is False and update["generation"] == 3
    assert update["shape"] == [5, 3] and update["row_count"] == 4  # c > 0 keeps 4 rows
    assert [c["name"] for c in update["columns"]] == ["n", "c", "a"]
    assert update["columns"][1] == {
        "index": 1,
        "dtype": "int64",
        "display_type": "number",
        "name": "c",
    }
    assert update["sort"] == [
        {"column": 2, "ascending": True, "name": "a"},
        {"column": 1, "ascending": False, "name": "c"},
    ]
    assert [(f["kind"], f["column"], f["name"]) for f in update["filters"]] == [("compare", 1, "c")]
    assert update["dropped"] == {
        "sort": [],
        "filters": [{"kind": "not_null", "column": 1, "name": "b"}],
    }
    assert update["combine"] == "and" and update["kind"] == "pandas.DataFrame"
    stale = call(tables, ns, op="rows", view=view, generation=2, start=0, count=10)
    assert stale == {"status": "stale", "generation": 3, "elapsed_ms": stale["elapsed_ms"]}
    rows = page(tables, ns, view, generation=3)
    assert rows["positions"] == [4, 2, 3, 0]  # a ascending, then c descending; c = 0 filtered out
    assert column(rows, 1) == ["8", "7", "6", "5"]
    assert check(tables, ns) == []


def test_a_column_that_changed_type_drops_the_filter_it_no_longer_fits(tables):
    ns = {"t": pd.DataFrame({"a": [1, 2, 3]})}
    view = opened(tables, ns)["view"]
    spec = {"kind": "compare", "column": 0, "op": ">", "value": 1}
    assert call(tables, ns, op="filter", view=view, filters=[spec])["row_count"] == 2
    ns["t"] = pd.DataFrame({"a": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    update = one_update(tables, ns)
    assert update["filters"] == [] and update["row_count"] == 2
    assert [f["name"] for f in update["dropped"]["filters"]] == ["a"]


def test_a_reassignment_to_a_non_table_closes_the_view(tables):
    ns = {"t": pd.DataFrame({"a": [1]}), "u": [1, 2]}
    view = opened(tables, ns)["view"]
    ns["t"] = 42
    assert one_update(tables, ns) == {
        "view": view,
        "name": "t",
        "reason": "reassigned",
        "closed": True,
    }
    assert view not in tables._views


def test_a_pandas_edit_of_the_first_or_last_row_in_place_is_found(tables):
    df = pd.DataFrame({"a": np.arange(100_000), "b": np.arange(100_000) * 0.5})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    block = df._mgr.arrays[0]
    df.loc[0, "a"] = 99
    assert df._mgr.arrays[0] is block  # the same block, edited in place
    update = one_update(tables, ns)
    assert update["reason"] == "mutated" and update["generation"] == 1
    assert column(page(tables, ns, view, count=1), 0) == ["99"]
    df.iloc[-1, 1] = -1.0
    assert one_update(tables, ns)["reason"] == "mutated"
    df["c"] = 1  # a new column
    update = one_update(tables, ns)
    assert [c["name"] for c in update["columns"]] == ["a", "b", "c"]
    df.drop(index=[5], inplace=True)
    assert one_update(tables, ns)["shape"] == [99_999, 3]
    assert check(tables, ns) == []


def test_an_edit_of_an_unsampled_row_in_place_is_not_found(tables):
    """The documented limit of a fingerprint (``_fingerprint``'s docstring)."""
    df = pd.DataFrame({"a": np.arange(100_000)})
    ns = {"t": df}
    opened(tables, ns)
    sampled = set(tables._sample_rows(len(df)))
    assert {0, len(df) - 1} <= sampled and len(sampled) == tables.FINGERPRINT_ROWS
    row = next(p for p in range(len(df)) if p not in sampled)
    df.iloc[row, 0] = -5
    assert check(tables, ns) == []
    df.iloc[sorted(sampled)[500], 0] = -5  # a sampled one is
    assert one_update(tables, ns)["reason"] == "mutated"


def test_sampled_rows_are_fixed_for_a_length(tables):
    first = tables._sample_rows(10_000_000)
    assert first == tables._sample_rows(10_000_000) == fresh_procedure()._sample_rows(10_000_000)
    assert first[0] == 0 and first[-1] == 9_999_999 and first == sorted(set(first))
    assert tables._sample_rows(3) == [0, 1, 2] and tables._sample_rows(0) == []


@pytest.mark.parametrize(
    "name, edit",
    [
        ("array", lambda ns: ns["array"].__setitem__((0, 1), 99.0)),
        ("array", lambda ns: ns["array"].resize((2, 3), refcheck=False)),
        ("dicts", lambda ns: ns["dicts"].append({"a": 3})),
        ("dicts", lambda ns: ns["dicts"][0].__setitem__("a", 7)),
        ("tuples", lambda ns: ns["tuples"].__setitem__(-1, Row(5, 6))),
        ("columns", lambda ns: ns["columns"]["a"].__setitem__(2, 30)),
        ("columns", lambda ns: ns["columns"].__setitem__("z", [0, 0, 0])),
        ("series", lambda ns: ns["series"].__setitem__(0, 50)),
        ("multi", lambda ns: ns["multi"].iloc.__setitem__((0, 0), 5.0)),
        ("multi", lambda ns: ns["multi"].index.set_names(["A", "B"], inplace=True)),
        ("frame", lambda ns: ns["frame"].__setitem__("b", ["q", "r", "s"])),
        ("frame", lambda ns: ns["frame"].rename(columns={"a": "A"}, inplace=True)),
        ("polars", lambda ns: ns["polars"].__setitem__((0, "a"), 99)),
        ("polars", lambda ns: ns["polars"].insert_column(0, pl.Series("n", [0, 0, 0]))),
        ("dask", lambda ns: ns["dask"].__setitem__("d", 1)),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_edits_in_place_are_found_for_every_source(tables, name, edit):
    ns = every_source()
    view = opened(tables, ns, name)["view"]
    edit(ns)
    update = one_update(tables, ns)
    assert update["view"] == view and update["reason"] == "mutated" and not update["closed"]
    assert check(tables, ns) == []


def test_a_mutated_list_that_is_no_table_any_more_closes(tables):
    ns = {"t": [{"a": 1}]}
    view = opened(tables, ns)["view"]
    ns["t"].clear()
    assert one_update(tables, ns) == {
        "view": view,
        "name": "t",
        "reason": "mutated",
        "closed": True,
    }


def test_a_frame_reassigned_to_another_library_is_rebuilt(tables):
    ns = {"t": pd.DataFrame({"a": [2, 1], "s": ["x", "y"]})}
    view = opened(tables, ns)["view"]
    assert call(tables, ns, op="sort", view=view, keys=[{"column": 1, "ascending": False}])
    ns["t"] = pl.DataFrame({"s": ["b", "a", "c"]})
    update = one_update(tables, ns)
    assert update["kind"] == "polars.DataFrame" and update["row_label_levels"] == []
    assert update["sort"] == [{"column": 0, "ascending": False, "name": "s"}]
    assert page(tables, ns, view)["positions"] == [2, 0, 1]
    ns["t"] = pl.LazyFrame({"s": ["b"]})  # a lazy frame: nothing to sort, the key dropped
    update = one_update(tables, ns)
    assert update["kind"] == "polars.LazyFrame" and update["shape"] == [None, 1]
    assert update["sort"] == [] and update["dropped"]["sort"][0]["name"] == "s"
    assert update["row_count"] is None and update["features"]["sort"]["supported"] is False
    assert column(page(tables, ns, view), 0) == ["b"]


def test_python_tables_match_keys_by_name(tables):
    ns = {"t": [{"a": 2, "b": "x"}, {"a": 1, "b": "y"}]}
    view = opened(tables, ns)["view"]
    call(tables, ns, op="sort", view=view, keys=[{"column": 0}])
    filt = [{"kind": "in", "column": 1, "values": ["x", "y"]}]
    assert call(tables, ns, op="filter", view=view, filters=filt)["row_count"] == 2
    ns["t"] = [{"b": "y", "a": 5}, {"b": "x", "a": 4}, {"b": "q", "a": 3}]
    update = one_update(tables, ns)
    assert update["sort"] == [{"column": 1, "ascending": True, "name": "a"}]
    assert update["filters"][0]["column"] == 0 and update["row_count"] == 2
    assert page(tables, ns, view)["positions"] == [1, 0]


def test_a_sort_that_ran_on_the_old_view_commits_nothing(tables):
    ns = {"t": pd.DataFrame({"a": [2, 1]})}
    view = opened(tables, ns)["view"]
    old = tables._views[view]
    read = old.state
    ns["t"] = pd.DataFrame({"a": [5, 4, 3]})
    one_update(tables, ns)
    new = tables._State(read.generation + 1, None, [], ([], "and"), False)
    with pytest.raises(tables.ViewChanged):
        tables._commit(old, read, new, {})
    assert tables._views[view].source.obj is ns["t"]


def test_a_cancelled_check_commits_nothing(tables):
    ns = {"t": pd.DataFrame({"a": [1]})}
    view = opened(tables, ns)["view"]
    ns["t"] = pd.DataFrame({"a": [1, 2]})
    assert call(tables, ns, op="cancel", tasks=["c1"])["running"] == 0
    answer = call(tables, ns, op="check", task="c1")
    assert answer["ename"] == "Cancelled"
    assert tables._views[view].state.generation == 0
    assert one_update(tables, ns)["generation"] == 1


def test_many_wide_changed_views_keep_the_answer_bounded(tables):
    ns = {f"t{i}": pd.DataFrame({f"c{j}": [1] for j in range(3000)}) for i in range(8)}
    for name in list(ns):
        opened(tables, ns, name, rows=0)
    for name in list(ns):
        ns[name] = pd.DataFrame({f"d{j}" * 20: [1] for j in range(3000)})
    text = tables.handle(ns, '{"op": "check"}')
    assert len(text) < 2 * 1024 * 1024
    updates = call(tables, ns, op="check") or []
    assert updates["updates"] == []
    first = tables._views["v1"]
    assert first.source.column_count() == 3000


def test_bad_requests(tables):
    assert call(tables, {}, op="check", task=5)["ename"] == "BadRequest"
    assert check(tables, {}) == []
