"""The kernel procedure's patient iopub socket, on real ZMQ sockets over TCP.

``PatientIopubSocket`` (beaker_server/kernel/python_iopub.py) waits
for a subscriber whose queue is full instead of dropping for it, gives up on
one that stays full, and then serves it as ZMQ does for a while. The kernel
side of the same is tested end to end in tests/integration/test_relay_under_load.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import zmq

from beaker_server.kernel.python_iopub import PatientIopubSocket

pytestmark = pytest.mark.timeout(30)

#: More than a subscriber's queues hold: 1,000 in the publisher, 10 in the
#: subscriber, and what the TCP buffers between take of 4 KiB messages.
MESSAGES = 5_000
PAYLOAD = b"." * 4096


@pytest.fixture
def context() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def publisher(context: zmq.Context) -> tuple[zmq.Socket, str]:
    pub = context.socket(zmq.XPUB)
    pub.setsockopt(zmq.XPUB_VERBOSE, 1)  # every subscription comes up: see connected()
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    return pub, f"tcp://127.0.0.1:{port}"


def subscriber(context: zmq.Context, url: str, hwm: int) -> zmq.Socket:
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, hwm)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(url)
    return sub


def connected(pub: zmq.Socket, subscribers: int) -> None:
    """Wait until every subscriber's subscription has reached the publisher."""
    for _ in range(subscribers):
        assert pub.poll(5000)
        assert pub.recv() == b"\x01"


def drain(sub: zmq.Socket, idle_ms: int = 1000) -> list[bytes]:
    """The first frames of what ``sub`` has, until it has had nothing for ``idle_ms``."""
    got = []
    while sub.poll(idle_ms):
        got.append(sub.recv_multipart()[0])
    return got


def numbered(i: int) -> list[bytes]:
    return [str(i).encode(), PAYLOAD]


def test_a_send_waits_for_a_subscriber_whose_queue_is_full(context):
    pub, url = publisher(context)
    slow = subscriber(context, url, hwm=10)
    connected(pub, 1)
    patient = PatientIopubSocket(pub, wait=10.0)
    got: list[bytes] = []
    # The subscriber starts reading only after its queues have filled.
    reader = threading.Timer(0.5, lambda: got.extend(drain(slow)))
    reader.start()
    for i in range(MESSAGES):
        patient.send_multipart(numbered(i))
    reader.join()
    assert got == [str(i).encode() for i in range(MESSAGES)]
    assert patient.beaker_gave_up == 0


def test_a_stuck_subscriber_is_given_up_and_the_others_get_everything(context):
    pub, url = publisher(context)
    stuck = subscriber(context, url, hwm=10)
    reader = subscriber(context, url, hwm=100_000)
    connected(pub, 2)
    patient = PatientIopubSocket(pub, wait=0.2)
    started = time.monotonic()
    for i in range(MESSAGES):
        patient.send_multipart(numbered(i))
    elapsed = time.monotonic() - started
    assert patient.beaker_gave_up >= 1
    # It waited for the stuck one once, then served it as ZMQ does: what the
    # sends took is that wait, not one per message.
    assert elapsed < 0.2 * PatientIopubSocket.LOSSY_WAITS + 5
    assert drain(reader) == [str(i).encode() for i in range(MESSAGES)]
    assert len(drain(stuck)) < MESSAGES


def test_a_stuck_subscriber_costs_one_wait_until_it_has_drained(context):
    pub, url = publisher(context)
    stuck = subscriber(context, url, hwm=10)
    connected(pub, 1)
    patient = PatientIopubSocket(pub, wait=0.05)
    for i in range(4 * MESSAGES):  # long past the lossy while after the first give-up
        patient.send_multipart(numbered(i))
    assert patient.beaker_gave_up == 1
    drain(stuck, idle_ms=200)  # it reads again, then stops again: waited for again
    for i in range(MESSAGES):
        patient.send_multipart(numbered(i))
    assert patient.beaker_gave_up == 2


def test_the_waiting_has_a_budget(context):
    """Waiting past ``wait`` at a stretch, or past REFILL of the time, is a give-up."""
    pub, url = publisher(context)
    stuck = subscriber(context, url, hwm=10)
    connected(pub, 1)
    patient = PatientIopubSocket(pub, wait=0.3)
    started = time.monotonic()
    sent = 0
    while not patient.beaker_gave_up:
        patient.send_multipart(numbered(sent))
        sent += 1
    waited = time.monotonic() - started
    assert waited >= 0.3  # the whole budget, at once
    assert patient._budget < 0.01  # spent: from now on a send waits FLOOR
    drain(stuck, idle_ms=200)  # it reads again and has room: then stops again
    started = time.monotonic()
    while patient.beaker_gave_up < 2:
        patient.send_multipart(numbered(sent))
        sent += 1
    # The budget had refilled for about the drain's time only.
    assert time.monotonic() - started < 0.3


def test_socket_options_go_to_the_socket(context):
    pub, _ = publisher(context)
    patient = PatientIopubSocket(pub, wait=1.0)
    patient.linger = 123
    assert pub.getsockopt(zmq.LINGER) == 123
    assert patient.getsockopt(zmq.LINGER) == 123
    assert patient.beaker_restore() is pub
