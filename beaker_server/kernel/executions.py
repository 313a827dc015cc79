"""Which shells of a kernel run a user's execution now, from the kernel's statuses.

The preview and the kernel hooks both need "a user's cell ended and none other
runs". Only executions count (a ``comm_msg`` or ``kernel_info_request`` changes
no variables); the parent header says on which shell one ran (JEP 91 subshells;
the main shell is ``None``). A shell runs one request at a time, so an idle that
was lost is corrected by that shell's next status.
"""

from __future__ import annotations

from typing import Any, Literal

#: What one status did: an execution started, ended with none other running
#: ("ended"), ended while others still run ("idle"); None: not an execution's.
Change = Literal["started", "ended", "idle"] | None


class UserExecutions:
    """The shells running a user's execution now."""

    def __init__(self) -> None:
        self._shells: set[str | None] = set()

    def update(self, parent: dict[str, Any], state: str) -> Change:
        """Follow one status the kernel published for someone else's request."""
        if parent.get("msg_type") != "execute_request":
            return None
        shell = parent.get("subshell_id")
        if state == "busy":
            self._shells.add(shell)
            return "started"
        if state == "idle":
            self._shells.discard(shell)
            return "idle" if self._shells else "ended"
        return None

    def clear(self) -> None:
        """The kernel restarted: nothing runs."""
        self._shells = set()

    def __bool__(self) -> bool:
        return bool(self._shells)
