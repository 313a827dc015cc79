"""Runs the registry's kernel hooks of one kernel (``messages/registry.kernel_hook``):
after a user's cell ended, and after the kernel restarted.

A cell has ended when the kernel publishes ``status: idle`` for an
``execute_request`` that is not the server's own and no other user execution
runs on any of its shells (``executions.UserExecutions``, as for the preview).
Runs are coalesced: one at a time per kernel, and one more after it when cells
ended meanwhile, so Run All costs a run or two, not one per cell.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..messages.registry import KernelHook
from .executions import UserExecutions


class KernelHooks:
    """One kernel's ``cell_done`` and ``restarted`` hook runs."""

    def __init__(
        self,
        kernel_id: str,
        hooks_for: Callable[[str], list[KernelHook]],
        kernel_proxy: Callable[[], Any],
        log: logging.Logger,
    ) -> None:
        self.kernel_id = kernel_id
        self._hooks_for = hooks_for
        #: The kernel as a hook sees it (with the state of the current process).
        self._kernel_proxy = kernel_proxy
        self.log = log
        self._running = UserExecutions()
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @property
    def wanted(self) -> bool:
        """Whether any hook follows cells (then the kernel's statuses are watched)."""
        return bool(self._hooks_for("cell_done"))

    def on_kernel_status(self, parent: dict[str, Any], state: str) -> None:
        """A status the kernel published for someone else's request (cheap, never awaits)."""
        if self._running.update(parent, state) == "ended":
            self._schedule()

    def _schedule(self) -> None:
        if not self.wanted:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._run("cell_done", self._kernel_proxy()))

    async def _run(self, event: str, kernel: Any) -> None:
        while True:
            self._again = False
            for hook in self._hooks_for(event):
                try:
                    await hook(kernel)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.log.exception(
                        "beaker_server: %s hook %s failed on kernel %s",
                        event,
                        getattr(hook, "__qualname__", hook),
                        self.kernel_id,
                    )
            if event != "cell_done" or not self._again:
                return
            kernel = self._kernel_proxy()

    def on_kernel_restarted(self, kernel: Any) -> None:
        """The process is gone: cell runs stop; ``restarted`` hooks get ``kernel``
        (its state still the old process's)."""
        self._running.clear()
        self._again = False
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._hooks_for("restarted"):
            task = asyncio.ensure_future(self._run("restarted", kernel))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
