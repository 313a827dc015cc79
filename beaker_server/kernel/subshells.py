"""The server's own subshells in a kernel (JEP 91, ipykernel >= 7): its requests
run beside a user's cell instead of queuing behind it.

Made on control, retired when a request on one stalls (a repr that never
returns), and deleted once free: deleting a subshell whose thread is busy would
block the kernel's shell channel thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import KernelUnavailable

#: How often to ask for a subshell when the kernel drops the request, and the
#: pause before each new try (times the try's number).
_ATTEMPTS = 5
_RETRY_DELAY = 0.1

#: Sends a message made by the client's session on a channel (shell, control).
SendMessage = Callable[[str, dict[str, Any]], None]


class Subshells:
    """Makes and deletes one client's subshells, through that client's channels."""

    def __init__(
        self,
        send_message: SendMessage,
        make_msg: Callable[[str, dict[str, Any]], dict[str, Any]],
        first_reply: Callable[..., Awaitable[dict[str, Any]]],
        late_replies: dict[str, Callable[[dict[str, Any]], None]],
        log: logging.Logger,
    ) -> None:
        self._send_message = send_message
        self._make_msg = make_msg
        #: The first reply to requests already sent (KernelUnavailable on timeout).
        self._first_reply = first_reply
        #: The client's actions for replies nobody waits for any more.
        self._late_replies = late_replies
        self.log = log

    async def create(self) -> str | None:
        """A new subshell's id, or None when the kernel made none.

        Each ``create_subshell_request`` is followed by a ``kernel_info_request`` on
        control, which the kernel answers in order: the fence answered first means
        the create was dropped. ipykernel 7 does that to a create that arrives
        between its control channel starting and its subshell manager existing
        (just after kernel start, under load): it fails an assertion and sends no
        reply. Then it is asked again.
        """
        for attempt in range(1, _ATTEMPTS + 1):
            create_id = self._send("control", "create_subshell_request", {})
            fence_id = self._send("control", "kernel_info_request", {})
            try:
                reply: dict[str, Any] | None = await self._first_reply(create_id, fence_id)
            except KernelUnavailable:
                reply = None
            if reply is not None and reply.get("parent_header", {}).get("msg_id") == create_id:
                subshell_id = reply.get("content", {}).get("subshell_id")
                return str(subshell_id) if subshell_id else None
            # Should the create be answered after all, that subshell is not ours to keep.
            self._late_replies[create_id] = self._delete_created
            if reply is None:  # no answer at all, not even to the fence
                break
            self.log.info("beaker_server: the kernel dropped create_subshell (try %d)", attempt)
            await asyncio.sleep(_RETRY_DELAY * attempt)
        self.log.warning("beaker_server: the kernel did not create a subshell")
        return None

    def retire(self, subshell_id: str) -> None:
        """Queue a marker behind the stuck request; its reply means the subshell is
        free, and it is deleted then. A request that never returns keeps its
        thread: nothing in Python can stop it."""
        marker = self._make_msg("kernel_info_request", {})
        marker["header"]["subshell_id"] = subshell_id
        self._late_replies[marker["header"]["msg_id"]] = lambda _: self.delete(
            subshell_id, "free again after a stall"
        )
        self._send_message("shell", marker)

    def delete(self, subshell_id: str, why: str = "not needed") -> None:
        self._send("control", "delete_subshell_request", {"subshell_id": subshell_id})
        self.log.info("beaker_server: deleted subshell %s, %s", subshell_id, why)

    def _send(self, channel: str, msg_type: str, content: dict[str, Any]) -> str:
        msg = self._make_msg(msg_type, content)
        self._send_message(channel, msg)
        return str(msg["header"]["msg_id"])

    def _delete_created(self, reply: dict[str, Any]) -> None:
        subshell_id = reply.get("content", {}).get("subshell_id")
        if subshell_id:
            self.delete(subshell_id)
