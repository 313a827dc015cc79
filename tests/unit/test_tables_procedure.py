"""The Data Explorer's kernel procedure (``beaker_server/explorer/python_tables.py``),
run in this process on a namespace dict: each source type, sorting, filtering,
generations, errors and bounds (README, "Data Explorer").

Each test gets a fresh copy of the file as a module that is never put in
``sys.modules``, as a newly started kernel would have it.
"""

from __future__ import annotations

import ast
import collections
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import beaker_server
from beaker_server.kernel.procedures import install_code

PROCEDURE = Path(beaker_server.__file__).parent / "explorer" / "python_tables.py"
NULL, NAN, NAT, POS_INF, NEG_INF = 0, 1, 2, 3, 4


def fresh_procedure():
    spec = importlib.util.spec_from_file_location("_beaker_tables_test", PROCEDURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tables():
    module = fresh_procedure()
    assert "_beaker_tables_test" not in sys.modules
    return module


def call(tables, ns, **request):
    return json.loads(tables.handle(ns, json.dumps(request)))


def opened(tables, ns, name="t", **options):
    answer = call(tables, ns, op="open", name=name, **options)
    assert answer["status"] == "ok", answer
    return answer


def page(tables, ns, view, generation=None, start=0, count=1000, **options):
    if generation is None:
        generation = tables._views[view].state.generation
    answer = call(
        tables, ns, op="rows", view=view, generation=generation, start=start, count=count, **options
    )
    assert answer["status"] == "ok", answer
    return answer


def column(answer, index):
    return next(c["values"] for c in answer["columns"] if c["index"] == index)


def order(tables, ns, view):
    return page(tables, ns, view)["positions"]


def sort(tables, ns, view, *keys):
    specs = [{"column": c, "ascending": a} for c, a in keys]
    answer = call(tables, ns, op="sort", view=view, keys=specs)
    assert answer["status"] == "ok", answer
    return answer


def filt(tables, ns, view, *filters, combine="and"):
    return call(tables, ns, op="filter", view=view, filters=list(filters), combine=combine)


# -- sources: values, labels, special values --------------------------------------------------


def test_a_frame_opens_with_schema_and_first_rows(tables):
    df = pd.DataFrame({"a": [1, 2, 3], "b": [1.5, 2.25, -3.0], "s": ["x", "y", "z"]})
    ns = {"t": df}
    answer = opened(tables, ns, rows=2)
    assert answer["kind"] == "pandas.DataFrame" and answer["shape"] == [3, 3]
    assert answer["generation"] == 0 and answer["view"] in tables._views
    assert [(c["name"], c["dtype"], c["display_type"]) for c in answer["columns"]] == [
        ("a", "int64", "number"),
        ("b", "float64", "number"),
        ("s", "str", "string"),
    ]
    assert answer["row_label_levels"] == [
        {"name": None, "dtype": "int64", "display_type": "number"}
    ]
    assert answer["features"]["special_values"] == {
        "null": 0,
        "NaN": 1,
        "NaT": 2,
        "+inf": 3,
        "-inf": 4,
    }
    first = answer["first"]
    assert first["count"] == 2 and first["labels"] == [["0", "1"]]
    assert [column(first, j) for j in range(3)] == [["1", "2"], ["1.5", "2.25"], ["x", "y"]]
    assert tables._views[answer["view"]].source.obj is df  # the object itself, no copy


def test_special_values_are_codes_not_text(tables):
    df = pd.DataFrame(
        {
            "f": [np.nan, np.inf, -np.inf, 1.0],
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "o": pd.Series([None, "NaN", float("nan"), pd.NA], dtype=object),
            "d": pd.to_datetime(
                ["2024-01-01", None, "2024-01-03 04:05:06", "2024-01-04"], format="ISO8601"
            ),
            "c": pd.Categorical(["u", None, "v", "u"]),
            "s": pd.Series(["a", None, "c", "NaN"], dtype="str"),
        }
    )
    first = opened(tables, {"t": df})["first"]
    assert column(first, 0) == [NAN, POS_INF, NEG_INF, "1.0"]
    assert column(first, 1) == ["1", NULL, "3", "4"]
    assert column(first, 2) == [NULL, "NaN", NAN, NULL]
    assert column(first, 3) == [
        "2024-01-01 00:00:00",
        NAT,
        "2024-01-03 04:05:06",
        "2024-01-04 00:00:00",
    ]
    assert column(first, 4) == ["u", NULL, "v", "u"]
    assert column(first, 5) == ["a", NULL, "c", "NaN"]


def test_time_zones_categoricals_and_nullable_dtypes_are_described(tables):
    df = pd.DataFrame(
        {
            "when": pd.date_range("2024-03-30 12:00", periods=3, freq="D", tz="Europe/Paris"),
            "cat": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
            "flag": pd.array([True, None, False], dtype="boolean"),
        }
    )
    answer = opened(tables, {"t": df})
    schema = answer["columns"]
    assert schema[0]["dtype"] == "datetime64[us, Europe/Paris]"
    assert schema[0]["display_type"] == "datetime"
    assert schema[1]["display_type"] == "string" and schema[1]["categories"] == 2
    assert schema[2]["display_type"] == "boolean"
    first = answer["first"]
    # the summer time change on 2024-03-31 shows in the offsets
    assert column(first, 0) == [
        "2024-03-30 12:00:00+01:00",
        "2024-03-31 12:00:00+02:00",
        "2024-04-01 12:00:00+02:00",
    ]
    assert column(first, 2) == ["True", NULL, "False"]


def test_multiindex_rows_and_columns(tables):
    rows = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["letter", "n"])
    cols = pd.MultiIndex.from_tuples([("x", "p"), ("x", "q"), ("y", "p")])
    df = pd.DataFrame(np.arange(9).reshape(3, 3), index=rows, columns=cols)
    ns = {"t": df}
    answer = opened(tables, ns)
    assert [level["name"] for level in answer["row_label_levels"]] == ["letter", "n"]
    assert [(c["name"], c["levels"]) for c in answer["columns"]] == [
        ("x / p", ["x", "p"]),
        ("x / q", ["x", "q"]),
        ("y / p", ["y", "p"]),
    ]
    assert answer["first"]["labels"] == [["a", "a", "b"], ["1", "2", "1"]]
    sort(tables, ns, answer["view"], (2, False))
    assert page(tables, ns, answer["view"])["labels"] == [["b", "a", "a"], ["1", "2", "1"]]


