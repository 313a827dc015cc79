"""The ``export`` op of the Data Explorer's kernel procedure: a view's rows as CSV
(RFC 4180), TSV (tabs and newlines escaped), HTML (every value escaped) or JSON,
at full precision, whole rows within a byte bound (README, "Data Explorer")."""

from __future__ import annotations

import csv
import html.parser
import io
import json

import numpy as np
import pandas as pd
import pytest

from .test_tables_procedure import call, filt, fresh_procedure, opened, sort

pytestmark = [pytest.mark.timeout(60), pytest.mark.filterwarnings("error")]

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def tables():
    return fresh_procedure()


def exported(tables, ns, name="t", **options):
    view = opened(tables, ns, name)["view"]
    return export(tables, ns, view, **options)


def export(tables, ns, view, **options):
    answer = call(tables, ns, op="export", view=view, **options)
    assert answer["status"] == "ok", answer
    return answer


def parsed_csv(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_quotes_as_rfc_4180_says_and_reads_back(tables):
    values = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "", " lead"]
    df = pd.DataFrame({"s": values, "n": range(len(values))})
    answer = exported(tables, {"t": df}, format="csv")
    assert (answer["format"], answer["mime"]) == ("csv", "text/csv")
    assert answer["rows"] == len(values) and answer["truncated"] is False
    assert answer["text"].startswith("s,n\r\nplain,0\r\n")
    assert '"a,b"' in answer["text"] and '"say ""hi"""' in answer["text"]
    rows = parsed_csv(answer["text"])
    assert rows[0] == ["s", "n"]
    assert rows[1:] == [[v, str(k)] for k, v in enumerate(values)]


def test_values_keep_full_precision(tables):
    big = 2**100 + 1
    long = "x" * 50_000
    df = pd.DataFrame(
        {
            "f": [0.1 + 0.2, 1e-300, 2.5],
            "i": pd.Series([big, 1, 2], dtype=object),
            "s": [long, "b", "c"],
            "t": pd.to_datetime(
                ["2024-01-01 00:00:00.000000001", "2024-01-02", None], format="ISO8601"
            ),
        }
    )
    rows = parsed_csv(exported(tables, {"t": df}, format="csv")["text"])
    assert rows[1] == ["0.30000000000000004", str(big), long, "2024-01-01 00:00:00.000000001"]
    assert float(rows[2][0]) == 1e-300 and rows[2][3] == "2024-01-02 00:00:00"
    assert rows[3][3] == ""  # NaT: missing
    data = json.loads(exported(tables, {"t": df}, format="json")["text"])["data"]
    assert data[0][:3] == [0.1 + 0.2, big, long] and data[2][3] is None


def test_nulls_nan_and_infinities(tables):
    df = pd.DataFrame(
        {
            "f": [np.nan, np.inf, -np.inf],
            "n": pd.array([None, 1, 2], dtype="Int64"),
            "o": pd.Series([None, pd.NA, "z"], dtype=object),
            "c": pd.Categorical([None, "a", "b"]),
        }
    )
    ns = {"t": df}
    rows = parsed_csv(exported(tables, ns, format="csv")["text"])
    assert rows[1:] == [["", "", "", ""], ["inf", "1", "", "a"], ["-inf", "2", "z", "b"]]
    answer = exported(tables, ns, format="json")
    assert "NaN" not in answer["text"] and "Infinity" not in answer["text"]
    assert json.loads(answer["text"]) == {
        "columns": ["f", "n", "o", "c"],
        "data": [[None, None, None, None], ["inf", 1, None, "a"], ["-inf", 2, "z", "b"]],
    }


def test_tsv_escapes_tabs_newlines_and_backslashes(tables):
    df = pd.DataFrame({"s": ["a\tb", "one\ntwo", "back\\slash", "cr\r"], "n": [1, 2, 3, 4]})
    answer = exported(tables, {"t": df}, format="tsv")
    assert answer["mime"] == "text/tab-separated-values"
    lines = answer["text"].split("\n")
    assert lines[-1] == "" and len(lines) == 6  # a header and one line a row
    assert lines[0] == "s\tn"
    assert lines[1:5] == ["a\\tb\t1", "one\\ntwo\t2", "back\\\\slash\t3", "cr\\r\t4"]
    assert all(line.count("\t") == 1 for line in lines[:-1])


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.texts.append(data)


def test_html_escapes_every_value_and_name(tables):
    df = pd.DataFrame({HOSTILE: [HOSTILE, "a & b", '"q"'], "n": [1, None, 3]})
    answer = exported(tables, {"t": df}, format="html", index=True)
    assert answer["mime"] == "text/html"
    text = answer["text"]
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    parser = _Tags()
    parser.feed(text)
    assert set(parser.tags) == {"table", "thead", "tbody", "tr", "th", "td"}
    assert parser.tags.count("tr") == 4
    assert HOSTILE in parser.texts and "a & b" in parser.texts and '"q"' in parser.texts
    assert text.startswith("<table>\n<thead>\n<tr><th>index</th>") and text.endswith("</table>\n")


