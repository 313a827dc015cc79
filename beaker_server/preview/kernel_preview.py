"""Live variable preview: when to ask the kernel, and what to send the clients.

One :class:`KernelPreview` per kernel session. The kernel itself says when a
user's cell finished: an iopub ``status: idle`` whose parent is an
``execute_request`` not made by the server, whoever sent it (a websocket, a
second tab, a client on the kernel's ZMQ ports). The server's own client watches
those statuses (:meth:`KernelPreview.on_kernel_status`); nothing is counted from
websocket frames, so a closed websocket, a dropped request or a malformed frame
cannot stop previews. When no user execution runs on any shell of the kernel, a
short grace later, the kernel is asked for a preview through that client, on its
subshell when the kernel has one. Bursts coalesce: a cell that starts within the
grace cancels it (Run All costs one preview), while a preview runs further
triggers collapse into one more run, and the newest state wins.

The kernel procedure (``python_preview.py`` beside this module) is loaded into the
kernel once per kernel start and answers with only what changed since the
generation the server holds; this class keeps the whole picture and broadcasts
an iopub ``preview`` message when something changed.

Which names "the last execution changed" is kept here, not taken from one kernel
answer: a preview that was already running when a cell started (on connect, on
a ``preview_request``, or the previous cell's) reads the namespace on the
subshell while the cell runs, and may see part of the cell's changes. Those
stay owed to that cell's own preview, which is sent even when its kernel answer
holds nothing new. Every preview sent under one cell (a follow-up, a
``preview_request``) reports all the changes sent under that cell so far.

When the kernel runs out of its time budget the preview is partial; the server
then asks again a little later (what was rendered is cached in the kernel, so
each run gets further), a bounded number of times and only while each run gets
further, and never while a user's cell is in flight.

Longer than the other modules on purpose: one state machine over the kernel's
cells and the preview runs they cause, whose rules (coalescing, what is owed to
which cell, follow-ups) read best together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ..errors import KernelUnavailable
from ..kernel.executions import UserExecutions
from ..kernel.procedures import install_code, json_answer

PREVIEW_MSG_TYPE = "preview"


class PreviewKernel(Protocol):
    """What the preview uses of the server's kernel client (``kernel/client.py``)."""

    subshell_id: str | None

    async def install(self, name: str, code: str, *, on_subshell: bool = False) -> None: ...

    async def execute(
        self,
        code: str,
        *,
        user_expressions: dict[str, str] | None = None,
        on_subshell: bool = False,
        until_idle: bool = False,
    ) -> dict[str, Any]: ...

    async def renew_subshell(self) -> None: ...


#: Seconds after a cell's idle status before a preview starts (cancelled when a cell
#: starts). A client that runs cells one after the other (nbclient, papermill) sends
#: the next within a few ms of the reply; with JupyterLab's Run All the kernel starts
#: the next queued cell within a fraction of a ms. Every ms here is a ms of the
#: reply-to-preview time users see (30 ms target at 100 variables; bench.preview).
GRACE_SECONDS = 0.015
#: Most follow-ups of one partial preview (each must also show more than the last).
MAX_FOLLOW_UPS = 8
#: Shortest pause before a follow-up; otherwise one time budget, so that following
#: up takes at most about half of the kernel's time.
_FOLLOW_UP_MIN_DELAY = 0.05
MIME = "application/vnd.beaker.variable+json"
PROCEDURE_MODULE = "_beaker_preview"
PROCEDURE = Path(__file__).with_name("python_preview.py")


@dataclass(frozen=True)
class PreviewSettings:
    enabled: bool = True
    max_items: int = 200
    max_chars: int = 2000
    max_bytes: int = 512 * 1024
    time_budget: float = 0.25
    include_functions: bool = False
    stall_timeout: float = 30.0


async def install_procedure(client: PreviewKernel, client_session_id: str) -> None:
    """Load the preview procedure once per kernel start, on the server's subshell,
    and with it the guard that keeps the requests of ``client_session_id`` off the
    kernel's ``input()`` forwarding (``python_preview.guard_stdin``): any request
    of the server's on a subshell needs that guard, previews on or off."""
    code = install_code(PROCEDURE_MODULE, PROCEDURE, then=f"setup({client_session_id!r})")
    await client.install(PROCEDURE_MODULE, code, on_subshell=True)


