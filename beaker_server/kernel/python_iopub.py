"""The kernel's side of beaker_server's iopub relay (ipykernel): loaded once per
kernel start by the server, whether or not previews are on, as module
``_beaker_iopub`` (no names in the user's namespace).

Why: the README's "Nothing lost under load" section. A kernel's iopub socket
drops, without a trace, what a subscriber has not taken once 1,000 messages
wait for it; a server on a loaded machine falls that far behind a flood, and
loses outputs or the idle status that ends a cell.
"""

from __future__ import annotations

import math
import time
from typing import Any


class PatientIopubSocket:
    """The kernel's iopub socket, waiting a while for a subscriber that falls behind.

    A PUB socket drops what a subscriber's queue (1,000 messages, fixed when the
    kernel bound the socket) cannot hold, without a trace: a flood that outruns
    a server on a loaded machine loses outputs, or the idle status that ends the
    cell (a kernel shown busy for ever). Here a send that finds a subscriber's
    queue full waits until it has room (ZMQ's ``XPUB_NODROP``), on ipykernel's
    iopub thread, without the GIL.

    The waiting has a budget: at most ``wait`` seconds at a time, and in the
    long run at most ``REFILL`` of the time (the budget refills at that rate up
    to ``wait``), though a send may always wait ``FLOOR``. Within it a
    subscriber that drains slowly paces the outputs, as a slow terminal does:
    the user's code runs on until ipykernel's queue of outputs to its iopub
    thread is full (some 2,000), and ipykernel's flushes (after each request,
    on every thread) wait for the iopub thread too. Past the budget the
    subscriber is taken for stuck (a client stopped with Ctrl-Z, a script that
    never reads iopub) and the message is sent as ZMQ would, dropped for it;
    ZMQ then sets that subscriber aside until it has drained half its queue,
    so later sends do not wait for it and still wait for any other. Two
    give-ups within ``LOSSY_WAITS`` times ``wait`` (two stuck clients, or a ZMQ
    version that keeps waiting for a set-aside one) make the socket send as
    ZMQ does, without waiting, for that long.

    Every other attribute is the socket's own. Used on ipykernel's iopub thread
    only, which owns the socket.
    """

    LOSSY_WAITS = 4
    #: The share of time the socket may spend waiting, in the long run.
    REFILL = 0.5
    #: Seconds a send may always wait: a queue full for a moment (a server's I/O
    #: thread that did not get the CPU) is no stuck client, whatever the budget.
    FLOOR = 0.05

    def __init__(self, socket: Any, wait: float) -> None:
        self.beaker_socket = socket
        #: Sends that found a subscriber still full past the waiting budget.
        self.beaker_gave_up = 0
        self._last_give_up = -math.inf
        self._lossy_until = 0.0
        self.beaker_set_wait(wait)

    def beaker_set_wait(self, wait: float) -> None:
        import zmq

        self._wait = wait
        self._budget, self._refilled = wait, time.monotonic()
        self._lossy_until = 0.0
        self.beaker_socket.setsockopt(zmq.XPUB_NODROP, 1)

    def beaker_restore(self) -> Any:
        """The socket as ipykernel made it."""
        import zmq

        self.beaker_socket.setsockopt(zmq.XPUB_NODROP, 0)
        self.beaker_socket.setsockopt(zmq.SNDTIMEO, -1)
        return self.beaker_socket

    def send_multipart(self, msg_parts: Any, flags: int = 0, *args: Any, **kwargs: Any) -> Any:
        import zmq

        socket = self.beaker_socket
        try:  # the common case: every subscriber has room
            return socket.send_multipart(msg_parts, flags | zmq.NOBLOCK, *args, **kwargs)
        except zmq.Again:
            pass
        started = time.monotonic()
        if started >= self._lossy_until:
            self._lossy_until = 0.0
            budget = min(self._wait, self._budget + (started - self._refilled) * self.REFILL)
            allowed = max(budget, min(self._wait, self.FLOOR))
            if allowed >= 0.001:
                socket.setsockopt(zmq.SNDTIMEO, int(allowed * 1000))
                try:
                    return socket.send_multipart(msg_parts, flags, *args, **kwargs)  # waits
                except zmq.Again:
                    pass
                finally:
                    self._refilled = time.monotonic()
                    self._budget = max(0.0, budget - (self._refilled - started))
            self.beaker_gave_up += 1
            if started - self._last_give_up < self.LOSSY_WAITS * self._wait:
                self._lossy_until = started + self.LOSSY_WAITS * self._wait
            self._last_give_up = started
        socket.setsockopt(zmq.XPUB_NODROP, 0)
        try:
            return socket.send_multipart(msg_parts, flags, *args, **kwargs)
        finally:
            socket.setsockopt(zmq.XPUB_NODROP, 1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.beaker_socket, name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Own state here; anything else (``linger``, other socket options) on the socket."""
        if name.startswith(("beaker_", "_")):
            object.__setattr__(self, name, value)
        else:
            setattr(self.beaker_socket, name, value)


def wait_for_iopub_subscribers(wait: float) -> bool:
    """Make the kernel's iopub sends a :class:`PatientIopubSocket` (0: undo that).

    Done on ipykernel's iopub thread, which owns the socket, as its next event
    (everything it was asked to send before goes out first). Returns whether
    this kernel has such a thread.
    """
    try:
        from IPython import get_ipython

        thread = get_ipython().kernel.iopub_socket.io_thread
        if not hasattr(thread.socket, "getsockopt"):  # a test's dummy, not a socket
            return False
    except Exception:  # another kernel or version: left as it is
        return False

    def install() -> None:
        current = thread.socket
        patient = current if hasattr(current, "beaker_set_wait") else None
        if patient is None:
            if wait > 0:
                thread.socket = PatientIopubSocket(current, wait)
        elif wait > 0:  # loaded again (another server, a new procedure file)
            patient.beaker_set_wait(wait)
        else:
            thread.socket = patient.beaker_restore()

    thread.schedule(install)
    return True
