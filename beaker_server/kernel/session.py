"""What the server keeps per kernel, shared by every websocket of that kernel.

A :class:`KernelSession` holds the open connections (to broadcast the iopub
messages the server makes), the one internal kernel client for the server's own
requests, the custom requests in flight, and the decisions of response hooks. It
lives as long as the kernel: a restart aborts the requests in flight and renews
the internal client; a shutdown closes it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Protocol

from ..errors import KernelUnavailable
from ..messages.context import KernelProxy, Publish
from ..messages.flow import KernelSide, RequestFlow
from ..messages.registry import MessageRegistry
from ..messages.response_hooks import OutgoingFilter
from ..preview.kernel_preview import KernelPreview
from ..settings import BeakerSettings
from ..store.variable_store import VariableStore
from ..websocket.loop_thread import LoopThread
from ..websocket.wire import PROTOCOL_VERSION, EncodeError, make_message
from .activity import record_activity_cheaply
from .client import InternalKernelClient, new_session_id
from .hooks import KernelHooks
from .procedures import install_code

#: Identifies one kernel process (provisioner, pid), so a restart is told apart
#: from a repeat report; ``None`` where there is no provisioner (gateway kernels).
KernelProcess = tuple[int, Any] | None

KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"

#: How often to look for the new kernel process after a death (no event says so).
_RESTART_POLL_INTERVAL = 0.05

#: The kernel procedure that makes the kernel's iopub socket wait for slow subscribers.
IOPUB_MODULE = "_beaker_iopub"
IOPUB_PROCEDURE = Path(__file__).with_name("python_iopub.py")


class ClientConnection(Protocol):
    """A websocket connection as the session uses it."""

    def beaker_send(self, msg: dict[str, Any], channel: str) -> None: ...


class KernelSession:
    """The server's per-kernel state: connections, internal client, requests."""

    def __init__(
        self,
        kernel_id: str,
        kernel_manager: Any,
        registry: MessageRegistry,
        settings: BeakerSettings,
        log: logging.Logger,
        store: VariableStore | None = None,
        multi_kernel_manager: Any = None,
    ) -> None:
        self.kernel_id = kernel_id
        self.kernel_manager = kernel_manager
        #: jupyter_server's manager of all kernels, whose activity watcher we front.
        self.multi_kernel_manager = multi_kernel_manager
        self.registry = registry
        self.settings = settings
        self.log = log
        self.store = store
        #: The session of the messages the server makes (every client sees it).
        self.session_id = new_session_id()
        #: The session of the internal client's requests, which no client sees (what
        #: they cause on iopub is dropped): how the server's own traffic is told
        #: apart. A public id would let a client that copies it hide its cells.
        self.client_session_id = new_session_id()
        self.session_marker = self.client_session_id.encode()
        self.connections: set[ClientConnection] = set()
        self._flows: dict[RequestFlow, asyncio.Task[dict[str, Any]]] = {}
        self._client: InternalKernelClient | None = None
        #: What of the kernel's messages goes on to the websockets.
        self.outgoing = OutgoingFilter(
            registry, self.client_session_id, lambda: self.kernel_id, log
        )
        self._closed = False
        self._watch: asyncio.Future[None] | None = None
        #: Resolved when the current (or next) internal client first hears iopub.
        self._heard: asyncio.Future[None] | None = None
        self._kernel_process = _kernel_process(kernel_manager)
        #: The auto-restarter reported this process dead; its successor is awaited.
        self._death_handled = False
        self.preview = KernelPreview(
            kernel_id,
            settings.preview,
            log,
            kernel_client=self.kernel_client,
            client_session_id=self.client_session_id,
            make_message=self.make_message,
            broadcast=self.broadcast,
            send_to=self.send_iopub_to,
        )
        #: What every request flow of this kernel uses of it.
        self.flow_side = KernelSide(
            registry=registry,
            limits=settings.flow,
            make_message=self.make_message,
            broadcast=self.broadcast,
            kernel_proxy=self.kernel_proxy,
            kernel_stopping=lambda: self.kernel_stopping,
            store=store,
        )
        #: What handlers and kernel hooks keep about the current kernel process.
        self.handler_state: dict[str, Any] = {}
        self.hooks = KernelHooks(kernel_id, registry.kernel_hooks_for, self._hook_kernel_proxy, log)
        # Made on the server's loop thread; synchronous kernel managers call back on another.
        self.loop_thread = LoopThread.current()

    # -- connections ------------------------------------------------------------

    def attach(self, connection: ClientConnection) -> None:
        self.connections.add(connection)
        self.watch_kernel()

    def watch_kernel(self) -> None:
        """Keep the server's client connected (for previews) and the kernel set up
        (its iopub socket, see :meth:`_set_up_iopub`).

        Its status subscription is how the server hears that a user's cell
        finished; it is made when a websocket attaches and again after a restart
        or a lost channel, not only when a request happens to need the client.
        """
        if self._closed or not (
            self.preview.live or self.hooks.wanted or self.settings.kernel_iopub_wait
        ):
            return
        if self._watch is not None and not self._watch.done():
            return
        self._watch = asyncio.ensure_future(self._connect_watch())

    async def until_kernel_heard(self, timeout: float) -> None:
        """Wait (at most ``timeout``) until the server's client hears the kernel's iopub.

        A websocket opens only then (README, "What it does"): the statuses
        of a cell it sends at once are seen, so that cell gets its preview. The
        server's client subscribes just after the websocket's channels do; over a
        slow link, or on a loaded machine, its subscription reaches the kernel
        later than the websocket's. Returns at once where nothing is being
        connected (previews off, a failed connection attempt).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.preview.live and not self._closed:
            client = self._client
            if client is not None and client.heard and not client.broken:
                return
            watch = self._watch  # a restart meanwhile starts another: wait for that one
            left = deadline - loop.time()
            if watch is None or watch.done() or left <= 0:
                return
            heard = self._heard_future()  # done already: an old client's, so the watch
            waiting = [watch] if heard.done() else [heard, watch]
            await asyncio.wait(waiting, timeout=left, return_when=asyncio.FIRST_COMPLETED)

    def _heard_future(self) -> asyncio.Future[None]:
        if self._heard is None:
            self._heard = asyncio.get_running_loop().create_future()
        return self._heard

    def _on_kernel_heard(self) -> None:
        heard = self._heard_future()
        if not heard.done():
            heard.set_result(None)

    async def _connect_watch(self) -> None:
        try:
            client = await self.kernel_client()
            await self._set_up_iopub(client)
        except Exception as error:  # retried at the next attach, restart or request
            self.log.warning(
                "beaker_server: cannot watch or set up kernel %s: %r", self.kernel_id, error
            )

    async def _set_up_iopub(self, client: InternalKernelClient) -> None:
        """Once per kernel start: the kernel's iopub socket waits for a subscriber
        that falls behind instead of dropping what it has not taken (README,
        "Nothing lost under load"). On our subshell, so a user's first cell
        already running does not delay it."""
        wait = self.settings.kernel_iopub_wait
        language = client.kernel_info.get("language_info", {}).get("name")
        if wait and language == "python":
            then = f"wait_for_iopub_subscribers({wait!r})"
            code = install_code(IOPUB_MODULE, IOPUB_PROCEDURE, then=then)
            await client.install(IOPUB_MODULE, code, on_subshell=True)

    def detach(self, connection: ClientConnection) -> None:
        self.connections.discard(connection)

    def broadcast(self, msg: dict[str, Any]) -> None:
        """Send a server-made message on iopub to every websocket of the kernel.

        A message JSON cannot carry raises :class:`EncodeError` once every
        websocket was tried: a handler that published it learns so.
        """
        failed: EncodeError | None = None
        for connection in list(self.connections):
            try:
                connection.beaker_send(msg, "iopub")
            except EncodeError as error:
                failed = error
        if failed is not None:
            raise failed

    def send_iopub_to(self, connection: Any, msg: dict[str, Any]) -> None:
        self.send_to(connection, msg, "iopub")

    def kernel_proxy(self, publish: Publish) -> KernelProxy:
        """The kernel as a handler sees it; its outputs are published with ``publish``."""
        return KernelProxy(
            self.kernel_id,
            self.kernel_client,
            publish,
            preview=self.preview,
            max_variable_bytes=self.settings.max_variable_bytes,
            state=self.handler_state,
            broadcast=self._broadcast_news,
            client_sessions=self.client_sessions,
            settings=self.settings,
        )

    def client_sessions(self) -> set[str]:
        """The session ids of the kernel's websockets now (JupyterLab's client ids)."""
        sessions = (getattr(connection, "session_id", None) for connection in self.connections)
        return {session for session in sessions if isinstance(session, str) and session}

    def _hook_kernel_proxy(self) -> KernelProxy:
        """The kernel as a kernel hook sees it: what it publishes has no parent."""
        return self.kernel_proxy(self._broadcast_news)

    def _broadcast_news(self, msg_type: str, content: dict[str, Any]) -> None:
        self.broadcast(self.make_message(msg_type, content, {}))

    def _on_status(self, parent: dict[str, Any], state: str) -> None:
        if self.preview.live:
            self.preview.on_kernel_status(parent, state)
        self.hooks.on_kernel_status(parent, state)

    def send_to(self, connection: ClientConnection, msg: dict[str, Any], channel: str) -> None:
        """Send to one websocket where nobody could be told of a failure (the
        cached preview while it connects, a preview that waited for the one
        before it): one that cannot be encoded is logged."""
        try:
            connection.beaker_send(msg, channel)
        except EncodeError as error:
            self.log.warning("beaker_server: not sent on kernel %s: %s", self.kernel_id, error)

    @property
    def protocol_version(self) -> str:
        """The kernel's messaging protocol version, once the server's client knows it."""
        return self._client.protocol_version if self._client else PROTOCOL_VERSION

    def make_message(
        self,
        msg_type: str,
        content: dict[str, Any],
        parent_header: dict[str, Any],
        username: str = "beaker_server",
    ) -> dict[str, Any]:
        return make_message(
            msg_type,
            content,
            parent_header,
            session_id=self.session_id,
            username=username,
            version=self.protocol_version,
        )

    # -- requests -----------------------------------------------------------------

    def start(self, flow: RequestFlow) -> asyncio.Task[dict[str, Any]]:
        """Run a request flow; it is aborted if the kernel restarts meanwhile."""
        if self._closed:
            flow.abort("the kernel is shut down")
        else:
            self.check_kernel_process()  # what is in flight now was sent to the old one
        task = self._flows[flow] = asyncio.ensure_future(flow.run())
        task.add_done_callback(lambda _: self._flows.pop(flow, None))
        return task

    @property
    def kernel_stopping(self) -> bool:
        """The kernel manager is stopping the kernel, to restart it or for good."""
        return bool(getattr(self.kernel_manager, "shutting_down", False))

    async def kernel_client(self) -> InternalKernelClient:
        """The internal client, connected (created on first use, renewed on restart)."""
        if self._closed:
            raise KernelUnavailable(f"kernel {self.kernel_id} is shut down")
        self.check_kernel_process()
        if self._death_handled:
            await self._until_new_process()
        if self._client is not None and self._client.broken:
            self._reset_client()
        if self._client is None:
            self._client = InternalKernelClient(
                self.kernel_manager,
                self.client_session_id,
                self.log,
                connect_timeout=self.settings.kernel_connect_timeout,
                while_waiting=self.check_kernel_process,
                receive_hwm=self.settings.zmq_receive_hwm,
                on_status=self._on_status if self.preview.live or self.hooks.wanted else None,
                on_broken=self.watch_kernel,
                on_heard=self._on_kernel_heard,
            )
        record_activity_cheaply(
            self.multi_kernel_manager, self.kernel_id, self.kernel_manager, self.session_marker
        )
        client = self._client
        await client.ensure_ready()
        return client

    # -- lifecycle ------------------------------------------------------------------

    def on_restarter_restart(self) -> None:
        """The auto-restarter's "restart" callback, perhaps on a synchronous manager's
        thread: the dead process is read here, before the restart replaces it."""
        self.loop_thread.call(self.on_kernel_died, _kernel_process(self.kernel_manager))

    def on_kernel_died(self, process: KernelProcess) -> None:
        """The auto-restarter found ``process`` dead and is about to start another.

        Reported before the new process exists, so it is handled now: requests in
        flight are aborted and the preview is emptied. The restart that follows is
        reported again (as a kernel action, or seen by :meth:`check_kernel_process`)
        and then skipped. A report that comes after the new process was seen
        (synchronous managers call back from their own thread) is stale.
        """
        if self._kernel_process is None:
            self._kernel_process = process  # it died before we saw it running
        if process is not None and process != self._kernel_process:
            return
        self._death_handled = process is not None
        self._end_kernel_process("the kernel died")

    def on_kernel_restarted(self) -> None:
        """A restart reported as a kernel action (REST, or after the auto-restarter's).

        A report that finds the process already seen, or that completes a death
        handled before, must not abort requests made since.
        """
        process = _kernel_process(self.kernel_manager)
        if process is not None and self._kernel_process is None:
            self._kernel_process = process  # the first process seen (it was still starting)
            return
        if process is not None and process == self._kernel_process:
            return  # seen already
        handled = self._death_handled
        self._kernel_process, self._death_handled = process, False
        if not handled:
            self._end_kernel_process("the kernel restarted")

    def check_kernel_process(self) -> None:
        """Notice a restart nobody reported: synchronous kernel managers emit no
        kernel-action events, and a request sent to the old process waits forever.

        Called when a request starts, when the internal client is fetched and while
        its requests wait. Every new request calls it first, so whatever is in flight
        when a new process is seen was sent to the old one.
        """
        process = _kernel_process(self.kernel_manager)
        if process is not None and process != self._kernel_process:
            self.on_kernel_restarted()

    async def _until_new_process(self) -> None:
        """After a reported death, wait for the restarter's new kernel process.

        Until it is launched the connection info is the dead kernel's, and a kernel
        that dies in its first seconds is restarted on new ports: a client made now
        would wait on ports nobody listens to.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.kernel_connect_timeout
        while self._death_handled and not self._closed:
            if loop.time() >= deadline:
                raise KernelUnavailable(f"kernel {self.kernel_id} did not come back after it died")
            await asyncio.sleep(_RESTART_POLL_INTERVAL)
            self.check_kernel_process()
        if self._closed:
            raise KernelUnavailable(f"kernel {self.kernel_id} is shut down")

    def _end_kernel_process(self, reason: str) -> None:
        """Abort requests in flight; the internal client reconnects on next use."""
        self._abort_all(reason)
        self.preview.on_kernel_restarted()
        self.hooks.on_kernel_restarted(self._hook_kernel_proxy())  # with the old state
        self.handler_state = {}
        self._reset_client()
        if self._watch is not None:  # it was setting up the old process: start over
            self._watch.cancel()
            self._watch = None
        self.watch_kernel()

    def close(self, reason: str = "the kernel is shut down") -> None:
        self._closed = True
        self.hooks.close()
        self._abort_all(reason)
        self._reset_client()
        if self._watch is not None:
            self._watch.cancel()

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait (bounded) until the aborted flows have sent their replies."""
        if self._flows:
            await asyncio.wait(list(self._flows.values()), timeout=timeout)

    def _abort_all(self, reason: str) -> None:
        for flow in list(self._flows):
            flow.abort(reason)

    def _reset_client(self) -> None:
        if self._heard is not None and self._heard.done():
            self._heard = None  # the next client is heard anew; waiters still wait for it
        client, self._client = self._client, None
        if client is not None:
            client.close(KernelUnavailable(f"kernel {self.kernel_id}: the server's client closed"))


def _kernel_process(kernel_manager: Any) -> KernelProcess:
    """Identifies one kernel process, so a restart is told apart from a repeat report.

    ``None`` until the process is launched: its connection info is final only then.
    """
    provisioner = getattr(kernel_manager, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if provisioner is None or pid is None:
        return None
    return id(provisioner), pid
