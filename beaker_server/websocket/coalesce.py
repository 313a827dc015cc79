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
  the socket is corked (Linux's TCP_CORK: only full segments go out), so the
  TCP stack gathers the messages that follow; where there is no TCP_CORK,
  Nagle goes back on instead (TCP_NODELAY=0: gathered while a segment is
  unacknowledged);
- nothing is queued behind it: the burst is over (or there was none). The socket
  is uncorked (TCP_CORK cleared; TCP_NODELAY set again where Nagle stood in),
  which with TCP_NODELAY set pushes whatever the TCP stack holds at once
  (Linux's ``tcp_push_pending_frames``).

The option changes only at a burst's two edges, never per message. A lone
message, a reply, its idle status, has nothing behind it and leaves as with
plain TCP_NODELAY; no message waits for one that is not already queued: the
last of a burst is written and pushed out before the relay returns to the loop.
Within a burst a message waits for those queued behind it (at most until a
segment is full, or Linux's 200 ms cork ceiling if the burst stalled). Bytes
and order are the websocket's own; only a socket option changes. Where the
input is not a ZMQ socket (a gateway's websocket, a synchronous kernel
manager's streams on another thread) nothing is coalesced: plain TCP_NODELAY.

Corking was measured against Nagle on both cores busy (``bench.run --loaded``,
2 rounds each): flood throughput 0.95x / 0.84x stock's, client CPU per message
0.49x / 0.54x stock_nodelay's; see the README's "Performance".
"""

from __future__ import annotations

import socket
from typing import Any

import zmq

_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_TCP = socket.IPPROTO_TCP
_NODELAY = socket.TCP_NODELAY
#: (option, value during a burst, value after it): cork where there is one, else Nagle.
_CORK: int | None = getattr(socket, "TCP_CORK", None)
BURST_OPTION: tuple[int, int, int] = (_CORK, 1, 0) if _CORK is not None else (_NODELAY, 0, 1)


class BurstCoalescer:
    """A websocket's TCP socket corked while its kernel input is a burst, not otherwise.

    Call :meth:`after` once per kernel message the relay has handled (written
    or dropped), on the thread that owns the message's ZMQ socket.
    """

    __slots__ = ("_sock", "bursts", "corked")

    def __init__(self, sock: socket.socket) -> None:
        self._sock: socket.socket | None = sock
        #: Corked (or Nagle on): a burst is under way.
        self.corked = False
        #: Bursts seen (each began corked and ended uncorked).
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
                self.corked = self._set(BURST_OPTION[1])
                self.bursts += self.corked
        elif self.corked:
            self.release()

    def release(self) -> None:
        """Uncorked (or TCP_NODELAY on again): what the TCP stack holds goes now."""
        self.corked = False
        self._set(BURST_OPTION[2])

    def _set(self, value: int) -> bool:
        sock = self._sock
        if sock is None:
            return False
        try:
            sock.setsockopt(_TCP, BURST_OPTION[0], value)
        except OSError:  # closed meanwhile, or not settable: no coalescing from now on
            self._sock = None
            return False
        return True
