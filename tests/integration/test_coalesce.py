"""Bursts of kernel messages are coalesced (the socket corked while more are queued), and
every message still arrives, in order, with nothing held once a burst is over.

How long a message takes is the benchmark's business (``bench/run.py``); these
tests look at the mechanism's state and at the TCP option of the server's socket.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import zmq

from beaker_server.coalesce import BURST_OPTION, BurstCoalescer

from ..support.coalesce_probe import PATH, held
from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import V1, reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(120)

#: Messages the kernel publishes in one go, faster than a server relays them:
#: the websocket's iopub socket has a queue behind most of them.
BURST = 3_000
BURST_CODE = f"""\
k = get_ipython().kernel
for i in range({BURST}):
    k.session.send(k.iopub_socket, "stream", {{"name": "stdout", "text": str(i)}},
                   parent=k.get_parent(), ident=k._topic("stream"))
"""


def state(coalescer: BurstCoalescer, sock: socket.socket) -> tuple[bool, bool, int]:
    """The coalescer's ``corked``, whether the socket holds partial segments, TCP_NODELAY."""
    return coalescer.corked, held(sock), sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


# -- the mechanism, on real sockets ---------------------------------------------------


@pytest.fixture
def tcp_socket() -> Iterator[socket.socket]:
    """The server side of a real TCP connection on the loopback, TCP_NODELAY set."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    yield server
    server.close()
    client.close()


class Source:
    """A ZMQ socket as a ``ZMQStream`` presents it: the relay's input has a ``socket``."""

    def __init__(self, socket: zmq.Socket) -> None:
        self.socket = socket


@pytest.fixture
def zmq_pair() -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    context = zmq.Context()
    push, pull = context.socket(zmq.PUSH), context.socket(zmq.PULL)
    pull.bind("inproc://coalesce-test")
    push.connect("inproc://coalesce-test")
    yield push, pull
    push.close(linger=0)
    pull.close(linger=0)
    context.term()


@pytest.mark.timeout(10)
def test_a_socket_is_corked_from_a_bursts_first_message_to_its_last(tcp_socket, zmq_pair):
    push, pull = zmq_pair
    coalescer = BurstCoalescer(tcp_socket)
    source = Source(pull)
    for i in range(3):
        push.send(b"%d" % i)
    states = []
    for _ in range(3):
        pull.recv()
        coalescer.after(source)
        states.append(state(coalescer, tcp_socket))
    # Two queued behind the first, one behind the second, none behind the last.
    corked = (True, True, 1 if BURST_OPTION[0] != socket.TCP_NODELAY else 0)
    assert states == [corked, corked, (False, False, 1)]
    assert coalescer.bursts == 1

    push.send(b"lone")
    pull.recv()
    coalescer.after(source)
    assert state(coalescer, tcp_socket) == (False, False, 1)
    assert coalescer.bursts == 1


@pytest.mark.timeout(10)
def test_a_message_from_anything_but_zmq_ends_a_burst(tcp_socket, zmq_pair):
    """A replayed message (a channel name) or a gateway's text has no queue to ask."""
    push, pull = zmq_pair
    coalescer = BurstCoalescer(tcp_socket)
    push.send(b"0")
    push.send(b"1")
    pull.recv()
    coalescer.after(Source(pull))
    assert coalescer.corked
    coalescer.after("iopub")
    assert state(coalescer, tcp_socket) == (False, False, 1)


# -- through a real server and kernel ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {
        "ServerApp": {"jpserver_extensions": {"tests.support.coalesce_probe": True}},
        # The rate limiter's drops are announced, and not what this is about.
        "ZMQChannelsWebsocketConnection": {"iopub_msg_rate_limit": 0, "iopub_data_rate_limit": 0},
        # No preview after a cell: its messages could be a burst of their own
        # under way when a test reads the socket's state.
        "BeakerServerApp": {"preview_enabled": False},
    }
    yield from serve(tmp_path_factory, "coalesce", config=config)


async def probe(server: JupyterServerProcess, kernel_id: str) -> dict:
    (connection,) = await server.arest("GET", f"{PATH}/{kernel_id}")
    return connection


async def test_a_burst_arrives_whole_in_order_and_then_nothing_is_held(
    server, fresh_kernel, protocol
):
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute("warm = 1")
        before = await probe(server, fresh_kernel)
        cell = await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        seen = await ws.collect(cell["header"]["msg_id"], timeout=90)
        after = await probe(server, fresh_kernel)
    assert reply_of(seen)["content"]["status"] == "ok"
    texts = [m["content"]["text"] for m in seen if m["msg_type"] == "stream"]
    assert texts == [str(i) for i in range(BURST)], f"{BURST - len(texts)} lost or out of order"
    # collect() returned: the idle came, and no output of the cell came after it.
    idle = next(
        i
        for i, m in enumerate(seen)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
    )
    assert all(m["msg_type"] != "stream" for m in seen[idle:])
    assert after["protocol"] == (V1 if protocol == "v1" else "legacy")
    # The burst was coalesced (the socket corked for at least one stretch of it) ...
    assert after["coalescing"] and after["bursts"] > before["bursts"], (before, after)
    # ... and once its last message was out, uncorked with TCP_NODELAY.
    assert (after["corked"], after["held"], after["tcp_nodelay"]) == (False, False, 1), after


async def test_a_lone_execute_leaves_the_socket_with_nodelay(server, fresh_kernel):
    """A reply and its idle status have nothing queued behind them: the socket
    is uncorked, at TCP_NODELAY=1, when they are out, also right after a burst."""
    async with open_ws(server, fresh_kernel) as ws:
        cell = await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        await ws.collect(cell["header"]["msg_id"], timeout=90)
        for code in ("x = 1", "x + 1", "print(x)"):
            got = await ws.execute(code)
            assert reply_of(got)["content"]["status"] == "ok"
            now = await probe(server, fresh_kernel)
            assert (now["corked"], now["held"], now["tcp_nodelay"]) == (False, False, 1), (
                code,
                now,
            )
