"""Bad input and failing handlers: typed replies, and the connection keeps working."""

from __future__ import annotations

import json
import struct

import pytest

from ..support.kernel_ws import make_msg, reply_of
from .conftest import open_ws


async def _still_works(ws) -> None:
    """A normal execute_request round-trips after whatever happened before."""
    got = await ws.execute("40 + 2")
    assert reply_of(got)["content"]["status"] == "ok"
    results = [m for m in got if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "42"


async def _error_of(ws, msg_type: str, content) -> dict:
    reply = reply_of(await ws.request(msg_type, content))
    assert reply["content"]["status"] == "error", reply["content"]
    await _still_works(ws)
    return reply["content"]


async def test_handler_exception(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        error = await _error_of(ws, "boom_request", {})
    assert error["ename"] == "ValueError"
    assert error["evalue"] == "boom went the handler"
    assert any("boom went the handler" in line for line in error["traceback"])


@pytest.mark.parametrize("content", [{"who": 5}, {}, {"who": "x", "extra": {"nested": [1]}}])
async def test_schema(server, kernel_id, protocol, content):
    async with open_ws(server, kernel_id, protocol) as ws:
        if "extra" in content:  # extra fields are allowed by greet's schema
            reply = reply_of(await ws.request("greet_request", content))
            assert reply["content"]["status"] == "ok"
            return
        error = await _error_of(ws, "greet_request", content)
    assert error["ename"] == "ValidationError"
    assert "who" in error["evalue"]


async def test_handler_timeout(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        error = await _error_of(ws, "slow_request", {})
    assert error["ename"] == "HandlerTimeout"


async def test_a_timed_out_evaluation_leaves_the_kernel_free(server, kernel_id):
    """The kernel still runs the expression when its handler times out: it is
    interrupted, so the user's next cell does not wait a minute behind it."""
    async with open_ws(server, kernel_id) as ws:
        stuck = {"expression": "__import__('time').sleep(60)"}
        error = await _error_of(ws, "slow_evaluate_request", stuck)
        assert error["ename"] == "HandlerTimeout"
        cell = await ws.send("execute_request", {"code": "after_timeout = 1", "silent": False})
        seen = await ws.collect(cell["header"]["msg_id"], timeout=15)
    assert reply_of(seen)["content"]["status"] == "ok"
    assert not [m for m in seen if m["msg_type"] == "error"]  # the cell was not interrupted


async def test_payload_too_large(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        error = await _error_of(ws, "small_request", {"blob": "x" * 1000})
        ok = reply_of(await ws.request("small_request", {"a": 1}))
    assert error["ename"] == "PayloadTooLarge"
    assert ok["content"] == {"status": "ok", "return": 1}


async def test_content_that_is_not_json(server, kernel_id):
    """v1 carries content as its own frame: a broken one still gets an addressed reply."""
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    async with open_ws(server, kernel_id, "v1") as ws:
        msg = make_msg("greet_request", session=ws.session)
        frames = [json.dumps(msg["header"]).encode(), b"{}", b"{}", b"{not json"]
        await ws.send_raw(serialize_msg_to_ws_v1(frames, "shell"))
        got = await ws.collect(msg["header"]["msg_id"])
        assert reply_of(got)["content"]["ename"] == "ValidationError"
        msg = make_msg("greet_request", session=ws.session)
        frames = [json.dumps(msg["header"]).encode(), b"{}", b"{}", b"[1, 2]"]
        await ws.send_raw(serialize_msg_to_ws_v1(frames, "shell"))
        got = await ws.collect(msg["header"]["msg_id"])
        assert reply_of(got)["content"]["ename"] == "ValidationError"
        await _still_works(ws)


GARBAGE_V1 = [
    b"\x00\x01",  # shorter than an offset table
    struct.pack("<Q", 3) + struct.pack("<3Q", 32, 10_000, 20_000),  # offsets past the end
    struct.pack("<Q", 999) + b"x" * 40,  # absurd offset count
]


@pytest.mark.parametrize("data", GARBAGE_V1, ids=["short", "out-of-range", "count"])
async def test_unreadable_v1_frames_are_logged_not_fatal(server, kernel_id, data):
    async with open_ws(server, kernel_id, "v1") as ws:
        await ws.send_raw(data)
        await _still_works(ws)
    assert "beaker_server: dropped" in server.log()


@pytest.mark.parametrize(
    "data",
    [
        "not json at all",
        json.dumps({"channel": "shell"}),  # no header
        '{"header": {"msg_type": "greet_request"',  # a custom request cut short
    ],
    ids=["text", "no-header", "truncated"],
)
async def test_unreadable_legacy_messages_are_logged_not_fatal(server, kernel_id, data):
    async with open_ws(server, kernel_id, "legacy") as ws:
        await ws.send_raw(data)
        await _still_works(ws)
    assert "beaker_server: dropped" in server.log()


async def test_truncated_custom_header_in_v1(server, kernel_id):
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    async with open_ws(server, kernel_id, "v1") as ws:
        frames = [b'{"msg_type": "greet_request", "msg_id": "x', b"{}", b"{}", b"{}"]
        await ws.send_raw(serialize_msg_to_ws_v1(frames, "shell"))
        await _still_works(ws)
    assert "header is not JSON" in server.log()


async def test_header_without_msg_type_passes_through(server, kernel_id, protocol):
    """Not ours to judge: it goes to the kernel as with stock, and nothing breaks."""
    async with open_ws(server, kernel_id, protocol) as ws:
        msg = make_msg("greet_request", session=ws.session)
        del msg["header"]["msg_type"]
        msg.pop("msg_type")
        await ws.send_raw(ws.encode(msg, "shell"))
        await _still_works(ws)


async def test_a_kernel_procedure_answers_beside_a_running_cell(server, fresh_kernel, protocol):
    """``ctx.kernel.call_procedure`` runs on the server's subshell: it answers
    while the user's cell sleeps on the main shell, and what the request names
    is data in the kernel, never code."""
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute("x = 41")
        cell = await ws.send("execute_request", {"code": "import time; time.sleep(30)"})
        while (await ws.recv())["msg_type"] != "status":
            pass  # the cell is running
        found = reply_of(await ws.request("kernel_lookup_request", {"name": "x"}))
        hostile = "__import__('os')._exit(3)"
        missing = reply_of(await ws.request("kernel_lookup_request", {"name": hostile}))
        await server.arest("POST", f"/api/kernels/{fresh_kernel}/interrupt")
        await ws.collect(cell["header"]["msg_id"])
    assert found["content"]["return"]["repr"] == "41", found["content"]
    assert found["content"]["return"]["thread"] != "MainThread"
    assert missing["content"]["return"] == {
        "name": hostile,
        "found": False,
        "repr": None,
        "thread": found["content"]["return"]["thread"],
    }
