"""How the server's own client reaches a kernel: ZMQ sockets (local kernels) or a
gateway's kernel websocket. :class:`~beaker_server.kernel.client.InternalKernelClient`
talks to a :class:`KernelTransport` and never asks which one it has.

A transport sends the client's messages and reads the kernel's, handing the
client (a :class:`TransportSink`) only what it needs: replies to its requests,
iopub messages of its own requests (parsed), and the statuses of everyone
else's requests (how the server learns that a user's cell finished). Everything
else a kernel fans out (a user's 50 MB output) is dropped after a look at bytes:
the parent and header frames on ZMQ, a substring test behind a gateway.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import zmq
from jupyter_client.session import Session

from ..websocket.wire import ZMQ_DELIMITER
from .gateway_client import GatewayWebsocketClient, is_gateway_kernel
from .zmq_reader import LevelCheckedReader

#: In an iopub header frame: the message may be a status (parsed to be sure).
_STATUS = b'"status"'


class TransportSink(Protocol):
    """What a transport tells the client (all on the server's event loop)."""

    @property
    def wants_statuses(self) -> bool:
        """Whether statuses of other requests are wanted (else they are not parsed)."""

    def on_reply(self, msg: dict[str, Any]) -> None:
        """A shell or control message (replies to the client's requests)."""

    def on_own_iopub(self, msg: dict[str, Any]) -> None:
        """An iopub message whose parent is one of the client's requests."""

    def on_kernel_status(self, parent_header: dict[str, Any], state: str) -> None:
        """A status of someone else's request."""

    def on_received(self) -> None:
        """Any iopub message arrived (the subscription has reached the kernel)."""

    def on_lost(self, channel: str, error: BaseException) -> None:
        """A channel ended on its own."""


class KernelTransport(Protocol):
    """The channels of one kernel, as the server's own client uses them."""

    #: The kernel has a control channel the server may use (subshells, a
    #: ``kernel_info`` answered beside a busy main shell).
    has_control: bool
    #: iopub is filtered by subscription (ZMQ); else every message arrives anyway.
    filters_iopub: bool
    #: Reads may miss a wake-up and need :meth:`unstick` while requests wait (ZMQ).
    needs_wakeup_checks: bool
    #: The topic of the kernel's status messages, once one of ours was seen
    #: (ipykernel: ``kernel.<ident>.status``); ``b""`` for a kernel without topics.
    status_topic: bytes | None

    async def start(self) -> None: ...

    def stop(self) -> None: ...

    def send(self, channel: str, msg: dict[str, Any]) -> None:
        """Send a message made by the client's session on ``shell`` or ``control``."""

    def readers(self, sink: TransportSink) -> list[Coroutine[Any, Any, None]]:
        """The read loops, one per channel, to run as tasks."""

    def subscribe(self, topic: bytes, on: bool) -> None:
        """(Un)subscribe iopub to ``topic`` (``b""``: everything), where
        :attr:`filters_iopub`."""

    def unstick(self) -> bool:
        """Restart reads that missed a wake-up (see :mod:`.zmq_reader`)."""


def make_transport(
    kernel_manager: Any, session: Session, log: logging.Logger, receive_hwm: int
) -> KernelTransport:
    """The transport for a kernel: behind a gateway its websocket, else ZMQ."""
    if is_gateway_kernel(kernel_manager):
        return GatewayTransport(GatewayWebsocketClient(kernel_manager.kernel_id, session, log))
    return ZmqTransport(kernel_manager, session, log, receive_hwm)


class ZmqTransport:
    """A local kernel's ZMQ sockets, through jupyter_client's async client.

    jupyter_client's async client is used whatever the kernel manager's own
    client class: with the synchronous ``MappingKernelManager`` that class is a
    blocking client, which would block the event loop. Sockets are read raw,
    through :class:`LevelCheckedReader`.
    """

    has_control = True
    filters_iopub = True
    needs_wakeup_checks = True

    def __init__(
        self, kernel_manager: Any, session: Session, log: logging.Logger, receive_hwm: int
    ) -> None:
        from jupyter_client.asynchronous.client import AsyncKernelClient

        self.session = session
        self.log = log
        self.status_topic: bytes | None = None
        self._marker = session.session.encode()
        self._client = AsyncKernelClient(session=session)
        set_receive_hwm(self._client, receive_hwm, create=True)
        self._client.load_connection_info(kernel_manager.get_connection_info())
        self._readers: list[LevelCheckedReader] = []

    async def start(self) -> None:
        self._client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)

    def stop(self) -> None:
        self._client.stop_channels()

    def send(self, channel: str, msg: dict[str, Any]) -> None:
        getattr(self._client, f"{channel}_channel").send(msg)

    def subscribe(self, topic: bytes, on: bool) -> None:
        self._client.iopub_channel.socket.setsockopt(
            zmq.SUBSCRIBE if on else zmq.UNSUBSCRIBE, topic
        )

    def unstick(self) -> bool:
        return any([reader.unstick() for reader in self._readers])

    def readers(self, sink: TransportSink) -> list[Coroutine[Any, Any, None]]:
        iopub = self._reader(self._client.iopub_channel, copy=False)
        shell = self._reader(self._client.shell_channel, copy=True)
        control = self._reader(self._client.control_channel, copy=True)
        out = (sink, self.log)
        return [
            _read_loop("iopub", iopub.recv_multipart, lambda f: self._on_frames(f, sink), *out),
            _read_loop("shell", lambda: self._recv_reply(shell), sink.on_reply, *out),
            _read_loop("control", lambda: self._recv_reply(control), sink.on_reply, *out),
        ]

    def _reader(self, channel: Any, *, copy: bool) -> LevelCheckedReader:
        reader = LevelCheckedReader(channel.socket, copy=copy)
        self._readers.append(reader)
        return reader

    async def _recv_reply(self, reader: LevelCheckedReader) -> dict[str, Any]:
        """A shell or control message, decoded: one that cannot be (a bad signature,
        missing frames) ends the channel, so the calls waiting on it fail instead of
        waiting for a reply that is gone, and the session makes a new client."""
        _, parts = self.session.feed_identities(await reader.recv_multipart())
        msg: dict[str, Any] = self.session.deserialize(parts)
        return msg

    def _on_frames(self, frames: list[zmq.Frame], sink: TransportSink) -> None:
        """Parse an iopub message only when its parent is one of the client's
        requests; read only header, parent and content of other statuses.
        Every message tells the sink that iopub is heard.

        Frames arrive uncopied; the small delimiter, parent and header frames are
        looked at before deciding.
        """
        sink.on_received()
        index = next(
            (
                i
                for i, f in enumerate(frames)
                if len(f) == len(ZMQ_DELIMITER) and f.bytes == ZMQ_DELIMITER
            ),
            None,
        )
        if index is None or index + 5 >= len(frames):  # <IDS|MSG>, hmac, header, parent, ...
            return
        parent = frames[index + 3].bytes
        if self._marker in parent:
            msg = self.session.deserialize([f.bytes for f in frames[index + 1 :]])
            if msg.get("msg_type") == "status":
                self.status_topic = frames[0].bytes if index else b""
            sink.on_own_iopub(msg)
            return
        header = frames[index + 2].bytes
        if sink.wants_statuses and _STATUS in header:
            _tell_status(header, parent, frames[index + 5].bytes, sink)


