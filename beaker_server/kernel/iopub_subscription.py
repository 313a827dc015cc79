"""The server's own client's iopub subscription: on only while someone needs it.

Most of the server's requests (evaluate, previews) are answered on shell alone,
so the client does not take a second copy of every user output unless a handler
streams code output. What it always takes is the kernel's statuses (how the
server learns that a user's cell finished): ipykernel publishes them under a
topic of their own (``kernel.<ident>.status``), and subscribed to that topic
alone, the kernel sends the socket nothing else.

A SUB socket misses what is published before its subscription reaches the
kernel: a new subscription is *confirmed* (a ``kernel_info``'s status arrives)
before a request relies on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..errors import KernelUnavailable
from .transport import KernelTransport

#: Seconds the full subscription stays on after the last request that needed it.
_LINGER = 10.0


class IopubSubscription:
    """Counts the requests that need iopub; switches the full subscription."""

    def __init__(self, nudge_once: Callable[[], Awaitable[bool]], confirm_timeout: float) -> None:
        #: Sends one ``kernel_info``: whether its iopub status arrived in time.
        self._nudge_once = nudge_once
        self._confirm_timeout = confirm_timeout
        self._transport: KernelTransport | None = None
        #: Subscribed to everything now.
        self.on = False
        self._confirmed = False
        self._users = 0
        self._confirming: asyncio.Future[None] | None = None
        self._off_timer: asyncio.TimerHandle | None = None
        #: The status topic subscribed to beside (None: the full subscription stays).
        self._status_topic: bytes | None = None
        self._status_topic_on = False
        self._closed = False

    @property
    def status_topic_on(self) -> bool:
        """Subscribed to the kernel's status topic now."""
        return self._status_topic_on

    def attach(self, transport: KernelTransport) -> None:
        """The channels just started; jupyter_client subscribes to everything, which
        is kept (one user) until :meth:`narrow_to`, so a cell that ends while the
        client connects is seen."""
        self._transport = transport
        if transport.filters_iopub:
            self.on, self._users = True, 1

    async def confirm(self) -> None:
        """Wait until the subscription is known to have reached the kernel."""
        if self._confirmed:
            return
        if self._confirming is None or self._confirming.done():
            self._confirming = asyncio.ensure_future(self._until_confirmed())
            # Retrieved here: a failure after every waiter has gone is no error.
            self._confirming.add_done_callback(lambda t: t.cancelled() or t.exception())
        await asyncio.shield(self._confirming)

    def narrow_to(self, status_topic: bytes) -> None:
        """Keep the kernel's statuses (their topic) and drop the full subscription
        at once: a flood from a user's first cell should not come here too."""
        self._status_topic = status_topic
        self._subscribe_status_topic(True)
        self.release(linger=False)

    async def acquire(self) -> None:
        """A request needs the outputs of its own: full subscription, confirmed."""
        self._users += 1
        if self._off_timer is not None:
            self._off_timer.cancel()
            self._off_timer = None
        if not self.on:
            self._set(True)
        await self.confirm()

    def release(self, *, linger: bool = True) -> None:
        """One user less; the last one's subscription is kept :data:`_LINGER`
        seconds for the next (a handler streaming output), unless ``linger`` is off."""
        self._users -= 1
        if self._users == 0 and not self._closed:
            if not linger:
                self._idle()
                return
            self._off_timer = asyncio.get_running_loop().call_later(_LINGER, self._idle)

    def close(self) -> None:
        self._closed = True
        self._transport = None
        if self._off_timer is not None:
            self._off_timer.cancel()
        if self._confirming is not None:
            self._confirming.cancel()

    def _idle(self) -> None:
        self._off_timer = None
        if self._users == 0 and self._transport is not None:
            self._set(False)

    def _set(self, on: bool) -> None:
        transport = self._transport
        if transport is None or not transport.filters_iopub:  # nothing to switch
            self.on = True
            return
        transport.subscribe(b"", on)
        if on:
            # The nudge confirms the full subscription by a status of ours, which
            # the status topic alone would let through: that one is taken off until
            # then (after the full one, so no status can slip between the two).
            self._subscribe_status_topic(False)
        self.on = on
        self._confirmed = False  # a new subscription is confirmed before use

    def _subscribe_status_topic(self, on: bool) -> None:
        transport = self._transport
        topic = self._status_topic
        if transport is None or topic is None or on == self._status_topic_on:
            return
        transport.subscribe(topic, on)
        self._status_topic_on = on

    async def _until_confirmed(self) -> None:
        """Send kernel_info until its iopub status arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._confirm_timeout
        try:
            while loop.time() < deadline:
                if await self._nudge_once():
                    self._confirmed = True
                    return
            raise KernelUnavailable("the kernel's iopub channel did not answer")
        finally:
            self._subscribe_status_topic(True)
