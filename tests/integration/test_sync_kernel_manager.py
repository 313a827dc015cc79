"""A server configured with jupyter_server's synchronous ``MappingKernelManager``.

Its kernel managers bind their ZMQ streams to a background thread; the websocket
must still see every message, and our flows must still end (see
``beaker_server/loop_thread.py``). Restarts with it are in ``test_restart.py``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, kinds, reply_of
from .conftest import SYNC_KERNEL_MANAGER, open_ws, serve

LINES = 400
REQUESTS = 40


@pytest.fixture(scope="module")
def sync_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {"ServerApp": {"kernel_manager_class": SYNC_KERNEL_MANAGER}}
    yield from serve(tmp_path_factory, "sync", config=config)


async def _collect_all(ws: KernelWebsocket, msg_ids: list[str]) -> dict[str, list[dict]]:
    """Messages per parent, until every request has had its reply and its idle."""
    by_parent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unfinished = set(msg_ids)
    while unfinished:
        msg = await ws.recv(timeout=60)
        parent = msg["parent_header"].get("msg_id")
        if parent not in msg_ids:
            continue
        by_parent[parent].append(msg)
        seen = {kind for _, kind in kinds(by_parent[parent])}
        if "status:idle" in seen and any(kind.endswith("_reply") for kind in seen):
            unfinished.discard(parent)
    return by_parent


async def test_cell_output_and_custom_requests_interleave_without_loss(sync_server):
    """Kernel output written on the manager's thread and our replies written on the
    server's thread share one websocket: nothing may be lost, nothing may hang."""
    kernel_id = await asyncio.to_thread(sync_server.start_kernel)
    try:
        async with open_ws(sync_server, kernel_id) as ws:
            code = f"for i in range({LINES}):\n    print(i, flush=True)"
            cell = await ws.send("execute_request", {"code": code, "silent": False})
            requests = [
                await ws.send("evaluate_request", {"expression": f"{n} * 2"})
                for n in range(REQUESTS)
            ]
            msg_ids = [cell["header"]["msg_id"]] + [r["header"]["msg_id"] for r in requests]
            got = await _collect_all(ws, msg_ids)
        cell_messages = got[cell["header"]["msg_id"]]
        assert reply_of(cell_messages)["content"]["status"] == "ok"
        printed = "".join(m["content"]["text"] for m in cell_messages if m["msg_type"] == "stream")
        assert printed.split() == [str(i) for i in range(LINES)]
        for n, request in enumerate(requests):
            messages = got[request["header"]["msg_id"]]
            assert reply_of(messages)["content"] == {"status": "ok", "return": n * 2}
            assert kinds(messages)[0] == ("iopub", "status:busy")
            assert kinds(messages)[-1] == ("iopub", "status:idle")
    finally:
        await asyncio.to_thread(sync_server.shutdown_kernel, kernel_id)


async def test_a_cell_gets_its_preview(sync_server):
    """The execute_reply that triggers a preview arrives on the manager's thread."""
    kernel_id = await asyncio.to_thread(sync_server.start_kernel)
    try:
        async with open_ws(sync_server, kernel_id) as ws:
            cell = await ws.send(
                "execute_request", {"code": "seen_by_preview = 7", "silent": False}
            )
            preview = await ws.preview_after(cell["header"]["msg_id"])
        assert "seen_by_preview" in str(preview["content"])
    finally:
        await asyncio.to_thread(sync_server.shutdown_kernel, kernel_id)