def test_a_series_is_one_column_with_its_index(tables):
    series = pd.Series([3.5, 1.0], index=pd.Index(["r1", "r2"], name="row"))
    answer = opened(tables, {"t": series})
    assert answer["kind"] == "pandas.Series" and answer["shape"] == [2, 1]
    assert answer["columns"][0]["name"] == "t"  # unnamed: the variable's name
    assert answer["first"]["labels"] == [["r1", "r2"]]
    assert column(answer["first"], 0) == ["3.5", "1.0"]


def test_numpy_arrays_one_two_dimensional_and_structured(tables):
    ns = {
        "one": np.array([1.0, np.nan, 3.0]),
        "two": np.arange(6, dtype="int32").reshape(3, 2),
        "rec": np.array(
            [(1, b"ab", "2024-01-01"), (2, b"cd", "NaT")],
            dtype=[("id", "i8"), ("tag", "S2"), ("at", "M8[s]")],
        ),
    }
    one = opened(tables, ns, "one")
    assert one["shape"] == [3, 1] and column(one["first"], 0) == ["1.0", NAN, "3.0"]
    assert one["row_label_levels"] == [] and one["first"]["labels"] == []
    two = opened(tables, ns, "two")
    assert [c["name"] for c in two["columns"]] == ["0", "1"]
    assert column(two["first"], 1) == ["1", "3", "5"]
    rec = opened(tables, ns, "rec")
    assert [(c["name"], c["display_type"]) for c in rec["columns"]] == [
        ("id", "number"),
        ("tag", "string"),
        ("at", "datetime"),
    ]
    assert column(rec["first"], 1) == ["b'ab'", "b'cd'"]
    assert column(rec["first"], 2) == ["2024-01-01", NAT]


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    ("value", "kind", "names", "columns"),
    [
        (
            [{"a": 1, "b": "x"}, {"a": None, "c": 2.5}],
            "list of dicts",
            ["a", "b", "c"],
            [["1", NULL], ["x", NULL], [NULL, "2.5"]],
        ),
        (
            [(1, "x"), (2, "y", True)],
            "list of tuples",
            ["0", "1", "2"],
            [["1", "2"], ["x", "y"], [NULL, "True"]],
        ),
        ([Point(1, 2), Point(3, 4)], "list of tuples", ["x", "y"], [["1", "3"], ["2", "4"]]),
        (
            {"a": [1, 2, 3], "b": ("x", "y")},
            "dict of lists",
            ["a", "b"],
            [["1", "2", "3"], ["x", "y", NULL]],
        ),
    ],
)
def test_python_tables(tables, value, kind, names, columns):
    answer = opened(tables, {"t": value})
    assert answer["kind"] == kind
    assert [c["name"] for c in answer["columns"]] == names
    assert [column(answer["first"], j) for j in range(len(names))] == columns