class KernelPreview:
    """The preview of one kernel: triggers, coalescing, state and broadcast."""

    def __init__(
        self,
        kernel_id: str,
        settings: PreviewSettings,
        log: logging.Logger,
        *,
        kernel_client: Callable[[], Awaitable[PreviewKernel]],
        client_session_id: str,
        make_message: Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]],
        broadcast: Callable[[dict[str, Any]], None],
        send_to: Callable[[Any, dict[str, Any]], None],
    ) -> None:
        self.kernel_id = kernel_id
        self.settings = settings
        self.log = log
        #: The server's client of the kernel, connected (the session's).
        self._kernel_client = kernel_client
        #: The session of the server's own requests (kept off ``input()``).
        self._client_session_id = client_session_id
        self._make_message = make_message
        #: To every websocket of the kernel, and to one (a new one, on connect).
        self._broadcast = broadcast
        self._send_to = send_to
        self.content: dict[str, Any] | None = None
        self._generation = -1
        self._names: list[list[str]] = []
        self._entries: dict[str, Any] = {}
        #: The shells of the kernel running a user execution now (the main shell is
        #: ``None``), from the kernel's statuses. A shell runs one request at a time,
        #: so a lost idle is corrected by that shell's next status.
        self._running = UserExecutions()
        self._parent: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._sent_parent_id: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        #: Names the kernel reported changed / removed and no preview has told yet,
        #: or that a cell may have changed while they were read (ordered sets).
        self._seen_changed: dict[str, None] = {}
        self._seen_removed: dict[str, None] = {}
        #: What the previews sent under the current parent report (ordered sets).
        self._told_changed: dict[str, None] = {}
        self._told_removed: dict[str, None] = {}
        #: User executions seen starting: a run during which this moved may hold
        #: changes of the cell that started.
        self._cells_started = 0
        self._follow_ups = 0
        self._follow_up_shown = 0
        self._follow_up_due = False

    @property
    def live(self) -> bool:
        """Whether previews are pushed after cells (else only ``preview_request``)."""
        return self.settings.enabled

    # -- triggers (called from the internal client's reader: cheap, never awaits) --

    def on_kernel_status(self, parent: dict[str, Any], state: str) -> None:
        """A status the kernel published for someone else's request.

        Only executions count: a ``comm_msg`` or ``kernel_info_request`` changes
        no variables. The parent header says on which shell it ran (JEP 91).
        """
        change = self._running.update(parent, state)
        if change == "started":
            self._cells_started += 1
            self._cancel_timer()  # the user goes on: the preview (or follow-up) waits
        elif change is not None:
            self._parent = parent
            if change == "ended" and self.settings.enabled:
                # A short grace period: a client running cells one after the other
                # sends the next right after this reply, and a preview must not
                # compete with it.
                self._follow_ups = 0
                self._follow_up_due = False
                self._start_timer(GRACE_SECONDS, follow_up=False)

    def _start_timer(self, delay: float, *, follow_up: bool) -> None:
        self._cancel_timer()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, self._after_timer, follow_up)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _after_timer(self, follow_up: bool) -> None:
        self._timer = None
        if not self._running:
            self._follow_up_due = follow_up
            self.schedule()

    def schedule(self) -> None:
        """Run a preview soon; while one runs, collapse into one more run."""
        if not self.settings.enabled:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._run())

    def on_connect(self, connection: Any) -> None:
        """A new websocket gets the cached preview; no kernel work if there is one."""
        if not self.settings.enabled:
            return
        if self.content is not None:
            self._send_to(connection, self._message(self.content, {}))
        else:
            self.schedule()

    def on_kernel_restarted(self) -> None:
        """The namespace is gone: an empty preview now, the procedure reloads on use."""
        self._running.clear()
        self._cancel_timer()
        self._follow_ups = 0
        self._follow_up_due = False
        self._generation = -1
        self._names, self._entries = [], {}
        self._seen_changed, self._seen_removed = {}, {}
        self._told_changed, self._told_removed = {}, {}
        self.content = self._content(state="empty", info={})
        if self.settings.enabled:
            self._publish(self.content, {})

    # -- computing ------------------------------------------------------------------

    async def refresh(self) -> dict[str, Any]:
        """Compute a preview now and return it (``preview_request``)."""
        self._follow_ups = 0
        info = await self._compute(force=True)
        self._follow_up(info)
        return self.content or self._content(state="empty", info={})

    async def _run(self) -> None:
        while True:
            self._again = False
            # A follow-up is always sent: at least "partial" changed.
            force, self._follow_up_due = self._follow_up_due, False
            try:
                info = await self._compute(force=force)
            except Exception as error:
                self.log.warning(
                    "beaker_server: preview of kernel %s failed: %r", self.kernel_id, error
                )
                info = {}
            if not self._again:  # a cell ended meanwhile: its preview is still owed
                break
        self._follow_up(info)

    def _follow_up(self, info: dict[str, Any]) -> None:
        """After a partial preview, ask again soon: bounded, and only while it helps.

        The kernel caches what it rendered, so each run gets further (a first
        matplotlib render can take the whole budget). A run that shows no more
        than the last one ends the chain, and so does :data:`MAX_FOLLOW_UPS`.
        """
        if not info.get("partial") or not self.settings.enabled:
            return
        shown = len(info.get("names", []))
        if self._follow_ups >= MAX_FOLLOW_UPS or (
            self._follow_ups > 0 and shown <= self._follow_up_shown
        ):
            self.log.debug(
                "beaker_server: preview of kernel %s stays partial after %d follow-ups",
                self.kernel_id,
                self._follow_ups,
            )
            return
        self._follow_ups += 1
        self._follow_up_shown = shown
        delay = max(_FOLLOW_UP_MIN_DELAY, self.settings.time_budget)
        if not self._running and self._timer is None:
            self._start_timer(delay, follow_up=True)

    async def _compute(self, *, force: bool) -> dict[str, Any]:
        """One kernel run, folded in; broadcast when it changed or is owed to a cell."""
        client = await self._kernel_client()
        parent = self._parent
        started, cell_running = self._cells_started, bool(self._running)
        info = await self._within_stall_timeout(client, self._ensure_procedure_and_ask(client))
        self._fold(info, parent, force=force)
        # The answer was awaited until its idle status, so every cell that started
        # before the kernel read the namespace has been seen starting by now.
        overlapped = cell_running or bool(self._running) or self._cells_started != started
        if not overlapped:  # else the changes may be a newer cell's: its preview tells them
            self._seen_changed, self._seen_removed = {}, {}
        return info

    async def _ensure_procedure_and_ask(self, client: PreviewKernel) -> dict[str, Any]:
        await self._ensure_procedure(client)
        return await self._ask(client)

    async def _within_stall_timeout(
        self, client: PreviewKernel, run: Coroutine[Any, Any, dict[str, Any]]
    ) -> dict[str, Any]:
        """A run on our subshell that stalls is given up, and the subshell with it.

        A preview on a subshell never waits for the user, so a long one is stuck
        (a repr that never returns, say): without this, one such run would stop
        the kernel's previews for good. The next run gets a new subshell; the
        main shell's requests in flight are not touched. Without a subshell a
        run waits for the user's cells, which is no stall.
        """
        if not client.subshell_id:
            return await run
        try:
            return await asyncio.wait_for(run, self.settings.stall_timeout)
        except asyncio.TimeoutError:
            await client.renew_subshell()
            raise KernelUnavailable(
                f"a preview took over {self.settings.stall_timeout:g} s; "
                "the next one runs on a new subshell"
            ) from None

    async def _ensure_procedure(self, client: PreviewKernel) -> None:
        """Load the procedure once per kernel start, on our subshell (beside a
        user's long first cell), and set the kernel up: guard_stdin keeps the
        server's later requests (this client session) off the kernel's
        ``input()`` forwarding, which a request on a subshell would otherwise
        switch off for a user's running cell; the install itself is sent with
        ``allow_stdin`` for that reason."""
        await install_procedure(client, self._client_session_id)

    async def _ask(self, client: PreviewKernel) -> dict[str, Any]:
        """The kernel's answer: what changed since the generation held here."""
        reply = await client.execute(
            "", user_expressions={"p": self._call()}, on_subshell=True, until_idle=True
        )
        info: dict[str, Any] = json_answer(reply, "p")
        return info

    def _fold(self, info: dict[str, Any], parent: dict[str, Any], *, force: bool) -> None:
        """Merge an answer; send the picture when it changed, is forced, or is owed."""
        changed = self._merge(info)
        # Changes seen earlier (by a run a cell overlapped) not yet sent under this cell.
        owed = bool(self._seen_changed or self._seen_removed) and parent.get("msg_id") != (
            self._sent_parent_id
        )
        publish = changed or force or owed
        if publish:
            self._tell(parent)
        if publish or self.content is None:
            self.content = self._content(state="ok" if self._names else "empty", info=info)
        if publish and self.settings.enabled:  # off: only preview_request answers
            self._publish(self.content, parent)

    def _tell(self, parent: dict[str, Any]) -> None:
        """Fold what was seen into what previews under ``parent`` report as changed."""
        if parent.get("msg_id") != self._sent_parent_id:
            self._told_changed, self._told_removed = {}, {}
        for name in self._seen_changed:
            self._told_changed[name] = None
            self._told_removed.pop(name, None)
        for name in self._seen_removed:
            self._told_removed[name] = None
            self._told_changed.pop(name, None)

    def _call(self) -> str:
        s = self.settings
        return (
            f"__import__('sys').modules[{PROCEDURE_MODULE!r}].preview("
            "__import__('IPython').get_ipython().user_ns, "
            "__import__('IPython').get_ipython().user_ns_hidden, "
            f"since={self._generation}, max_items={s.max_items}, max_chars={s.max_chars}, "
            f"max_bytes={s.max_bytes}, time_budget={s.time_budget}, "
            f"include_functions={s.include_functions})"
        )

    def _merge(self, info: dict[str, Any]) -> bool:
        """Fold the kernel's answer (only what changed) into the whole picture."""
        if info.get("full"):
            self._entries = {}
        self._entries.update(info.get("entries", {}))
        for name in info.get("changed", []):
            self._seen_changed[name] = None
            self._seen_removed.pop(name, None)
        for name in info.get("removed", []):
            self._entries.pop(name, None)
            self._seen_changed.pop(name, None)
            self._seen_removed[name] = None
        names_changed = info.get("names", []) != self._names
        self._names = info.get("names", [])
        changed = bool(info.get("entries") or info.get("removed") or names_changed)
        self._generation = info.get("generation", self._generation)
        return changed

    def _content(self, *, state: str, info: dict[str, Any]) -> dict[str, Any]:
        preview: dict[str, dict[str, Any]] = {}
        for group, name in self._names:
            entry = self._entries.get(name)
            if entry is not None:
                flagged = {**entry.get(MIME, {}), "changed": name in self._told_changed}
                preview.setdefault(group, {})[name] = {**entry, MIME: flagged}
        return {
            "preview": preview,
            "meta": {
                "state": state,
                "total": info.get("total", 0),
                "shown": len(self._names),
                "omitted": info.get("omitted", 0),
                "partial": info.get("partial", False),
                "truncated": info.get("truncated", False),
                "elapsed_ms": info.get("elapsed_ms", 0.0),
                "changed": [name for name in self._told_changed if name in self._entries],
                "removed": list(self._told_removed),
                "time": datetime.now(timezone.utc).isoformat(),
                # Off: nothing is pushed after cells; only preview_request updates.
                "live": self.live,
            },
        }

    def _message(self, content: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
        return self._make_message(PREVIEW_MSG_TYPE, content, parent)

    def _publish(self, content: dict[str, Any], parent: dict[str, Any]) -> None:
        self._sent_parent_id = parent.get("msg_id")
        self._broadcast(self._message(content, parent))
