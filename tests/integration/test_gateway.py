"""beaker_server with kernels behind a Jupyter Kernel Gateway (``--gateway-url``).

A real gateway runs in a subprocess, and a beaker server points its
``GatewayClient`` at it: kernels then live in the gateway, user websockets go
through ``GatewayWebSocketConnection`` (legacy JSON protocol, forced), and the
server's own requests go through :class:`GatewayWebsocketClient`. The client is
also tested on its own, in this process, against the same gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.session import Session
from jupyter_server.gateway.gateway_client import GatewayClient

from beaker_server.errors import KernelUnavailable
from beaker_server.kernel.client import new_session_id
from beaker_server.kernel.gateway_client import GatewayWebsocketClient

from ..support.greet_flow import assert_greet_flow
from ..support.jupyter_process import JupyterProcess, JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, kinds, nudges, reply_of
from .conftest import serve

#: What bounds each wait on the gateway or the kernel.
WAIT = 30.0


class KernelGatewayProcess(JupyterProcess):
    """Start, query and stop one Jupyter Kernel Gateway (jupyter-websocket mode)."""

    name = "kernel gateway"
    status_path = "/api"
    #: SIGTERM: the gateway shuts its kernels down before it exits.
    shutdown_path = None
    rest_timeout = WAIT

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "gateway.log")

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "kernel_gateway",
            "--KernelGatewayApp.ip=127.0.0.1",
            f"--KernelGatewayApp.port={self.port}",
            "--KernelGatewayApp.port_retries=0",
            "--KernelGatewayApp.log_level=DEBUG",
            # jupyter_server lists kernels (its /api/status does): stock KG says 403.
            "--JupyterWebsocketPersonality.list_kernels=True",
            # No iopub rate limits, so a large output really reaches every socket.
            "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0",
            "--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=0",
        ]

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["KG_AUTH_TOKEN"] = self.token  # not on the command line, where ps shows it
        return env

    def client_config(self) -> GatewayClient:
        """A GatewayClient for this gateway (not the process-wide singleton)."""
        return GatewayClient(url=self.base_url, auth_token=self.token)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelGatewayProcess]:
    proc = KernelGatewayProcess(tmp_path_factory.mktemp("gateway")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def gw_server(
    tmp_path_factory: pytest.TempPathFactory, gateway: KernelGatewayProcess
) -> Iterator[JupyterServerProcess]:
    """A beaker server whose kernels all live in ``gateway``."""
    yield from serve(
        tmp_path_factory,
        "beaker-gw",
        config={"GatewayClient": {"url": gateway.base_url, "auth_token": gateway.token}},
    )


@pytest.fixture(scope="module")
def gw_kernel(gw_server: JupyterServerProcess) -> Iterator[str]:
    kernel = gw_server.start_kernel()
    yield kernel
    gw_server.shutdown_kernel(kernel)


@contextlib.asynccontextmanager
async def open_legacy(server: JupyterServerProcess, kernel_id: str) -> AsyncIterator[Any]:
    """A user websocket: the gateway path speaks only the legacy JSON protocol."""
    ws = await asyncio.wait_for(
        KernelWebsocket.open(server.ws_url, server.token, kernel_id, "legacy"), WAIT
    )
    try:
        yield ws
    finally:
        ws.close()


# -- the beaker server in gateway mode ----------------------------------------------


def test_kernels_live_in_the_gateway(gateway, gw_server, gw_kernel):
    assert gw_kernel in {k["id"] for k in gateway.rest("GET", "/api/kernels")}
    assert "wrapping GatewayWebSocketConnection" in gw_server.log()


async def test_full_flow_in_order(gw_server, gw_kernel):
    async with open_legacy(gw_server, gw_kernel) as ws:
        msg = await ws.send("greet_request", {"who": "ada"})
        got = await ws.collect(msg["header"]["msg_id"], timeout=WAIT)
    assert_greet_flow(msg, got, "ada")


async def test_previews_follow_cells_through_the_gateway(gw_server, gw_kernel):
    """The kernel's statuses reach the server's gateway client: each cell gets
    its preview, also one sent while another websocket was reloaded."""
    async with open_legacy(gw_server, gw_kernel) as before:
        await before.send_until_busy("execute_request", {"code": "import time; time.sleep(1)"})
    async with open_legacy(gw_server, gw_kernel) as ws:
        for name in ("gw_first", "gw_second"):
            cell = await ws.send("execute_request", {"code": f"{name} = 1", "silent": False})
            preview = await ws.preview_after(cell["header"]["msg_id"], timeout=WAIT)
            assert name in preview["content"]["preview"]["variables"]


async def test_evaluate_through_the_gateway(gw_server, gw_kernel):
    async with open_legacy(gw_server, gw_kernel) as ws:
        got = await ws.request("evaluate_request", {"expression": "1 + 1"})
    assert reply_of(got)["content"] == {"status": "ok", "return": 2}
    assert [k for k in kinds(got) if k[0] == "iopub"] == [
        ("iopub", "status:busy"),
        ("iopub", "status:idle"),
    ]


async def test_save_and_load_a_variable_through_the_gateway(gw_server, gw_kernel):
    """Values travel as binary comm buffers both ways over the gateway's websocket."""
    async with open_legacy(gw_server, gw_kernel) as ws:
        setup = reply_of(await ws.execute("kept = bytes(range(256)) * 4"))
        assert setup["content"]["status"] == "ok"
        got = await ws.request("save_var_request", {"name": "kept"})
        saved = reply_of(got)["content"]
        assert saved["status"] == "ok", saved
        assert [k for k in kinds(got) if k[0] == "iopub"] == [
            ("iopub", "status:busy"),
            ("iopub", "stream"),
            ("iopub", "save_var_response"),
            ("iopub", "status:idle"),
        ]
        request = {"id": saved["return"]["id"], "name": "back"}
        loaded = reply_of(await ws.request("load_var_request", request))["content"]
        assert loaded["status"] == "ok", loaded
        same = await ws.request("evaluate_request", {"expression": "back == kept"})
    assert reply_of(same)["content"] == {"status": "ok", "return": True}