async def _read_loop(
    name: str,
    receive: Callable[[], Awaitable[Any]],
    handle: Callable[[Any], None],
    sink: TransportSink,
    log: logging.Logger,
) -> None:
    """Read one channel until it ends (``receive`` fails); a message ``handle``
    cannot take is logged and skipped, not the end of the reader."""
    while True:
        try:
            received = await receive()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            sink.on_lost(name, error)
            return
        try:
            handle(received)
        except Exception:
            log.warning("beaker_server: unreadable %s message", name, exc_info=True)


def _tell_status(header: bytes, parent: bytes, content: bytes, sink: TransportSink) -> None:
    try:
        if json.loads(header).get("msg_type") != "status":
            return
        state = json.loads(content).get("execution_state")
        parent_header = json.loads(parent)
    except (ValueError, AttributeError):
        return
    if isinstance(state, str) and isinstance(parent_header, dict):
        sink.on_kernel_status(parent_header, state)


class GatewayTransport:
    """A kernel behind a gateway: its websocket carries every message to us, and
    the client reads what :class:`GatewayWebsocketClient` lets through, parsed.
    Control goes over the same websocket (subshells, JEP 91, are made there);
    there is no subscription to switch."""

    has_control = True
    filters_iopub = False
    needs_wakeup_checks = False
    #: Every message arrives: no topic to learn.
    status_topic: bytes | None = None

    def __init__(self, client: GatewayWebsocketClient) -> None:
        self.client = client
        self._session_id = client.session.session

    async def start(self) -> None:
        await self.client.start_channels(shell=True, iopub=True, control=True)

    def stop(self) -> None:
        self.client.stop_channels()

    def send(self, channel: str, msg: dict[str, Any]) -> None:
        self.client.send_message(channel, msg)

    def subscribe(self, topic: bytes, on: bool) -> None:
        pass

    def unstick(self) -> bool:
        return False

    def readers(self, sink: TransportSink) -> list[Coroutine[Any, Any, None]]:
        iopub, shell = self.client.iopub_channel, self.client.shell_channel
        out = (sink, self.client.log)
        return [
            _read_loop("iopub", iopub.get_msg, lambda msg: self._on_iopub(msg, sink), *out),
            _read_loop("shell", shell.get_msg, sink.on_reply, *out),
        ]

    def _on_iopub(self, msg: dict[str, Any], sink: TransportSink) -> None:
        sink.on_received()
        parent = msg.get("parent_header") or {}
        if parent.get("session") == self._session_id:
            sink.on_own_iopub(msg)
        elif sink.wants_statuses and msg.get("msg_type") == "status":
            state = (msg.get("content") or {}).get("execution_state")
            if isinstance(state, str) and isinstance(parent, dict):
                sink.on_kernel_status(parent, state)


def set_receive_hwm(owner: Any, hwm: int, *, create: bool = False) -> None:
    """Let the sockets that ``owner`` (a kernel manager, a kernel client) makes
    from its ZMQ context from now on queue ``hwm`` messages each.

    A kernel's PUB socket drops what a subscriber's queues cannot hold, without a
    trace: with ZMQ's default of 1,000 on both sides, a server that falls 2,000
    messages behind a flood (a loaded machine) loses outputs, or the idle that
    ends a cell. A bigger receive queue on the server's side is memory the
    server holds only while it catches up.

    A context the owner has not made yet is made only with ``create``: kernels
    behind a gateway are reached without ZMQ, and a context made for nothing is
    never closed.
    """
    has_value = getattr(owner, "trait_has_value", None)
    if not create and has_value is not None and not has_value("context"):
        return
    context = getattr(owner, "context", None)
    if context is not None and hasattr(context, "setsockopt"):
        context.setsockopt(zmq.RCVHWM, hwm)
