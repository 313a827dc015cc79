"""Reading and writing kernel messages in the websocket and ZMQ wire formats.

The functions here are on the hot path of every kernel message. They look at the
fewest bytes that answer the question asked ("is this one of ours?") and parse a
whole message only once it is known to be a registered custom request.

Formats:

- v1 websocket protocol (``v1.kernel.websocket.jupyter.org``): a little-endian
  offset table, the channel name, then the ZMQ frames (header, parent_header,
  metadata, content, buffers...) unchanged.
- legacy websocket protocol: one JSON text with a ``channel`` key, or, when a
  message has binary buffers, a big-endian offset table with the JSON first.
- ZMQ: identities, ``<IDS|MSG>``, HMAC, header, parent_header, metadata,
  content, buffers.
"""

from __future__ import annotations

import json
import struct
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
ZMQ_DELIMITER = b"<IDS|MSG>"
PROTOCOL_VERSION = "5.3"


class WireError(ValueError):
    """A websocket message whose framing cannot be read."""


@dataclass
class IncomingRequest:
    """A registered custom request taken off a websocket, parsed once."""

    msg_type: str
    header: dict[str, Any]
    parent_header: dict[str, Any]
    metadata: dict[str, Any]
    #: The content as it arrived (bytes in v1, already parsed in legacy).
    raw_content: bytes | dict[str, Any]
    content_size: int
    buffers: list[bytes] = field(default_factory=list)

    def content(self) -> Any:
        """The parsed content; raises ``ValueError`` on bad JSON."""
        if isinstance(self.raw_content, dict):
            return self.raw_content
        return json.loads(self.raw_content) if self.raw_content else {}


def _v1_offsets(ws_msg: bytes) -> tuple[int, ...]:
    """The offset table of a v1 message, checked so slicing cannot go wrong."""
    if len(ws_msg) < 16:
        raise WireError("v1 message shorter than its offset table")
    (count,) = struct.unpack_from("<Q", ws_msg, 0)
    if count < 2 or 8 * (count + 1) > len(ws_msg):
        raise WireError(f"v1 message with a bad offset count {count}")
    offsets = struct.unpack_from(f"<{count}Q", ws_msg, 8)
    previous = 8 * (count + 1)
    for offset in offsets:
        if offset < previous or offset > len(ws_msg):
            raise WireError("v1 message with offsets out of order or out of range")
        previous = offset
    return offsets


def v1_header_bounds(ws_msg: bytes) -> tuple[str, int, int]:
    """Channel and where the header frame lies in a v1 message, from the offset
    table alone: callers search the header in place, without copying or parsing."""
    offsets = _v1_offsets(ws_msg)
    if len(offsets) < 3:
        raise WireError("v1 message without a header frame")
    channel = ws_msg[offsets[0] : offsets[1]].decode("utf-8", "replace")
    return channel, offsets[1], offsets[2]


def parse_v1_request(ws_msg: bytes) -> tuple[str, IncomingRequest]:
    """Parse a v1 message already matched as a custom request."""
    offsets = _v1_offsets(ws_msg)
    bounds = [*offsets, len(ws_msg)]
    channel = ws_msg[bounds[0] : bounds[1]].decode("utf-8", "replace")
    frames = [ws_msg[bounds[i] : bounds[i + 1]] for i in range(1, len(bounds) - 1)]
    if len(frames) < 4:
        raise WireError("v1 message with fewer than four frames")
    header = _load_object(frames[0], "header")
    return channel, IncomingRequest(
        msg_type=str(header.get("msg_type", "")),
        header=header,
        parent_header=_load_object(frames[1], "parent_header"),
        metadata=_load_object(frames[2], "metadata"),
        raw_content=frames[3],
        content_size=len(frames[3]),
        buffers=frames[4:],
    )