async def test_evaluate_is_invisible_to_every_client(gw_server, gw_kernel):
    """Nothing the internal gateway client causes (status, streams) reaches a websocket."""
    async with open_legacy(gw_server, gw_kernel) as a, open_legacy(gw_server, gw_kernel) as b:
        msg = await a.send("evaluate_twice_request", {"expression": "print('hidden') or 7"})
        msg_id = msg["header"]["msg_id"]
        got = await a.collect(msg_id, timeout=WAIT)
        assert reply_of(got)["content"] == {"status": "ok", "return": [7, 7]}
        evaluated = await a.send("evaluate_request", {"expression": "1 + 1"})
        evaluated_id = evaluated["header"]["msg_id"]
        assert reply_of(await a.collect(evaluated_id, timeout=WAIT))["content"]["return"] == 2
        # A marker request on each socket: everything before its idle has arrived.
        for ws in (a, b):
            marker = await ws.send("kernel_info_request")
            await ws.collect(marker["header"]["msg_id"], timeout=WAIT)
            parents = {m["parent_header"].get("msg_id") for m in ws.received}
            mine = {msg_id, evaluated_id, marker["header"]["msg_id"], None}
            assert parents <= mine | nudges(ws)
            for request in (msg_id, evaluated_id):
                ours = [m for m in ws.received if m["parent_header"].get("msg_id") == request]
                assert [k for k in kinds(ours) if k[0] == "iopub"] == [
                    ("iopub", "status:busy"),
                    ("iopub", "status:idle"),
                ]
            assert not any("hidden" in json.dumps(m["content"]) for m in ws.received)
            assert not any(
                m["parent_header"].get("session", "").startswith("beaker-server-")
                for m in ws.received
            )


async def test_a_table_is_explored_through_the_gateway_while_a_cell_runs(gw_server, gw_kernel):
    """The Data Explorer needs subshells: the server makes them on the control
    channel of its gateway websocket, and pages a table beside a sleeping cell."""
    async with open_legacy(gw_server, gw_kernel) as ws:
        frame = "import pandas as pd; gw_df = pd.DataFrame({'a': range(1000)})"
        assert reply_of(await ws.execute(frame))["content"]["status"] == "ok"
        cell = await ws.send_until_busy("execute_request", {"code": "import time; time.sleep(20)"})
        opened = reply_of(await ws.request("table_open_request", {"name": "gw_df", "rows": 2}))
        assert opened["content"]["status"] == "ok", opened
        view = opened["content"]["return"]["view"]
        sorted_ = reply_of(
            await ws.request(
                "table_sort_request", {"view": view, "keys": [{"column": 0, "ascending": False}]}
            )
        )
        assert sorted_["content"]["status"] == "ok", sorted_
        page = reply_of(
            await ws.request(
                "table_rows_request",
                {"view": view, "generation": 1, "start": 0, "count": 2},
            )
        )
        running = cell["header"]["msg_id"]
        await gw_server.arest("POST", f"/api/kernels/{gw_kernel}/interrupt")
        done = reply_of(await ws.collect(running, timeout=WAIT))
    assert opened["content"]["return"]["first"]["columns"][0]["values"] == ["0", "1"]
    assert page["content"]["return"]["columns"][0]["values"] == ["999", "998"]
    assert done["content"]["status"] == "error"  # the cell ran all along, till interrupted


