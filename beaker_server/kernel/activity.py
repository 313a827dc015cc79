"""jupyter_server's activity watcher, kept exact, without its cost per message.

jupyter_server watches every kernel's iopub to keep ``execution_state`` and
``last_activity`` (what ``GET /api/kernels`` reports, what JupyterLab's running
kernels list shows and what the idle culler decides on). Its callback checks
the signature of every message and parses its header, parent header and
metadata, dates included: about 23 µs a message here, on the path of every
output a flood sends (README, "Performance"). The extension puts a callback in
front of it that:

- drops what the server's own requests caused (their parent's session is ours):
  a preview on our subshell ends with a ``status: idle`` whose parent is an
  ``execute_request``, which the watcher would take for the kernel's, and a
  kernel running a user's cell would be reported idle (and could be culled);
- hands every ``status`` message, and anything it cannot read at a glance, to
  jupyter_server's own callback, which does all it always did;
- for every other message does what that callback does with one, reading
  only the two message types from the header and parent frames' bytes: moves
  ``last_activity`` to now when either type is tracked
  (``MappingKernelManager.untracked_message_types``) or the kernel is busy.
  Unlike jupyter_server it does not check these messages' signatures (a
  message on the kernel's own iopub socket comes from the kernel, and what it
  could change is a timestamp), nor log a debug line for each: the server's
  logger passes debug records to its handlers whatever the log level, and
  making one costs more than the rest of this;
- takes the messages queued behind one in the same event-loop turn (up to
  ``ActivityRecorder.BATCH``), in order: pyzmq's stream hands over one message
  per turn, and scheduling the turn cost more than recording the message.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from typing import Any

import zmq
from jupyter_server._tz import utcnow

from ..websocket.wire import as_bytes, zmq_parts

#: A message type in a header's JSON (valid JSON has no unescaped quote inside a string).
_MSG_TYPE = re.compile(rb'"msg_type"\s*:\s*"([A-Za-z0-9_.-]*)"')
_UNREADABLE = object()


def _msg_type(frame: bytes) -> Any:
    """The frame's ``msg_type``, ``None`` for a frame without one, else ``_UNREADABLE``."""
    found = _MSG_TYPE.search(frame)
    if found is not None:
        return found.group(1).decode()
    return _UNREADABLE if b"msg_type" in frame else None


class ActivityRecorder:
    """An activity callback in front of jupyter_server's (see the module docstring)."""

    #: Most messages taken off the watcher's socket in one event-loop turn.
    BATCH = 64

    def __init__(
        self,
        callback: Callable[[list[Any]], Any],
        marker: bytes,
        multi_kernel_manager: Any,
        kernel_id: str,
        kernel: Any,
        socket: Any = None,
    ) -> None:
        self.callback = callback
        #: The watcher's ZMQ socket, read in batches (see :meth:`__call__`); None: not.
        self.socket = socket
        self._tasks: set[asyncio.Future[Any]] = set()
        self.marker = marker
        self.manager = multi_kernel_manager
        self.kernel_id = kernel_id
        self.kernel = kernel
        #: Only when the manager decides with ``track_message_type`` as we read it.
        self.fast = callable(getattr(multi_kernel_manager, "track_message_type", None))

    def __call__(self, msg_list: list[Any]) -> Any:
        """One message from the watcher's stream, then up to ``BATCH - 1`` more
        already queued on its socket: pyzmq's stream hands over one message per
        event-loop turn, and that turn's scheduling cost more than the message."""
        first = self.record(msg_list)
        socket = self.socket
        if socket is None:
            return first
        for _ in range(self.BATCH - 1):
            if socket.closed:
                break
            try:
                msg_list = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            result = self.record(msg_list)
            if inspect.isawaitable(result):  # a manager's async callback, as the stream would
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return first

    def record(self, msg_list: list[Any]) -> Any:
        parts = zmq_parts(msg_list)
        if parts is None:
            return self.callback(msg_list)
        parent = as_bytes(parts[2])
        if self.marker in parent:
            return None
        if not self.fast:
            return self.callback(msg_list)
        msg_type = _msg_type(as_bytes(parts[1]))
        parent_type = _msg_type(parent)
        if msg_type in (None, _UNREADABLE, "status") or parent_type is _UNREADABLE:
            return self.callback(msg_list)
        manager, kernel = self.manager, self.kernel
        if (
            manager.track_message_type(msg_type)
            or manager.track_message_type(parent_type)
            or kernel.execution_state == "busy"
        ):
            manager.last_kernel_activity = kernel.last_activity = utcnow()
        return None


def record_activity_cheaply(
    multi_kernel_manager: Any, kernel_id: str, kernel_manager: Any, marker: bytes
) -> None:
    """Put an :class:`ActivityRecorder` in front of the kernel's activity watcher
    (again, after a restart replaced the watcher's stream).

    Cheap to call before every request. Kernels without a watcher (behind a
    gateway) have nothing to wrap.
    """
    stream: Any = getattr(kernel_manager, "_activity_stream", None)
    callback = getattr(stream, "_recv_callback", None)
    if callback is None or isinstance(callback, ActivityRecorder):
        return
    recorder = ActivityRecorder(
        callback, marker, multi_kernel_manager, kernel_id, kernel_manager, stream.socket
    )
    stream.on_recv(recorder)
