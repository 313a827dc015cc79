"""What of the kernel's messages goes on to the websockets: the server's own
traffic is dropped, and response hooks see a kernel-published ``N_response`` once
and may drop it (README, "What it does").

On the hot path of every kernel message: the parent and header frames are looked
at as bytes, and nothing is parsed in the common case.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..websocket.wire import as_bytes, zmq_parts
from .registry import MessageRegistry

#: How many kernel-published message ids to remember a hook's verdict for, so
#: that hooks run once per message however many websockets carry it.
_HOOK_MEMORY = 1024


class OutgoingFilter:
    """One kernel's decisions, shared by all its websockets."""

    def __init__(
        self,
        registry: MessageRegistry,
        client_session_id: str,
        kernel_id: Callable[[], str],
        log: logging.Logger,
    ) -> None:
        self.registry = registry
        #: The session of the server's own requests: what they cause is dropped.
        self.client_session_id = client_session_id
        self.session_marker = client_session_id.encode()
        self._kernel_id = kernel_id
        self.log = log
        self._hook_verdicts: OrderedDict[str, bool] = OrderedDict()

    def accept_frames(self, channel: str | None, msg_list: list[Any]) -> bool:
        """Whether a ZMQ message from the kernel goes on to a websocket.

        Drops what the server's own requests caused (parent session is ours) and
        lets response hooks veto a kernel-published ``N_response``.
        """
        if channel != "iopub":
            return True
        parts = zmq_parts(msg_list)
        if parts is None:
            return True
        header, parent = as_bytes(parts[1]), as_bytes(parts[2])
        if self.session_marker in parent:
            return False
        markers = self.registry.hook_markers_bytes
        if markers and any(marker in header for marker in markers):
            try:
                parsed = json.loads(header)
            except ValueError:
                return True  # not ours to judge: stock decides what to do with it
            return self._hooks_allow(parsed, lambda: json.loads(as_bytes(parts[4])))
        return True

    def accept_json(self, text: str | bytes) -> bool:
        """The same decision for a message that arrives as JSON text (gateway kernels)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if self.client_session_id not in text and not any(
            marker in text for marker in self.registry.hook_markers
        ):
            return True
        try:
            msg = json.loads(text)
        except ValueError:
            return True
        if msg.get("parent_header", {}).get("session") == self.client_session_id:
            return False
        if msg.get("channel") == "iopub":
            return self._hooks_allow(msg.get("header", {}), lambda: msg.get("content", {}))
        return True

    def _hooks_allow(self, header: dict[str, Any], content: Callable[[], Any]) -> bool:
        """Run the hooks of a kernel-published message once; remember the verdict."""
        msg_id = str(header.get("msg_id", ""))
        verdict = self._hook_verdicts.get(msg_id)
        if verdict is not None:
            return verdict
        hooks = self.registry.hooks_for(str(header.get("msg_type", "")))
        message = {"header": header, "content": content() if hooks else {}}
        verdict = True
        for hook in hooks:
            try:
                if hook(message, self._kernel_id()) is False:
                    verdict = False
            except Exception:
                self.log.exception("beaker_server: response hook %s failed", hook)
        self._hook_verdicts[msg_id] = verdict
        while len(self._hook_verdicts) > _HOOK_MEMORY:
            self._hook_verdicts.popitem(last=False)
        return verdict
