"""The ``profile`` op of the Data Explorer's kernel procedure: per-column summaries
(nulls, stats, quantiles, histogram, top values) of a view's rows, exact or from a
fixed-seed sample, formatted as the cells are (README, "Data Explorer")."""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .test_tables_procedure import NAN, NULL, POS_INF, call, column, filt, opened, page, sort

pytestmark = [pytest.mark.timeout(60), pytest.mark.filterwarnings("error")]


@pytest.fixture
def tables():
    from .test_tables_procedure import fresh_procedure

    return fresh_procedure()


def profiled(tables, ns, view, columns, **options):
    answer = call(tables, ns, op="profile", view=view, columns=columns, **options)
    assert answer["status"] == "ok", answer
    return answer


def one(tables, ns, name="t", j=0, **options):
    view = opened(tables, ns, name)["view"]
    answer = profiled(tables, ns, view, [j], **options)
    (entry,) = answer["columns"]
    assert "error" not in entry, entry
    return entry


# -- numbers ---------------------------------------------------------------------------------


def test_a_float_column_counts_nulls_nan_and_infinities_apart(tables):
    values = [1.0, 2.0, 3.0, 4.0, np.nan, np.inf, -np.inf, np.inf, 2.0, 9.5]
    entry = one(tables, {"t": pd.DataFrame({"f": values})}, bins=4, top=2)
    assert entry["display_type"] == "number"
    assert (entry["count"], entry["null_count"], entry["nan_count"]) == (9, 0, 1)
    assert (entry["pos_inf_count"], entry["neg_inf_count"]) == (2, 1)
    finite = [1.0, 2.0, 3.0, 4.0, 2.0, 9.5]  # stats, quantiles, histogram: finite values
    assert entry["stats"] == {
        "min": "1.0",
        "max": "9.5",
        "mean": "3.583333333",
        "std": f"{np.std(finite):.10g}",
    }
    assert [q["value"] for q in entry["quantiles"]] == ["2.0", "2.5", "3.75"]
    assert [q["q"] for q in entry["quantiles"]] == [0.25, 0.5, 0.75]
    histogram = entry["histogram"]
    assert len(histogram["edges"]) == 5 and histogram["edges"][0] == "1.0"
    assert histogram["edges"][-1] == "9.5"
    assert histogram["counts"] == [4, 1, 0, 1] and sum(histogram["counts"]) == len(finite)
    # top: the infinities (codes) are values; NaN is not
    assert entry["top"] == [{"value": "2.0", "count": 2}, {"value": POS_INF, "count": 2}]
    assert entry["distinct"] == 7 and entry["other"] == 9 - 4


def test_an_int_column_with_few_values_has_one_bin_per_value(tables):
    entry = one(tables, {"t": np.array([3, 5, 5, 7, 7, 7])}, bins=20)
    assert entry["histogram"] == {
        "counts": [1, 0, 2, 0, 3],
        "edges": ["3", "4", "5", "6", "7", "8"],
    }
    assert entry["stats"]["min"] == "3" and entry["stats"]["max"] == "7"
    assert entry["stats"]["mean"] == "5.666666667"
    # quantiles of integers are values of the column
    assert [q["value"] for q in entry["quantiles"]] == ["5", "5", "7"]
    assert entry["top"][0] == {"value": "7", "count": 3}
    assert "nan_count" not in entry


def test_a_wide_int_column_has_equal_bins_ending_on_its_extremes(tables):
    entry = one(tables, {"t": np.arange(1000)}, bins=10, kinds=["histogram"])
    assert entry["histogram"]["counts"] == [100] * 10
    assert entry["histogram"]["edges"][0] == "0" and entry["histogram"]["edges"][-1] == "999"
    assert set(entry) == {"index", "display_type", "count", "null_count", "histogram"}


def test_a_constant_column_has_one_bin(tables):
    entry = one(tables, {"t": np.full(5, 2.5)}, kinds=["histogram", "stats"])
    assert entry["histogram"]["counts"] == [5]
    assert entry["stats"]["std"] == "0.0"