def test_json_with_a_multiindex(tables):
    index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["letter", None])
    df = pd.DataFrame({"x": [1.5, 2.5]}, index=index)
    answer = exported(tables, {"t": df}, format="json", index=True)
    assert answer["mime"] == "application/json"
    assert json.loads(answer["text"]) == {
        "columns": ["x"],
        "index_names": ["letter", "level_1"],
        "data": [[1.5], [2.5]],
        "index": [["a", 1], ["b", 2]],
    }
    rows = parsed_csv(exported(tables, {"t": df}, format="csv", index=True)["text"])
    assert rows == [["letter", "level_1", "x"], ["a", "1", "1.5"], ["b", "2", "2.5"]]


def test_rows_columns_and_the_views_order(tables):
    df = pd.DataFrame({"n": np.arange(10), "s": [f"s{k}" for k in range(10)], "z": 0})
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, False))
    filt(tables, ns, view, {"kind": "compare", "column": 0, "op": ">=", "value": 3})
    answer = export(tables, ns, view, format="csv", rows={"start": 1, "stop": 4}, columns=[1, 0])
    assert answer["generation"] == 2 and answer["rows"] == 3
    assert parsed_csv(answer["text"]) == [["s", "n"], ["s8", "8"], ["s7", "7"], ["s6", "6"]]
    beyond = export(tables, ns, view, format="csv", rows={"start": 5, "stop": 100}, headers=False)
    assert parsed_csv(beyond["text"]) == [["4", "s4", "0"], ["3", "s3", "0"]]
    none = export(tables, ns, view, format="json", rows={"start": 50, "stop": 60})
    assert json.loads(none["text"])["data"] == [] and none["rows"] == 0


def test_max_bytes_stops_at_a_whole_row(tables):
    df = pd.DataFrame({"s": ["é" * 100] * 100})  # 200 bytes of UTF-8 a value
    ns = {"t": df}
    view = opened(tables, ns)["view"]
    for kind in ("csv", "tsv", "html", "json"):
        answer = export(tables, ns, view, format=kind, max_bytes=2000)
        assert answer["truncated"] is True, kind
        assert 5 <= answer["rows"] < 10, (kind, answer["rows"])
        assert len(answer["text"].encode()) <= 2000
        assert answer["text"].count("é" * 100) == answer["rows"]
    assert json.loads(export(tables, ns, view, format="json", max_bytes=2000)["text"])["data"]
    whole = export(tables, ns, view, format="csv", max_bytes=100_000)
    assert whole["truncated"] is False and whole["rows"] == 100


def test_python_and_numpy_sources(tables):
    ns = {
        "records": [{"a": 1, "b": "x,y"}, {"a": 2.5}],
        "arr": np.array([[1.25, 2.0], [np.nan, 4.0]]),
        "rec": np.array(
            [(1, b"ab", "2024-01-01")], dtype=[("id", "i8"), ("t", "S2"), ("d", "M8[s]")]
        ),
        "deltas": np.array([5, "NaT"], dtype="m8[s]"),
    }
    assert parsed_csv(exported(tables, ns, "records", format="csv")["text"]) == [
        ["a", "b"],
        ["1", "x,y"],
        ["2.5", ""],
    ]
    assert json.loads(exported(tables, ns, "arr", format="json")["text"])["data"] == [
        [1.25, 2.0],
        [None, 4.0],
    ]
    assert parsed_csv(exported(tables, ns, "rec", format="csv")["text"])[1] == [
        "1",
        "ab",
        "2024-01-01 00:00:00",
    ]
    assert parsed_csv(exported(tables, ns, "deltas", format="csv")["text"])[1:] == [
        ["0 days 00:00:05"],
        [""],
    ]


def test_a_stale_generation_is_said(tables):
    ns = {"t": pd.DataFrame({"n": [2, 1]})}
    view = opened(tables, ns)["view"]
    sort(tables, ns, view, (0, True))
    answer = call(tables, ns, op="export", view=view, format="csv", generation=0)
    assert (answer["status"], answer["generation"]) == ("stale", 1)
    assert export(tables, ns, view, format="csv", generation=1)["text"] == "n\r\n1\r\n2\r\n"


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"format": "xlsx"},
        {"format": "csv", "max_bytes": 0},
        {"format": "csv", "max_bytes": 16 * 1024 * 1024 + 1},
        {"format": "csv", "rows": [0, 1]},
        {"format": "csv", "rows": {"start": -1}},
        {"format": "csv", "columns": [7]},
        {"format": "csv", "headers": "yes"},
        {"format": "csv", "index": 1},
    ],
)
def test_bad_requests(tables, options):
    ns = {"t": pd.DataFrame({"n": [1]})}
    view = opened(tables, ns)["view"]
    assert call(tables, ns, op="export", view=view, **options)["ename"] == "BadRequest"


