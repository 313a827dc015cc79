"""Keeping the server's own kernel requests out of jupyter_server's activity watcher.

jupyter_server watches every kernel's iopub to keep ``execution_state`` and
``last_activity`` (what ``GET /api/kernels`` reports, what JupyterLab's running
kernels list shows and what the idle culler decides on). A preview on our
subshell ends with a ``status: idle`` whose parent is an ``execute_request``, and
the watcher would take it for the kernel's: a kernel running a user's cell would
be reported idle (and could be culled). The watcher's callback is wrapped so that
messages caused by our requests (their parent's session is ours) never reach it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .wire import as_bytes, zmq_parts


class _OwnMessagesHidden:
    """An activity callback that skips messages whose parent carries our session marker."""

    def __init__(self, callback: Callable[[list[Any]], Any], marker: bytes) -> None:
        self.callback = callback
        self.marker = marker

    def __call__(self, msg_list: list[Any]) -> Any:
        parts = zmq_parts(msg_list)
        if parts is not None and self.marker in as_bytes(parts[2]):
            return None
        return self.callback(msg_list)


def hide_from_activity_watcher(kernel_manager: Any, marker: bytes) -> None:
    """Wrap the kernel's activity watcher (again, after it was replaced) to skip ours.

    Cheap to call before every request: the watcher's stream is recreated when a
    restart changes the kernel's ports. Kernels without a watcher (behind a
    gateway) have nothing to wrap.
    """
    stream = getattr(kernel_manager, "_activity_stream", None)
    callback = getattr(stream, "_recv_callback", None)
    if callback is None or isinstance(callback, _OwnMessagesHidden):
        return
    stream.on_recv(_OwnMessagesHidden(callback, marker))
