"""A kernel websocket client for tests, in both Jupyter websocket protocols."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

V1 = "v1.kernel.websocket.jupyter.org"
PROTOCOLS = {"v1": [V1], "legacy": []}


def make_msg(
    msg_type: str,
    content: dict[str, Any] | None = None,
    *,
    session: str = "test-session",
    metadata: dict[str, Any] | None = None,
    buffers: list[bytes] | None = None,
) -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "tester",
        "date": datetime.now(timezone.utc).isoformat(),
        "version": "5.3",
    }
    return {
        "header": header,
        "msg_id": header["msg_id"],
        "msg_type": msg_type,
        "parent_header": {},
        "metadata": metadata or {},
        "content": content or {},
        "buffers": buffers or [],
    }


def _pack(obj: Any) -> bytes:
    return json.dumps(obj).encode()


class KernelWebsocket:
    """One websocket to ``/api/kernels/<id>/channels``."""

    def __init__(self, conn: WebSocketClientConnection, protocol: str) -> None:
        self.conn = conn
        self.protocol = protocol
        self.session = uuid.uuid4().hex
        self.received: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls,
        ws_url: str,
        token: str,
        kernel_id: str,
        protocol: str = "v1",
        headers: dict[str, str] | None = None,
    ) -> KernelWebsocket:
        session = uuid.uuid4().hex
        request = HTTPRequest(
            f"{ws_url}/api/kernels/{kernel_id}/channels?session_id={session}",
            headers={"Authorization": f"token {token}", **(headers or {})},
        )
        conn = await websocket_connect(
            request, subprotocols=PROTOCOLS[protocol], max_message_size=200 * 1024 * 1024
        )
        ws = cls(conn, protocol)
        ws.session = session
        return ws

    def close(self) -> None:
        self.conn.close()

    # -- sending ------------------------------------------------------------

    def encode(self, msg: dict[str, Any], channel: str) -> bytes | str:
        if self.protocol == "v1":
            frames = [
                _pack(msg["header"]),
                _pack(msg["parent_header"]),
                _pack(msg["metadata"]),
                _pack(msg["content"]),
                *msg.get("buffers", []),
            ]
            return serialize_msg_to_ws_v1(frames, channel)
        legacy = dict(msg, channel=channel)
        if legacy.get("buffers"):
            return serialize_binary_message(legacy)
        return json.dumps(legacy)

    async def send(
        self,
        msg_type: str,
        content: dict[str, Any] | None = None,
        channel: str = "shell",
        **kw: Any,
    ) -> dict[str, Any]:
        msg = make_msg(msg_type, content, session=self.session, **kw)
        await self.send_raw(self.encode(msg, channel))
        return msg

    async def send_raw(self, data: bytes | str) -> None:
        await self.conn.write_message(data, binary=isinstance(data, bytes))

    # -- receiving ------------------------------------------------------------

    def decode(self, data: bytes | str) -> dict[str, Any]:
        if self.protocol == "v1":
            channel, frames = deserialize_msg_from_ws_v1(data)
            header, parent, metadata, content = (json.loads(f) for f in frames[:4])
            msg = {
                "channel": channel,
                "header": header,
                "parent_header": parent,
                "metadata": metadata,
                "content": content,
                "buffers": [bytes(b) for b in frames[4:]],
            }
        elif isinstance(data, bytes):
            msg = deserialize_binary_message(data)
            msg["buffers"] = [bytes(b) for b in msg["buffers"]]
        else:
            msg = json.loads(data)
        msg["msg_type"] = msg["header"]["msg_type"]
        return msg

    async def recv(self, timeout: float = 30.0) -> dict[str, Any]:
        data = await asyncio.wait_for(self.conn.read_message(), timeout)
        if data is None:
            raise ConnectionError("websocket closed")
        msg = self.decode(data)
        self.received.append(msg)
        return msg

    async def collect(self, msg_id: str, *, reply: bool = True, timeout: float = 30.0) -> list:
        """Every message whose parent is ``msg_id``, until its idle (and reply).

        Messages with other parents are kept in ``self.received`` but not returned.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        got: list[dict[str, Any]] = []
        seen_reply, seen_idle = not reply, False
        while not (seen_reply and seen_idle):
            msg = await self.recv(max(0.01, deadline - loop.time()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            got.append(msg)
            if msg["channel"] in ("shell", "control") and msg["msg_type"].endswith("_reply"):
                seen_reply = True
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                seen_idle = True
        return got

    async def preview_after(self, msg_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The ``preview`` message parented to request ``msg_id`` (others are kept)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - loop.time()))
            if msg["msg_type"] == "preview" and msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def until_iopub_answers(self, attempts: int = 30) -> None:
        """kernel_info until its idle status arrives (iopub reconnects after a restart)."""
        for _ in range(attempts):
            request = await self.send("kernel_info_request", {})
            with contextlib.suppress(asyncio.TimeoutError):
                await self.collect(request["header"]["msg_id"], timeout=1)
                return
        raise AssertionError("the kernel's iopub did not answer")

    async def send_until_busy(
        self, msg_type: str, content: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a request and wait until its busy status: the server is serving it."""
        msg = await self.send(msg_type, content)
        while True:  # skip what the socket's opening nudge left in flight
            first = await self.recv()
            if first["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                break
        assert kinds([first]) == [("iopub", "status:busy")]
        return msg

    async def request(
        self, msg_type: str, content: dict[str, Any] | None = None, channel: str = "shell", **kw
    ) -> list[dict[str, Any]]:
        msg = await self.send(msg_type, content, channel, **kw)
        return await self.collect(msg["header"]["msg_id"])

    async def subshells(self) -> list[str]:
        """The kernel's subshells, asked on control (JEP 91)."""
        reply = reply_of(await self.request("list_subshell_request", {}, channel="control"))
        return reply["content"]["subshell_id"]

    async def execute(self, code: str, **extra: Any) -> list[dict[str, Any]]:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
            **extra,
        }
        return await self.request("execute_request", content)


def reply_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    replies = [m for m in messages if m["msg_type"].endswith("_reply")]
    assert len(replies) == 1, [m["msg_type"] for m in messages]
    return replies[0]


def kinds(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(channel, msg_type) of each message, statuses with their state."""
    out = []
    for m in messages:
        kind = m["msg_type"]
        if kind == "status":
            kind = f"status:{m['content']['execution_state']}"
        out.append((m["channel"], kind))
    return out


def nudges(ws: KernelWebsocket) -> set[str | None]:
    """Parents of the kernel_info requests answered on ``ws``: the nudges that
    jupyter_server (or a kernel gateway) sends when a socket opens, and ours."""
    return {
        m["parent_header"].get("msg_id")
        for m in ws.received
        if m["parent_header"].get("msg_type") == "kernel_info_request"
    }