def test_features_say_what_export_does(tables):
    features = opened(tables, {"t": pd.DataFrame({"n": [1]})})["features"]["export"]
    assert features == {
        "formats": ["csv", "tsv", "html", "json"],
        "max_bytes": 16 * 1024 * 1024,
        "default_bytes": 1024 * 1024,
        "tsv": "escaped",
    }


def test_an_object_whose_repr_fails_is_exported_as_a_note(tables):
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    ns = {"t": pd.DataFrame({"o": pd.Series([Broken()], dtype=object)})}
    rows = parsed_csv(exported(tables, ns, format="csv")["text"])
    assert rows[1][0].startswith("<Broken: repr failed")


def test_float32_and_complex_values_are_written_as_their_shortest_text(tables):
    ns = {
        "t": pd.DataFrame(
            {
                "f32": np.array([0.1, np.nan, 3.25], dtype=np.float32),
                "z": pd.Series([1 + 2j, 0j, 2 - 1j], dtype=object),
                "zz": np.array([1 + 2j, 0j, 2 - 1j]),
            }
        )
    }
    rows = parsed_csv(exported(tables, ns, format="csv")["text"])
    assert rows[1:] == [["0.1", "(1+2j)", "(1+2j)"], ["", "0j", "0j"], ["3.25", "(2-1j)", "(2-1j)"]]
    assert json.loads(exported(tables, ns, format="json")["text"])["data"][0][0] == 0.1


def test_a_table_changed_in_place_under_a_view_gives_an_error_not_a_crash(tables):
    rows = [{"n": k, "s": "abcdefghij"[k]} for k in range(10)]
    ns = {"t": rows}
    view = opened(tables, ns)["view"]
    filt(tables, ns, view, {"kind": "compare", "column": 0, "op": ">=", "value": 5})
    del rows[3:]  # the view's positions 5 to 9 are gone
    answer = call(tables, ns, op="export", view=view, format="csv")
    assert answer["status"] == "error" and answer["ename"] == "IndexError", answer
    profile = call(tables, ns, op="profile", view=view, columns=[0, 1])
    assert profile["status"] == "ok"
    assert all(c["error"].startswith("IndexError") for c in profile["columns"])
    df = pd.DataFrame({"n": [1, 2], "s": ["a", "b"]})
    ns = {"df": df}
    view = opened(tables, ns, "df")["view"]
    df.pop("s")
    assert (
        call(tables, ns, op="export", view=view, format="csv", columns=[1])["ename"] == "BadRequest"
    )
    assert call(tables, ns, op="profile", view=view, columns=[1])["ename"] == "BadRequest"
    del ns["df"]  # the view keeps the object: what it shows is still answered
    assert export(tables, ns, view, format="csv")["text"] == "n\r\n1\r\n2\r\n"


def test_polars_pyarrow_and_lazy_frames_are_exported(tables):
    import datetime

    polars = pytest.importorskip("polars")
    dd = pytest.importorskip("dask.dataframe")
    frame = polars.DataFrame(
        {
            "n": [1, None, 3],
            "s": ["a,b", None, "c"],
            "z": polars.Series(
                [datetime.datetime(2024, 3, 30, 12), None, datetime.datetime(2024, 3, 31, 12)]
            ).dt.replace_time_zone("Europe/Paris"),
        }
    )
    expected = [
        ["n", "s", "z"],
        ["1", "a,b", "2024-03-30 12:00:00+01:00"],
        ["", "", ""],
        ["3", "c", "2024-03-31 12:00:00+02:00"],
    ]
    ns = {"p": frame, "a": frame.to_arrow(), "lazy": frame.lazy()}
    for name in ns:
        assert parsed_csv(exported(tables, ns, name, format="csv")["text"]) == expected, name
    ns["dask"] = dd.from_pandas(pd.DataFrame({"n": range(10)}, index=range(10, 20)), npartitions=3)
    answer = exported(tables, ns, "dask", format="csv", index=True, rows={"start": 2, "stop": 6})
    assert parsed_csv(answer["text"]) == [["index", "n"]] + [
        [str(k + 10), str(k)] for k in range(2, 6)
    ]
    whole = exported(tables, ns, "dask", format="json", rows={"start": 8})
    assert json.loads(whole["text"])["data"] == [[8], [9]] and whole["rows"] == 2
