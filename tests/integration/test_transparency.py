"""Everything that is not a registered custom message passes through unchanged.

Each scenario runs on a stock jupyter server (extension disabled) and on one with
beaker_server, on fresh kernels, and the two transcripts must be equal: channels,
message types, order and contents (ids, dates and timing metadata aside).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, reply_of
from .conftest import open_ws, serve

Scenario = Callable[[KernelWebsocket, JupyterServerProcess, str], Awaitable[list]]


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    yield from serve(tmp_path_factory, "stock", beaker=False)


def _normal(messages: list[dict]) -> dict[str, list[tuple]]:
    """What must be equal between the two servers: per channel, in order.

    Order across channels is not defined even on stock (separate ZMQ sockets).
    """
    out: dict[str, list[tuple]] = {}
    for m in messages:
        if m["msg_type"] == "preview":  # beaker_server's own addition, tested elsewhere
            continue
        content = dict(m["content"])
        if "engine_info" in content:  # a per-kernel uuid
            content["engine_info"] = {**content["engine_info"], "engine_uuid": "-"}
        out.setdefault(m["channel"], []).append(
            (m["msg_type"], content, [bytes(b) for b in m["buffers"]])
        )
    return out


async def execute_with_output(ws, server, kernel_id) -> list:
    got = await ws.execute("print('out'); 6 * 7")
    got += await ws.execute("from IPython.display import display, HTML; display(HTML('<b>x</b>'))")
    got += await ws.execute("1/0")
    return got


async def comm_with_buffers(ws, server, kernel_id) -> list:
    await ws.execute(
        "def _target(comm, msg):\n"
        "    comm.send({'opened': msg['content']['data']}, buffers=msg['buffers'])\n"
        "    @comm.on_msg\n"
        "    def _echo(m):\n"
        "        comm.send({'echo': m['content']['data']}, buffers=m['buffers'])\n"
        "get_ipython().kernel.comm_manager.register_target('echo', _target)\n"
    )
    got = []
    opened = await ws.send(
        "comm_open",
        {"comm_id": "c1", "target_name": "echo", "data": {"a": 1}},
        buffers=[b"\x00\x01open"],
    )
    got += await ws.collect(opened["header"]["msg_id"], reply=False)
    msg = await ws.send(
        "comm_msg", {"comm_id": "c1", "data": {"b": 2}}, buffers=[b"\xff" * 1000, b"two"]
    )
    got += await ws.collect(msg["header"]["msg_id"], reply=False)
    got += await ws.request("comm_info_request", {"target_name": "echo"})
    return got


async def input_roundtrip(ws, server, kernel_id) -> list:
    msg = await ws.send(
        "execute_request",
        {"code": "name = input('who? ')\nprint('hi', name)", "allow_stdin": True, "silent": False},
    )
    got = []
    while True:
        m = await ws.recv()
        if m["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            got.append(m)
        if m["msg_type"] == "input_request":
            break
    answer = await ws.send("input_reply", {"value": "ada", "status": "ok"}, channel="stdin")
    answer["parent_header"] = m["header"]
    got += await ws.collect(msg["header"]["msg_id"])
    return got


async def interrupt_running_cell(ws, server, kernel_id) -> list:
    code = "import time\nprint('sleeping', flush=True)\ntime.sleep(30)"
    msg = await ws.send("execute_request", {"code": code, "silent": False})
    while True:  # interrupt once the cell is inside its sleep
        m = await ws.recv()
        if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == msg["msg_id"]:
            break
    got = await ws.request("interrupt_request", {}, channel="control")
    got += await ws.collect(msg["header"]["msg_id"])
    for m in got:  # the traceback text carries the kernel's file paths and line
        m["content"].pop("traceback", None)
    return [m for m in got if m["channel"] != "iopub" or m["msg_type"] != "status"]


async def restart_then_execute(ws, server, kernel_id) -> list:
    await ws.execute("a = 1")
    await server.arest("POST", f"/api/kernels/{kernel_id}/restart")
    # As JupyterLab does after a restart: iopub may need a moment to resubscribe,
    # so ask kernel_info until its idle status arrives (on either server).
    for _ in range(20):
        info = await ws.send("kernel_info_request")
        try:
            await ws.collect(info["header"]["msg_id"], timeout=1)
            break
        except asyncio.TimeoutError:
            continue
    return await ws.execute("'a' in globals()")


async def unknown_custom_request_reaches_kernel(ws, server, kernel_id) -> list:
    """``foo_request`` has no server handler: the kernel gets it exactly as sent."""
    await ws.execute(
        "def _foo(stream, ident, parent):\n"
        "    k = get_ipython().kernel\n"
        "    k.session.send(stream, 'foo_reply', {'got_header': parent['header'],\n"
        "        'got_content': parent['content'], 'got_metadata': parent['metadata']},\n"
        "        parent, ident=ident)\n"
        "get_ipython().kernel.shell_handlers['foo_request'] = _foo\n"
    )
    msg = await ws.send("foo_request", {"x": [1, "two", None]}, metadata={"m": True})
    got = []
    while not got:
        m = await ws.recv()
        if m["msg_type"] == "foo_reply":
            got.append(m)
    echoed = got[0]["content"]
    header = dict(msg["header"])
    echoed_header = dict(echoed["got_header"])
    # jupyter_client parses dates; the kernel echoes them back as ISO text
    assert echoed_header.pop("date")[:19] == header.pop("date")[:19]
    assert echoed_header == header
    assert echoed["got_content"] == {"x": [1, "two", None]}
    assert echoed["got_metadata"] == {"m": True}
    echoed.pop("got_header")  # ids and dates: checked above, differ between servers
    return got


SCENARIOS: dict[str, Scenario] = {
    "execute": execute_with_output,
    "comm-buffers": comm_with_buffers,
    "input": input_roundtrip,
    "interrupt": interrupt_running_cell,
    "restart": restart_then_execute,
    "foo_request": unknown_custom_request_reaches_kernel,
}


async def _transcript(server: JupyterServerProcess, scenario: Scenario, protocol: str) -> list:
    kernel_id = server.start_kernel()
    try:
        async with open_ws(server, kernel_id, protocol) as ws:
            return _normal(await scenario(ws, server, kernel_id))
    finally:
        server.shutdown_kernel(kernel_id)


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_same_as_stock(server, stock, protocol, name):
    """Both servers, same scenario, fresh kernels: the same messages in the same order.

    The kernel itself is not fully deterministic (ipykernel's IOPub thread may
    flush a ``print`` before or after a neighbouring message), so a mismatch is
    tried again on new kernels; a server that drops, adds or reorders messages
    differs every time.
    """
    scenario = SCENARIOS[name]
    mismatches = []
    for _ in range(3):
        ours, theirs = await asyncio.gather(
            _transcript(server, scenario, protocol), _transcript(stock, scenario, protocol)
        )
        assert ours, "the scenario saw no messages"
        if ours == theirs:
            return
        mismatches.append((ours, theirs))
    ours, theirs = mismatches[-1]
    assert ours == theirs, f"differs in all {len(mismatches)} runs; first: {mismatches[0]}"


async def test_kernel_published_response_reaches_clients_and_hooks(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as a, open_ws(server, kernel_id) as b:
        code = (
            "from beaker_server.kernel_helpers import publish_response\n"
            "publish_response('kpub', {'n': 1})\n"
            "publish_response('kpub', {'n': 2, 'drop': True})\n"
            "publish_response('other', {'n': 3})\n"
        )
        msg = await a.send("execute_request", {"code": code, "silent": False})
        on_a = await a.collect(msg["header"]["msg_id"])
        on_b = await b.collect(msg["header"]["msg_id"], reply=False)
        calls = reply_of(await a.request("hook_calls_request", {}))["content"]["return"]
    for got in (on_a, on_b):
        customs = [
            (m["msg_type"], m["content"]) for m in got if m["msg_type"].endswith("_response")
        ]
        assert customs == [("kpub_response", {"n": 1}), ("other_response", {"n": 3})]
        published = next(m for m in got if m["msg_type"] == "kpub_response")
        assert published["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    mine = [c["content"] for c in calls if c["kernel_id"] == kernel_id]
    # Once per message, although two websockets carried it.
    assert mine[-2:] == [{"n": 1}, {"n": 2, "drop": True}]
