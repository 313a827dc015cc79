"""Bursts of kernel messages leave a websocket in few TCP segments, a lone one at once.

The extension sets TCP_NODELAY on kernel websockets (README, "Performance"):
with Nagle on, as in stock, a reply and then its idle status wait for the
client's delayed ACK, ~40 ms a request. With Nagle off every small websocket
message is its own TCP segment, and a flood pays for it: on two busy cores an
iopub flood ran at 0.77x stock's throughput and 1.31x stock's server CPU per
message, against 1.04x / 1.05x with TCP_NODELAY off (the review of 2026-12;
``python -m bench.run --loaded`` measures it).

The relay knows when a burst is on: pyzmq's ``ZMQStream`` hands a socket's
messages over one per event-loop turn, and after each one the ZMQ socket says
whether another is already queued behind it (``ZMQ_EVENTS & POLLIN``, the
level ``ZMQStream`` itself reads twice a message; a few microseconds of the
~300 a relayed message costs). So, after every kernel message written to the
websocket:

- another is queued on the same ZMQ socket: a burst. At its first such message
  Nagle goes back on (TCP_NODELAY=0), so the TCP stack gathers the messages that
  follow while a segment is unacknowledged;
- nothing is queued behind it: the burst is over (or there was none). If Nagle
  was on, TCP_NODELAY=1 again, which pushes whatever the TCP stack still holds
  at once (Linux's ``tcp_push_pending_frames``; the BSDs alike).

The option changes only at a burst's two edges, never per message. A lone
message, a reply, its idle status, has nothing behind it and leaves as with
plain TCP_NODELAY; nothing waits for a timer, and no message waits for one that
is not already queued: the last of a burst is written with TCP_NODELAY set
again before the loop turn ends. Bytes and order are the websocket's own; only
a socket option changes. Where the input is not a ZMQ socket (a gateway's
websocket, a synchronous kernel manager's streams on another thread) nothing is
coalesced: plain TCP_NODELAY.
"""

from __future__ import annotations

import socket
from typing import Any

import zmq

_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_TCP = socket.IPPROTO_TCP
_NODELAY = socket.TCP_NODELAY


class BurstCoalescer:
    """Nagle on a websocket's TCP socket while its kernel input is a burst, off otherwise.

    Call :meth:`after` once per kernel message the relay has handled (written
    or dropped), on the thread that owns the message's ZMQ socket.
    """

    __slots__ = ("_sock", "bursts", "corked")

    def __init__(self, sock: socket.socket) -> None:
        self._sock: socket.socket | None = sock
        #: Nagle is on: a burst is under way.
        self.corked = False
        #: Bursts seen (each began with Nagle switched on, ended with it off).
        self.bursts = 0

    @classmethod
    def for_websocket(cls, handler: Any) -> BurstCoalescer | None:
        """One for a tornado websocket handler's TCP connection; ``None`` off TCP."""
        stream = getattr(getattr(handler, "ws_connection", None), "stream", None)
        sock = getattr(stream, "socket", None)
        if not isinstance(sock, socket.socket) or sock.family not in (
            socket.AF_INET,
            socket.AF_INET6,
        ):
            return None
        return cls(sock)

    def after(self, source: Any) -> None:
        """A kernel message from ``source`` (a ``ZMQStream``, or anything else) is through."""
        zmq_socket = getattr(source, "socket", None)
        if zmq_socket is not None and zmq_socket.get(_EVENTS) & _POLLIN:
            if not self.corked:
                self.corked = self._nodelay(0)
                self.bursts += self.corked
        elif self.corked:
            self.release()

    def release(self) -> None:
        """TCP_NODELAY on again, sending what the TCP stack holds now."""
        self.corked = False
        self._nodelay(1)

    def _nodelay(self, value: int) -> bool:
        sock = self._sock
        if sock is None:
            return False
        try:
            sock.setsockopt(_TCP, _NODELAY, value)
        except OSError:  # closed meanwhile, or not settable: no coalescing from now on
            self._sock = None
            return False
        return True