def test_nullable_ints_and_booleans_count_their_nulls(tables):
    df = pd.DataFrame(
        {
            "n": pd.array([1, None, 3, 3, None], dtype="Int64"),
            "b": pd.array([True, None, False, True, True], dtype="boolean"),
            "plain": [True, False, False, False, True],
        }
    )
    view = opened(tables, {"t": df})["view"]
    n, b, plain = profiled(tables, {"t": df}, view, [0, 1, 2])["columns"]
    assert (n["count"], n["null_count"], n["stats"]["min"], n["stats"]["max"]) == (3, 2, "1", "3")
    assert n["top"] == [{"value": "3", "count": 2}, {"value": "1", "count": 1}]
    assert b["display_type"] == "boolean" and (b["count"], b["null_count"]) == (4, 1)
    assert b["top"] == [{"value": "True", "count": 3}, {"value": "False", "count": 1}]
    assert "stats" not in b and "histogram" not in b
    assert plain["top"] == [{"value": "False", "count": 3}, {"value": "True", "count": 2}]
    assert plain["distinct"] == 2 and plain["other"] == 0


def test_an_empty_or_all_null_column_has_counts_and_nothing_else(tables):
    df = pd.DataFrame(
        {"f": [np.nan, np.nan], "o": [None, None], "n": pd.array([None, None], "Int64")}
    )
    view = opened(tables, {"t": df})["view"]
    f, o, n = profiled(tables, {"t": df}, view, [0, 1, 2])["columns"]
    assert (f["count"], f["nan_count"]) == (0, 2) and "stats" not in f and "top" not in f
    assert (o["count"], o["null_count"]) == (0, 2) and "top" not in o
    assert (n["count"], n["null_count"]) == (0, 2) and "histogram" not in n
    empty = pd.DataFrame({"x": np.array([], dtype=float), "s": np.array([], dtype=object)})
    view = opened(tables, {"e": empty}, "e")["view"]
    answer = profiled(tables, {"e": empty}, view, [0, 1])
    assert answer["row_count"] == 0 and answer["approximate"] is False
    assert [(c["count"], c["null_count"]) for c in answer["columns"]] == [(0, 0), (0, 0)]


# -- datetimes, intervals, categoricals -----------------------------------------------------


def test_time_zone_datetimes_are_formatted_as_the_cells_are(tables):
    when = pd.date_range("2024-03-30 12:00", periods=4, freq="D", tz="Europe/Paris")
    df = pd.DataFrame({"when": when.insert(1, pd.NaT)})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    (entry,) = profiled(tables, ns, view, [0], bins=3)["columns"]
    cells = column(page(tables, ns, view), 0)
    assert entry["display_type"] == "datetime" and entry["null_count"] == 1
    assert entry["stats"]["min"] == cells[0] == "2024-03-30 12:00:00+01:00"
    assert entry["stats"]["max"] == cells[-1] == "2024-04-02 12:00:00+02:00"
    assert entry["stats"]["mean"].endswith("+02:00")  # 2024-03-31 23:00 UTC, summer time
    assert entry["stats"]["std"].startswith("1 day, ")  # an interval
    assert [q["value"] for q in entry["quantiles"]] == [cells[0], cells[2], cells[3]]
    histogram = entry["histogram"]
    assert histogram["edges"][0] == cells[0] and histogram["edges"][-1] == cells[-1]
    assert all(edge.startswith("2024-") for edge in histogram["edges"])
    assert sum(histogram["counts"]) == 4


def test_numpy_datetimes_and_intervals_with_nat(tables):
    ns = {
        "d": np.array(["2024-01-01", "NaT", "2024-01-03", "2024-01-05"], dtype="M8[D]"),
        "m": np.array([1, 3, "NaT", 5], dtype="m8[s]"),
    }
    d = one(tables, ns, "d", bins=2)
    assert (d["count"], d["null_count"]) == (3, 1)
    assert d["stats"]["min"] == "2024-01-01" and d["stats"]["max"] == "2024-01-05"
    assert d["stats"]["std"].startswith("1 day, 15:")  # 1.63 days
    # 5 days span fewer values than 20 bins: one bin a day
    assert one(tables, ns, "d", kinds=["histogram"])["histogram"]["counts"] == [1, 0, 1, 0, 1]
    m = one(tables, ns, "m")
    assert m["display_type"] == "interval" and m["null_count"] == 1
    assert (m["stats"]["min"], m["stats"]["max"], m["stats"]["mean"]) == (
        "0:00:01",
        "0:00:05",
        "0:00:03",
    )