def test_pandas_periods_intervals_and_durations_show_as_text(tables):
    df = pd.DataFrame(
        {
            "p": pd.period_range("2024-01", periods=2, freq="M"),
            "i": pd.interval_range(0, 2),
            "d": pd.to_timedelta([90061, None], unit="s"),
            "z": np.array([1 + 2j, complex("nan")]),
        }
    )
    first = opened(tables, {"t": df})["first"]
    assert column(first, 0) == ["2024-01", "2024-02"]
    assert column(first, 1) == ["(0, 1]", "(1, 2]"]
    assert column(first, 2) == ["1 day, 1:01:01", NAT]
    assert column(first, 3) == ["(1+2j)", NAN]


def test_numbers_have_bounded_digits(tables):
    ns = {"t": pd.DataFrame({"f": [1 / 3, 1e300, 123456789012345.0, -0.0], "i": [2**62, 0, 1, -5]})}
    first = opened(tables, ns)["first"]
    assert column(first, 0) == ["0.3333333333", "1e+300", "1.23456789e+14", "-0.0"]
    assert column(first, 1) == [str(2**62), "0", "1", "-5"]
    view = opened(tables, ns)["view"]
    assert column(page(tables, ns, view, digits=3), 0)[0] == "0.333"
    small = opened(tables, {"t": np.array([0.1, 1 / 3], dtype="float32")}, "t")
    assert column(small["first"], 0) == ["0.1", "0.3333333"]


# -- bounds -------------------------------------------------------------------------------------


def test_long_strings_are_cut_with_a_marker(tables):
    long = "x" * 10_000
    ns = {"t": pd.DataFrame({"s": [long, "short"], "o": [list(range(1_000_000)), b"y" * 5000]})}
    view = opened(tables, ns)["view"]
    answer = page(tables, ns, view, max_chars=50)
    s = answer["columns"][0]
    assert s["values"][0] == "x" * 49 + "\u2026" and s["values"][1] == "short"
    assert s["clipped"] == [0]
    o = answer["columns"][1]
    assert all(len(v) <= 50 for v in o["values"]) and o["clipped"] == [0, 1]
    assert o["values"][0].startswith("[0, 1, 2")


def _full_page_text(tables, ns, view, **options):
    """The answer text to a page of 1,000 rows of values up to 2,000 characters."""
    request = {"op": "rows", "view": view, "generation": 0, "start": 0, "count": 1000}
    return tables.handle(ns, json.dumps({**request, "max_chars": 2000, **options}))


def test_a_huge_answer_is_capped_and_says_what_it_left_out(tables):
    wide = pd.DataFrame({f"c{j}": ["\u00e9" * 2000] * 1000 for j in range(40)})
    ns = {"t": wide}
    view = opened(tables, ns, rows=0)["view"]
    text = _full_page_text(tables, ns, view)
    answer = json.loads(text)
    assert len(text) <= tables.MAX_ANSWER_BYTES + 100  # + elapsed_ms
    assert answer["truncated"] is True
    sent = [c["index"] for c in answer["columns"]]
    assert sent and sorted(sent + answer["omitted_columns"]) == list(range(40))
    assert all(len(c["values"]) == answer["count"] for c in answer["columns"])


def test_one_column_too_big_for_the_answer_sends_fewer_rows(tables):
    ns = {"t": pd.DataFrame({"s": ["\u00e9" * 2000] * 1000})}
    view = opened(tables, ns, rows=0)["view"]
    text = _full_page_text(tables, ns, view, max_bytes=100_000)
    answer = json.loads(text)
    assert len(text) <= 100_100 and 0 < answer["count"] < 1000
    assert len(answer["columns"][0]["values"]) == answer["count"]


