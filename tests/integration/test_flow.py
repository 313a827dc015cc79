"""The custom request flow (README, "What it does") on a real server and kernel, both protocols."""

from __future__ import annotations

import pytest

from ..support.greet_flow import assert_greet_flow
from ..support.kernel_ws import kinds, nudges, reply_of
from .conftest import open_ws


async def test_full_flow_in_order(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        msg = await ws.send("greet_request", {"who": "ada"})
        got = await ws.collect(msg["header"]["msg_id"])
    reply = assert_greet_flow(msg, got, "ada")
    header = reply["header"]
    assert header["msg_type"] == "greet_reply"
    assert header["version"].startswith("5.")
    assert header["date"].endswith("+00:00")


async def test_two_websockets_share_outputs_not_the_reply(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as a, open_ws(server, kernel_id, "v1") as b:
        msg = await a.send("greet_request", {"who": "bob"})
        msg_id = msg["header"]["msg_id"]
        on_a = await a.collect(msg_id)
        on_b = await b.collect(msg_id, reply=False)
    assert kinds(on_b) == [
        ("iopub", "status:busy"),
        ("iopub", "stream"),
        ("iopub", "greet_response"),
        ("iopub", "greet_response"),
        ("iopub", "status:idle"),
    ]
    assert [k for k in kinds(on_a) if k[0] == "iopub"] == kinds(on_b)
    assert ("shell", "greet_reply") in kinds(on_a)


async def test_registered_request_is_not_forwarded_to_the_kernel(server, kernel_id):
    """The kernel never sees a registered request: its execution count does not move."""
    async with open_ws(server, kernel_id) as ws:
        before = reply_of(await ws.execute("1"))["content"]["execution_count"]
        await ws.request("greet_request", {"who": "x"})
        after = reply_of(await ws.execute("1"))["content"]["execution_count"]
    assert after == before + 1


@pytest.mark.parametrize(
    "expression, value",
    [("1 + 1", 2), ("{'a': [1, 2.5, None]}", {"a": [1, 2.5, None]}), ("'x' * 3  # comment", "xxx")],
)
async def test_evaluate_returns_json_values(server, kernel_id, expression, value):
    async with open_ws(server, kernel_id) as ws:
        reply = reply_of(await ws.request("evaluate_request", {"expression": expression}))
    assert reply["content"] == {"status": "ok", "return": value}


async def test_evaluate_reports_kernel_errors(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        reply = reply_of(await ws.request("evaluate_request", {"expression": "1/0"}))
        not_json = reply_of(await ws.request("evaluate_request", {"expression": "object()"}))
        not_expr = reply_of(await ws.request("evaluate_request", {"expression": "x = 1"}))
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ZeroDivisionError"
    assert not_json["content"]["ename"] == "TypeError"
    assert not_expr["content"]["ename"] == "ValidationError"


async def test_evaluate_is_invisible_to_every_client(server, kernel_id, protocol):
    """What the server's own kernel requests cause never reaches a websocket."""
    async with open_ws(server, kernel_id, protocol) as a, open_ws(server, kernel_id, protocol) as b:
        msg = await a.send("evaluate_twice_request", {"expression": "print('hidden') or 7"})
        msg_id = msg["header"]["msg_id"]
        got = await a.collect(msg_id)
        assert reply_of(got)["content"] == {"status": "ok", "return": [7, 7]}
        # A marker request on each socket: everything before its idle has arrived.
        for ws in (a, b):
            marker = await ws.send("kernel_info_request")
            await ws.collect(marker["header"]["msg_id"])
            parents = {m["parent_header"].get("msg_id") for m in ws.received}
            assert parents <= {msg_id, marker["header"]["msg_id"], None} | nudges(ws)
            mine = [m for m in ws.received if m["parent_header"].get("msg_id") == msg_id]
            assert [k for k in kinds(mine) if k[0] == "iopub"] == [
                ("iopub", "status:busy"),
                ("iopub", "status:idle"),
            ]


async def test_execute_in_handler_streams_as_the_requests_output(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        got = await ws.request("run_code_request", {"code": "print('from kernel')"})
    streams = [m for m in got if m["msg_type"] == "stream"]
    assert [s["content"]["text"] for s in streams] == ["from kernel\n"]
    assert reply_of(got)["content"] == {"status": "ok", "return": {"status": "ok"}}


async def test_message_types_builtin(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        reply = reply_of(await ws.request("message_types_request", {}))
    names = {t["name"] for t in reply["content"]["return"]["message_types"]}
    assert {"evaluate", "message_types", "greet", "boom"} <= names
    greet = next(t for t in reply["content"]["return"]["message_types"] if t["name"] == "greet")
    assert greet["request_type"] == "greet_request"
    assert greet["default"] == {"who": "world"}
    assert greet["source"] == "tests.support.sample_handlers:greet"