def test_a_categorical_counts_its_categories(tables):
    df = pd.DataFrame({"c": pd.Categorical(["b", "a", None, "b", "b"], categories=["a", "b", "z"])})
    entry = one(tables, {"t": df}, top=5)
    assert (entry["count"], entry["null_count"], entry["distinct"]) == (4, 1, 2)
    assert entry["top"] == [{"value": "b", "count": 3}, {"value": "a", "count": 1}]
    assert entry["other"] == 0


# -- strings and objects ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["str", object, "string[python]"])
def test_strings_top_values_distinct_and_lengths(tables, dtype):
    values = ["x", "yy", None, "x", "zzz", "x", "yy"]
    entry = one(tables, {"t": pd.DataFrame({"s": pd.Series(values, dtype=dtype)})}, top=2)
    assert entry["display_type"] == "string"
    assert (entry["count"], entry["null_count"], entry["distinct"]) == (6, 1, 3)
    assert entry["top"] == [{"value": "x", "count": 3}, {"value": "yy", "count": 2}]
    assert entry["other"] == 1 and entry["length"] == {"min": 1, "max": 3}


def test_long_values_are_clipped_like_cells(tables):
    long = "é" * 5000
    entry = one(tables, {"t": pd.DataFrame({"s": [long, long, "a"]})})
    top = entry["top"][0]
    assert top["count"] == 2 and len(top["value"]) == 200 and top["value"].endswith("\u2026")
    assert entry["length"]["max"] == 5000


def test_unhashable_and_mixed_values_are_counted_by_their_text(tables):
    df = pd.DataFrame({"o": pd.Series([[1, 2], [1, 2], {"k": 1}, 3, "3", None], dtype=object)})
    entry = one(tables, {"t": df})
    assert entry["display_type"] == "object" and entry["null_count"] == 1
    assert entry["top"][0] == {"value": "[1, 2]", "count": 2}
    assert {t["value"] for t in entry["top"]} == {"[1, 2]", "{'k': 1}", "3"}
    assert sum(t["count"] for t in entry["top"]) == 5


def test_many_distinct_values_keep_exact_top_counts(tables):
    tables.MAX_DISTINCT = 1000
    tables.CHUNK_VALUES = 700
    rng = np.random.default_rng(5)
    values = np.array([f"u{k}" for k in range(20_000)] + ["hot"] * 300 + ["warm"] * 120, object)
    rng.shuffle(values)
    entry = one(tables, {"t": pd.DataFrame({"s": values})}, top=3)
    assert entry["top"][:2] == [{"value": "hot", "count": 300}, {"value": "warm", "count": 120}]
    assert entry["top"][2]["count"] == 1
    assert "distinct" not in entry and entry["distinct_over"] == 1000
    assert entry["other"] == len(values) - 421


def test_a_column_that_cannot_be_profiled_says_so_and_the_others_are_profiled(tables):
    class Hostile:
        def __hash__(self) -> int:
            raise ValueError("no hashing here")

    df = pd.DataFrame({"h": pd.Series([Hostile(), Hostile()], dtype=object), "n": [1, 2]})
    view = opened(tables, {"t": df})["view"]
    bad, good = profiled(tables, {"t": df}, view, [0, 1])["columns"]
    assert bad["error"].startswith("ValueError") and "top" not in bad
    assert good["stats"]["max"] == "2"


# -- Python and numpy sources ----------------------------------------------------------------


def test_python_sources_are_profiled(tables):
    records = [{"n": k, "s": f"s{k % 3}", "f": k / 2 if k % 5 else None} for k in range(30)]
    ns = {
        "records": records,
        "rows": [(k, f"s{k % 3}") for k in range(30)],
        "columns": {"n": list(range(30)), "s": [f"s{k % 3}" for k in range(30)]},
    }
    for name in ns:
        view = opened(tables, ns, name)["view"]
        n, s = profiled(tables, ns, view, [0, 1])["columns"]
        assert n["stats"] == {"min": "0", "max": "29", "mean": "14.5", "std": "8.655441448"}
        assert n["histogram"]["edges"][0] == "0" and sum(n["histogram"]["counts"]) == 30
        assert s["top"] == [{"value": f"s{k}", "count": 10} for k in range(3)]
        assert s["distinct"] == 3
    view = opened(tables, ns, "records")["view"]
    f = profiled(tables, ns, view, [2])["columns"][0]
    assert (f["count"], f["null_count"], f["stats"]["min"], f["stats"]["max"]) == (
        24,
        6,
        "0.5",
        "14.5",
    )


