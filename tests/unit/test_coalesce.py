"""The burst coalescing mechanism on real sockets, in this process: the socket is
corked from a burst's first message to its last, and anything but a ZMQ stream ends
a burst. Through a real server and kernel: tests/integration/test_coalesce.py.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import zmq

from beaker_server.websocket.coalesce import BURST_OPTION, BurstCoalescer

from ..support.coalesce_probe import held


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


# -- the decisions, with no socket -------------------------------------------------------


class RecordingSocket:
    """Stands in for the websocket's TCP socket: keeps the options set on it."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.options: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:
        if self.refuse:
            raise OSError(9, "Bad file descriptor")
        self.options.append((level, option, value))


class Queue:
    """A ``ZMQStream`` whose socket says whether another message is queued."""

    def __init__(self) -> None:
        self.socket = self
        self.queued = False

    def get(self, option: int) -> int:
        assert option == zmq.EVENTS
        return zmq.POLLIN if self.queued else 0


CORK = (socket.IPPROTO_TCP, BURST_OPTION[0], BURST_OPTION[1])
UNCORK = (socket.IPPROTO_TCP, BURST_OPTION[0], BURST_OPTION[2])


def test_the_option_changes_at_a_bursts_two_edges_only():
    sock, queue = RecordingSocket(), Queue()
    coalescer = BurstCoalescer(sock)  # type: ignore[arg-type]
    queue.queued = True
    for _ in range(5):
        coalescer.after(queue)
    assert (coalescer.corked, coalescer.bursts, sock.options) == (True, 1, [CORK])
    queue.queued = False
    coalescer.after(queue)
    assert (coalescer.corked, coalescer.bursts, sock.options) == (False, 1, [CORK, UNCORK])
    queue.queued = True
    coalescer.after(queue)
    assert coalescer.bursts == 2


def test_lone_messages_never_touch_the_socket():
    sock, queue = RecordingSocket(), Queue()
    coalescer = BurstCoalescer(sock)  # type: ignore[arg-type]
    for source in (queue, queue, "iopub", None, object()):
        coalescer.after(source)
    assert (coalescer.corked, coalescer.bursts, sock.options) == (False, 0, [])


def test_release_uncorks_at_once():
    sock, queue = RecordingSocket(), Queue()
    coalescer = BurstCoalescer(sock)  # type: ignore[arg-type]
    queue.queued = True
    coalescer.after(queue)
    coalescer.release()
    assert (coalescer.corked, sock.options) == (False, [CORK, UNCORK])


def test_a_socket_that_refuses_the_option_is_left_alone_from_then_on():
    sock, queue = RecordingSocket(refuse=True), Queue()
    coalescer = BurstCoalescer(sock)  # type: ignore[arg-type]
    queue.queued = True
    coalescer.after(queue)
    assert (coalescer.corked, coalescer.bursts) == (False, 0)
    sock.refuse = False
    for queued in (True, False, True):
        queue.queued = queued
        coalescer.after(queue)
    assert (coalescer.corked, coalescer.bursts, sock.options) == (False, 0, [])


class Handler:
    """A tornado websocket handler as far as ``for_websocket`` looks at it."""

    def __init__(self, sock: object) -> None:
        stream = type("Stream", (), {"socket": sock})()
        self.ws_connection = type("Connection", (), {"stream": stream})()


def test_only_a_tcp_websocket_is_coalesced():
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unix, other = socket.socketpair(socket.AF_UNIX)
    try:
        coalescer = BurstCoalescer.for_websocket(Handler(tcp))
        assert isinstance(coalescer, BurstCoalescer) and not coalescer.corked
        assert BurstCoalescer.for_websocket(Handler(unix)) is None
        assert BurstCoalescer.for_websocket(Handler(RecordingSocket())) is None
        assert BurstCoalescer.for_websocket(object()) is None  # closed: no ws_connection
    finally:
        for s in (tcp, unix, other):
            s.close()