def match_legacy_request(
    ws_msg: str | bytes, names: frozenset[str], names_bytes: frozenset[bytes]
) -> bool:
    """Whether a legacy message may be a custom request (a pre-check before parsing).

    One scan for the suffix ``_request"`` whatever the number of registered
    types; each hit checks the quoted word it ends against ``names`` (the
    registered ``N``). Usually one hit: the header's own ``msg_type``.
    """
    if isinstance(ws_msg, bytes):  # binary legacy message: JSON first, then buffers
        return _has_request_name(ws_msg, b'_request"', b'"', names_bytes)
    return _has_request_name(ws_msg, '_request"', '"', names)


def _has_request_name(text: Any, suffix: Any, quote: Any, names: Any) -> bool:
    hit = text.find(suffix)
    while hit != -1:
        start = text.rfind(quote, 0, hit) + 1
        if text[start:hit] in names:
            return True
        hit = text.find(suffix, hit + 1)
    return False


def parse_legacy_message(ws_msg: str | bytes) -> tuple[str, IncomingRequest]:
    """Parse a legacy (JSON or binary-with-JSON) websocket message."""
    try:
        msg = (
            deserialize_binary_message(ws_msg) if isinstance(ws_msg, bytes) else json.loads(ws_msg)
        )
    except (ValueError, struct.error, IndexError) as error:
        raise WireError(f"unreadable legacy message: {error}") from error
    if not isinstance(msg, dict) or not isinstance(msg.get("header"), dict):
        raise WireError("legacy message without a header")
    header = msg["header"]
    content = msg.get("content")
    # Measured as v1 would see the content frame, so limits mean the same in both.
    size = len(json.dumps(content, separators=(",", ":")).encode())
    return str(msg.get("channel") or "shell"), IncomingRequest(
        msg_type=str(header.get("msg_type", "")),
        header=_json_safe_header(header),
        parent_header=msg.get("parent_header") or {},
        metadata=msg.get("metadata") or {},
        raw_content=content if isinstance(content, dict) else {},
        content_size=size,
        buffers=list(msg.get("buffers") or []),
    )


def _json_safe_header(header: dict[str, Any]) -> dict[str, Any]:
    """Binary legacy messages get dates parsed to datetimes: put them back to text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in header.items()}


def _load_object(frame: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(frame) if frame else {}
    except ValueError as error:
        raise WireError(f"{what} is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise WireError(f"{what} is not a JSON object")
    return value


# -- ZMQ frames (kernel -> server) ------------------------------------------


def as_bytes(frame: Any) -> bytes:
    """A frame's bytes, copied only when it is not ``bytes`` already (a zmq.Frame)."""
    return frame if isinstance(frame, bytes) else bytes(frame)


def zmq_parts(msg_list: list[Any]) -> list[Any] | None:
    """The frames after the identities: [hmac, header, parent, metadata, content, ...]."""
    try:
        index = msg_list.index(ZMQ_DELIMITER)
    except ValueError:
        return None
    parts = msg_list[index + 1 :]
    return parts if len(parts) >= 5 else None


# -- messages the server makes ----------------------------------------------


def make_header(msg_type: str, session_id: str, username: str, version: str) -> dict[str, Any]:
    """A fresh message header as the Jupyter messaging spec describes it."""
    return {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session_id,
        "username": username,
        "date": datetime.now(timezone.utc).isoformat(),
        "version": version,
    }


def make_message(
    msg_type: str,
    content: dict[str, Any],
    parent_header: dict[str, Any],
    *,
    session_id: str,
    username: str,
    version: str = PROTOCOL_VERSION,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    header = make_header(msg_type, session_id, username, version)
    return {
        "header": header,
        "msg_id": header["msg_id"],
        "msg_type": msg_type,
        "parent_header": parent_header,
        "metadata": metadata or {},
        "content": content,
        "buffers": [],
    }


def _pack(obj: Any) -> bytes:
    return json.dumps(obj, default=str, ensure_ascii=False).encode("utf-8")


def encode_for_websocket(msg: dict[str, Any], channel: str, protocol: str | None) -> bytes | str:
    """Encode a server-made message in the websocket protocol of one connection."""
    if protocol == V1_PROTOCOL:
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
    return json.dumps(legacy, default=str)