def test_numpy_two_dimensional_structured_and_string_arrays(tables):
    ns = {
        "two": np.arange(12, dtype="int32").reshape(6, 2),
        "rec": np.array([(1, b"ab"), (2, b"ab"), (3, b"cd")], dtype=[("id", "i8"), ("tag", "S2")]),
        "u": np.array(["a", "b", "a"]),
    }
    view = opened(tables, ns, "two")["view"]
    first, second = profiled(tables, ns, view, [0, 1])["columns"]
    assert first["stats"]["max"] == "10" and second["stats"]["max"] == "11"
    tag = one(tables, ns, "rec", 1)
    assert tag["top"][0] == {"value": "b'ab'", "count": 2}
    assert one(tables, ns, "u")["top"][0] == {"value": "a", "count": 2}


# -- the view's rows: filters, sorts, samples ------------------------------------------------


def test_a_profile_is_of_the_views_rows(tables):
    low = np.where(np.arange(100) < 10, "low", "high")
    df = pd.DataFrame({"n": np.arange(100), "s": low, "o": pd.Series(low, dtype=object)})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    before = profiled(tables, ns, view, [0, 1, 2])
    sort(tables, ns, view, (0, False))
    after_sort = profiled(tables, ns, view, [0, 1, 2])
    assert after_sort["columns"] == before["columns"]  # the order of rows changes nothing
    filt(tables, ns, view, {"kind": "compare", "column": 0, "op": "<", "value": 10})
    answer = profiled(tables, ns, view, [0, 1, 2])
    assert answer["row_count"] == 10 and answer["generation"] == 2
    n, s, o = answer["columns"]
    assert (n["count"], n["stats"]["max"]) == (10, "9")
    assert s["top"] == o["top"] == [{"value": "low", "count": 10}]


