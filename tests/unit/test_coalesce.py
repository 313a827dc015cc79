"""The burst coalescing mechanism on real sockets, in this process: the socket is
corked from a burst's first message to its last, and anything but a ZMQ stream ends
a burst. Through a real server and kernel: tests/integration/test_coalesce.py.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import zmq

from beaker_server.coalesce import BURST_OPTION, BurstCoalescer

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
