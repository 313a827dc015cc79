"""Nothing the kernel publishes is lost silently when the server falls behind.

The server here is slowed on purpose (tests/support/slow_server.py), and the kernel
floods iopub with more than the queues between them hold at ZMQ's defaults.
"""

from __future__ import annotations

import ast
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import zmq
import zmq.asyncio

from ..support import client_probe
from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(240)

#: More than the queues between a kernel and a server hold by default: ZMQ's
#: 1,000 messages on each side, and what the TCP buffers between take (the
#: padding makes that a few thousand messages, not tens of thousands).
FLOOD = 10_000
FLOOD_CODE = f"""\
k = get_ipython().kernel
pad = "." * 4096
for i in range({FLOOD}):
    k.session.send(k.iopub_socket, "display_data",
                   {{"data": {{"text/plain": str(i)}}, "metadata": {{"pad": pad}}}},
                   parent=k.get_parent(), ident=b"display_data")
"""

#: The rate limiter's drops are announced, and not what this is about.
NO_RATE_LIMIT = {"iopub_msg_rate_limit": 0, "iopub_data_rate_limit": 0}
SLOW = {
    "jpserver_extensions": {"tests.support.slow_server": True, "tests.support.client_probe": True}
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    """Slowed, with the extension's defaults."""
    config = {"ServerApp": SLOW, "ZMQChannelsWebsocketConnection": NO_RATE_LIMIT}
    yield from serve(tmp_path_factory, "slow", config=config)


@pytest.fixture(scope="module")
def short_queue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    """Slowed, and its sockets queue only ZMQ's default of 1,000 messages: the
    kernel's queue fills at every stall, so only the kernel's waiting saves the
    flood (given all the time the slowed server needs)."""
    config = {
        "ServerApp": SLOW,
        "ZMQChannelsWebsocketConnection": NO_RATE_LIMIT,
        "BeakerServerApp": {"zmq_receive_hwm": 1000, "kernel_iopub_wait": 60.0},
    }
    yield from serve(tmp_path_factory, "slow-short-queue", config=config)


_warm_cells = itertools.count()


async def _warm(ws: KernelWebsocket) -> None:
    """A cell and its preview: the server has set the kernel up by then."""
    code = f"warm_{next(_warm_cells)} = 1"
    warm = await ws.send("execute_request", {"code": code, "silent": False})
    await ws.preview_after(warm["header"]["msg_id"])


async def _flood(server: JupyterServerProcess, kernel_id: str, protocol: str) -> list[int]:
    """The flood's outputs a websocket received, checked to end with the cell's idle."""
    assert "tests.support.slow_server: the event loop stalls" in server.log()
    async with open_ws(server, kernel_id, protocol) as ws:
        await _warm(ws)
        cell = await ws.send("execute_request", {"code": FLOOD_CODE, "silent": False})
        seen = await ws.collect(cell["header"]["msg_id"], timeout=120)
    # collect() returned: the cell's idle status arrived, and nothing of it after.
    idle = next(i for i, m in enumerate(seen) if m["msg_type"] == "status" and i > 0)
    assert seen[idle]["content"]["execution_state"] == "idle"
    assert all(m["msg_type"] != "display_data" for m in seen[idle:])
    return [
        int(m["content"]["data"]["text/plain"]) for m in seen if m["msg_type"] == "display_data"
    ]


def _lost(shown: list[int]) -> str:
    missing = sorted(set(range(FLOOD)) - set(shown))
    return f"{len(missing)} of {FLOOD} lost, from {missing[:3]} to {missing[-3:]}"


async def test_a_flood_through_a_slowed_server_loses_nothing(server, kernel_id, protocol):
    """Each protocol's websocket in turn, the second after the first has closed
    (its ZMQ connections are made after the kernel's socket was bound). The
    server's own queue holds the flood; what overflowed was the kernel's, when
    the server's ZMQ I/O thread did not get the CPU in time: without the
    kernel's waiting, about half the runs here lost some hundreds. The next
    test makes that overflow certain."""
    shown = await _flood(server, kernel_id, protocol)
    assert shown == list(range(FLOOD)), _lost(shown)


async def test_the_servers_own_client_takes_statuses_alone_from_the_first_cell(
    server, fresh_kernel
):
    """The server's client subscribes to the kernel's statuses alone as soon as
    it has learnt their topic (it kept every message for 10 s before): a user's
    first cells' outputs are not received twice by the server."""
    async with open_ws(server, fresh_kernel) as ws:
        await _warm(ws)
        state = await server.arest("GET", f"{client_probe.PATH}/{fresh_kernel}")
    assert state == {"connected": True, "full_subscription": False, "status_topic": True}


async def test_the_kernel_waits_for_a_server_whose_queue_is_full(short_queue_server):
    """With the server's own queue at ZMQ's default, the kernel's iopub socket
    waits instead of dropping what the slowed server has not taken yet."""
    kernel_id = short_queue_server.start_kernel()
    try:
        shown = await _flood(short_queue_server, kernel_id, "legacy")
        assert shown == list(range(FLOOD)), _lost(shown)
    finally:
        short_queue_server.shutdown_kernel(kernel_id)


async def _kernel_value(server: JupyterServerProcess, kernel_id: str, expression: str) -> Any:
    async with open_ws(server, kernel_id) as ws:
        reply = reply_of(await ws.execute("", user_expressions={"v": expression}))
    value = reply["content"]["user_expressions"]["v"]
    assert value["status"] == "ok", value
    return ast.literal_eval(value["data"]["text/plain"])


PATIENT = "type(get_ipython().kernel.iopub_socket.io_thread.socket).__name__"


async def test_a_restarted_kernel_waits_for_its_subscribers_too(server, fresh_kernel):
    """The set-up is per kernel process: the new one after a restart gets it."""
    kernel_id, pid = fresh_kernel, "__import__('os').getpid()"
    async with open_ws(server, kernel_id) as ws:
        await _warm(ws)
        before = await _kernel_value(server, kernel_id, pid)
        assert await _kernel_value(server, kernel_id, PATIENT) == "PatientIopubSocket"
        await server.arest("POST", f"/api/kernels/{kernel_id}/restart")
        await ws.until_iopub_answers()  # the websocket's streams have reconnected
        await _warm(ws)
        assert await _kernel_value(server, kernel_id, pid) != before
        assert await _kernel_value(server, kernel_id, PATIENT) == "PatientIopubSocket"


async def test_a_stuck_subscriber_does_not_stall_the_kernel(server, kernel_id):
    """A client on the kernel's iopub port that never reads (a console stopped
    with Ctrl-Z) fills its queues: the kernel waits for it once, then drops for
    it alone, and the websocket still gets the whole flood and its idle."""
    connection = json.loads((server.workdir / "runtime" / f"kernel-{kernel_id}.json").read_text())
    context = zmq.asyncio.Context()
    stuck = context.socket(zmq.SUB)
    stuck.setsockopt(zmq.RCVHWM, 10)
    stuck.setsockopt(zmq.SUBSCRIBE, b"")
    stuck.connect(f"{connection['transport']}://{connection['ip']}:{connection['iopub_port']}")
    try:
        # Connected (subscribed) once it has received something: the first message.
        async with open_ws(server, kernel_id) as ws:
            await _warm(ws)
        await stuck.recv_multipart()
        given_up = "get_ipython().kernel.iopub_socket.io_thread.socket.beaker_gave_up"
        before = await _kernel_value(server, kernel_id, given_up)
        shown = await _flood(server, kernel_id, "v1")
        assert shown == list(range(FLOOD)), _lost(shown)
        assert await _kernel_value(server, kernel_id, given_up) > before
    finally:
        stuck.close(linger=0)
        context.term()
