"""The benchmark's side of a kernel websocket, in either protocol (v1, as
JupyterLab uses, or the legacy JSON one).

The client shares two cores with the servers and kernels it measures, so it
reads as little of each message as answers its question: the offset table, the
parent header (is it ours?) and the header's ``msg_type``. A full decode of
every flood message would make the client, not the server, the bottleneck.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.kernel_ws import KernelWebsocket, make_msg

_MSG_TYPE = re.compile(rb'"msg_type"\s*:\s*"([^"]*)"')
_CHANNEL = re.compile(rb'"channel"\s*:\s*"([^"]*)"')
#: Frame index (as in :meth:`Peek.frame`) -> key of a legacy JSON message.
_LEGACY_KEYS = ("header", "parent_header", "metadata", "content")


@dataclass
class Peek:
    """The frames of a v1 websocket message, located but not parsed."""

    data: bytes
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, data: bytes | str, protocol: str = "v1") -> Peek:
        """``data`` as received on a websocket of ``protocol`` ("v1" or "legacy")."""
        if protocol != "v1":
            return LegacyPeek.of_legacy(data)
        if isinstance(data, str):
            raise TypeError("a text frame on a v1 websocket")
        (count,) = struct.unpack_from("<Q", data, 0)
        return cls(data, struct.unpack_from(f"<{count}Q", data, 8))

    def frame(self, index: int) -> bytes:
        """Frame ``index`` (0 header, 1 parent, 2 metadata, 3 content, 4.. buffers)."""
        return self.data[self.offsets[index + 1] : self.offsets[index + 2]]

    @property
    def channel(self) -> str:
        return self.data[self.offsets[0] : self.offsets[1]].decode()

    @property
    def msg_type(self) -> str:
        found = _MSG_TYPE.search(self.frame(0))
        return found.group(1).decode() if found else ""

    def has_parent(self, msg_id: bytes) -> bool:
        return self.data.find(msg_id, self.offsets[2], self.offsets[3]) != -1

    def is_idle(self) -> bool:
        return self.msg_type == "status" and b'"idle"' in self.frame(3)

    def is_reply(self) -> bool:
        return self.channel in ("shell", "control") and self.msg_type.endswith("_reply")

    def json(self, index: int) -> Any:
        return json.loads(self.frame(index))


class LegacyPeek(Peek):
    """A legacy-protocol message: one JSON text (``json.dumps`` of the message,
    header first), or a binary frame of big-endian offsets, that JSON, then buffers.

    The header comes first in the JSON jupyter_server writes, so the first
    ``msg_type`` is the header's; our msg_id appears only in ``parent_header``.
    """

    text: bytes = b""

    @classmethod
    def of_legacy(cls, data: bytes | str) -> LegacyPeek:
        if isinstance(data, str):
            text = data.encode()
            peek = cls(text, ())
        else:
            (count,) = struct.unpack_from("!I", data, 0)
            offsets = struct.unpack_from(f"!{count}I", data, 4)
            end = offsets[1] if count > 1 else len(data)
            text = data[offsets[0] : end]
            peek = cls(data, offsets)
        peek.text = text
        return peek

    def frame(self, index: int) -> bytes:
        if index < len(_LEGACY_KEYS):
            return json.dumps(json.loads(self.text)[_LEGACY_KEYS[index]]).encode()
        return self.data[self.offsets[index - 3] :]  # buffers: whatever follows the JSON

    @property
    def channel(self) -> str:
        found = _CHANNEL.search(self.text)
        return found.group(1).decode() if found else ""

    @property
    def msg_type(self) -> str:
        found = _MSG_TYPE.search(self.text)
        return found.group(1).decode() if found else ""

    def has_parent(self, msg_id: bytes) -> bool:
        return msg_id in self.text

    def is_idle(self) -> bool:
        return self.msg_type == "status" and b'"idle"' in self.text

    def json(self, index: int) -> Any:
        return json.loads(self.text)[_LEGACY_KEYS[index]]


def execute_content(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "silent": False,
        "store_history": False,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
        **extra,
    }


async def send(
    ws: KernelWebsocket, msg_type: str, content: dict[str, Any], channel: str = "shell"
) -> bytes:
    """Send a request; returns its msg_id as bytes, for :meth:`Peek.has_parent`."""
    msg = make_msg(msg_type, content, session=ws.session)
    await ws.send_raw(ws.encode(msg, channel))
    return msg["header"]["msg_id"].encode()


async def until_done(
    ws: KernelWebsocket,
    msg_id: bytes,
    on_message: Callable[[Peek, float], None] | None = None,
    timeout: float = 60.0,
    stall: float = 20.0,
) -> Peek:
    """Read until both the reply and the idle status of ``msg_id`` have arrived.

    That is when JupyterLab's ``KernelFuture.done`` resolves. Every message with
    that parent is shown to ``on_message`` with its arrival time
    (``time.perf_counter``); returns the reply. Gives up after ``timeout`` in all,
    or ``stall`` seconds without any message (a lost idle status would otherwise
    look like a slow server).
    """
    reply, _ = await until_reply_and_idle(ws, msg_id, on_message, timeout, stall)
    return reply


async def until_reply_and_idle(
    ws: KernelWebsocket,
    msg_id: bytes,
    on_message: Callable[[Peek, float], None] | None = None,
    timeout: float = 60.0,
    stall: float = 20.0,
    idle_grace: float | None = None,
) -> tuple[Peek, bool]:
    """:func:`until_done`, and whether the idle status came.

    With ``idle_grace``, an idle status that has not come ``idle_grace`` seconds
    after the last message on the websocket (the reply is in) counts as lost:
    returns ``(reply, False)`` instead of raising. A kernel's PUB socket drops
    what a slow subscriber has not taken, and the idle is one of those messages.
    """
    deadline = time.monotonic() + timeout
    reply: Peek | None = None
    idle = False
    while reply is None or not idle:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no reply and idle for {msg_id.decode()} in {timeout} s")
        wait = stall if reply is None or idle_grace is None else idle_grace
        try:
            data = await asyncio.wait_for(ws.conn.read_message(), min(remaining, wait))
        except asyncio.TimeoutError:
            if reply is not None and idle_grace is not None:
                return reply, False
            missing = "idle status" if reply is not None else "reply"
            raise TimeoutError(
                f"nothing for {stall} s while waiting for the {missing} of {msg_id.decode()}"
            ) from None
        now = time.perf_counter()
        if data is None:
            raise ConnectionError("websocket closed")
        peek = Peek.of(data, ws.protocol)
        if not peek.has_parent(msg_id):
            continue
        if on_message is not None:
            on_message(peek, now)
        if peek.is_reply():
            reply = peek
        elif peek.is_idle():
            idle = True
    return reply, True


async def round_trip(
    ws: KernelWebsocket, msg_type: str, content: dict[str, Any], channel: str = "shell"
) -> float:
    """Seconds from sending a request to having its reply and idle status."""
    msg = make_msg(msg_type, content, session=ws.session)
    data = ws.encode(msg, channel)
    msg_id = msg["header"]["msg_id"].encode()
    start = time.perf_counter()
    await ws.send_raw(data)
    await until_done(ws, msg_id)
    return time.perf_counter() - start


async def execute(ws: KernelWebsocket, code: str, **extra: Any) -> Peek:
    """Run code; returns the ``execute_reply`` (raises if it is not ok)."""
    msg_id = await send(ws, "execute_request", execute_content(code, **extra))
    reply = await until_done(ws, msg_id, timeout=300)
    content = reply.json(3)
    if content.get("status") != "ok":
        raise RuntimeError(f"kernel code failed: {content.get('ename')}: {content.get('evalue')}")
    return reply
