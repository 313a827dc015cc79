"""Faults that must not stop the live preview (real server, real ipykernel).

The preview follows the kernel's own statuses, so what happens to websockets
(a reload during a cell, a malformed frame, a request stock drops) cannot leave
the server waiting for a reply it will never see, and cells sent by any client
(a second tab, ``jupyter console --existing``) are followed too.
"""

from __future__ import annotations

import asyncio
import json
import struct

from jupyter_client.asynchronous import AsyncKernelClient

from ..support import topicless_kernel
from ..support.kernel_ws import make_msg
from .conftest import open_ws

CELL = {"silent": False, "store_history": True, "allow_stdin": False, "stop_on_error": True}


async def _cell_gets_a_preview(ws, code: str, name: str) -> dict:
    msg = await ws.send("execute_request", {"code": code, **CELL})
    preview = await ws.preview_after(msg["header"]["msg_id"], timeout=20)
    assert name in preview["content"]["preview"]["variables"]
    return preview


async def test_reload_during_a_running_cell(server, kernel_id, protocol):
    """The page reloads while a cell runs: its websocket (and the reply's shell
    socket) close. Cells run from the new page still get previews, and so does
    the REST cache."""
    async with open_ws(server, kernel_id, protocol) as before:
        await before.send_until_busy("execute_request", {"code": "import time; time.sleep(1.5)"})
    names = [f"after_reload_{protocol}_{n}" for n in range(2)]
    async with open_ws(server, kernel_id, protocol) as after:
        for name in names:
            await _cell_gets_a_preview(after, f"{name} = 1", name)
    cached = await server.arest("GET", f"/beaker/api/kernels/{kernel_id}/preview")
    assert names[-1] in cached["preview"]["variables"]


async def test_a_cell_from_a_direct_zmq_client_gets_a_preview(server, kernel_id):
    """A client on the kernel's ZMQ ports (``jupyter console --existing``) runs a
    cell: the websockets get the preview that follows it."""
    client = AsyncKernelClient()
    client.load_connection_file(server.workdir / "runtime" / f"kernel-{kernel_id}.json")
    client.start_channels()
    try:
        async with open_ws(server, kernel_id) as ws:
            await ws.request("kernel_info_request", {})  # the websocket is connected
            msg_id = client.execute("from_console = 'zmq'")
            reply = await client.get_shell_msg(timeout=20)
            assert reply["parent_header"]["msg_id"] == msg_id
            preview = await ws.preview_after(msg_id, timeout=20)
        assert preview["content"]["preview"]["variables"]["from_console"]["text/plain"] == ("'zmq'")
    finally:
        client.stop_channels()


def _v1_frame(channel: bytes, frames: list[bytes]) -> bytes:
    parts = [channel, *frames]
    offsets, position = [], 8 * (len(parts) + 1)
    for part in parts:
        offsets.append(position)
        position += len(part)
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(parts)


async def test_a_malformed_execute_request_frame_does_not_stop_previews(server, kernel_id):
    """A v1 frame whose header says ``execute_request`` but whose content is not
    JSON: the kernel drops it unanswered, and previews go on."""
    header = json.dumps(make_msg("execute_request")["header"]).encode()
    async with open_ws(server, kernel_id) as ws:
        await _cell_gets_a_preview(ws, "before_broken_frame = 1", "before_broken_frame")
        broken = _v1_frame(b"shell", [header, b"{}", b"{}", b'{"code": '])
        await ws.send_raw(broken)
        await _cell_gets_a_preview(ws, "after_broken_frame = 1", "after_broken_frame")


async def test_execute_request_in_comm_data_does_not_stop_previews(server, kernel_id):
    """A legacy ``comm_msg`` whose data mentions ``"execute_request"`` is no cell."""
    async with open_ws(server, kernel_id, "legacy") as ws:
        await _cell_gets_a_preview(ws, "before_comm = 1", "before_comm")
        comm = make_msg("comm_msg", {"comm_id": "nobody", "data": {"kind": "execute_request"}})
        await ws.send_raw(json.dumps({**comm, "channel": "shell"}))
        await _cell_gets_a_preview(ws, "after_comm = 1", "after_comm")


async def test_a_client_with_the_servers_session_id_is_not_hidden(server, kernel_id):
    """The server's messages show its session id; a client that copies it into
    its own requests still has its outputs, its busy state and its preview."""
    async with open_ws(server, kernel_id) as tab, open_ws(server, kernel_id, "legacy") as other:
        first = await _cell_gets_a_preview(tab, "spoof_0 = 0", "spoof_0")
        server_session = first["header"]["session"]
        code = "import time; print('spoofed'); time.sleep(1); spoof_1 = 1"
        msg = make_msg("execute_request", {"code": code, **CELL}, session=server_session)
        await tab.send_raw(tab.encode(msg, "shell"))
        msg_id = msg["header"]["msg_id"]
        while True:  # jupyter_server's activity watcher sees the cell running
            model = await server.arest("GET", f"/api/kernels/{kernel_id}")
            if model["execution_state"] == "busy":
                break
            await asyncio.sleep(0.05)
        for ws in (tab, other):
            seen = await ws.collect(msg_id, reply=ws is tab, timeout=20)
            assert any(
                m["msg_type"] == "stream" and "spoofed" in m["content"]["text"] for m in seen
            )
            preview = await ws.preview_after(msg_id, timeout=20)
            assert "spoof_1" in preview["content"]["preview"]["variables"]


async def test_previews_follow_a_kernel_without_status_topics(server):
    """A kernel whose statuses have no topic of their own: the server's client
    keeps its full subscription, and cells still get their previews."""
    name = topicless_kernel.install_kernelspec(server.workdir / "data")
    kernel_id = await asyncio.to_thread(server.start_kernel, name)
    try:
        async with open_ws(server, kernel_id) as ws:
            for variable in ("topicless_a", "topicless_b"):
                await _cell_gets_a_preview(ws, f"{variable} = 1", variable)
        assert "kernel statuses have no topic of their own (b'status')" in server.log()
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)
