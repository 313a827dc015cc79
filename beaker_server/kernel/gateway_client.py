"""The server's own kernel client for kernels behind a Kernel/Enterprise Gateway.

With ``--gateway-url`` a kernel is reached only through the gateway's kernel
websocket (``<ws_url>/api/kernels/<id>/channels``). jupyter_server's own
``GatewayKernelClient`` (what ``GatewayKernelManager.client()`` returns) cannot
serve :class:`~beaker_server.kernel_client.InternalKernelClient`: it opens a
*blocking* ``websocket-client`` connection on the event loop, reads in a thread,
and its ``ChannelQueue.get_msg`` polls with ``await asyncio.sleep(0)``, so a
reader waiting without a timeout burns a core for as long as the kernel lives.

:class:`GatewayWebsocketClient` is the small async subset of a jupyter_client
``AsyncKernelClient`` that the internal client uses, over tornado's websocket
client on the server's event loop:

- ``start_channels`` / ``stop_channels``;
- ``kernel_info()`` and ``execute(...)``, which send and return the ``msg_id``;
- ``shell_channel.get_msg()`` and ``iopub_channel.get_msg()``, which await an
  ``asyncio.Queue`` (no polling) and return message dicts shaped like
  ``Session.deserialize`` output (dates stay ISO strings).

It speaks the legacy JSON protocol (one JSON text with a ``channel`` key): the
only one a gateway is guaranteed to speak (jupyter_server forces it for
``GatewayWebSocketConnection`` too). It connects with the same URL, headers and
auth as that class, with our session id, so the gateway's own connection nudges
carry our session and stay hidden from users like everything else we cause.

A gateway's websocket carries *every* iopub message of the kernel to every
connection, users' large outputs included. Only messages whose parent session
is ours are parsed and queued (a substring test first, as the ZMQ path does with
raw frames); the rest are dropped unread. Our own messages are acknowledged at
once (TCP_QUICKACK): gateways leave Nagle on, and without it every request
waits ~40 ms on a delayed ACK.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import socket
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.gateway.managers import GatewayKernelManager
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    serialize_binary_message,
)
from jupyter_server.utils import url_path_join
from tornado.escape import url_escape
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

from ..errors import KernelUnavailable

#: Largest message read from the gateway. Tornado's default (10 MiB) would close
#: the socket on the first big user output it fans out to us, killing the client.
MAX_MESSAGE_SIZE = 1024 * 1024 * 1024


def is_gateway_kernel(kernel_manager: Any) -> bool:
    """Whether a kernel lives behind a gateway (and so needs :class:`GatewayWebsocketClient`)."""
    return isinstance(kernel_manager, GatewayKernelManager)


#: How a status message's type reads in the gateway's JSON (spaced or compact).
_STATUS_TYPES = ('"msg_type": "status"', '"msg_type":"status"')


def _may_be_status(text: str) -> bool:
    """A pre-check on the start of the text, where the header is (statuses are small)."""
    start = text[:2048]
    return any(marker in start for marker in _STATUS_TYPES)


class GatewayChannel:
    """The messages of one channel, in arrival order, for one consumer at a time.

    ``get_msg`` waits on an ``asyncio.Queue``: an idle reader costs nothing.
    When the websocket ends, every waiting and later ``get_msg`` raises
    ``ConnectionError``, so the readers of the internal client end too.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._end: ConnectionError | None = None

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; ``queue.Empty`` on timeout, as jupyter_client's channels do."""
        try:
            if timeout is None:
                msg = await self._queue.get()
            else:
                msg = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise queue.Empty from None
        if msg is None:
            self._queue.put_nowait(None)  # the end marker stays for the next caller
            raise self._end or ConnectionError(f"gateway {self.name} channel closed")
        return msg

    def put(self, msg: dict[str, Any]) -> None:
        if self._end is None:
            self._queue.put_nowait(msg)

    def end(self, error: ConnectionError) -> None:
        """No more messages: wake every waiting reader with ``error``."""
        if self._end is None:
            self._end = error
            self._queue.put_nowait(None)