def test_a_wide_table_describes_its_first_columns_within_the_bound(tables):
    ns = {"t": pd.DataFrame(np.zeros((3, 5000)), columns=[f"{'n' * 150}{j}" for j in range(5000)])}
    text = tables.handle(ns, json.dumps({"op": "open", "name": "t", "max_bytes": 200_000}))
    answer = json.loads(text)
    assert answer["shape"] == [3, 5000] and answer["columns_truncated"] is True
    assert 0 < len(answer["columns"]) <= tables.SCHEMA_COLUMNS
    assert len(text) <= 200_100
    assert all(len(c["name"]) <= 200 for c in answer["columns"])
    assert [c["index"] for c in answer["first"]["columns"]] == list(
        range(len(answer["first"]["columns"]))
    )
    far = page(tables, ns, answer["view"], columns=[4999], count=3)
    assert column(far, 4999) == ["0.0", "0.0", "0.0"]


def test_rows_per_request_are_bounded(tables):
    ns = {"t": pd.DataFrame({"a": range(5000)})}
    view = opened(tables, ns)["view"]
    too_many = call(tables, ns, op="rows", view=view, generation=0, start=0, count=1001)
    assert too_many["status"] == "error" and too_many["ename"] == "BadRequest"
    assert call(tables, ns, op="open", name="t", rows=1001)["ename"] == "BadRequest"
    last = page(tables, ns, view, start=4990, count=1000)
    assert last["count"] == 10 and last["positions"][-1] == 4999
    assert page(tables, ns, view, start=9000)["count"] == 0


# -- sorting ------------------------------------------------------------------------------------


SORT_SOURCES = {
    "pandas": lambda rows: pd.DataFrame(rows, columns=["k", "v", "s"]),
    "records": lambda rows: [dict(zip(["k", "v", "s"], row, strict=True)) for row in rows],
    "columns": lambda rows: {name: [row[j] for row in rows] for j, name in enumerate("kvs")},
    "numpy": lambda rows: np.array(rows, dtype=[("k", "i8"), ("v", "f4"), ("s", "O")]),
    "numpy-strings": lambda rows: np.array(rows, dtype=[("k", "u1"), ("v", "f8"), ("s", "U1")]),
}
ROWS = [(2, 0.5, "b"), (1, 0.25, "a"), (2, 0.25, "c"), (1, 0.5, "a"), (2, 0.5, "a"), (1, 0.25, "b")]


@pytest.mark.parametrize("source", list(SORT_SOURCES))
def test_sorting_is_stable_in_both_directions(tables, source):
    ns = {"t": SORT_SOURCES[source](ROWS)}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    assert order(tables, ns, view) == [1, 3, 5, 0, 2, 4]
    sort(tables, ns, view, (0, False))
    assert order(tables, ns, view) == [0, 2, 4, 1, 3, 5]  # ties keep table order


@pytest.mark.parametrize("source", list(SORT_SOURCES))
def test_several_keys(tables, source):
    ns = {"t": SORT_SOURCES[source](ROWS)}
    view = opened(tables, ns)["view"]
    answer = sort(tables, ns, view, (1, False), (2, True), (0, True))
    expected = sorted(range(len(ROWS)), key=lambda p: (-ROWS[p][1], ROWS[p][2], ROWS[p][0]))
    assert order(tables, ns, view) == expected
    assert answer["generation"] == 1 and answer["row_count"] == 6
    sort(tables, ns, view, (2, False), (1, True))
    expected = sorted(range(len(ROWS)), key=lambda p: ROWS[p][1])
    expected = sorted(expected, key=lambda p: ROWS[p][2], reverse=True)
    assert order(tables, ns, view) == expected


