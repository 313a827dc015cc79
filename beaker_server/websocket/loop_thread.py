"""Getting calls onto the server's event-loop thread.

jupyter_client's synchronous kernel managers (``MappingKernelManager`` with an
``IOLoopKernelManager``) run their coroutines on a private event loop in a
background thread (jupyter_core's ``run_sync``). The kernel manager first asks
for its IOLoop there, so the ZMQ streams it makes for websockets and its
auto-restarter's callbacks run on that thread, not the server's. Tornado
websockets and asyncio objects are not thread-safe: a reply written there while
the server writes a custom message to the same websocket corrupts tornado's
write buffer (``BufferError``) and the connection hangs. Such calls are handed
to the server's loop, in the order they came.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


class LoopThread:
    """The thread of one event loop, with a way to run calls there from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._ident = threading.get_ident()

    @classmethod
    def current(cls) -> LoopThread:
        """The running loop's thread (call it on that thread)."""
        return cls(asyncio.get_running_loop())

    def is_current(self) -> bool:
        return threading.get_ident() == self._ident

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` now when on the loop thread, else as soon as the loop gets to it.

        Calls from another thread keep their order (the loop runs them FIFO).
        """
        if self.is_current():
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    def bind(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """``fn`` as a callback that always runs on the loop thread."""

        def on_loop_thread(*args: Any) -> None:
            self.call(fn, *args)

        return on_loop_thread
