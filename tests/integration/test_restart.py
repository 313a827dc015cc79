"""A kernel restart or death while a handler waits on the kernel: ``aborted``, then normal.

Every test runs with jupyter_server's default (async) kernel manager and with the
synchronous one, which calls back from its own thread and reports no kernel actions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import kinds, reply_of
from .conftest import SYNC_KERNEL_MANAGER, open_ws, serve

SLOW = "__import__('time').sleep(60) or 1"


@pytest.fixture(scope="module", params=["async-manager", "sync-manager"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServerProcess]:
    config = {}
    if request.param == "sync-manager":
        config = {"ServerApp": {"kernel_manager_class": SYNC_KERNEL_MANAGER}}
    yield from serve(tmp_path_factory, request.param, config=config)


async def _restart_during_a_request(server, kernel_id: str, ws) -> list[dict]:
    """A REST restart while a slow request runs: that request ends ``aborted``.
    Returns the request's messages."""
    msg = await ws.send_until_busy("evaluate_twice_request", {"expression": SLOW})
    restart = asyncio.ensure_future(server.arest("POST", f"/api/kernels/{kernel_id}/restart"))
    got = await ws.collect(msg["header"]["msg_id"], timeout=60)
    await restart
    assert reply_of(got)["content"] == {"status": "aborted"}
    return got


async def test_restart_aborts_the_request_in_flight(server, protocol):
    kernel_id = server.start_kernel()
    try:
        async with open_ws(server, kernel_id, protocol) as ws:
            got = await _restart_during_a_request(server, kernel_id, ws)
            assert kinds(got)[-1] == ("iopub", "status:idle")
            again = reply_of(await ws.request("evaluate_request", {"expression": "2 + 3"}))
            assert again["content"] == {"status": "ok", "return": 5}
    finally:
        server.shutdown_kernel(kernel_id)


async def test_kernel_death_aborts_the_request_in_flight(server):
    kernel_id = server.start_kernel()
    try:
        async with open_ws(server, kernel_id) as ws:
            msg = await ws.send_until_busy("evaluate_twice_request", {"expression": SLOW})
            # Kill the kernel from another request: the auto-restarter brings it back.
            await ws.send(
                "execute_request",
                {"code": "import os; os._exit(1)", "silent": False},
                channel="control",
            )
            got = await ws.collect(msg["header"]["msg_id"], timeout=60)
            assert reply_of(got)["content"] == {"status": "aborted"}
            again = reply_of(await ws.request("evaluate_request", {"expression": "2 + 3"}))
            assert again["content"] == {"status": "ok", "return": 5}
            # jupyter_server's own restart callback still reaches the websocket.
            states = [m["content"].get("execution_state") for m in ws.received]
            assert "restarting" in states
    finally:
        server.shutdown_kernel(kernel_id)


async def test_restart_of_a_slowly_exiting_kernel_aborts_the_request(server):
    """A restart interrupts the kernel, then waits for it to exit (here slowly, by an
    exit hook) before starting the new one: the request in flight ends ``aborted``."""
    kernel_id = server.start_kernel()
    try:
        async with open_ws(server, kernel_id) as ws:
            hook = "import atexit, time; atexit.register(time.sleep, 2)"
            assert reply_of(await ws.execute(hook))["content"]["status"] == "ok"
            await _restart_during_a_request(server, kernel_id, ws)
    finally:
        server.shutdown_kernel(kernel_id)