async def test_execute_round_trip_is_unchanged(gw_server, gw_kernel):
    async with open_legacy(gw_server, gw_kernel) as ws:
        first = await ws.execute("print('hi'); 40 + 2")
        await ws.request("evaluate_request", {"expression": "3 * 3"})
        second = await ws.execute("'again'")
    # The cell's preview is the server's, parented to it too; through a gateway it
    # may overtake the cell's last messages (the server hears the kernel on a
    # websocket of its own, and the subshell answers at once).
    first = [m for m in first if m["msg_type"] != "preview"]
    assert [k for k in kinds(first) if k[0] == "iopub"] == [
        ("iopub", "status:busy"),
        ("iopub", "execute_input"),
        ("iopub", "stream"),
        ("iopub", "execute_result"),
        ("iopub", "status:idle"),
    ]
    stream = next(m for m in first if m["msg_type"] == "stream")
    assert stream["content"] == {"name": "stdout", "text": "hi\n"}
    result = next(m for m in first if m["msg_type"] == "execute_result")
    assert result["content"]["data"] == {"text/plain": "42"}
    reply = reply_of(first)["content"]
    assert reply["status"] == "ok"
    assert result["content"]["execution_count"] == reply["execution_count"]
    # The evaluate in between ran silently: the execution count moved by one.
    assert reply_of(second)["content"]["execution_count"] == reply["execution_count"] + 1
    for m in first:
        assert m["parent_header"]["session"] == ws.session


async def test_restart_aborts_then_the_client_reconnects(gw_server):
    """A REST restart reaches the session through the kernel-action event."""
    kernel_id = gw_server.start_kernel()
    try:
        async with open_legacy(gw_server, kernel_id) as ws:
            warm = await ws.request("evaluate_request", {"expression": "1"})
            assert reply_of(warm)["content"] == {"status": "ok", "return": 1}
            slow = "__import__('time').sleep(60) or 1"
            msg = await ws.send("evaluate_request", {"expression": slow})
            busy = await ws.recv(WAIT)
            assert kinds([busy]) == [("iopub", "status:busy")]
            await asyncio.sleep(0.5)  # let the evaluate reach the kernel
            restart = asyncio.ensure_future(
                gw_server.arest("POST", f"/api/kernels/{kernel_id}/restart")
            )
            got = await ws.collect(msg["header"]["msg_id"], timeout=60)
            await asyncio.wait_for(restart, 60)
            # The gateway interrupts the kernel before restarting it, and the server
            # hears of the restart only once the gateway has finished it: the
            # kernel's own KeyboardInterrupt may end the request before the abort.
            content = reply_of(got)["content"]
            assert content == {"status": "aborted"} or (
                content.get("status") == "error" and content.get("ename") == "KeyboardInterrupt"
            ), content
            assert kinds(got)[-1] == ("iopub", "status:idle")
            again = await ws.request("evaluate_request", {"expression": "2 + 3"})
            assert reply_of(again)["content"] == {"status": "ok", "return": 5}
    finally:
        gw_server.shutdown_kernel(kernel_id)


# -- the client on its own -------------------------------------------------------------


def _client(gateway: KernelGatewayProcess, kernel_id: str) -> GatewayWebsocketClient:
    session = Session(session=new_session_id(), username="beaker_server")
    return GatewayWebsocketClient(kernel_id, session, gateway=gateway.client_config())


async def _until_idle(
    client: GatewayWebsocketClient, msg_id: str, timeout: float = WAIT
) -> list[dict[str, Any]]:
    """The iopub messages of one request, up to its idle status."""
    got = []
    while True:
        msg = await asyncio.wait_for(client.iopub_channel.get_msg(), timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        got.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return got


async def test_client_requests_and_message_shape(gateway, gw_kernel):
    client = _client(gateway, gw_kernel)
    await asyncio.wait_for(client.start_channels(), WAIT)
    try:
        msg_id = client.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={"v": "6 * 7"},
            allow_stdin=False,
            stop_on_error=False,
        )
        reply = await asyncio.wait_for(client.shell_channel.get_msg(), WAIT)
        iopub = await _until_idle(client, msg_id)
        info_id = client.kernel_info()
        info = await asyncio.wait_for(client.shell_channel.get_msg(), WAIT)
    finally:
        client.stop_channels()
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["parent_header"]["session"] == client.session.session
    assert reply["msg_type"] == reply["header"]["msg_type"] == "execute_reply"
    assert reply["msg_id"] == reply["header"]["msg_id"]
    assert reply["channel"] == "shell"
    assert set(reply) >= {"header", "parent_header", "msg_type", "msg_id", "content", "metadata"}
    assert reply["content"]["user_expressions"]["v"]["data"] == {"text/plain": "42"}
    assert [m["content"]["execution_state"] for m in iopub] == ["busy", "idle"]
    assert info["parent_header"]["msg_id"] == info_id
    assert info["content"]["protocol_version"].startswith("5.")


