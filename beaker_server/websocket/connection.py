"""Interception in the kernel websocket path.

jupyter_server builds one connection object per kernel websocket from the class
in ``web_app.settings["kernel_websocket_connection_class"]``. At load time the
extension replaces that class with a subclass of *whatever class was configured*
(local ZMQ, the gateway class, another extension's), with
:class:`BeakerConnectionMixin` in front. The mixin:

- takes registered ``N_request`` messages off the websocket and serves them
  (they never reach the kernel);
- drops, on the way out, what the server's own kernel requests caused, and lets
  response hooks see kernel-published ``N_response``;
- writes server-made messages in the connection's own websocket protocol;
- sets TCP_NODELAY on the websocket, corked while a burst of
  kernel messages is queued (see :mod:`.coalesce`);
- brings kernel messages and restart callbacks that a synchronous kernel
  manager delivers on its own thread onto the server's loop thread, where every
  write to the websocket happens (see :mod:`.loop_thread`).

Everything else goes to the wrapped class untouched, in order.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tornado.websocket import WebSocketClosedError

from ..kernel.session import KernelSession
from ..kernel.sessions import KernelSessions
from ..messages.flow import RequestFlow, authorizer_for, short_error
from ..messages.registry import MessageType
from ..preview.kernel_preview import PREVIEW_MSG_TYPE
from .coalesce import BurstCoalescer
from .wire import (
    V1_PROTOCOL,
    IncomingRequest,
    check_legacy_binary,
    encode_for_websocket,
    match_legacy_request,
    parse_legacy_message,
    parse_v1_request,
    v1_header_bounds,
)

#: Longest a websocket's opening waits for the server's own client to hear the
#: kernel (see :meth:`KernelSession.until_kernel_heard`); milliseconds as a rule.
HEARD_BEFORE_OPEN = 2.0


class BeakerConnectionMixin:
    """Put in front of a kernel websocket connection class by :func:`wrap_connection_class`."""

    _beaker_sessions: ClassVar[KernelSessions]
    _beaker_base: ClassVar[type]
    #: Coalesce bursts of kernel messages (``BeakerServerApp.tcp_coalesce``).
    _beaker_coalesce: ClassVar[bool] = True

    _beaker_session: KernelSession | None = None
    _beaker_protocol: str | None = None
    #: A preview is being written to the websocket; the newest one waits meanwhile.
    _beaker_preview_writing = False
    _beaker_preview_next: tuple[dict[str, Any], str] | None = None
    #: Corks the socket during bursts of kernel messages; None: plain TCP_NODELAY (or Nagle).
    _beaker_coalescer: BurstCoalescer | None = None

    # Provided by the wrapped jupyter_server connection class.
    websocket_handler: Any
    kernel_id: str
    log: Any

    # -- lifecycle ------------------------------------------------------------

    async def connect(self) -> Any:
        self._beaker_protocol = getattr(self.websocket_handler, "selected_subprotocol", None)
        try:
            self._beaker_session = self._beaker_sessions.for_kernel(self.kernel_id)
        except KeyError:
            self.log.warning("beaker_server: kernel %s is unknown, passing through", self.kernel_id)
        else:
            self._beaker_session.attach(self)
        nodelay = self._beaker_sessions.settings.tcp_nodelay
        if nodelay:
            self._beaker_set_nodelay()
        connected = await super().connect()  # type: ignore[misc]
        # Only for ZMQ streams on our loop, whose sockets are ours to ask: not for a
        # gateway's websocket, nor a synchronous manager's streams on its own thread.
        iopub = getattr(self, "channels", {}).get("iopub")
        session = self._beaker_session
        if nodelay and self._beaker_coalesce and session and _on_loop(iopub, session):
            self._beaker_coalescer = BurstCoalescer.for_websocket(self.websocket_handler)
        if self._beaker_session is not None:
            await self._beaker_session.until_kernel_heard(HEARD_BEFORE_OPEN)
            self._beaker_session.preview.on_connect(self)
        return connected

    def disconnect(self) -> Any:
        if self._beaker_session is not None:
            self._beaker_session.detach(self)
        if self._beaker_coalescer is not None:
            self._beaker_coalescer.release()
            self._beaker_coalescer = None
        return super().disconnect()  # type: ignore[misc]

    def _beaker_set_nodelay(self) -> None:
        """Stock leaves Nagle on: a reply then its idle status waits ~40 ms for an ACK."""
        try:
            self.websocket_handler.set_nodelay(True)
        except Exception as error:
            self.log.debug("beaker_server: could not set TCP_NODELAY: %s", error)

    # -- websocket -> kernel ------------------------------------------------------

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        """Every frame a client sends passes here, and nothing it holds escapes:
        an exception would reach tornado's ``on_message``, which closes the
        websocket. A frame that cannot be taken costs one log line, no more
        (a traceback per frame would flood the log under a fuzz)."""
        try:
            found = self._beaker_match(incoming_msg)
            if found is not None:
                self._beaker_serve(*found)
                return
            super().handle_incoming_message(incoming_msg)  # type: ignore[misc]
        except Exception as error:
            self.log.warning(
                "beaker_server: dropped a message on kernel %s: %s: %s",
                self.kernel_id,
                type(error).__name__,
                short_error(error),
            )

    def _beaker_match(self, ws_msg: Any) -> tuple[MessageType, IncomingRequest] | None:
        """A registered custom request on shell, or ``None`` (the common case, cheaply).

        Framing that stock would choke on, or allocate for, is refused here
        first (:class:`WireError`), whether or not the kernel has a session.
        """
        session = self._beaker_session
        if self._beaker_protocol == V1_PROTOCOL:
            _, start, end = v1_header_bounds(ws_msg)
            if session is None:
                return None
            registry = session.registry
            if not any(ws_msg.find(m, start, end) != -1 for m in registry.request_markers_bytes):
                return None
            channel, request = parse_v1_request(ws_msg)
        else:
            if isinstance(ws_msg, bytes):
                check_legacy_binary(ws_msg)
            if session is None:
                return None
            registry = session.registry
            if not match_legacy_request(
                ws_msg, registry.request_names, registry.request_names_bytes
            ):
                return None
            channel, request = parse_legacy_message(ws_msg)
        message = registry.for_request_type(request.msg_type)
        if message is None or channel != "shell":
            return None
        return message, request

    def _beaker_serve(self, message: MessageType, request: IncomingRequest) -> None:
        session = self._beaker_session
        assert session is not None  # only a session's registry finds requests
        user = self.websocket_handler.current_user
        flow = RequestFlow(
            session.flow_side,
            message,
            request,
            username=getattr(user, "username", None) or str(user),
            reply_to=self.beaker_send,
            authorize=authorizer_for(self.websocket_handler),
            log=self.log,
        )
        session.start(flow)

    # -- kernel -> websocket --------------------------------------------------------

    def handle_outgoing_message(self, stream_or_msg: Any, *rest: Any) -> Any:
        session = self._beaker_session
        if session is None:
            return super().handle_outgoing_message(stream_or_msg, *rest)  # type: ignore[misc]
        if not session.loop_thread.is_current():
            # A synchronous kernel manager's thread: its ZMQ sockets are not ours
            # to ask whether more is queued, so no coalescing for these.
            session.loop_thread.call(self._beaker_relay, session, None, stream_or_msg, rest)
            return None
        return self._beaker_relay(session, self._beaker_coalescer, stream_or_msg, rest)

    def _beaker_relay(
        self,
        session: KernelSession,
        coalescer: BurstCoalescer | None,
        stream_or_msg: Any,
        rest: tuple[Any, ...],
    ) -> Any:
        try:
            if not _accepts(session, stream_or_msg, rest):
                return None
            return super().handle_outgoing_message(stream_or_msg, *rest)  # type: ignore[misc]
        finally:
            if coalescer is not None:
                coalescer.after(stream_or_msg)

    def on_kernel_restarted(self) -> None:
        self._beaker_on_loop_thread(super().on_kernel_restarted)  # type: ignore[misc]

    def on_restart_failed(self) -> None:
        self._beaker_on_loop_thread(super().on_restart_failed)  # type: ignore[misc]

    def _beaker_on_loop_thread(self, callback: Any) -> None:
        """Stock restart callbacks write to the websocket: on our thread, like we do."""
        session = self._beaker_session
        if session is None:
            callback()
        else:
            session.loop_thread.call(callback)

    def beaker_send(self, msg: dict[str, Any], channel: str) -> None:
        """Write a server-made message to this websocket in its own protocol.

        A preview supersedes the one before it: while one is still being written
        (a client that does not read), only the newest waits, not every one.

        Raises :class:`~.wire.EncodeError` for a message JSON cannot carry: the
        caller decides (a flow sends an ``EncodingError`` reply instead, a
        handler's publish raises, the cached preview at connect is logged).
        """
        is_preview = msg["msg_type"] == PREVIEW_MSG_TYPE
        if is_preview and self._beaker_preview_writing:
            self._beaker_preview_next = (msg, channel)
            return
        handler = self.websocket_handler
        if handler is None or handler.ws_connection is None:
            return
        data = encode_for_websocket(msg, channel, self._beaker_protocol)
        try:
            written = handler.write_message(data, binary=isinstance(data, bytes))
        except WebSocketClosedError:
            self.log.debug("beaker_server: websocket closed before %s", msg["msg_type"])
            return
        if is_preview:
            self._beaker_preview_writing = True
            written.add_done_callback(self._beaker_preview_written)

    def _beaker_preview_written(self, written: Any) -> None:
        if not written.cancelled():
            written.exception()  # a closed websocket: nothing more to write
        self._beaker_preview_writing = False
        waiting, self._beaker_preview_next = self._beaker_preview_next, None
        if waiting is not None and self._beaker_session is not None:
            self._beaker_session.send_to(self, *waiting)


def _accepts(session: KernelSession, stream_or_msg: Any, rest: tuple[Any, ...]) -> bool:
    """Whether a kernel message goes on, for both shapes the base classes use:
    ZMQ frames ``(stream or channel name, msg_list)`` or a gateway's JSON text."""
    if rest and isinstance(rest[0], list):
        channel = getattr(stream_or_msg, "channel", stream_or_msg)
        return session.outgoing.accept_frames(channel, rest[0])
    if isinstance(stream_or_msg, (str, bytes)):
        return session.outgoing.accept_json(stream_or_msg)
    return True


def _on_loop(stream: Any, session: KernelSession) -> bool:
    """Whether a ZMQ stream runs on the server's loop (its socket is ours to ask)."""
    io_loop = getattr(stream, "io_loop", None)
    return getattr(io_loop, "asyncio_loop", None) is session.loop_thread.loop


def wrap_connection_class(base: type, sessions: KernelSessions, coalesce: bool = True) -> type:
    """A subclass of ``base`` with beaker_server's interception in front of it;
    ``coalesce``: the socket corked during bursts of kernel messages (:mod:`.coalesce`)."""
    if issubclass(base, BeakerConnectionMixin):
        base = base._beaker_base
    return type(
        f"Beaker{base.__name__}",
        (BeakerConnectionMixin, base),
        {
            "_beaker_sessions": sessions,
            "_beaker_base": base,
            "_beaker_coalesce": coalesce,
            "__module__": __name__,
        },
    )
