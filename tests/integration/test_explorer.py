"""The Data Explorer's messages on a real server and kernel: open, page, sort,
filter and close a table over both websocket protocols and REST, while a cell
runs, and the errors a client can act on (README, "Data Explorer")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from ..support.kernel_ws import reply_of
from .conftest import open_ws

pytestmark = pytest.mark.timeout(120)

FRAME = """\
import pandas as pd, numpy as np
n = np.arange(10_000)
df = pd.DataFrame({'a': n, 'b': np.where(n % 2, 'odd', 'even'), 'c': np.linspace(0, 1, n.size)})
df.loc[3, 'c'] = np.nan
"""


async def _ask(ws: Any, name: str, content: dict[str, Any]) -> dict[str, Any]:
    reply = reply_of(await ws.request(f"{name}_request", content))["content"]
    return reply


async def _ok(ws: Any, name: str, content: dict[str, Any]) -> dict[str, Any]:
    reply = await _ask(ws, name, content)
    assert reply["status"] == "ok", reply
    return reply["return"]


def _values(page: dict[str, Any], index: int) -> list[Any]:
    return next(c["values"] for c in page["columns"] if c["index"] == index)


async def test_open_page_sort_filter_close(server, fresh_kernel, protocol):
    async with open_ws(server, fresh_kernel, protocol) as ws:
        assert reply_of(await ws.execute(FRAME))["content"]["status"] == "ok"
        opened = await _ok(ws, "table_open", {"name": "df", "rows": 5})
        view, generation = opened["view"], opened["generation"]
        assert opened["shape"] == [10_000, 3]
        assert [c["name"] for c in opened["columns"]] == ["a", "b", "c"]
        assert _values(opened["first"], 0) == ["0", "1", "2", "3", "4"]
        assert _values(opened["first"], 2)[3] == 1  # NaN, as its code

        page = await _ok(
            ws, "table_rows", {"view": view, "generation": generation, "start": 9_998, "count": 5}
        )
        assert _values(page, 0) == ["9998", "9999"]

        sorted_ = await _ok(
            ws, "table_sort", {"view": view, "keys": [{"column": 0, "ascending": False}]}
        )
        assert sorted_["generation"] > generation and sorted_["row_count"] == 10_000
        stale = await _ok(
            ws, "table_rows", {"view": view, "generation": generation, "start": 0, "count": 2}
        )
        assert stale == {"stale": True, "generation": sorted_["generation"], **_timing(stale)}
        top = await _ok(
            ws,
            "table_rows",
            {"view": view, "generation": sorted_["generation"], "start": 0, "count": 2},
        )
        assert _values(top, 0) == ["9999", "9998"]

        filtered = await _ok(
            ws,
            "table_filter",
            {
                "view": view,
                "filters": [{"kind": "compare", "column": 1, "op": "=", "value": "odd"}],
            },
        )
        assert filtered["row_count"] == 5_000
        odd = await _ok(
            ws,
            "table_rows",
            {"view": view, "generation": filtered["generation"], "start": 0, "count": 3},
        )
        assert _values(odd, 0) == ["9999", "9997", "9995"]  # the sort kept under the filter

        assert (await _ok(ws, "table_close", {"view": view}))["elapsed_ms"] >= 0
        gone = await _ask(ws, "table_rows", {"view": view, "generation": 0, "start": 0, "count": 1})
        assert (gone["status"], gone["ename"]) == ("error", "UnknownView")


async def _frame_over_rest(server: Any, kernel_id: str) -> str:
    """The route of the kernel's requests over REST, with FRAME run in the kernel."""
    async with open_ws(server, kernel_id) as ws:
        await ws.execute(FRAME)
    return f"/beaker/api/kernels/{kernel_id}/requests"


async def _rest_error(server: Any, route: str, name: str, content: dict[str, Any]) -> int:
    """The HTTP status of a REST request ``name`` that must fail."""
    with pytest.raises(HTTPClientError) as error:
        await server.arest("POST", f"{route}/{name}", content)
    return error.value.code


def _timing(answer: dict[str, Any]) -> dict[str, Any]:
    return {"elapsed_ms": answer["elapsed_ms"]}