async def test_client_waits_without_spinning_and_closes_cleanly(gateway, gw_kernel):
    """An idle reader costs no CPU; stopping ends readers, the reader task and the socket."""
    client = _client(gateway, gw_kernel)
    await asyncio.wait_for(client.start_channels(), WAIT)
    reader, conn = client._reader, client._conn
    assert reader is not None and conn is not None
    # The gateway nudges each new websocket with kernel_info requests in our
    # session: drain their answers until the socket goes quiet.
    for channel in (client.shell_channel, client.iopub_channel):
        with contextlib.suppress(queue.Empty):
            for _ in range(100):
                await channel.get_msg(timeout=0.5)
    waiters = [
        asyncio.ensure_future(client.shell_channel.get_msg()),
        asyncio.ensure_future(client.iopub_channel.get_msg()),
    ]
    cpu = time.process_time()
    await asyncio.sleep(1.0)
    # jupyter_server's GatewayKernelClient would spend the whole second polling.
    assert time.process_time() - cpu < 0.3
    assert not any(w.done() for w in waiters)

    client.stop_channels()
    for waiter in waiters:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiter, 5)
    await asyncio.wait_for(asyncio.gather(reader, return_exceptions=True), 5)
    assert reader.done()
    assert not client.channels_running
    # Later readers end at once too, and requests fail with a typed error.
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(client.iopub_channel.get_msg(), 5)
    with pytest.raises(KernelUnavailable):
        client.kernel_info()
    with pytest.raises(RuntimeError):
        await client.start_channels()
    # The websocket is closed: the gateway's side finishes the close handshake.
    assert await asyncio.wait_for(conn.read_message(), 5) is None
    assert conn.protocol is None


async def test_client_survives_a_large_output_of_someone_else(gateway, gw_kernel):
    """Every iopub message fans out to us; one over tornado's 10 MiB default must
    not close our socket (jupyter_server's GatewayWebSocketConnection loses it)."""
    ours, other = _client(gateway, gw_kernel), _client(gateway, gw_kernel)
    await asyncio.wait_for(ours.start_channels(), WAIT)
    await asyncio.wait_for(other.start_channels(), WAIT)
    try:
        big = other.execute("print('x' * 12_000_000)", silent=True, store_history=False)
        streams = [m for m in await _until_idle(other, big, 60) if m["msg_type"] == "stream"]
        assert sum(len(m["content"]["text"]) for m in streams) == 12_000_001
        info = ours.kernel_info()
        reply = await asyncio.wait_for(_reply_to(ours, info), WAIT)
        assert reply["msg_type"] == "kernel_info_reply"
        assert ours.channels_running
    finally:
        ours.stop_channels()
        other.stop_channels()


async def _reply_to(client: GatewayWebsocketClient, msg_id: str) -> dict[str, Any]:
    """The shell reply to ``msg_id`` (skipping the answers to the gateway's nudges)."""
    while True:
        msg = await client.shell_channel.get_msg()
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


async def test_client_connect_failure_is_bounded(gateway):
    client = _client(gateway, "00000000-0000-0000-0000-000000000000")
    # tornado's HTTP or websocket error for the gateway's 404, whichever it raises
    with pytest.raises(Exception) as raised:
        await asyncio.wait_for(client.start_channels(), WAIT)
    assert not isinstance(raised.value, asyncio.TimeoutError)
    assert not client.channels_running


async def test_client_stop_while_connecting_leaks_nothing(gateway, gw_kernel):
    client = _client(gateway, gw_kernel)
    starting = asyncio.ensure_future(client.start_channels())
    await asyncio.sleep(0)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    client.stop_channels()
    assert not client.channels_running
    # The handshake went on without us; once it completes, the socket is closed.
    closed = f"Websocket closed {gw_kernel}:{client.session.session}"
    for _ in range(int(WAIT / 0.05)):  # the gateway's log is all there is to watch
        if closed in gateway.log():
            break
        await asyncio.sleep(0.05)
    assert closed in gateway.log()


def test_server_log_is_clean(gw_server):
    """Run last: no leaked task, unretrieved exception or busy gateway client."""
    log = gw_server.log()
    for needle in (
        "Task was destroyed but it is pending",
        "exception was never retrieved",
        "Response router",
        "internal iopub reader stopped",
        "internal shell reader stopped",
    ):
        assert needle not in log, needle
