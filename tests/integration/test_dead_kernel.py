"""A kernel that dies for good takes the server's state for it along (in process)."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from beaker_server.errors import KernelUnavailable

from ..support.kernel_ws import KernelWebsocket, reply_of


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {"jpserver_extensions": {"beaker_server": True}},
        # No restart: the first death is final, as when every restart fails.
        "KernelRestarter": {"restart_limit": 0, "time_to_dead": 0.2},
    }


async def test_a_kernel_that_dies_for_good_is_freed(jp_serverapp, jp_fetch, jp_ws_fetch):
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({}))
    kernel_id = json.loads(response.body)["id"]
    conn = await jp_ws_fetch(
        "api", "kernels", kernel_id, "channels", subprotocols=["v1.kernel.websocket.jupyter.org"]
    )
    ws = KernelWebsocket(conn, "v1")
    sessions = jp_serverapp.web_app.settings["beaker_sessions"]
    try:
        reply = reply_of(await ws.request("preview_request", {}))
        assert reply["content"]["status"] == "ok"
        session = sessions.get(kernel_id)
        assert session is not None
        kernel = jp_serverapp.kernel_manager.get_kernel(kernel_id)
        os.kill(kernel.provisioner.pid, signal.SIGKILL)
        await _until_forgotten(sessions, kernel_id)
        assert kernel_id not in jp_serverapp.kernel_manager
        with pytest.raises(KernelUnavailable, match="shut down"):
            await session.kernel_client()
    finally:
        ws.close()


async def _until_forgotten(sessions, kernel_id: str) -> None:
    """No event says so: poll the server's table of kernel sessions (20 s at most)."""
    for _ in range(400):
        if sessions.get(kernel_id) is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server still keeps state for dead kernel {kernel_id}")
