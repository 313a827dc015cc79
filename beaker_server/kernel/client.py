"""The server's own client of one kernel, for requests users must not see.

Handlers (``execute``, ``evaluate``) and, later, previews talk to the kernel
through this client, never through a user's websocket. It has its own session
id; every message the kernel publishes for these requests carries that id in its
parent header, which is how the connection layer keeps them off client
websockets (a byte search, no parsing).

The client reads iopub as raw frames and parses only messages whose parent is one
of its own requests, and the kernel's ``status`` messages: the kernel's iopub
fan-out reaches this socket too, and a user's 50 MB output must not be
deserialized a second time for nothing.

The kernel's statuses are how the server knows that a user's cell finished,
whoever sent it (a websocket, a second tab, ``jupyter console --existing``): see
:meth:`InternalKernelClient._watch_statuses`. ipykernel publishes them under
their own ZMQ topic (``kernel.<ident>.status``), so the client subscribes to that
topic alone and the kernel sends this socket nothing else unless a handler needs
its outputs.

Longer than the other modules on purpose: it is one state machine over the
requests in flight (their replies, outputs, idles, give-ups and late answers);
the transport, the iopub subscription and the subshells are modules of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.session import Session
from jupyter_core.utils import ensure_async

from ..errors import KernelError, KernelUnavailable
from ..websocket.wire import PROTOCOL_VERSION
from .iopub_subscription import IopubSubscription
from .subshells import Subshells
from .transport import KernelTransport, make_transport

OutputCallback = Callable[[dict[str, Any]], None]
#: Sees every kernel status not caused by our requests: (parent header, execution_state).
StatusCallback = Callable[[dict[str, Any], str], None]

#: How long to wait for one kernel_info's iopub status, before asking again.
_NUDGE_INTERVAL = 0.5
#: While a request waits, how often the sockets are checked for a message whose
#: wake-up was lost (see :mod:`.zmq_reader`).
_WAKEUP_CHECK_INTERVAL = 0.02
#: Seconds a comm answer on shell may take to arrive after the request's idle status.
_ANSWER_AFTER_IDLE = 10.0


@dataclass
class _Call:
    """One request in flight: its reply and the idle status that ends its output."""

    on_output: OutputCallback | None
    #: The kernel published our request's busy status: it is running it.
    started: bool = False
    reply: asyncio.Future[dict[str, Any]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    idle: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def fail(self, error: BaseException) -> None:
        for future in (self.reply, self.idle):
            if not future.done():
                future.set_exception(error)
                # Mark retrieved: a caller may already have stopped waiting.
                future.exception()


#: Most lanes of subshells one client makes (beside its own subshell).
MAX_LANES = 4


class InternalKernelClient:
    """A kernel client that routes replies and outputs to the request that caused them."""

    def __init__(
        self,
        kernel_manager: Any,
        session_id: str,
        log: logging.Logger,
        connect_timeout: float = 30.0,
        while_waiting: Callable[[], None] | None = None,
        receive_hwm: int = 100_000,
        on_status: StatusCallback | None = None,
        on_broken: Callable[[], None] | None = None,
        on_heard: Callable[[], None] | None = None,
    ) -> None:
        self.kernel_manager = kernel_manager
        #: Called with every wake-up check while requests wait (the owner's liveness check).
        self.while_waiting = while_waiting
        #: How many messages each of this client's sockets may queue (see set_receive_hwm).
        self.receive_hwm = receive_hwm
        #: Called with the kernel's status messages of everyone else's requests.
        self.on_status = on_status
        #: Called once when a channel is lost (the owner then makes a new client).
        self.on_broken = on_broken
        #: Called once when the kernel's iopub is first heard: every status the
        #: kernel publishes from then on reaches :attr:`on_status`.
        self.on_heard = on_heard
        #: Whether iopub was heard (see :attr:`on_heard`).
        self.heard = False
        self.session_id = session_id
        self.session_marker = session_id.encode()
        self.log = log
        self.connect_timeout = connect_timeout
        self.protocol_version = PROTOCOL_VERSION
        self.kernel_info: dict[str, Any] = {}
        #: Our subshell in the kernel, when the kernel has subshells.
        self.subshell_id: str | None = None
        #: More subshells, by lane name, for slow requests (a sort of 10M rows),
        #: made on first use so that they hold up neither previews nor quick calls.
        self._lanes: dict[str, asyncio.Future[str | None]] = {}
        self.lane_subshells: dict[str, str] = {}
        #: What to do with a reply nobody waits for any more: msg_id -> action.
        self._late_replies: dict[str, Callable[[dict[str, Any]], None]] = {}
        #: Kernel procedures installed through this client (a new client per kernel start).
        self._installs: dict[str, asyncio.Future[None]] = {}
        self._session = Session(
            key=kernel_manager.session.key,
            signature_scheme=kernel_manager.session.signature_scheme,
            session=session_id,
            username="beaker_server",
        )
        self._transport: KernelTransport | None = None
        self._calls: dict[str, _Call] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._wakeup_checks: asyncio.Task[None] | None = None
        self._ready: asyncio.Task[None] | None = None
        self._closed = False
        #: Set when a channel was lost; the owner replaces the client.
        self.broken = False
        #: Our subshells in the kernel: made, retired after a stall, deleted.
        self._subshells = Subshells(
            lambda channel, msg: self._live_transport().send(channel, msg),
            self._session.msg,
            lambda *ids: self._request(*ids, timeout=self.connect_timeout),
            self._late_replies,
            log,
        )
        #: The iopub subscription, on only while someone needs it.
        self._iopub = IopubSubscription(self._nudged_once, connect_timeout)
        #: Whether every status of the kernel reaches this client now (after connect).
        self.watching_statuses = False

    # -- lifecycle ----------------------------------------------------------

    async def ensure_ready(self) -> None:
        """Connect once; concurrent callers share the same connection attempt."""
        if self._closed:
            raise KernelUnavailable("the server's kernel client is closed")
        if self._ready is None or (self._ready.done() and self._ready.exception()):
            self._ready = asyncio.ensure_future(self._connect())
            # Retrieved here so a failure nobody waits for any more is not logged twice.
            self._ready.add_done_callback(lambda t: t.cancelled() or t.exception())
        await asyncio.shield(self._ready)

    async def _connect(self) -> None:
        self._drop_channels()  # a failed attempt's, if any
        transport = make_transport(self.kernel_manager, self._session, self.log, self.receive_hwm)
        await transport.start()
        self._transport = transport
        self._iopub.attach(transport)
        # Readers exist before the first request, so its wake-up is checked too.
        self._readers = [asyncio.ensure_future(read) for read in transport.readers(self)]
        reply = await self._hello()
        self.kernel_info = reply.get("content", {})
        self.protocol_version = self.kernel_info.get("protocol_version", PROTOCOL_VERSION)
        if "kernel subshells" in self.kernel_info.get("supported_features", []):
            self.subshell_id = await self._create_subshell()
        await self._watch_statuses()

    async def _watch_statuses(self) -> None:
        """Receive every ``status`` the kernel publishes, and as little else as possible:
        the users' (for :attr:`on_status`) and our own (a request given up while the
        kernel runs it is interrupted, see :meth:`_give_up`).

        The full subscription, held since the channels started, is confirmed (a
        status of ours arrives); that status shows the kernel's topic for statuses. ipykernel's is
        ``kernel.<ident>.status``: subscribed to alone, the kernel's PUB socket
        filters for us and sends nothing else. A kernel that publishes statuses
        without such a topic keeps the full subscription, whose other messages
        are dropped after a look at their parent and header frames.
        """
        transport = self._live_transport()
        if not transport.filters_iopub:  # a gateway websocket carries every message anyway
            self.watching_statuses = True
            self.on_received()
            return
        await self._iopub.confirm()
        topic = transport.status_topic
        if topic and topic.startswith(b"kernel.") and topic.endswith(b".status"):
            self._iopub.narrow_to(topic)
        else:
            self.log.info(
                "beaker_server: kernel statuses have no topic of their own (%r); "
                "the server's client keeps its full iopub subscription",
                topic,
            )
        self.watching_statuses = True

    async def _hello(self) -> dict[str, Any]:
        """The kernel's ``kernel_info_reply``, without waiting for a user's running cell.

        Asked on control as well as on shell where there is a control channel:
        ipykernel answers on control at once, beside a long cell on the main
        shell (so a first preview need not wait for it); a kernel that answers
        only on shell still does. The first reply wins.
        """
        msg_ids = [self._send("shell", "kernel_info_request")]
        if self._wants_control():
            msg_ids.append(self._send_control("kernel_info_request"))
        return await self._request(*msg_ids, timeout=self.connect_timeout)

    def _send(self, channel: str, msg_type: str, content: dict[str, Any] | None = None) -> str:
        """Send a request made by our session on ``shell`` or ``control``; its msg_id."""
        msg = self._session.msg(msg_type, content or {})
        self._live_transport().send(channel, msg)
        return str(msg["header"]["msg_id"])

    def _send_control(self, msg_type: str, content: dict[str, Any] | None = None) -> str:
        return self._send("control", msg_type, content)

    def _wants_control(self) -> bool:
        """The control channel, for subshells and answers beside a busy main shell."""
        return self._transport is not None and self._transport.has_control

    def _live_transport(self) -> KernelTransport:
        transport = self._transport
        if transport is None:
            raise KernelUnavailable("the server's kernel client is closed")
        return transport

    async def _create_subshell(self) -> str | None:
        if not self._wants_control():
            return None
        return await self._subshells.create()

    async def ensure_lane(self, lane: str) -> str | None:
        """The subshell of lane ``lane``, made once (concurrent callers share the
        attempt); None when the kernel has no subshells."""
        await self.ensure_ready()
        if not self.subshell_id:
            return None
        making = self._lanes.get(lane)
        if making is None or (
            making.done() and (making.cancelled() or making.exception() or making.result() is None)
        ):
            if len(self._lanes) >= MAX_LANES and lane not in self._lanes:
                raise ValueError(f"at most {MAX_LANES} lanes of subshells")
            making = self._lanes[lane] = asyncio.ensure_future(self._create_subshell())
            making.add_done_callback(lambda t: t.cancelled() or t.exception())
        subshell_id = await asyncio.shield(making)
        if subshell_id:
            self.lane_subshells[lane] = subshell_id
        return subshell_id

    def retire_lane(self, lane: str) -> None:
        """Give up a lane's subshell: a request given up on it may still run (a
        comparison that never returns), and the next must not queue behind it.
        It is deleted once free; the lane's next request makes a new one."""
        self._lanes.pop(lane, None)
        stalled = self.lane_subshells.pop(lane, None)
        if stalled and not self._closed and self._transport is not None:
            self._subshells.retire(stalled)

    async def renew_subshell(self) -> None:
        """Move our requests to a new subshell: the old one is stuck in a request.

        The old subshell is deleted once its stuck request returns (see
        :meth:`Subshells.retire`); its late replies are ignored. Without a new
        one, the client is marked broken and the kernel session replaces it.
        """
        self.log.warning("beaker_server: a request on our subshell stalled; making a new one")
        stalled, self.subshell_id = self.subshell_id, None
        if stalled:
            self._subshells.retire(stalled)
        try:
            self.subshell_id = await self._create_subshell()
        finally:
            if self.subshell_id is None:
                self._mark_broken()

    async def _request(self, *msg_ids: str, timeout: float) -> dict[str, Any]:
        """The first reply to requests already sent (one, or the same asked twice)."""
        calls = [self._track(msg_id) for msg_id in msg_ids]
        try:
            done, _ = await asyncio.wait(
                [call.reply for call in calls], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for msg_id in msg_ids:
                self._calls.pop(msg_id, None)
        if not done:
            raise KernelUnavailable(f"the kernel did not answer within {timeout:g} s")
        return done.pop().result()

    async def _nudged_once(self) -> bool:
        """One kernel_info; whether its iopub status arrived in time."""
        # On control where there is one: a user's running cell holds the main shell.
        channel = "control" if self._wants_control() else "shell"
        msg_id = self._send(channel, "kernel_info_request")
        call = self._track(msg_id)
        try:
            await asyncio.wait_for(asyncio.shield(call.idle), _NUDGE_INTERVAL)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._calls.pop(msg_id, None)

    def close(self, reason: BaseException | None = None) -> None:
        """Fail every pending call and release the sockets."""
        self._closed = True
        self._fail_all(reason or KernelUnavailable("the server's kernel client was closed"))
        if self._wakeup_checks is not None:
            self._wakeup_checks.cancel()
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        self._iopub.close()
        self._drop_channels()

    def _drop_channels(self) -> None:
        for task in self._readers:
            task.cancel()
        self._readers = []
        transport, self._transport = self._transport, None
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.stop()

    def _fail_all(self, error: BaseException) -> None:
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.fail(error)

    def _track(self, msg_id: str, on_output: OutputCallback | None = None) -> _Call:
        """Register a request in flight; its reply and outputs are routed to it."""
        call = self._calls[msg_id] = _Call(on_output=on_output)
        transport = self._transport
        if (
            transport is not None
            and transport.needs_wakeup_checks
            and (self._wakeup_checks is None or self._wakeup_checks.done())
        ):
            self._wakeup_checks = asyncio.ensure_future(self._check_wakeups())
        return call

    async def _check_wakeups(self) -> None:
        """While requests wait, restart socket reads that missed a message's wake-up."""
        while self._calls and not self._closed:
            await asyncio.sleep(_WAKEUP_CHECK_INTERVAL)
            transport = self._transport
            if transport is not None and transport.unstick():
                self.log.debug("beaker_server: a kernel reply had not woken its reader")
            if self.while_waiting is not None:
                self.while_waiting()

    # -- procedures -------------------------------------------------------------

    async def install(self, name: str, code: str, *, on_subshell: bool = False) -> None:
        """Run a kernel procedure's install code once for this client (once per kernel start).

        Concurrent callers share one run; a failed run is retried by the next caller.
        """
        install = self._installs.get(name)
        if install is None or (install.done() and install.exception() is not None):
            install = self._installs[name] = asyncio.ensure_future(
                self._run_install(name, code, on_subshell)
            )
            install.add_done_callback(lambda f: f.cancelled() or f.exception())
        await asyncio.shield(install)

    def forget_install(self, name: str) -> None:
        """Install ``name`` again at its next use (the kernel lost it, say)."""
        install = self._installs.get(name)
        if install is not None and install.done():
            del self._installs[name]

    async def _run_install(self, name: str, code: str, on_subshell: bool) -> None:
        # allow_stdin: ipykernel sets it kernel-wide for each execute, so on a
        # subshell it is also the running user cell's (which must keep its input())
        # until the procedure installs its guard (see python_preview.guard_stdin).
        reply = await self.execute(code, on_subshell=on_subshell, allow_stdin=on_subshell)
        if reply.get("status") != "ok":
            raise KernelError(
                str(reply.get("ename", "Error")),
                f"installing the {name} procedure failed: {reply.get('evalue', '')}",
            )

    # -- requests -------------------------------------------------------------

    async def execute(
        self,
        code: str,
        *,
        user_expressions: dict[str, str] | None = None,
        on_output: OutputCallback | None = None,
        on_subshell: bool = False,
        lane: str | None = None,
        until_idle: bool = False,
        allow_stdin: bool = False,
    ) -> dict[str, Any]:
        """Run code silently (no history, no execution count, no ``Out``) and
        return the ``execute_reply`` content once its output has all arrived.

        ``on_subshell`` runs it on our subshell when the kernel has one, beside
        a user's running cell instead of after it; with ``lane`` on that lane's
        subshell (:meth:`ensure_lane`). ``until_idle`` also waits for
        the request's idle status where statuses are watched: every status the
        kernel published before it has then been seen too.
        """
        # What jupyter_client's execute() checks before sending, as it used to here.
        if not isinstance(code, str):
            raise ValueError(f"code {code!r} must be a string")
        for key, value in (user_expressions or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError(f"user_expressions must map str to str, not {key!r}: {value!r}")
        await self.ensure_ready()
        streams = on_output is not None
        if streams:
            await self._iopub.acquire()
        try:
            content = {
                "code": code,
                "silent": True,
                "store_history": False,
                "user_expressions": user_expressions or {},
                "allow_stdin": allow_stdin,
                "stop_on_error": False,
            }
            own = (lane and self.lane_subshells.get(lane)) or self.subshell_id
            subshell_id = (on_subshell and own) or None
            msg_id = self._send_execute(content, subshell_id)
            call = self._track(msg_id, on_output)
            try:
                reply = await call.reply
                # The idle status comes after the last output (and after every
                # status the kernel published before it: one PUB socket, in order).
                if streams or (until_idle and self.watching_statuses):
                    await call.idle
            except asyncio.CancelledError:
                self._give_up(call, subshell_id)
                raise
            finally:
                self._calls.pop(msg_id, None)
        finally:
            if streams:
                self._iopub.release()
        answer: dict[str, Any] = reply.get("content", {})
        return answer

    async def comm_request(
        self, target: str, data: dict[str, Any], buffers: list[bytes] | None = None
    ) -> dict[str, Any] | None:
        """Open a comm to a kernel-side target and return its first ``comm_msg``.

        The comm carries ``data`` and binary ``buffers`` (values too large to
        travel as code or JSON). The kernel procedures here answer on the shell
        channel, to this client alone (a copy on iopub would reach every client
        of the kernel); an answer on iopub is taken too where iopub arrives
        anyway. Returns ``None`` when the kernel answered nothing: no such target
        is registered (yet).
        """
        await self.ensure_ready()
        answers: list[dict[str, Any]] = []

        def on_output(msg: dict[str, Any]) -> None:
            if msg.get("msg_type") == "comm_msg":
                answers.append(msg)

        content = {"comm_id": uuid.uuid4().hex, "target_name": target, "data": data}
        msg = self._session.msg("comm_open", content)
        msg["buffers"] = list(buffers or [])
        msg_id = msg["header"]["msg_id"]
        call = self._track(msg_id, on_output)
        try:
            self._send_shell(msg)
            await call.idle  # comm messages have no shell reply of their own
            if not answers and not call.reply.done():
                # Sent before the idle status but on another socket: a large
                # answer may still be arriving when the status has.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(call.reply), _ANSWER_AFTER_IDLE)
        except asyncio.CancelledError:
            self._give_up(call, None)
            raise
        finally:
            self._calls.pop(msg_id, None)
        if call.reply.done() and call.reply.result().get("msg_type") == "comm_msg":
            answers.insert(0, call.reply.result())
        return answers[0] if answers else None

    def _give_up(self, call: _Call, subshell_id: str | None) -> None:
        """A request of ours was given up (its handler timed out, say): a main shell
        still running it would hold back the user's next cell, so it is interrupted.

        Only while the kernel runs it (its busy came, its idle did not): a request
        still queued behind a user's cell may take a moment once it starts, and an
        interrupt sent then could reach the user's cell after it. A stuck request
        on our subshell is the owner's to handle (:meth:`renew_subshell`).
        """
        if subshell_id or self._closed or not call.started or call.idle.done():
            return
        if getattr(self.kernel_manager, "shutting_down", False):
            return
        self.log.warning("beaker_server: interrupting the kernel: it runs a request given up")
        interrupting = asyncio.ensure_future(ensure_async(self.kernel_manager.interrupt_kernel()))
        interrupting.add_done_callback(self._interrupted)

    def _interrupted(self, interrupting: asyncio.Future[Any]) -> None:
        error = None if interrupting.cancelled() else interrupting.exception()
        if error is not None:
            self.log.warning("beaker_server: could not interrupt the kernel: %r", error)

    def _send_shell(self, msg: dict[str, Any]) -> None:
        self._live_transport().send("shell", msg)

    def _send_execute(self, content: dict[str, Any], subshell_id: str | None) -> str:
        msg = self._session.msg("execute_request", content)
        if subshell_id:
            msg["header"]["subshell_id"] = subshell_id  # JEP 91: routed to our subshell
        self._send_shell(msg)
        return str(msg["header"]["msg_id"])

    # -- what the transport hands over (see .transport.TransportSink) -------------

    @property
    def wants_statuses(self) -> bool:
        return self.on_status is not None

    def on_reply(self, msg: dict[str, Any]) -> None:
        """Route a shell or control reply to its call."""
        parent_id = msg.get("parent_header", {}).get("msg_id")
        call = self._calls.get(parent_id)
        if call is not None and not call.reply.done():
            call.reply.set_result(msg)
        elif parent_id in self._late_replies:
            self._late_replies.pop(parent_id)(msg)

    def on_received(self) -> None:
        """A message arrived: the first one shows the subscription has reached the
        kernel, so nothing it publishes from now on is missed (a SUB socket misses
        only what was published before)."""
        if not self.heard:
            self.heard = True
            if self.on_heard is not None:
                self.on_heard()

    def on_lost(self, channel: str, error: BaseException) -> None:
        self._lost_channel(channel, error)

    def on_kernel_status(self, parent_header: dict[str, Any], state: str) -> None:
        """Tell the owner of a status of someone else's request (a user's cell, say)."""
        if self.on_status is None:
            return
        try:
            self.on_status(parent_header, state)
        except Exception:
            self.log.exception("beaker_server: status callback failed")

    def _lost_channel(self, channel: str, error: BaseException) -> None:
        """A reader ended on its own: fail what waits, so the session makes a new client."""
        if self._closed:
            return
        self.log.warning("beaker_server: lost the %s channel to the kernel: %r", channel, error)
        self._fail_all(KernelUnavailable(f"lost the {channel} channel to the kernel"))
        self._mark_broken()

    def _mark_broken(self) -> None:
        """The owner replaces a broken client; it is told once, so statuses keep flowing."""
        if self.broken:
            return
        self.broken = True
        if self.on_broken is not None:
            self.on_broken()

    def on_own_iopub(self, msg: dict[str, Any]) -> None:
        """An iopub message of one of our requests: its status, or an output."""
        call = self._calls.get(msg.get("parent_header", {}).get("msg_id"))
        if call is None:
            return
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        if msg_type == "status":
            state = msg["content"].get("execution_state")
            call.started = call.started or state == "busy"
            if state == "idle" and not call.idle.done():
                call.idle.set_result(None)
        elif call.on_output is not None:
            try:
                call.on_output(msg)
            except Exception:
                self.log.exception("beaker_server: output callback failed")


def new_session_id() -> str:
    """A session id recognizable in logs as the server's own."""
    return f"beaker-server-{uuid.uuid4().hex}"
