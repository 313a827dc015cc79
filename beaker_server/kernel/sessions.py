"""All kernel sessions of one server, kept in step with the kernels' lives:
made on a kernel's first websocket, told of restarts (kernel-action events and
the auto-restarter's callbacks) and forgotten when the kernel is gone."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..messages.registry import MessageRegistry
from ..settings import BeakerSettings
from ..store.variable_store import VariableStore
from .session import KernelSession
from .transport import set_receive_hwm


class KernelSessions:
    """All kernel sessions of one server, kept in step with the kernels' lives."""

    def __init__(
        self,
        multi_kernel_manager: Any,
        registry: MessageRegistry,
        settings: BeakerSettings,
        log: logging.Logger,
        store: VariableStore | None = None,
    ) -> None:
        self.multi_kernel_manager = multi_kernel_manager
        self.registry = registry
        self.settings = settings
        self.log = log
        self.store = store
        self._sessions: dict[str, KernelSession] = {}
        #: The auto-restarter's "dead" callback of each watched kernel.
        self._dead_callbacks: dict[str, Any] = {}

    def get(self, kernel_id: str) -> KernelSession | None:
        return self._sessions.get(kernel_id)

    def for_kernel(self, kernel_id: str) -> KernelSession:
        """The session of a running kernel, made on first use (KeyError if unknown)."""
        session = self._sessions.get(kernel_id)
        if session is None:
            kernel_manager = self.multi_kernel_manager.get_kernel(kernel_id)
            # A kernel manager with a context of its own (shared_context=False).
            set_receive_hwm(kernel_manager, self.settings.zmq_receive_hwm)
            session = KernelSession(
                kernel_id,
                kernel_manager,
                self.registry,
                self.settings,
                self.log,
                self.store,
                multi_kernel_manager=self.multi_kernel_manager,
            )
            self._sessions[kernel_id] = session
            self._watch_restarts(kernel_id, session)
        return session

    def _watch_restarts(self, kernel_id: str, session: KernelSession) -> None:
        """The auto-restarter's callbacks: kernel died and came back, or died for good
        (then jupyter_server forgets the kernel, and so does the server's state)."""
        add = getattr(self.multi_kernel_manager, "add_restart_callback", None)
        if add is None:
            return
        on_restart = session.on_restarter_restart
        # Not unwatched from inside the restarter's loop over its callbacks (a
        # removal there skips the next one); the kernel's manager is dropped anyway.
        on_dead = self._dead_callbacks[kernel_id] = session.loop_thread.bind(
            lambda: self._forget(session, "the kernel died", unwatch=False)
        )
        try:
            add(kernel_id, on_restart, "restart")
            add(kernel_id, on_dead, "dead")
        except Exception:
            self.log.debug("beaker_server: no restart callbacks for %s", kernel_id)

    def _unwatch_restarts(self, kernel_id: str, session: KernelSession) -> None:
        on_dead = self._dead_callbacks.pop(kernel_id, None)
        remove = getattr(self.multi_kernel_manager, "remove_restart_callback", None)
        if remove is None or kernel_id not in self.multi_kernel_manager:
            return
        on_restart = session.on_restarter_restart
        try:
            remove(kernel_id, on_restart, "restart")
            remove(kernel_id, on_dead, "dead")
        except Exception:
            self.log.debug("beaker_server: could not remove restart callbacks of %s", kernel_id)

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Listener for jupyter_server's kernel action events (REST restart, shutdown)."""
        session = self._sessions.get(str(data.get("kernel_id", "")))
        if session is None or data.get("status") != "success":
            return
        action = data.get("action")
        if action == "restart":
            session.on_kernel_restarted()
        elif action == "shutdown":
            self._forget(session, "the kernel is shut down")

    def _forget(self, session: KernelSession, reason: str, *, unwatch: bool = True) -> None:
        """The kernel is gone for good: abort what is in flight and free its state."""
        if self._sessions.get(session.kernel_id) is session:
            del self._sessions[session.kernel_id]
        if unwatch:
            self._unwatch_restarts(session.kernel_id, session)
        else:
            self._dead_callbacks.pop(session.kernel_id, None)
        session.close(reason)

    async def close_all(self) -> None:
        """Server shutdown: every request in flight gets its ``aborted`` reply."""
        sessions = list(self._sessions.values())
        for session in sessions:
            self._unwatch_restarts(session.kernel_id, session)
            session.close("the server is shutting down")
        await asyncio.gather(*(session.wait_idle() for session in sessions))
        self._sessions.clear()