def test_a_sample_of_a_big_view_is_scaled_and_says_so(tables):
    rows = 250_000
    df = pd.DataFrame(
        {
            "f": np.where(np.arange(rows) % 4 == 0, np.nan, 1.0),
            "s": np.where(np.arange(rows) % 2, "a", "b"),
        }
    )
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    answer = profiled(tables, ns, view, [0, 1], sample=True)
    assert answer["approximate"] is True and answer["sample_rows"] == 100_000
    assert answer["row_count"] == rows
    f, s = answer["columns"]
    assert f["count"] + f["nan_count"] == pytest.approx(rows, abs=2)
    assert f["nan_count"] == pytest.approx(rows / 4, rel=0.02)
    assert sum(t["count"] for t in s["top"]) == pytest.approx(rows, abs=2)
    assert s["top"][0]["count"] == pytest.approx(rows / 2, rel=0.02)
    assert "distinct" not in s  # a sample's distinct values are not the view's
    assert profiled(tables, ns, view, [0, 1], sample=True)["columns"] == answer["columns"]
    exact = profiled(tables, ns, view, [0, 1])
    assert exact["approximate"] is False and exact["sample_rows"] == rows
    top = sorted(exact["columns"][1]["top"], key=lambda t: t["value"])
    assert top == [{"value": "a", "count": rows // 2}, {"value": "b", "count": rows // 2}]


def test_a_sample_of_a_small_view_is_the_whole_view(tables):
    df = pd.DataFrame({"n": np.arange(500)})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    sampled = profiled(tables, ns, view, [0], sample=True)
    assert sampled["approximate"] is False and sampled["sample_rows"] == 500
    assert sampled["columns"] == profiled(tables, ns, view, [0])["columns"]


def test_a_sample_of_a_filtered_view_is_drawn_from_its_rows(tables):
    n = 300_000
    df = pd.DataFrame({"n": np.arange(n)})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    filt(tables, ns, view, {"kind": "compare", "column": 0, "op": ">=", "value": 100_000})
    answer = profiled(tables, ns, view, [0], sample=True)
    assert answer["row_count"] == 200_000 and answer["approximate"] is True
    stats = answer["columns"][0]["stats"]
    assert int(stats["min"]) >= 100_000 and int(stats["min"]) < 100_100


# -- requests --------------------------------------------------------------------------------


def test_a_stale_generation_is_said(tables):
    ns = {"t": pd.DataFrame({"n": [2, 1]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    answer = call(tables, ns, op="profile", view=view, columns=[0], generation=0)
    assert answer["status"] == "stale" and answer["generation"] == 1
    assert profiled(tables, ns, view, [0], generation=1)["generation"] == 1


@pytest.mark.parametrize(
    "options",
    [
        {"columns": []},
        {"columns": list(range(51))},
        {"columns": [5]},
        {"columns": "0"},
        {"columns": [0], "kinds": ["everything"]},
        {"columns": [0], "kinds": "top"},
        {"columns": [0], "bins": 1},
        {"columns": [0], "bins": 101},
        {"columns": [0], "top": 0},
        {"columns": [0], "top": 51},
        {"columns": [0], "sample": "yes"},
    ],
)
def test_bad_requests(tables, options):
    ns = {"t": pd.DataFrame({"n": [1, 2]})}
    view = opened(tables, ns)["view"]
    answer = call(tables, ns, op="profile", view=view, **options)
    assert answer["ename"] == "BadRequest", answer


def test_kinds_choose_the_parts(tables):
    ns = {"t": pd.DataFrame({"f": [1.0, np.nan, 3.0]})}
    entry = one(tables, ns, kinds=["top"])
    assert set(entry) == {
        "index",
        "display_type",
        "count",
        "null_count",
        "top",
        "distinct",
        "other",
    }
    entry = one(tables, ns, kinds=["nulls"])
    assert set(entry) == {
        "index",
        "display_type",
        "count",
        "null_count",
        "nan_count",
        "pos_inf_count",
        "neg_inf_count",
    }


def test_features_say_what_profiles_do(tables):
    features = opened(tables, {"t": pd.DataFrame({"n": [1]})})["features"]["profile"]
    assert features == {
        "kinds": ["nulls", "stats", "quantiles", "histogram", "top"],
        "max_columns": 50,
        "max_bins": 100,
        "max_top": 50,
        "sample_rows": 100_000,
        "quantiles": [0.25, 0.5, 0.75],
    }


def test_the_answer_never_holds_nan(tables):
    df = pd.DataFrame({"f": [np.nan, np.inf], "g": [np.inf, -np.inf], "h": [1e308, -1e308]})
    view = opened(tables, {"t": df})["view"]
    text = tables.handle(
        {"t": df}, json.dumps({"op": "profile", "view": view, "columns": [0, 1, 2]})
    )
    answer = json.loads(text)
    assert answer["status"] == "ok", answer
    assert "NaN" not in text and "Infinity" not in text
    assert {t["value"] for t in answer["columns"][1]["top"]} == {POS_INF, 4}
    assert "stats" not in answer["columns"][1]  # no finite value
    h = answer["columns"][2]
    assert (h["stats"]["min"], h["stats"]["max"]) == ("-1e+308", "1e+308")
    assert h["histogram"]["counts"] == [1] + [0] * 18 + [1]
    assert h["histogram"]["edges"][10] == "0.0"
    assert NAN not in [v for c in answer["columns"] for v in c.get("stats", {}).values()]
    assert NULL not in [v for c in answer["columns"] for v in c.get("stats", {}).values()]


# -- slow work: progress and cancelling ------------------------------------------------------


class Held:
    """A value whose hashing waits at a gate: a profile counting it is held there."""

    reached = threading.Event()
    release = threading.Event()

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        Held.reached.set()
        assert Held.release.wait(10)
        return self.n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Held) and other.n == self.n


def test_a_running_profile_shows_progress_and_is_cancelled(tables):
    Held.reached.clear()
    Held.release.clear()
    tables.CHUNK_VALUES = 10
    ns: dict[str, Any] = {"t": pd.DataFrame({"h": pd.Series([Held(k % 3) for k in range(100)])})}
    view = opened(tables, ns)["view"]
    answers: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            call(tables, ns, op="profile", view=view, columns=[0], task="p1")
        )
    )
    thread.start()
    try:
        assert Held.reached.wait(10)
        progress = call(tables, ns, op="progress", tasks=["p1"])["tasks"]["p1"]
        assert progress["stage"] == "profile" and 0 <= progress["progress"] < 1
        assert call(tables, ns, op="cancel", tasks=["p1"])["running"] == 1
    finally:
        Held.release.set()
        thread.join(10)
    assert answers[0]["ename"] == "Cancelled", answers[0]


NO_NUMPY = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("_procedure", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
ns = {"t": json.loads(sys.argv[2])}
opened = json.loads(module.handle(ns, json.dumps({"op": "open", "name": "t"})))
request = {"op": "profile", "view": opened["view"], "columns": [0, 1, 2], "bins": 7, "sample": True}
answer = module.handle(ns, json.dumps(request))
assert "numpy" not in sys.modules and "pandas" not in sys.modules
print(answer)
"""


def test_a_python_table_is_profiled_alike_without_numpy(tables):
    import math
    import subprocess
    import sys

    from .test_tables_procedure import PROCEDURE

    rows = [
        {"n": math.isqrt(k), "f": None if k % 9 == 0 else k / 3 - 4, "s": f"s{k % 4}"}
        for k in range(200)
    ]
    rows[5]["f"] = float("inf")
    done = subprocess.run(
        [sys.executable, "-I", "-c", NO_NUMPY, str(PROCEDURE), json.dumps(rows)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    plain = json.loads(done.stdout)
    ns = {"t": rows}
    view = opened(tables, ns)["view"]
    with_numpy = profiled(tables, ns, view, [0, 1, 2], bins=7, sample=True)
    assert plain["status"] == "ok", plain
    n, f, s = plain["columns"]
    # ties among the top values are in no given order (numpy: by value; else as met)
    assert [t["count"] for t in f.pop("top")] == [1] * 10
    assert [t["count"] for t in with_numpy["columns"][1].pop("top")] == [1] * 10
    s_top = [(t["count"], t["value"]) for t in s.pop("top")]
    assert sorted(s_top) == sorted(
        (t["count"], t["value"]) for t in with_numpy["columns"][2].pop("top")
    )
    assert plain["columns"] == with_numpy["columns"]
    assert n["stats"]["max"] == "14" and sum(n["histogram"]["counts"]) == 200
    assert n["top"][:2] == [{"value": "13", "count": 27}, {"value": "12", "count": 25}]
    assert (f["null_count"], f["pos_inf_count"]) == (23, 1)
    assert s_top == [(50, "s0"), (50, "s1"), (50, "s2"), (50, "s3")]


def test_python_dates_have_their_least_and_greatest(tables):
    import datetime

    days = [datetime.date(2024, 1, d) for d in (5, 1, 9)] + [None]
    entry = one(tables, {"t": [{"d": d} for d in days]})
    assert entry["display_type"] == "date" and entry["null_count"] == 1
    assert entry["stats"] == {"min": "2024-01-01", "max": "2024-01-09"}
    assert entry["distinct"] == 3


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_polars_and_pyarrow_columns_are_profiled(tables, library):
    import datetime

    polars = pytest.importorskip("polars")
    frame = polars.DataFrame(
        {
            "n": [1, None, 3, 3],
            "f": [1.5, float("nan"), None, 2.0],
            "s": ["a", None, "b", "a"],
            "z": polars.Series(
                [
                    datetime.datetime(2024, 3, 30, 12),
                    None,
                    datetime.datetime(2024, 3, 31, 12),
                    datetime.datetime(2024, 4, 1, 12),
                ]
            ).dt.replace_time_zone("Europe/Paris"),
            "b": [True, False, None, True],
        }
    )
    ns = {"t": frame if library == "polars" else frame.to_arrow()}
    view = opened(tables, ns)["view"]
    n, f, s, z, b = profiled(tables, ns, view, [0, 1, 2, 3, 4], bins=3)["columns"]
    assert (n["count"], n["null_count"], n["stats"]["max"]) == (3, 1, "3")
    assert n["top"][0] == {"value": "3", "count": 2}
    assert (f["count"], f["null_count"], f["nan_count"]) == (2, 1, 1)  # NaN is no null here
    assert s["top"] == [{"value": "a", "count": 2}, {"value": "b", "count": 1}]
    cells = column(page(tables, ns, view), 3)
    assert (z["stats"]["min"], z["stats"]["max"]) == (cells[0], cells[3])
    assert z["histogram"]["edges"][0] == "2024-03-30 12:00:00+01:00"
    assert b["top"] == [{"value": "True", "count": 2}, {"value": "False", "count": 1}]


def test_a_lazy_frame_is_not_profiled(tables):
    polars = pytest.importorskip("polars")
    ns = {"t": polars.DataFrame({"n": [1, 2]}).lazy()}
    view = opened(tables, ns)["view"]
    answer = call(tables, ns, op="profile", view=view, columns=[0])
    assert answer["ename"] == "BadRequest" and "collect()" in answer["evalue"]