async def test_a_table_is_paged_while_a_cell_runs(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        await ws.execute(FRAME)
        cell = await ws.send("execute_request", {"code": "import time; time.sleep(30)"})
        while (await ws.recv())["msg_type"] != "status":
            pass  # the cell is running
        opened = await _ok(ws, "table_open", {"name": "df", "rows": 3})
        page = await _ok(
            ws,
            "table_rows",
            {"view": opened["view"], "generation": 0, "start": 100, "count": 2},
        )
        await server.arest("POST", f"/api/kernels/{fresh_kernel}/interrupt")
        done = await ws.collect(cell["header"]["msg_id"])
    assert _values(page, 0) == ["100", "101"]
    assert reply_of(done)["content"]["status"] == "error"  # interrupted only now


async def test_errors_a_client_can_act_on(server, fresh_kernel, protocol):
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute(FRAME + "\nnumber = 3")
        hostile = [
            "__import__('os')._exit(3)",
            "'); __import__('os')._exit(3); ('",
            '"); __import__("os")._exit(3); ("',
            "\\'); __import__('os')._exit(3) #",
        ]
        for name, ename in [
            ("nothing", "UnknownVariable"),
            *((h, "UnknownVariable") for h in hostile),
            ("number", "NotATable"),
        ]:
            reply = await _ask(ws, "table_open", {"name": name})
            assert (reply["status"], reply["ename"]) == ("error", ename), reply
        view = (await _ok(ws, "table_open", {"name": "df", "rows": 0}))["view"]
        bad = {"kind": "regex", "column": 1, "term": "(unclosed"}
        reply = await _ask(ws, "table_filter", {"view": view, "filters": [bad]})
        assert (reply["status"], reply["ename"]) == ("error", "BadFilter"), reply
        # The view is as it was: the same generation pages the whole table.
        page = await _ok(ws, "table_rows", {"view": view, "generation": 0, "start": 0, "count": 1})
        assert _values(page, 0) == ["0"]
        reply = await _ask(ws, "table_rows", {"view": view, "start": 0, "count": 1})
        assert (reply["status"], reply["ename"]) == ("error", "ValidationError"), reply
        # The kernel is still the user's: nothing ran as code.
        still = reply_of(await ws.execute("len(df)"))
        assert still["content"]["status"] == "ok"


async def test_the_rest_route_answers_with_the_errors_status(server, fresh_kernel):
    route = await _frame_over_rest(server, fresh_kernel)
    opened = await server.arest("POST", f"{route}/table_open", {"name": "df", "rows": 2})
    assert opened["reply"]["content"]["return"]["shape"] == [10_000, 3]
    status = await _rest_error(server, route, "table_open", {"name": "nothing"})
    assert status == 404
    view = opened["reply"]["content"]["return"]["view"]
    bad = {"kind": "compare", "column": 0, "op": "~", "value": 1}
    status = await _rest_error(server, route, "table_filter", {"view": view, "filters": [bad]})
    assert status == 400


LIBRARY_TABLES = """\
import polars as pl, pyarrow as pa
pf = pl.DataFrame({'a': [3, None, 1], 's': ['x', 'y', None]})
at = pa.table({'a': [3, None, 1]})
lf = pl.LazyFrame({'a': list(range(50))}).with_columns(b=pl.col('a') * 2)
"""


async def test_polars_pyarrow_and_lazy_frames_in_a_kernel(server, fresh_kernel):
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    async with open_ws(server, fresh_kernel) as ws:
        assert reply_of(await ws.execute(LIBRARY_TABLES))["content"]["status"] == "ok"
        for name, kind in (("pf", "polars.DataFrame"), ("at", "pyarrow.Table")):
            opened = await _ok(ws, "table_open", {"name": name})
            assert opened["kind"] == kind and opened["shape"][0] == 3
            assert _values(opened["first"], 0) == ["3", 0, "1"]
            keys = [{"column": 0, "ascending": True}]
            sorted_ = await _ok(ws, "table_sort", {"view": opened["view"], "keys": keys})
            assert sorted_["row_count"] == 3
        lazy = await _ok(ws, "table_open", {"name": "lf", "rows": 10})
        assert lazy["shape"] == [None, 2] and lazy["features"]["sort"]["supported"] is False
        page = await _ok(
            ws,
            "table_rows",
            {"view": lazy["view"], "generation": 0, "start": 45, "count": 10},
        )
        assert _values(page, 1) == ["90", "92", "94", "96", "98"] and page["row_count"] == 50
        refused = await _ask(ws, "table_sort", {"view": lazy["view"], "keys": [{"column": 0}]})
        assert refused["status"] == "error" and refused["ename"] == "BadRequest"


async def test_a_cell_that_changes_a_frame_in_place_updates_its_view(server, fresh_kernel):
    from .test_explorer_lanes import Inbox

    async with open_ws(server, fresh_kernel) as ws:
        assert reply_of(await ws.execute(FRAME))["content"]["status"] == "ok"
        view = (await _ok(ws, "table_open", {"name": "df", "rows": 0}))["view"]
        keys = [{"column": 0, "ascending": False}]
        assert (await _ok(ws, "table_sort", {"view": view, "keys": keys}))["generation"] == 1
        inbox = Inbox(ws)
        try:
            code = "df.loc[0, 'a'] = 99_999\ndf['z'] = 1"
            content = {"code": code, "silent": False, "store_history": True}
            await ws.send("execute_request", {**content, "user_expressions": {}})
            update = await inbox.wait_for(lambda m: m["msg_type"] == "table_update")
        finally:
            inbox.close()
        content = update["content"]
        assert content["view"] == view and content["reason"] == "mutated"
        assert content["closed"] is False and content["generation"] == 2
        assert content["sort"] == [{"column": 0, "ascending": False, "name": "a"}]
        assert [c["name"] for c in content["columns"]] == ["a", "b", "c", "z"]
        top = await _ok(ws, "table_rows", {"view": view, "generation": 2, "start": 0, "count": 1})
        assert _values(top, 0) == ["99999"] and top["positions"] == [0]


async def test_export_over_the_websocket(server, fresh_kernel, protocol):
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute(FRAME + "\ndf.loc[1, 'b'] = '<img src=x onerror=alert(1)>'")
        view = (await _ok(ws, "table_open", {"name": "df", "rows": 0}))["view"]
        csv_ = await _ok(
            ws,
            "table_export",
            {"view": view, "format": "csv", "rows": {"start": 2, "stop": 5}, "columns": [2, 0]},
        )
        assert (csv_["format"], csv_["mime"], csv_["rows"], csv_["truncated"]) == (
            "csv",
            "text/csv",
            3,
            False,
        )
        assert (
            csv_["text"] == "c,a\r\n0.00020002000200020003,2\r\n,3\r\n0.00040004000400040005,4\r\n"
        )
        html = await _ok(
            ws, "table_export", {"view": view, "format": "html", "rows": {"stop": 2}, "index": True}
        )
        assert "<img" not in html["text"] and "&lt;img src=x onerror=alert(1)&gt;" in html["text"]
        assert html["text"].startswith("<table>\n<thead>\n<tr><th>index</th><th>a</th>")
        bounded = await _ok(ws, "table_export", {"view": view, "format": "json", "max_bytes": 4096})
        assert bounded["truncated"] is True and 0 < bounded["rows"] < 10_000
        assert len(bounded["text"].encode()) <= 4096
        sorted_ = await _ok(
            ws, "table_sort", {"view": view, "keys": [{"column": 0, "ascending": False}]}
        )
        stale = await _ok(ws, "table_export", {"view": view, "format": "tsv", "generation": 0})
        assert stale == {"stale": True, "generation": sorted_["generation"], **_timing(stale)}
        top = await _ok(
            ws,
            "table_export",
            {"view": view, "format": "tsv", "rows": {"stop": 1}, "columns": [0], "headers": False},
        )
        assert top["text"] == "9999\n"
        bad = await _ask(ws, "table_export", {"view": view, "format": "xlsx"})
        assert (bad["status"], bad["ename"]) == ("error", "ValidationError"), bad


async def test_export_over_rest(server, fresh_kernel):
    route = await _frame_over_rest(server, fresh_kernel)
    opened = await server.arest("POST", f"{route}/table_open", {"name": "df", "rows": 0})
    view = opened["reply"]["content"]["return"]["view"]
    answer = await server.arest(
        "POST", f"{route}/table_export", {"view": view, "format": "json", "rows": {"stop": 2}}
    )
    exported = answer["reply"]["content"]["return"]
    assert json.loads(exported["text"]) == {
        "columns": ["a", "b", "c"],
        "data": [[0, "even", 0.0], [1, "odd", 0.00010001000100010001]],
    }
    status = await _rest_error(server, route, "table_export", {"view": "v999", "format": "csv"})
    assert status == 404
    bad = {"view": view, "format": "csv", "columns": [9]}
    status = await _rest_error(server, route, "table_export", bad)
    assert status == 400


async def test_a_profile_is_published_sampled_then_exact(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        await ws.execute(
            "import pandas as pd, numpy as np\nk = np.arange(300_000)\n"
            "big = pd.DataFrame({'n': k % 7, 's': np.where(k % 3, 'x', 'y')})"
        )
        view = (await _ok(ws, "table_open", {"name": "big", "rows": 0}))["view"]
        messages = await ws.request("table_profile_request", {"view": view, "columns": [0, 1]})
        published = [m["content"] for m in messages if m["msg_type"] == "table_profile_response"]
        answers = [p for p in published if "columns" in p]
        assert [a["approximate"] for a in answers] == [True, False], published
        sampled, exact = answers
        assert sampled["sample_rows"] == 100_000 and exact["sample_rows"] == 300_000
        assert sum(t["count"] for t in sampled["columns"][1]["top"]) == pytest.approx(
            300_000, abs=2
        )
        assert exact["columns"][1]["top"] == [
            {"value": "x", "count": 200_000},
            {"value": "y", "count": 100_000},
        ]
        assert exact["columns"][0]["histogram"]["edges"] == [str(k) for k in range(8)]
        reply = reply_of(messages)["content"]
        assert reply["status"] == "ok" and reply["return"]["columns"] == exact["columns"]


async def test_find_over_the_websocket_while_a_cell_runs(server, fresh_kernel, protocol):
    """``table_find`` walks the view's order from a cell, wraps, and answers
    while the user's cell sleeps."""
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute(FRAME)
        opened = await _ok(ws, "table_open", {"name": "df", "rows": 0})
        view = opened["view"]
        sorted_ = await _ok(
            ws, "table_sort", {"view": view, "keys": [{"column": 0, "ascending": False}]}
        )
        generation = sorted_["generation"]
        cell = await ws.send("execute_request", {"code": "import time; time.sleep(30)"})
        while (await ws.recv())["msg_type"] != "status":
            pass  # the cell is running
        find = {"view": view, "generation": generation, "text": "9990", "columns": [0, 1]}
        found = await _ok(ws, "table_find", find)
        # In the view sorted by a descending: a = 9990 is row 9.
        assert (found["match"], found["wrapped"]) == ({"row": 9, "column": 0}, False)
        after = await _ok(ws, "table_find", {**find, "row": 9, "column": 1})
        assert (after["match"], after["wrapped"]) == ({"row": 9, "column": 0}, True)
        back = await _ok(ws, "table_find", {**find, "text": "EVEN", "direction": "previous"})
        assert back["match"] == {"row": 0, "column": 1} or back["match"]["row"] == 9_999, back
        none = await _ok(ws, "table_find", {**find, "text": "no such text"})
        assert (none["match"], none["scanned_rows"]) == (None, 10_000)
        stale = await _ok(ws, "table_find", {**find, "generation": 0})
        assert stale == {"stale": True, "generation": generation, **_timing(stale)}
        bad = await _ask(ws, "table_find", {**find, "text": ""})
        assert (bad["status"], bad["ename"]) == ("error", "ValidationError"), bad
        await server.arest("POST", f"/api/kernels/{fresh_kernel}/interrupt")
        done = await ws.collect(cell["header"]["msg_id"])
    assert reply_of(done)["content"]["status"] == "error"  # interrupted only now


async def test_find_over_rest(server, fresh_kernel):
    route = await _frame_over_rest(server, fresh_kernel)
    opened = await server.arest("POST", f"{route}/table_open", {"name": "df", "rows": 0})
    view = opened["reply"]["content"]["return"]["view"]
    answer = await server.arest(
        "POST", f"{route}/table_find", {"view": view, "generation": 0, "text": "odd", "row": 5}
    )
    assert answer["reply"]["content"]["return"]["match"] == {"row": 5, "column": 1}
    find = {"view": view, "generation": 0, "text": "x"}
    status = await _rest_error(server, route, "table_find", {**find, "view": "v999"})
    assert status == 404
    status = await _rest_error(server, route, "table_find", {**find, "column": 7})
    assert status == 400
