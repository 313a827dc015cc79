"""Live variable preview: when to ask the kernel, and what to send the clients.

One :class:`KernelPreview` per kernel session. It counts the user's
``execute_request`` messages in flight (seen on the way in) and, when an
``execute_reply`` leaves the last of them answered, asks the kernel for a
preview through the server's own client, on its subshell when the kernel has
one. Bursts coalesce: while a preview runs, further triggers collapse into one
more run, so Run All costs one preview, and the newest state wins.

The kernel procedure (``kernel_procedures/python_preview.py``) is loaded into the
kernel once per kernel start and answers with only what changed since the
generation the server holds; this class keeps the whole picture and broadcasts
an iopub ``preview`` message when something changed.
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .kernel_session import KernelSession

PREVIEW_MSG_TYPE = "preview"
#: Seconds after the last reply before a preview starts (cancelled by a new request).
_GRACE_SECONDS = 0.05
MIME = "application/vnd.beaker.variable+json"
PROCEDURE_MODULE = "_beaker_preview"
_PROCEDURE_SOURCE = (Path(__file__).parent / "kernel_procedures" / "python_preview.py").read_text(
    encoding="utf-8"
)


@dataclass(frozen=True)
class PreviewSettings:
    enabled: bool = True
    max_items: int = 200
    max_chars: int = 2000
    max_bytes: int = 512 * 1024
    time_budget: float = 0.25
    include_functions: bool = False


def _load_code() -> str:
    """One expression that installs the procedure as a module, leaving no names behind."""
    return (
        f"(lambda m: (exec(compile({_PROCEDURE_SOURCE!r}, '<beaker_preview>', 'exec'), "
        "m.__dict__), "
        f"__import__('sys').modules.__setitem__({PROCEDURE_MODULE!r}, m)))"
        f"(__import__('types').ModuleType({PROCEDURE_MODULE!r}))"
    )


class KernelPreview:
    """The preview of one kernel: triggers, coalescing, state and broadcast."""

    def __init__(self, session: KernelSession, settings: PreviewSettings, log: logging.Logger):
        self.session = session
        self.settings = settings
        self.log = log
        self.content: dict[str, Any] | None = None
        self._generation = -1
        self._names: list[list[str]] = []
        self._entries: dict[str, Any] = {}
        self._loaded = False
        self._executions_in_flight = 0
        self._parent: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._sent_parent_id: str | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- triggers (called from the websocket path: cheap, never awaits) ----------

    def on_execute_request(self) -> None:
        self._executions_in_flight += 1
        if self._timer is not None:  # the user goes on: the preview waits for them
            self._timer.cancel()
            self._timer = None

    def on_execute_reply(self, parent_header: dict[str, Any]) -> None:
        self._executions_in_flight = max(0, self._executions_in_flight - 1)
        self._parent = parent_header
        if self._executions_in_flight == 0 and self.settings.enabled:
            # A short grace period: a client running cells one after the other sends
            # the next right after this reply, and a preview must not compete with it.
            if self._timer is not None:
                self._timer.cancel()
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(_GRACE_SECONDS, self._after_grace)

    def _after_grace(self) -> None:
        self._timer = None
        if self._executions_in_flight == 0:
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
            connection.beaker_send(self._message(self.content, {}), "iopub")
        else:
            self.schedule()

    def on_kernel_restarted(self) -> None:
        """The namespace is gone: an empty preview now, the procedure reloads on use."""
        self._loaded = False
        self._executions_in_flight = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._generation = -1
        self._names, self._entries = [], {}
        self.content = self._content(state="empty", info={})
        if self.settings.enabled:
            self._publish(self.content, {})

    # -- computing ------------------------------------------------------------------

    async def refresh(self) -> dict[str, Any]:
        """Compute a preview now and return it (``preview_request``)."""
        await self._compute(broadcast=True, force=True)
        return self.content or self._content(state="empty", info={})

    async def _run(self) -> None:
        try:
            first = True
            while first or self._again:
                self._again = False
                # A rerun is for executions that finished while the last run was in
                # the kernel: their changes may already be in it, reported under the
                # earlier cell; the newest cell still gets its preview.
                newer = not first and self._parent.get("msg_id") != self._sent_parent_id
                await self._compute(broadcast=True, force=newer)
                first = False
        except Exception as error:
            self.log.warning(
                "beaker_server: preview of kernel %s failed: %r", self.session.kernel_id, error
            )

    async def _compute(self, *, broadcast: bool, force: bool) -> None:
        client = await self.session.kernel_client()
        if not self._loaded:
            reply = await client.execute(_load_code(), on_subshell=True)
            if reply.get("status") != "ok":
                raise RuntimeError(f"loading the preview procedure failed: {reply.get('evalue')}")
            self._loaded = True
        parent = self._parent
        reply = await client.execute("", user_expressions={"p": self._call()}, on_subshell=True)
        result = reply.get("user_expressions", {}).get("p", {})
        if result.get("status") != "ok":
            raise RuntimeError(f"preview failed in the kernel: {result.get('evalue')}")
        info = json.loads(ast.literal_eval(result["data"]["text/plain"]))
        changed = self._merge(info)
        if changed or force or self.content is None:
            self.content = self._content(state="ok" if self._names else "empty", info=info)
            if broadcast and (changed or force):
                self._publish(self.content, parent)

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
        changed_now = set(info.get("changed", []))
        if info.get("entries") or info.get("removed"):
            for name, entry in self._entries.items():  # last execution's flags are over
                entry.get(MIME, {})["changed"] = name in changed_now
        self._entries.update(info.get("entries", {}))
        for name in info.get("removed", []):
            self._entries.pop(name, None)
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
                preview.setdefault(group, {})[name] = entry
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
                "changed": info.get("changed", []),
                "removed": info.get("removed", []),
                "time": datetime.now(timezone.utc).isoformat(),
            },
        }

    def _message(self, content: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
        return self.session.make_message(PREVIEW_MSG_TYPE, content, parent)

    def _publish(self, content: dict[str, Any], parent: dict[str, Any]) -> None:
        self._sent_parent_id = parent.get("msg_id")
        self.session.broadcast(self._message(content, parent), "iopub")
