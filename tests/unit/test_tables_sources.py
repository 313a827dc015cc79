"""The Data Explorer procedure's polars, pyarrow and dask sources: the same data gives
the same values, special-value codes, display types, sort orders and filter results as
the pandas source; a LazyFrame and a dask frame are paged without computing them whole
(row count unknown until the last row was paged), and refuse sort and filter."""

from __future__ import annotations

import datetime
import decimal
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from beaker_server.kernel.procedures import install_package_code

from .test_tables_procedure import (
    NAN,
    NAT,
    NEG_INF,
    NULL,
    POS_INF,
    PROCEDURE,
    call,
    column,
    fresh_procedure,
    opened,
    page,
)

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")

D = datetime.datetime
DATA = {
    "i": [3, None, 1, 3, 2, -7],
    "f": [1.5, float("nan"), None, -np.inf, np.inf, 1.5],
    "s": ["b", None, "a", "b", "Ab", "\u00e9t\u00e9"],
    "d": [D(2024, 1, 1), None, D(2024, 1, 3, 4, 5, 6), D(2024, 1, 4), D(2023, 5, 6), D(2024, 1, 1)],
    "b": [True, None, False, True, False, True],
    "day": [datetime.date(2024, 1, 2), None, datetime.date(2020, 2, 29)]
    + [datetime.date(2024, 1, 1)] * 3,
    "span": [datetime.timedelta(days=1, seconds=5), None] + [datetime.timedelta(0)] * 4,
}


def pandas_frame() -> pd.DataFrame:
    """DATA as pandas keeps it: nullable ints and booleans, NaN and None distinct in an
    object float column would not be, so a NaN float column with None -> NaN."""
    return pd.DataFrame(
        {
            "i": pd.array(DATA["i"], dtype="Int64"),
            "f": pd.Series(DATA["f"], dtype="float64"),
            "s": pd.Series(DATA["s"], dtype="str"),
            "d": pd.to_datetime(DATA["d"]),
            "b": pd.array(DATA["b"], dtype="boolean"),
            "day": pd.Series(DATA["day"], dtype=object),
            "span": pd.to_timedelta(DATA["span"]),
        }
    )


def polars_frame():
    return pl.DataFrame(DATA, strict=False)


def arrow_table():
    return pa.table(DATA)


SOURCES = {
    "polars": polars_frame,
    "arrow": arrow_table,
    "batch": lambda: arrow_table().to_batches()[0],
}


@pytest.fixture
def tables():
    return fresh_procedure()


def values(tables, ns, name="t"):
    view = opened(tables, ns, name)["view"]
    answer = page(tables, ns, view)
    return [column(answer, j) for j in range(len(answer["columns"]))]


@pytest.mark.parametrize("source", SOURCES)
def test_values_and_display_types_match_pandas(tables, source):
    ns = {"t": SOURCES[source](), "p": pandas_frame()}
    ours, theirs = opened(tables, ns), opened(tables, ns, "p")
    assert ours["kind"] == {"polars": "polars.DataFrame", "arrow": "pyarrow.Table"}.get(
        source, "pyarrow.RecordBatch"
    )
    assert ours["shape"] == [6, 7] and ours["row_label_levels"] == []
    assert [c["name"] for c in ours["columns"]] == list(DATA)
    shown = [c["display_type"] for c in ours["columns"]]
    assert shown == ["number", "number", "string", "datetime", "boolean", "date", "interval"]
    assert shown == [c["display_type"] for c in theirs["columns"]]
    assert ours["first"]["labels"] == [] and ours["first"]["positions"] == list(range(6))
    got, want = values(tables, ns), values(tables, ns, "p")
    # pandas' float64 column holds NaN for None: our null stays null (NULL), not NaN
    assert got[1] == ["1.5", NAN, NULL, NEG_INF, POS_INF, "1.5"]
    assert want[1] == ["1.5", NAN, NAN, NEG_INF, POS_INF, "1.5"]
    assert got[:1] + got[2:] == want[:1] + want[2:]
    assert got[0] == ["3", NULL, "1", "3", "2", "-7"]
    assert got[3][:2] == ["2024-01-01 00:00:00", NAT] and got[5][1] == NULL
    assert got[6][:2] == ["1 day, 0:00:05", NAT]


