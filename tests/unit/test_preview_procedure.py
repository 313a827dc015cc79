"""The kernel-side preview procedure, called directly on a namespace dict.

These run the same file the kernel loads, in this process, so that each kind of
value and each cap is checked without a kernel round trip; the server tests
check it inside real kernels.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from ..support.preview_procedure import MIME, fresh_procedure, run


@pytest.fixture
def procedure():
    return fresh_procedure()


def groups(result):
    return {name: kind for kind, name in result["names"]}


def test_kinds_and_metadata(procedure):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    ns = {
        "n": 42,
        "f": 2.5,
        "s": "hello",
        "items": [1, 2, 3],
        "mapping": {"a": 1},
        "unique": {1, 2},
        "pair": (1, "x"),
        "arr": np.arange(12, dtype="int32").reshape(3, 4),
        "df": pd.DataFrame({"a": range(1000), "b": ["x"] * 1000}),
        "series": pd.Series([1.5, 2.5]),
        "fig": fig,
    }
    result = run(procedure, ns)
    assert groups(result) == {
        "arr": "arrays",
        "df": "tables",
        "f": "variables",
        "fig": "figures",
        "items": "variables",
        "mapping": "variables",
        "n": "variables",
        "pair": "variables",
        "s": "variables",
        "series": "tables",
        "unique": "variables",
    }
    meta = {name: entry[MIME] for name, entry in result["entries"].items()}
    assert meta["n"]["type"] == "int" and meta["n"]["summary"] == "42"
    assert meta["items"]["shape"] == 3
    assert meta["arr"] == {**meta["arr"], "type": "ndarray", "shape": [3, 4], "dtype": "int32"}
    assert meta["arr"]["bytes"] == 48
    assert meta["df"]["shape"] == [1000, 2] and meta["df"]["dtype"].startswith("a: int64")
    assert "<table" in result["entries"]["df"]["text/html"]
    assert result["entries"]["df"]["text/html"].count("<tr>") <= 7  # header + 5 rows
    assert result["entries"]["fig"]["image/png"]
    assert all(m["changed"] for m in meta.values())
    plt.close(fig)


def test_tables_say_how_big_they_are(procedure):
    """The short value of a table is its size, not the first line of its head."""
    import pandas as pd

    ns = {
        "df": pd.DataFrame({"a": range(1000), "b": ["x"] * 1000}),
        "one": pd.DataFrame({"only": [1]}),
        "wide": pd.DataFrame([list(range(5000))]),
        "series": pd.Series([1.5, 2.5]),
        "named": pd.Series(range(12_345), name="price"),
    }
    entries = run(procedure, ns, max_chars=300)["entries"]
    summary = {name: entry[MIME]["summary"] for name, entry in entries.items()}
    assert summary == {
        "df": "1,000 rows \u00d7 2 columns",
        "one": "1 row \u00d7 1 column",
        "wide": "1 row \u00d7 5,000 columns",
        "series": "2 values, float64",
        "named": "12,345 values, int64, name price",
    }
    for name, entry in entries.items():  # the head's text says what it is the head of
        assert entry["text/plain"].endswith(f"[{summary[name]}]")
        assert len(entry["text/plain"]) <= 300
    assert entries["df"]["text/html"].endswith("<p>1,000 rows \u00d7 2 columns</p>")
    assert entries["wide"]["text/html"].count("<th>") <= 25  # 20 columns of 5,000


def test_exclusions(procedure):
    import os

    def helper():
        pass

    ns = {"_private": 1, "os": os, "helper": helper, "Klass": type("K", (), {}), "In": [], "x": 1}
    result = run(procedure, ns, hidden={"In": ns["In"]})
    assert groups(result) == {"x": "variables"}
    with_functions = run(procedure, ns, hidden={"In": ns["In"]}, include_functions=True)
    assert groups(with_functions) == {"x": "variables", "helper": "functions", "Klass": "classes"}


def test_large_values_are_bounded(procedure):
    big_list = [str(i) for i in range(500_000)]
    big_array = np.zeros((2000, 2000))
    ns = {"big_list": big_list, "big_array": big_array, "long": "y" * 10_000_000}
    started = time.perf_counter()
    result = run(procedure, ns, max_chars=300)
    elapsed = time.perf_counter() - started
    for entry in result["entries"].values():
        assert len(entry["text/plain"]) <= 300
    assert result["entries"]["big_list"][MIME]["shape"] == 500_000
    assert result["entries"]["big_array"][MIME]["bytes"] == big_array.nbytes
    assert "..." in result["entries"]["big_array"]["text/plain"]
    assert elapsed < 5  # a sanity bound only; costs are measured in bench/


def test_item_cap_and_more_marker(procedure):
    ns = {f"v{i:03d}": i for i in range(50)}
    result = run(procedure, ns, max_items=10)
    assert len(result["names"]) == 10
    assert result["total"] == 50 and result["omitted"] == 40


def test_payload_byte_cap(procedure):
    ns = {f"s{i}": "z" * 1000 for i in range(100)}
    result = run(procedure, ns, max_bytes=10_000, max_chars=1000)
    assert result["truncated"] is True
    assert 0 < len(result["names"]) < 100
    assert len(json.dumps(result["entries"])) <= 10_000 + 2000


def test_time_budget_gives_a_partial_preview(procedure):
    class Slow:
        def __repr__(self):
            time.sleep(0.05)
            return "slow"

    ns = {f"slow{i}": Slow() for i in range(20)}
    result = run(procedure, ns, time_budget=0.12)
    assert result["partial"] is True
    assert 0 < len(result["names"]) < 20


def test_only_changes_are_sent_again(procedure):
    ns = {"a": 1, "b": [1, 2], "c": "text"}
    first = run(procedure, ns)
    assert first["full"] is True and set(first["entries"]) == {"a", "b", "c"}
    same = run(procedure, ns, since=first["generation"])
    assert same["entries"] == {} and same["changed"] == [] and same["removed"] == []
    assert same["generation"] == first["generation"]
    ns["a"] = 2
    del ns["c"]
    ns["b"].append(3)  # same object, new length: changed
    step = run(procedure, ns, since=same["generation"])
    assert set(step["entries"]) == {"a", "b"} and step["removed"] == ["c"]
    assert step["entries"]["a"][MIME]["changed"] is True
    assert step["generation"] == first["generation"] + 1
    fresh = run(procedure, ns, since=-1)  # a caller without state gets everything
    assert fresh["full"] is True and set(fresh["entries"]) == {"a", "b"}
    assert not any(e[MIME]["changed"] for e in fresh["entries"].values())


def test_a_broken_repr_does_not_break_the_preview(procedure):
    class Broken:
        def __repr__(self):
            raise RuntimeError("nope")

    result = run(procedure, {"bad": Broken(), "ok": 1})
    assert "Broken" in result["entries"]["bad"]["text/plain"]
    assert result["entries"]["ok"]["text/plain"] == "1"
