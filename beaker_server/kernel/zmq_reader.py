"""Reading a pyzmq asyncio socket without sleeping on a message that has arrived.

pyzmq wakes asyncio readers from the socket's edge-triggered ``ZMQ_FD``. On the
server's internal client, where requests are sent on the same DEALER socket
that their replies arrive on, we have measured readers asleep on replies that
were already queued: ``ZMQ_EVENTS`` said ``POLLIN``, the FD was not readable, and
nothing woke the reader until some later operation on the socket. It happens
with jupyter_client's poll-then-recv and with pyzmq's recv futures alike, about
once in 150 bursts of 24 concurrent requests to a kernel with a busy subshell.

So a reader here can be checked: while someone waits for an answer, the owner
calls :meth:`LevelCheckedReader.unstick` every few milliseconds, which reads the
socket's level state (``ZMQ_EVENTS``, not the edge) and restarts a receive that
missed its wake-up. No check runs while nobody waits, so idle kernels cost nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import zmq


class LevelCheckedReader:
    """Receives whole messages from one pyzmq asyncio socket, one receive at a time."""

    def __init__(self, socket: Any, *, copy: bool = True) -> None:
        self.socket = socket
        self.copy = copy
        self._pending: asyncio.Future[Any] | None = None
        #: Receives restarted because a queued message had not woken them.
        self.missed_wakeups = 0

    async def recv_multipart(self) -> list[Any]:
        """The next message's frames (``bytes``, or ``zmq.Frame`` with ``copy=False``)."""
        while True:
            future = self._pending = self.socket.recv_multipart(copy=self.copy)
            try:
                # wait(), not await: a receive cancelled by unstick() must not end the reader.
                await asyncio.wait({future})
            finally:
                self._pending = None
                if not future.done():  # the reader itself was cancelled
                    future.cancel()
            if not future.cancelled():
                frames: list[Any] = future.result()
                return frames

    def unstick(self) -> bool:
        """Restart a receive that sleeps although a message is queued; True if it did.

        Cancelling a pyzmq receive future loses nothing: a message is taken
        from the socket only for a future that is still waiting, and the new
        receive looks at the queue before it waits.
        """
        pending = self._pending
        if pending is None or pending.done():
            return False
        if not self.socket.get(zmq.EVENTS) & zmq.POLLIN:
            return False
        self.missed_wakeups += 1
        pending.cancel()
        return True