class GatewayWebsocketClient:
    """An async kernel client over a gateway's kernel websocket (legacy JSON protocol)."""

    def __init__(
        self,
        kernel_id: str,
        session: Session,
        log: logging.Logger | None = None,
        *,
        gateway: GatewayClient | None = None,
        max_message_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        self.kernel_id = kernel_id
        self.session = session
        self.log = log or logging.getLogger(__name__)
        #: The configured GatewayClient singleton unless one is given (tests).
        self.gateway = gateway
        self.max_message_size = max_message_size
        self.shell_channel = GatewayChannel("shell")
        self.iopub_channel = GatewayChannel("iopub")
        self._channels = {"shell": self.shell_channel, "iopub": self.iopub_channel}
        self._marker = session.session
        self._marker_bytes = session.session.encode()
        self._conn: WebSocketClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def channels_running(self) -> bool:
        return self._conn is not None and self._reader is not None and not self._reader.done()

    @property
    def url(self) -> str:
        gateway = self.gateway or GatewayClient.instance()
        url = url_path_join(
            gateway.ws_url or "",
            gateway.kernels_endpoint,
            url_escape(self.kernel_id),
            "channels",
        )
        return f"{url}?session_id={url_escape(self.session.session)}"

    # -- lifecycle ------------------------------------------------------------

    async def start_channels(
        self,
        shell: bool = True,
        iopub: bool = True,
        stdin: bool = False,
        hb: bool = False,
        control: bool = False,
    ) -> None:
        """Open the websocket and start the one reader that feeds both queues.

        Shell, iopub and control are served (control's replies come with the
        shell's: one queue of replies); the internal client needs nothing else,
        and a gateway has no separate heartbeat to watch.
        """
        if stdin or hb:
            raise NotImplementedError("GatewayWebsocketClient serves shell, iopub and control")
        if control:
            self._channels["control"] = self.shell_channel
        if self._stopped or self._conn is not None:
            raise RuntimeError("GatewayWebsocketClient channels can be started once")
        gateway = self.gateway or GatewayClient.instance()
        request = HTTPRequest(self.url, **gateway.load_connection_args())
        connecting = asyncio.ensure_future(
            websocket_connect(request, max_message_size=self.max_message_size)
        )
        try:
            conn = await asyncio.shield(connecting)
        except asyncio.CancelledError:
            # Closed while connecting: the handshake may still complete; close it then.
            connecting.add_done_callback(_close_when_connected)
            raise
        if self._stopped:
            conn.close()
            raise KernelUnavailable(f"kernel {self.kernel_id}: client stopped while connecting")
        # Requests are small single writes that should leave at once.
        stream = getattr(conn, "stream", None)
        if stream is not None:
            stream.set_nodelay(True)
        self._conn = conn
        self._reader = asyncio.ensure_future(self._read(conn))
        self.log.debug("beaker_server: connected to gateway kernel %s", self.kernel_id)

    def stop_channels(self) -> None:
        """Close the websocket and end the reader; waiting ``get_msg`` calls raise."""
        self._stopped = True
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        error = ConnectionError(f"kernel {self.kernel_id}: the server's gateway client stopped")
        for channel in self._channels.values():
            channel.end(error)

    async def _read(self, conn: WebSocketClientConnection) -> None:
        """Read the websocket until it closes, queueing our own messages by channel."""
        error = ConnectionError(f"kernel {self.kernel_id}: the gateway websocket closed")
        try:
            while True:
                data = await conn.read_message()
                if data is None:
                    if not self._stopped:
                        self.log.warning(
                            "beaker_server: gateway websocket of kernel %s closed (%s %s)",
                            self.kernel_id,
                            conn.close_code,
                            conn.close_reason,
                        )
                    break
                msg = self._parse_own(data)
                if msg is None:
                    continue
                _quickack(conn)
                channel = self._channels.get(msg.get("channel", ""))
                if channel is not None:
                    channel.put(msg)
        finally:
            if self._conn is conn:
                self._conn = None  # later requests fail fast instead of vanishing
            for channel in self._channels.values():
                channel.end(error)

    def _parse_own(self, data: str | bytes) -> dict[str, Any] | None:
        """A message caused by one of our requests, or a status of the kernel's (how
        the server learns that a user's cell finished), parsed; ``None`` for the rest."""
        try:
            if isinstance(data, bytes):
                if self._marker_bytes not in data:
                    return None
                msg = deserialize_binary_message(data)
            else:
                if self._marker not in data and not _may_be_status(data):
                    return None
                msg = json.loads(data)
        except (ValueError, IndexError) as error:
            self.log.debug("beaker_server: unreadable gateway message: %s", error)
            return None
        if not isinstance(msg, dict):
            return None
        parent = msg.get("parent_header")
        if not isinstance(parent, dict):
            return None
        if parent.get("session") != self._marker and not (
            msg.get("channel") == "iopub" and (msg.get("header") or {}).get("msg_type") == "status"
        ):
            return None
        header = msg.get("header") or {}
        msg.setdefault("msg_id", header.get("msg_id"))
        msg.setdefault("msg_type", header.get("msg_type"))
        msg.setdefault("metadata", {})
        msg.setdefault("content", {})
        return msg

    # -- requests ---------------------------------------------------------------

    def kernel_info(self) -> str:
        """Send a ``kernel_info_request`` on shell; returns its ``msg_id``."""
        return self._send("shell", "kernel_info_request", {})

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
    ) -> str:
        """Send an ``execute_request`` on shell, as jupyter_client builds it.

        Returns its ``msg_id``; the reply and outputs come through the channels.
        """
        if not isinstance(code, str):
            raise ValueError(f"code {code!r} must be a string")
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": bool(allow_stdin),
            "stop_on_error": stop_on_error,
        }
        return self._send("shell", "execute_request", content)

    def _send(self, channel: str, msg_type: str, content: dict[str, Any]) -> str:
        return self.send_message(channel, self.session.msg(msg_type, content))

    def send_message(self, channel: str, msg: dict[str, Any]) -> str:
        """Send a message made by our session; binary buffers go in the binary framing."""
        conn = self._conn
        if conn is None:
            raise KernelUnavailable(f"kernel {self.kernel_id}: the gateway websocket is closed")
        msg = {**msg, "channel": channel}
        buffers = msg.pop("buffers", None) or []
        try:
            if buffers:
                framed = serialize_binary_message({**msg, "buffers": buffers})
                written = conn.write_message(framed, binary=True)
            else:
                written = conn.write_message(json.dumps(msg, default=json_default))
        except WebSocketClosedError as error:
            raise KernelUnavailable(
                f"kernel {self.kernel_id}: the gateway websocket is closed"
            ) from error
        written.add_done_callback(self._written)
        return str(msg["header"]["msg_id"])

    def _written(self, future: asyncio.Future[None]) -> None:
        """Retrieve a failed write (the reader reports the closed socket)."""
        if not future.cancelled() and future.exception() is not None:
            self.log.debug(
                "beaker_server: write to gateway kernel %s failed: %s",
                self.kernel_id,
                future.exception(),
            )


def _close_when_connected(future: asyncio.Future[WebSocketClientConnection]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


def _quickack(conn: WebSocketClientConnection) -> None:
    """Acknowledge at once what the gateway sent us.

    Gateways do not set TCP_NODELAY: a reply and the idle status right after it
    leave as two small writes, and Nagle holds the second until the first is
    acknowledged, which our delayed ACK puts off by ~40 ms a request (measured:
    evaluate p50 48 ms → 8 ms). Linux only; quick-ack mode wears off, so it is
    renewed after each of our own messages.
    """
    option = getattr(socket, "TCP_QUICKACK", None)
    sock = getattr(getattr(conn, "stream", None), "socket", None)
    if option is None or sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, option, 1)