@pytest.mark.parametrize(
    "values",
    [
        [3.0, np.nan, 1.0, np.nan, 2.0],
        pd.array([3, None, 1, None, 2], dtype="Int64"),
        pd.Series(["c", None, "a", None, "b"], dtype="str"),
        ["c", None, "a", None, "b"],
        pd.to_datetime(["2024-01-03", None, "2024-01-01", None, "2024-01-02"]),
        pd.Categorical(["c", None, "a", None, "b"]),
    ],
    ids=["float", "Int64", "str", "object", "datetime", "category"],
)
def test_nulls_sort_last_in_both_directions(tables, values):
    ns = {"t": pd.DataFrame({"v": values, "w": [0, 0, 0, 0, 0]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    assert order(tables, ns, view) == [2, 4, 0, 1, 3]
    sort(tables, ns, view, (0, False))
    assert order(tables, ns, view) == [0, 4, 2, 1, 3]
    sort(tables, ns, view, (1, True), (0, False))  # in a key of several too
    assert order(tables, ns, view) == [0, 4, 2, 1, 3]


def test_python_sources_sort_nulls_last_and_mixed_types(tables):
    ns = {"t": [{"v": 2}, {"v": None}, {"v": "b"}, {}, {"v": 1.5}, {"v": float("nan")}]}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    assert order(tables, ns, view) == [4, 0, 2, 1, 3, 5]
    sort(tables, ns, view, (0, False))
    assert order(tables, ns, view) == [2, 0, 4, 1, 3, 5]


def test_an_object_column_of_mixed_types_sorts_numbers_then_strings(tables):
    mixed = pd.Series([3, "a", 1, None, "b", 2.5, ("t",)], dtype=object)
    ns = {"t": pd.DataFrame({"m": mixed, "k": [1, 1, 1, 1, 1, 1, 0]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    assert order(tables, ns, view) == [2, 5, 0, 1, 4, 6, 3]
    sort(tables, ns, view, (1, True), (0, False))
    assert order(tables, ns, view) == [6, 4, 1, 0, 5, 2, 3]


def test_a_bad_sort_key_is_an_error_and_keeps_the_view(tables):
    ns = {"t": pd.DataFrame({"a": [2, 1]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    for keys in ([{"column": 5}], [{"column": 0, "ascending": "yes"}], [{"column": "a"}]):
        answer = call(tables, ns, op="sort", view=view, keys=keys)
        assert (answer["status"], answer["ename"], answer["key"]) == ("error", "BadSort", 0)
    assert tables._views[view].state.generation == 1 and order(tables, ns, view) == [1, 0]


# -- filtering ----------------------------------------------------------------------------------

FRAME = {
    "n": [5.0, np.nan, 1.0, 3.0, 8.0, 3.0],
    "s": ["Apple", "banana", None, "cherry", "apple pie", "Date"],
    "d": ["2024-01-05", None, "2024-01-01", "2024-01-03", "2024-02-01", "2024-01-03"],
}

FILTERS = [
    ({"kind": "compare", "column": 0, "op": "=", "value": 3}, [3, 5]),
    ({"kind": "compare", "column": 0, "op": "!=", "value": 3}, [0, 2, 4]),  # nulls never
    ({"kind": "compare", "column": 0, "op": "\u2260", "value": 3}, [0, 2, 4]),
    ({"kind": "compare", "column": 0, "op": "<", "value": 3}, [2]),
    ({"kind": "compare", "column": 0, "op": "<=", "value": "3"}, [2, 3, 5]),
    ({"kind": "compare", "column": 0, "op": ">", "value": 3}, [0, 4]),
    ({"kind": "compare", "column": 0, "op": ">=", "value": 5}, [0, 4]),
    ({"kind": "between", "column": 0, "low": 1, "high": 3}, [2, 3, 5]),
    ({"kind": "is_null", "column": 0}, [1]),
    ({"kind": "not_null", "column": 1}, [0, 1, 3, 4, 5]),
    ({"kind": "contains", "column": 1, "term": "APP"}, [0, 4]),
    ({"kind": "contains", "column": 1, "term": "App", "case_sensitive": True}, [0]),
    ({"kind": "starts_with", "column": 1, "term": "a"}, [0, 4]),
    ({"kind": "starts_with", "column": 1, "term": "a", "case_sensitive": True}, [4]),
    ({"kind": "ends_with", "column": 1, "term": "E"}, [0, 4, 5]),
    ({"kind": "regex", "column": 1, "term": "an+a$"}, [1]),
    ({"kind": "regex", "column": 1, "term": "^[a-c]", "case_sensitive": True}, [1, 3, 4]),
    ({"kind": "in", "column": 1, "values": ["Date", "banana", "fig"]}, [1, 5]),
    ({"kind": "in", "column": 0, "values": [1, 8]}, [2, 4]),
    ({"kind": "compare", "column": 2, "op": "<", "value": "2024-01-03"}, [2]),
    ({"kind": "between", "column": 2, "low": "2024-01-03", "high": "2024-01-05"}, [0, 3, 5]),
]


def filter_sources():
    frame = pd.DataFrame(FRAME).assign(d=lambda df: pd.to_datetime(df["d"]))
    records = [
        {
            "n": None if n != n else n,
            "s": s,
            "d": None if d is None else pd.Timestamp(d).to_pydatetime(),
        }
        for n, s, d in zip(FRAME["n"], FRAME["s"], FRAME["d"], strict=True)
    ]
    structured = np.array(
        [
            (n, "" if s is None else s, "NaT" if d is None else d)
            for n, s, d in zip(*FRAME.values(), strict=True)
        ],
        dtype=[("n", "f8"), ("s", "O"), ("d", "M8[D]")],
    )
    structured["s"][2] = None
    return {
        "pandas": frame,
        "pandas-object": frame.astype({"s": object}),
        "records": records,
        "numpy": structured,
    }


@pytest.mark.parametrize("source", ["pandas", "pandas-object", "records", "numpy"])
@pytest.mark.parametrize(
    ("spec", "expected"), FILTERS, ids=[f"{f['kind']}-{i}" for i, (f, _) in enumerate(FILTERS)]
)
def test_every_filter_kind(tables, source, spec, expected):
    ns = {"t": filter_sources()[source]}
    view = opened(tables, ns)["view"]
    answer = filt(tables, ns, view, spec)
    assert answer["status"] == "ok", answer
    assert answer["row_count"] == len(expected) and answer["generation"] == 1
    assert order(tables, ns, view) == expected


def test_categorical_columns_filter_through_their_categories(tables):
    ns = {"t": pd.DataFrame({"c": pd.Categorical(["x", None, "y", "xy", "x"])})}
    view = opened(tables, ns)["view"]
    filt(tables, ns, view, {"kind": "contains", "column": 0, "term": "X"})
    assert order(tables, ns, view) == [0, 3, 4]
    filt(tables, ns, view, {"kind": "in", "column": 0, "values": ["y", None]})
    assert order(tables, ns, view) == [1, 2]
    filt(tables, ns, view, {"kind": "is_null", "column": 0})
    assert order(tables, ns, view) == [1]


def test_filters_combine_with_and_or(tables):
    ns = {"t": pd.DataFrame(FRAME)}
    view = opened(tables, ns)["view"]
    big = {"kind": "compare", "column": 0, "op": ">=", "value": 3}
    apple = {"kind": "contains", "column": 1, "term": "apple"}
    assert filt(tables, ns, view, big, apple)["row_count"] == 2
    assert order(tables, ns, view) == [0, 4]
    assert filt(tables, ns, view, big, apple, combine="or")["row_count"] == 4
    assert order(tables, ns, view) == [0, 3, 4, 5]
    assert filt(tables, ns, view)["row_count"] == 6  # no filters: every row again
    assert tables._views[view].state.positions is None


def test_sort_and_filter_compose(tables):
    ns = {"t": pd.DataFrame(FRAME)}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, False))
    filt(tables, ns, view, {"kind": "not_null", "column": 1})
    assert order(tables, ns, view) == [4, 0, 3, 5, 1]  # filtered, still sorted
    sort(tables, ns, view, (1, True))
    assert order(tables, ns, view) == [0, 5, 4, 1, 3]  # sorted (code points), still filtered
    sort(tables, ns, view)
    assert order(tables, ns, view) == [0, 1, 3, 4, 5]  # no keys: table order of the filter
    filt(tables, ns, view)
    assert order(tables, ns, view) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "regex", "column": 1, "term": "(unclosed"}, "not a regular expression"),
        # Patterns whose backtracking could hold the GIL for hours.
        ({"kind": "regex", "column": 1, "term": "(a+)+$"}, "repeat inside a repeat"),
        ({"kind": "regex", "column": 1, "term": "(a|aa)+b"}, "repeated alternation"),
        ({"kind": "regex", "column": 1, "term": "(x)\\1"}, "backreferences"),
        ({"kind": "compare", "column": 9, "op": "=", "value": 1}, "no column 9"),
        ({"kind": "sounds_like", "column": 1, "term": "x"}, "unknown kind"),
        ({"kind": "compare", "column": 0, "op": "~", "value": 1}, "op"),
        ({"kind": "compare", "column": 0, "op": "<", "value": "lots"}, "lots"),
        ({"kind": "contains", "column": 0, "term": "1"}, "text filter on a number column"),
        ({"kind": "between", "column": 0, "low": 1}, "low and high"),
        ({"kind": "in", "column": 0, "values": "1,2"}, "values"),
        ({"kind": "compare", "column": 2, "op": "<", "value": "someday"}, "someday"),
        ("not an object", "object"),
    ],
)
def test_a_bad_filter_names_itself_and_leaves_the_view(tables, spec, message):
    ns = {"t": pd.DataFrame(FRAME).assign(d=lambda df: pd.to_datetime(df["d"]))}
    view = opened(tables, ns)["view"]
    good = {"kind": "compare", "column": 0, "op": ">", "value": 2}
    assert filt(tables, ns, view, good)["row_count"] == 4
    answer = filt(tables, ns, view, good, spec)
    assert answer["status"] == "error" and answer["ename"] == "BadFilter"
    assert answer["filter"] == 1 and message in answer["evalue"]
    assert tables._views[view].state.generation == 1
    assert order(tables, ns, view) == [0, 3, 4, 5]


# -- generations, views, errors -------------------------------------------------------------------


def test_a_stale_generation_is_answered_stale(tables):
    ns = {"t": pd.DataFrame({"a": [2, 1]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    stale = call(tables, ns, op="rows", view=view, generation=0, start=0, count=10)
    assert stale == {"status": "stale", "generation": 1, "elapsed_ms": stale["elapsed_ms"]}
    assert page(tables, ns, view, generation=1)["generation"] == 1


def test_unknown_views_variables_and_what_is_not_a_table(tables):
    ns = {
        "n": 42,
        "cube": np.zeros((2, 2, 2)),
        "ints": [1, 2],
        "empty": [],
        "d": {"a": 1},
        "t": [{"a": 1}],
    }
    for name, ename in [
        ("missing", "UnknownVariable"),
        ("__import__('os').system('x')", "UnknownVariable"),
        ("n", "NotATable"),
        ("cube", "NotATable"),
        ("ints", "NotATable"),
        ("empty", "NotATable"),
        ("d", "NotATable"),
    ]:
        answer = call(tables, ns, op="open", name=name)
        assert (answer["status"], answer["ename"]) == ("error", ename), name
    for op in ("rows", "sort", "filter", "close"):
        answer = call(tables, ns, op=op, view="v999", generation=0, keys=[], filters=[])
        assert answer["ename"] == "UnknownView", op
    assert call(tables, ns, op="explode")["ename"] == "BadRequest"
    assert json.loads(tables.handle(ns, "{not json"))["ename"] == "BadRequest"
    assert call(tables, ns, op="open", name=["t"])["ename"] == "BadRequest"


def test_a_name_that_looks_like_code_is_never_run(tables, tmp_path):
    marker = tmp_path / "ran"
    name = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    assert call(tables, {}, op="open", name=name)["ename"] == "UnknownVariable"
    assert not marker.exists()


def test_close_forgets_the_view(tables):
    ns = {"t": pd.DataFrame({"a": [1]})}
    view = opened(tables, ns)["view"]
    assert call(tables, ns, op="close", view=view)["status"] == "ok"
    assert view not in tables._views
    assert call(tables, ns, op="close", view=view)["ename"] == "UnknownView"


def test_a_view_is_at_most_eight_bytes_per_row(tables):
    n = 200_000
    rng = np.random.default_rng(1)
    ns = {"t": pd.DataFrame({"f": rng.random(n), "s": rng.choice(["a", "b", "c"], n)})}
    view = opened(tables, ns)["view"]
    assert tables._views[view].state.positions is None  # the whole table in order: nothing
    sort(tables, ns, view, (0, True))
    positions = tables._views[view].state.positions
    assert positions.dtype == np.intp and positions.nbytes <= 8 * n
    filt(tables, ns, view, {"kind": "in", "column": 1, "values": ["a"]})
    positions = tables._views[view].state.positions
    assert positions.nbytes <= 8 * len(positions) and len(positions) < n
    values = ns["t"]["f"].to_numpy()
    assert (np.diff(values[positions]) >= 0).all()  # still sorted


def test_without_numpy_python_tables_keep_positions_in_an_array(tables, monkeypatch):
    monkeypatch.setattr(tables, "_np", lambda: None)
    ns = {"t": [{"a": 3}, {"a": 1}, {"a": 2}]}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    positions = tables._views[view].state.positions
    assert positions.typecode == "q" and list(positions) == [1, 2, 0]
    assert positions.itemsize <= 8
    filt(tables, ns, view, {"kind": "compare", "column": 0, "op": ">", "value": 1})
    assert order(tables, ns, view) == [2, 0]


# -- the module ----------------------------------------------------------------------------------


def test_the_procedure_imports_the_standard_library_only():
    tree = ast.parse(PROCEDURE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            imported.add((node.module or "").split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names), imported


def test_it_installs_as_a_kernel_procedure_and_leaves_no_names():
    name = "_beaker_tables_install_test"
    namespace = {"t": pd.DataFrame({"a": [1, 2]})}
    try:
        eval(install_code(name, PROCEDURE), {})
        answer = json.loads(
            sys.modules[name].handle(namespace, json.dumps({"op": "open", "name": "t"}))
        )
        assert answer["status"] == "ok"
        assert set(namespace) == {"t"}
    finally:
        sys.modules.pop(name, None)


def test_a_pathological_pattern_is_refused_before_it_runs(tables):
    """``(a+)+$`` over ``"a" * 40 + "b"`` would backtrack for hours with the GIL
    held; it is refused as a BadFilter at once, and a plain pattern still runs."""
    ns = {"t": pd.DataFrame({"s": ["a" * 40 + "b", "abc"]})}
    view = opened(tables, ns)["view"]
    bad = filt(tables, ns, view, {"kind": "regex", "column": 0, "term": "(a+)+$"})
    assert (bad["status"], bad["ename"]) == ("error", "BadFilter")
    good = filt(tables, ns, view, {"kind": "regex", "column": 0, "term": "^ab"})
    assert (good["status"], good["row_count"]) == ("ok", 1)


def test_a_sort_that_ends_after_a_later_one_does_not_overwrite_it(tables):
    """Two subshells at once (a stalled one replaced): the state a slow sort was
    built on is gone when it ends, so it is refused, not committed under a
    generation already given out."""
    ns = {"t": pd.DataFrame({"a": [3, 1, 2]})}
    view = opened(tables, ns)["view"]
    read = tables._views[view].state
    sort(tables, ns, view, (0, True))  # the later one, ended first
    with pytest.raises(tables.ViewChanged):
        tables._commit(tables._views[view], read, read._replace(generation=read.generation + 1), {})
    assert tables._views[view].state.generation == 1
    assert order(tables, ns, view) == [1, 2, 0]


def test_huge_row_labels_alone_keep_the_answer_bound(tables):
    """A page of no columns but long index labels is bounded too: fewer rows."""
    frame = pd.DataFrame(
        {"a": range(1000)}, index=[f"{i:04d}" + "\u00e9" * 3000 for i in range(1000)]
    )
    ns = {"t": frame}
    view = opened(tables, ns, rows=0)["view"]
    text = _full_page_text(tables, ns, view, columns=[])
    answer = json.loads(text)
    assert answer["status"] == "ok" and 0 < answer["count"] < 1000
    assert len(text) <= tables.MAX_ANSWER_BYTES + 100


def test_whole_number_floats_count_as_integers(tables):
    """JSON Schema (and JavaScript) let ``1.0`` be an integer: so does the procedure."""
    ns = {"t": pd.DataFrame({"a": [3, 1, 2]})}
    view = opened(tables, ns, rows=0)["view"]
    answer = call(tables, ns, op="rows", view=view, generation=0, start=1.0, count=2.0)
    assert (answer["status"], answer["count"], answer["start"]) == ("ok", 2, 1), answer
    assert sort(tables, ns, view, (0.0, True))["row_count"] == 3