@pytest.mark.parametrize("source", ["polars", "arrow"])
def test_odd_dtypes_show_as_pandas_object_columns_would(tables, source):
    rows = {
        "dec": [decimal.Decimal("1.10"), None, decimal.Decimal("-2.00")],
        "lst": [[1, 2], None, []],
        "t": [datetime.time(12, 30), None, datetime.time(0, 0, 1)],
        "bin": [b"ab", None, b"\x00"],
        "f32": [0.1, None, 2.5],
        "none": [None, None, None],
    }
    frame = pl.DataFrame(rows, schema_overrides={"f32": pl.Float32}, strict=False)
    ns = {"t": frame if source == "polars" else frame.to_arrow()}
    ns["p"] = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    ns["p"]["f32"] = np.array([0.1, np.nan, 2.5], dtype=np.float32)
    got, want = values(tables, ns), values(tables, ns, "p")
    assert got[0] == want[0] == ["1.10", NULL, "-2.00"]
    assert got[1] == want[1] == ["[1, 2]", NULL, "[]"]
    assert got[2] == want[2] == ["12:30:00", NULL, "00:00:01"]
    assert got[3] == want[3] == ["b'ab'", NULL, "b'\\x00'"]
    assert got[4] == ["0.1", NULL, "2.5"] and want[4] == ["0.1", NAN, "2.5"]  # 7 digits
    assert got[5] == [NULL] * 3
    shown = [c["display_type"] for c in opened(tables, ns)["columns"]]
    assert shown == ["number", "object", "time", "string", "number", "unknown"]


@pytest.mark.parametrize("source", ["polars", "arrow"])
def test_zoned_datetimes_and_categoricals(tables, source):
    stamps = [D(2024, 1, 1, 12), None, D(2024, 6, 1, 0, 0, 0, 500)]
    frame = pl.DataFrame(
        {"z": stamps, "c": ["u", None, "v"]},
        schema={"z": pl.Datetime("us", "Europe/Paris"), "c": pl.Categorical},
    )
    ns = {"t": frame if source == "polars" else frame.to_arrow()}
    zoned = pd.Series(stamps, dtype="datetime64[us]").dt.tz_localize("UTC")
    paris = zoned.dt.tz_convert("Europe/Paris")
    ns["p"] = pd.DataFrame({"z": paris, "c": pd.Categorical(["u", None, "v"])})
    got, want = values(tables, ns), values(tables, ns, "p")
    assert got == want
    assert got[0] == ["2024-01-01 13:00:00+01:00", NAT, "2024-06-01 02:00:00.000500+02:00"]
    view = opened(tables, ns)["view"]
    answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0, "ascending": False}])
    assert answer["status"] == "ok"
    assert page(tables, ns, view)["positions"] == [2, 0, 1]
    theirs = opened(tables, ns, "p")["view"]
    for value, rows in (
        ("2024-01-01T13:00:01", 1),  # a time without a zone is one of the column's zone
        ("2024-01-01T12:00:00+00:00", 2),
        ("2024-01-01T13:00:00", 2),
        ("2024-06-01T02:00:00.000501", 0),
    ):
        spec = {"kind": "compare", "column": 0, "op": ">=", "value": value}
        assert call(tables, ns, op="filter", view=view, filters=[spec])["row_count"] == rows, value
        assert call(tables, ns, op="filter", view=theirs, filters=[spec])["row_count"] == rows
    spec = {"kind": "in", "column": 1, "values": ["v", None]}
    assert call(tables, ns, op="filter", view=view, filters=[spec])["row_count"] == 2


