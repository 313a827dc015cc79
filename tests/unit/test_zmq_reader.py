"""The checked socket reader, on real ZMQ sockets: a lost wake-up is recovered.

A lost wake-up is made on purpose: a second Python socket object over the same
ZMQ socket reads its events, which consumes the edge-triggered wake-up behind
pyzmq's back (what we saw happen on the internal client's DEALER under load).
"""

from __future__ import annotations

import asyncio

import pytest
import zmq
import zmq.asyncio

from beaker_server.kernel.zmq_reader import LevelCheckedReader

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def pair():
    """A connected ROUTER (the kernel's side) and asyncio DEALER (the server's client)."""
    context = zmq.asyncio.Context()
    router = zmq.Context.instance().socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = context.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    yield router, dealer
    dealer.close(linger=0)
    router.close(linger=0)
    context.term()


async def _router_identity(router: zmq.Socket, dealer: zmq.asyncio.Socket) -> bytes:
    await dealer.send_multipart([b"hello"])
    assert router.poll(5000), "the dealer's hello did not arrive"
    identity, _ = router.recv_multipart()
    return identity


async def _receive_with_lost_wakeup(router, dealer, reader) -> asyncio.Task:
    """Start a receive, deliver a message, and consume its wake-up behind pyzmq's back."""
    identity = await _router_identity(router, dealer)
    receiving = asyncio.ensure_future(reader.recv_multipart())
    await asyncio.sleep(0)  # the receive is registered and waiting
    shadow = zmq.Socket.shadow(dealer.underlying)
    router.send_multipart([identity, b"reply"])
    assert shadow.poll(5000) & zmq.POLLIN  # processes the wake-up command: FD drained
    return receiving


async def test_a_receive_whose_wakeup_was_lost_sleeps_until_unstuck(pair):
    router, dealer = pair
    reader = LevelCheckedReader(dealer)
    receiving = await _receive_with_lost_wakeup(router, dealer, reader)

    done, _ = await asyncio.wait({receiving}, timeout=0.3)
    assert not done, "the message woke the reader after all: the test made no lost wake-up"

    assert reader.unstick() is True
    assert await asyncio.wait_for(receiving, 5) == [b"reply"]
    assert reader.missed_wakeups == 1


async def test_unstick_leaves_a_reader_alone_when_nothing_is_queued(pair):
    router, dealer = pair
    reader = LevelCheckedReader(dealer)
    identity = await _router_identity(router, dealer)
    receiving = asyncio.ensure_future(reader.recv_multipart())
    await asyncio.sleep(0)

    assert reader.unstick() is False
    router.send_multipart([identity, b"one"])
    assert await asyncio.wait_for(receiving, 5) == [b"one"]
    assert reader.missed_wakeups == 0


async def test_messages_after_an_unstick_arrive_in_order_and_none_is_lost(pair):
    router, dealer = pair
    reader = LevelCheckedReader(dealer)
    receiving = await _receive_with_lost_wakeup(router, dealer, reader)
    identity = await _router_identity(router, dealer)
    for i in range(5):
        router.send_multipart([identity, f"{i}".encode()])

    reader.unstick()
    received = [await asyncio.wait_for(receiving, 5)]
    for _ in range(5):
        received.append(await asyncio.wait_for(reader.recv_multipart(), 5))
    assert received == [[b"reply"]] + [[f"{i}".encode()] for i in range(5)]


async def test_cancelling_the_reader_cancels_its_socket_receive(pair):
    _, dealer = pair
    reader = LevelCheckedReader(dealer)
    receiving = asyncio.ensure_future(reader.recv_multipart())
    await asyncio.sleep(0)
    pending = reader._pending
    assert pending is not None and not pending.done()

    receiving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receiving
    assert pending.cancelled()
    assert reader.unstick() is False


# -- the reader's bookkeeping, on a socket that is not one ------------------------------


class ScriptedSocket:
    """Hands out the receive futures it is given, in order, and says POLLIN or not."""

    def __init__(self, *futures: asyncio.Future, pollin: bool = True) -> None:
        self.futures = list(futures)
        self.pollin = pollin
        self.copies: list[bool] = []

    def recv_multipart(self, copy: bool = True) -> asyncio.Future:
        self.copies.append(copy)
        return self.futures.pop(0)

    def get(self, option: int) -> int:
        assert option == zmq.EVENTS
        return zmq.POLLIN if self.pollin else 0


def done_future(value) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


async def test_unstick_without_a_receive_does_nothing():
    socket = ScriptedSocket()
    reader = LevelCheckedReader(socket)
    assert reader.unstick() is False
    assert reader.missed_wakeups == 0


async def test_the_copy_option_goes_to_every_receive():
    socket = ScriptedSocket(done_future([b"a"]), done_future([b"b"]))
    reader = LevelCheckedReader(socket, copy=False)
    assert await reader.recv_multipart() == [b"a"]
    assert await reader.recv_multipart() == [b"b"]
    assert socket.copies == [False, False]
    assert reader.unstick() is False  # nothing pending once a receive returned


async def test_an_unstuck_receive_is_restarted_and_the_next_one_answers():
    stuck = asyncio.get_running_loop().create_future()
    socket = ScriptedSocket(stuck, done_future([b"queued"]))
    reader = LevelCheckedReader(socket)
    receiving = asyncio.ensure_future(reader.recv_multipart())
    await asyncio.sleep(0)
    assert reader.unstick() is True
    assert await asyncio.wait_for(receiving, 5) == [b"queued"]
    assert stuck.cancelled()
    assert (reader.missed_wakeups, socket.copies) == (1, [True, True])


async def test_unstick_trusts_a_socket_with_nothing_queued():
    stuck = asyncio.get_running_loop().create_future()
    reader = LevelCheckedReader(ScriptedSocket(stuck, pollin=False))
    receiving = asyncio.ensure_future(reader.recv_multipart())
    await asyncio.sleep(0)
    assert reader.unstick() is False
    assert not stuck.cancelled()
    stuck.set_result([b"later"])
    assert await asyncio.wait_for(receiving, 5) == [b"later"]
    assert reader.missed_wakeups == 0
