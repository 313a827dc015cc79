"""Preview settings that need a server of their own: a short stall limit, previews off."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import reply_of
from .conftest import open_ws, serve

STALL_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def stalling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {"BeakerServerApp": {"preview_stall_timeout": STALL_TIMEOUT}}
    yield from serve(tmp_path_factory, "stall", config=config)


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    yield from serve(
        tmp_path_factory, "quiet", config={"BeakerServerApp": {"preview_enabled": False}}
    )


async def test_a_stalled_preview_is_given_up_and_the_next_one_arrives(stalling_server):
    """A repr that does not return holds our subshell; after the stall limit the
    server moves to a new subshell, and the next cell's preview arrives. Once the
    repr returns, the stalled subshell is deleted: no thread is left behind."""
    server = stalling_server
    kernel_id = await asyncio.to_thread(server.start_kernel)
    stuck = (
        "import threading\n"
        "repr_started, release = threading.Event(), threading.Event()\n"
        "class Stuck:\n"
        "    def __repr__(self):\n"
        "        repr_started.set()\n"
        "        release.wait(60)\n"
        "        return 'stuck'\n"
        "stuck = Stuck()"
    )
    # Runs on the main shell while the preview's repr holds the subshell.
    after = "assert repr_started.wait(30)\ndel stuck, repr_started, Stuck, threading\nafter = 1"
    try:
        async with open_ws(server, kernel_id) as ws:
            assert reply_of(await ws.execute(stuck))["content"]["status"] == "ok"
            cell = await ws.send("execute_request", {"code": after})
            # The stuck run is given up after STALL_TIMEOUT, well before its 60 s.
            preview = await ws.preview_after(cell["header"]["msg_id"], timeout=20)
            assert len(await ws.subshells()) == 2  # the stalled one and its successor
            assert reply_of(await ws.execute("release.set()"))["content"]["status"] == "ok"
            # The delete follows the stalled request's return, a moment later.
            deadline = asyncio.get_running_loop().time() + 15
            remaining = await ws.subshells()
            while len(remaining) > 1 and asyncio.get_running_loop().time() < deadline:
                remaining = await ws.subshells()
            assert len(remaining) == 1
        variables = preview["content"]["preview"]["variables"]
        assert variables["after"]["text/plain"] == "1"
        assert "stuck" not in variables
        assert "a request on our subshell stalled" in server.log()
        assert "free again after a stall" in server.log()
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)


async def test_previews_off_sends_none_and_rest_says_disabled(quiet_server):
    server = quiet_server
    kernel_id = await asyncio.to_thread(server.start_kernel)
    try:
        async with open_ws(server, kernel_id) as ws:
            for code in ("x = 1", "y = [1, 2]"):
                assert reply_of(await ws.execute(code))["content"]["status"] == "ok"
            cached = await server.arest("GET", f"/beaker/api/kernels/{kernel_id}/preview")
            # On demand still works: preview_request computes one.
            asked = reply_of(await ws.request("preview_request", {}))["content"]
            pushed = [m for m in ws.received if m["msg_type"] == "preview"]
        assert cached == {"preview": {}, "meta": {"state": "disabled", "live": False}}
        assert asked["status"] == "ok"
        assert asked["return"]["meta"]["live"] is False  # the panel says it will not update
        assert set(asked["return"]["preview"]["variables"]) == {"x", "y"}
        assert pushed == []
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)


async def test_a_table_request_during_a_cell_leaves_its_input_working(quiet_server, tmp_path):
    """With previews off, a Data Explorer request on the subshell while a cell
    runs must not switch that cell's ``input()`` off (ipykernel sets input
    forwarding kernel-wide per execute request): the guard is installed with it."""
    import os

    server = quiet_server
    kernel_id = await asyncio.to_thread(server.start_kernel)
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    code = (
        "print('waiting', flush=True)\n"
        f"open({str(fifo)!r}).read()  # until the test writes: a table request runs meanwhile\n"
        "typed = input('name? ')"
    )
    try:
        async with open_ws(server, kernel_id) as ws:
            await ws.execute("import pandas as pd; df = pd.DataFrame({'a': [1, 2]})")
            cell = await ws.send("execute_request", {"code": code, "allow_stdin": True})
            while (await ws.recv())["msg_type"] != "stream":
                pass
            opened = reply_of(await ws.request("table_open_request", {"name": "df"}))
            assert opened["content"]["status"] == "ok", opened["content"]
            await asyncio.to_thread(fifo.write_text, "go")
            while True:
                m = await ws.recv()
                if m["msg_type"] == "input_request" or m["msg_type"] == "execute_reply":
                    break
            assert m["msg_type"] == "input_request", m["content"]
            await ws.send("input_reply", {"value": "ada"}, "stdin")
            done = await ws.collect(cell["header"]["msg_id"])
        assert reply_of(done)["content"]["status"] == "ok"
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)