KEYS = [
    [(0, True)],
    [(0, False)],
    [(1, True)],
    [(1, False)],
    [(2, True)],
    [(2, False)],
    [(3, True)],
    [(4, False)],
    [(5, True)],
    [(6, False)],
    [(2, True), (0, False)],
    [(4, True), (1, False), (3, True)],
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("keys", KEYS, ids=str)
def test_sorts_are_stable_with_nulls_last_as_pandas_sorts(tables, source, keys):
    ns = {"t": SOURCES[source](), "p": pandas_frame()}
    orders = []
    for name in ("t", "p"):
        view = opened(tables, ns, name)["view"]
        specs = [{"column": c, "ascending": a} for c, a in keys]
        answer = call(tables, ns, op="sort", view=view, keys=specs)
        assert answer["status"] == "ok" and answer["row_count"] == 6, answer
        orders.append(page(tables, ns, view)["positions"])
    assert orders[0] == orders[1]
    if keys == [(0, True)]:
        assert orders[0] == [5, 2, 4, 0, 3, 1]  # the two 3s in table order, the null last


FILTERS = [
    {"kind": "compare", "column": 0, "op": ">", "value": 1},
    {"kind": "compare", "column": 0, "op": "!=", "value": "3"},
    {"kind": "between", "column": 1, "low": -1, "high": 2},
    {"kind": "compare", "column": 1, "op": "<", "value": 10},
    {"kind": "in", "column": 0, "values": [3, -7, None]},
    {"kind": "in", "column": 0, "values": [0]},
    {"kind": "is_null", "column": 1},
    {"kind": "not_null", "column": 2},
    {"kind": "contains", "column": 2, "term": "B"},
    {"kind": "contains", "column": 2, "term": "B", "case_sensitive": True},
    {"kind": "starts_with", "column": 2, "term": "a"},
    {"kind": "ends_with", "column": 2, "term": "T\u00c9"},
    {"kind": "regex", "column": 2, "term": "^[ab]$"},
    {"kind": "compare", "column": 2, "op": ">=", "value": "b"},
    {"kind": "in", "column": 2, "values": ["a", None]},
    {"kind": "compare", "column": 3, "op": ">", "value": "2024-01-01"},
    {"kind": "between", "column": 3, "low": "2024-01-01", "high": "2024-01-03T04:05:06"},
    {"kind": "compare", "column": 4, "op": "=", "value": True},
    {"kind": "compare", "column": 5, "op": "<", "value": "2024-01-02"},
    {"kind": "is_null", "column": 6},
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("spec", FILTERS, ids=lambda s: f"{s['kind']}-{s['column']}")
def test_filters_select_what_pandas_selects(tables, source, spec):
    ns = {"t": SOURCES[source](), "p": pandas_frame()}
    chosen = []
    for name in ("t", "p"):
        view = opened(tables, ns, name)["view"]
        answer = call(tables, ns, op="filter", view=view, filters=[spec])
        assert answer["status"] == "ok", answer
        chosen.append(page(tables, ns, view)["positions"])
    if spec["kind"] == "is_null" and spec["column"] == 1:
        assert chosen[0] == [1, 2]  # NaN and null are both null, as in pandas
    if spec["kind"] == "in" and None in spec["values"] and spec["column"] == 0:
        # null in the set selects the nulls, in every source (pandas' nullable Int64
        # included, where Series.isin alone would not)
        assert chosen[0] == [0, 1, 3, 5]
    assert chosen[0] == chosen[1]


@pytest.mark.parametrize("source", ["polars", "arrow"])
def test_bad_filters_are_bad_filters(tables, source):
    ns = {"t": SOURCES[source]()}
    view = opened(tables, ns)["view"]
    for spec in (
        {"kind": "contains", "column": 0, "term": "1"},
        {"kind": "compare", "column": 0, "op": "<", "value": "many"},
        {"kind": "compare", "column": 3, "op": "<", "value": "not a date"},
        {"kind": "regex", "column": 2, "term": "(a+)+$"},
    ):
        answer = call(tables, ns, op="filter", view=view, filters=[spec])
        assert answer["status"] == "error" and answer["ename"] == "BadFilter", (spec, answer)
    assert tables._views[view].state.generation == 0


@pytest.mark.parametrize("source", ["polars", "arrow"])
def test_empty_and_all_null_tables(tables, source):
    empty = pl.DataFrame({"a": [], "s": []}, schema={"a": pl.Int64, "s": pl.String})
    nulls = pl.DataFrame({"a": [None] * 3}, schema={"a": pl.Float64})
    for frame, rows in ((empty, 0), (nulls, 3)):
        ns = {"t": frame if source == "polars" else frame.to_arrow()}
        answer = opened(tables, ns)
        assert answer["shape"][0] == rows and answer["first"]["count"] == rows
        view = answer["view"]
        assert call(tables, ns, op="sort", view=view, keys=[{"column": 0}])["row_count"] == rows
        spec = {"kind": "compare", "column": 0, "op": ">", "value": 0}
        assert call(tables, ns, op="filter", view=view, filters=[spec])["row_count"] == 0
    assert column(page(tables, ns, view), 0) == []


def test_long_strings_and_huge_pages_stay_bounded(tables):
    frame = pl.DataFrame({f"c{j}": ["x" * 5000] * 1000 for j in range(3)})
    ns = {"t": frame}
    view = opened(tables, ns, rows=0)["view"]
    answer = page(tables, ns, view, count=1000, max_chars=100)
    assert all(len(v) == 100 and v.endswith("\u2026") for v in column(answer, 0))
    assert answer["columns"][0]["clipped"][:3] == [0, 1, 2]
    answer = page(tables, ns, view, count=1000, max_chars=2000, max_bytes=100_000)
    assert answer["count"] < 1000 or answer.get("truncated")
    request = {"op": "rows", "view": view, "generation": 0, "count": 1000}
    assert len(tables.handle(ns, json.dumps(request))) < 2.2e6
    assert call(tables, ns, op="rows", view=view, generation=0, count=1001)["ename"] == "BadRequest"


def test_numeric_columns_are_numpy_views_without_a_copy(tables):
    frame = pl.DataFrame({"a": np.arange(10.0), "b": [1, None] * 5})
    table = pa.table({"a": np.arange(10.0)})
    polars_source = tables._source(frame, "t")
    arrow_source = tables._source(table, "t")
    a = polars_source.column(0).whole()
    b = frame.to_series(0).to_numpy()
    assert a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    assert np.shares_memory(arrow_source.column(0).whole(), table.column(0).chunk(0).to_numpy())
    assert polars_source.column(1).whole().tolist() == [1, 0] * 5  # nulls filled (and masked)


# -- windowed sources: a LazyFrame, a dask frame -----------------------------------------------


def test_a_lazy_frame_pages_by_slices_and_learns_its_length(tables, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,s\n" + "".join(f"{i},x{i}\n" for i in range(200_000)) + "oops,bad\n")
    lf = pl.scan_csv(path, schema={"a": pl.Int64, "s": pl.String})
    with pytest.raises(pl.exceptions.ComputeError):
        lf.collect()  # computing it whole fails: a page that does would fail too
    ns = {"t": lf}
    answer = opened(tables, ns, rows=5)
    assert answer["kind"] == "polars.LazyFrame" and answer["shape"] == [None, 2]
    assert [(c["name"], c["dtype"], c["display_type"]) for c in answer["columns"]] == [
        ("a", "Int64", "number"),
        ("s", "String", "string"),
    ]
    first = answer["first"]
    assert first["row_count"] is None and column(first, 1) == ["x0", "x1", "x2", "x3", "x4"]
    view = answer["view"]
    deep = page(tables, ns, view, start=4000, count=3)
    assert deep["start"] == 4000 and deep["positions"] == [4000, 4001, 4002]
    assert column(deep, 0) == ["4000", "4001", "4002"] and deep["row_count"] is None
    features = answer["features"]
    assert features["sort"]["supported"] is False and "collect()" in features["sort"]["reason"]
    assert features["filter"]["supported"] is False and features["row_count"].startswith("unknown")
    for op, extra in (("sort", {"keys": [{"column": 0}]}), ("filter", {"filters": []})):
        refused = call(tables, ns, op=op, view=view, **extra)
        assert refused["ename"] == "BadRequest" and "LazyFrame" in refused["evalue"]
    # a lazy frame that ends: the length is known once its last row was paged
    ns["u"] = pl.LazyFrame({"a": list(range(25))}).with_columns(b=pl.col("a") * 2)
    view = opened(tables, ns, "u", rows=10)["view"]
    assert page(tables, ns, view, start=10, count=10)["row_count"] is None
    tail = page(tables, ns, view, start=20, count=10)
    assert tail["count"] == 5 and tail["row_count"] == 25 and column(tail, 1)[-1] == "48"
    assert page(tables, ns, view, start=30, count=10)["count"] == 0


def test_a_lazy_frame_paged_in_whole_blocks_learns_its_length_at_the_empty_page(tables):
    ns = {"t": pl.LazyFrame({"a": list(range(400))})}
    view = opened(tables, ns, rows=0)["view"]
    assert page(tables, ns, view, start=800, count=200)["row_count"] is None  # not seen yet
    for start in (0, 200):
        assert page(tables, ns, view, start=start, count=200)["row_count"] is None
    end = page(tables, ns, view, start=400, count=200)
    assert end["count"] == 0 and end["row_count"] == 400


def test_a_dask_frame_pages_by_partitions_computing_only_those_needed(tables):
    computed: list[int] = []

    def part(i):
        computed.append(i)
        rows = range(i * 10, i * 10 + 10)
        labels = [f"k{r}" for r in rows]
        return pd.DataFrame({"a": list(rows), "s": [f"r{r}" for r in rows]}, index=labels)

    frame = dd.from_map(part, range(6))
    computed.clear()
    ns = {"t": frame}
    answer = opened(tables, ns, rows=5)
    assert answer["kind"] == "dask.DataFrame" and answer["shape"] == [None, 2]
    assert [c["display_type"] for c in answer["columns"]] == ["number", "string"]
    assert answer["first"]["labels"] == [["k0", "k1", "k2", "k3", "k4"]]
    view = answer["view"]
    across = page(tables, ns, view, start=15, count=10)
    assert column(across, 0) == [str(r) for r in range(15, 25)] and across["positions"][0] == 15
    assert across["row_count"] is None and max(computed) == 2  # partitions 3, 4, 5 untouched
    assert answer["features"]["sort"]["supported"] is False
    refused = call(tables, ns, op="sort", view=view, keys=[{"column": 0}])
    assert refused["ename"] == "BadRequest" and "compute()" in refused["evalue"]
    tail = page(tables, ns, view, start=55, count=20)
    assert tail["count"] == 5 and tail["row_count"] == 60 and column(tail, 1)[-1] == "r59"
    assert len(tables._views[view].source.kept) <= 2  # computed partitions kept: bounded


def test_a_dask_series_and_an_empty_window(tables):
    series = dd.from_pandas(pd.Series([1.5, None, 3.0], name="x"), npartitions=2)
    ns = {"t": series}
    answer = opened(tables, ns)
    assert answer["kind"] == "dask.Series" and answer["columns"][0]["name"] == "x"
    assert column(answer["first"], 0) == ["1.5", NAN, "3.0"] and answer["first"]["row_count"] == 3
    assert page(tables, ns, answer["view"], start=10, count=5)["count"] == 0


def test_libraries_are_imported_only_for_their_own_variables():
    script = f"""
import json, sys
eval({install_package_code("_t", PROCEDURE)!r}, {{}})
tables = sys.modules["_t"]
ns = {{"rows": [{{"a": 1}}, {{"a": 2}}], "cols": {{"a": [1, 2]}}}}
for name in ns:
    answer = json.loads(tables.handle(ns, json.dumps({{"op": "open", "name": name}})))
    assert answer["status"] == "ok", answer
    view = answer["view"]
    sort = {{"op": "sort", "view": view, "keys": [{{"column": 0}}]}}
    assert json.loads(tables.handle(ns, json.dumps(sort)))["status"] == "ok"
assert json.loads(tables.handle(ns, json.dumps({{"op": "check"}})))["status"] == "ok"
print(sorted(m for m in ("polars", "pyarrow", "dask", "numpy", "pandas") if m in sys.modules))
"""
    out = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
