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
from dataclasses import dataclass, field
from typing import Any

# Where jupyter_client defines it (its package re-exports it without __all__).
from jupyter_client._version import protocol_version as CLIENT_PROTOCOL_VERSION
from jupyter_client.session import msg_header, new_id
from jupyter_server.services.kernels.connection.base import (
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
ZMQ_DELIMITER = b"<IDS|MSG>"
#: The messaging protocol version of the server's messages until the kernel has
#: said its own (``kernel_info_reply``): the one jupyter_client speaks.
PROTOCOL_VERSION = CLIENT_PROTOCOL_VERSION


class WireError(ValueError):
    """A websocket message whose framing cannot be read."""


class EncodeError(WireError):
    """A server-made message JSON cannot carry (a key that is not text, a cycle)."""


#: What Python's json raises on input it cannot take: bad text, bad bytes, and
#: nesting deeper than the interpreter's recursion limit.
JSON_ERRORS = (ValueError, RecursionError)


@dataclass
class IncomingRequest:
    """A registered custom request taken off a websocket, parsed once."""

    msg_type: str
    header: dict[str, Any]
    parent_header: dict[str, Any]
    metadata: dict[str, Any]
    #: The content as it arrived: bytes in v1 (parsed when served), the parsed
    #: JSON value in legacy (any value: the flow checks that it is an object).
    raw_content: Any
    content_size: int
    buffers: list[Any] = field(default_factory=list)
    #: Why a request whose header could be read cannot be served (a part that is
    #: missing or not an object): it is still answered, ``ValidationError``.
    problem: str | None = None

    def content(self) -> Any:
        """The parsed content; raises ``ValueError`` on bad JSON (too deep included)."""
        if not isinstance(self.raw_content, bytes):
            return self.raw_content
        if not self.raw_content:
            return {}
        try:
            return json.loads(self.raw_content)
        except RecursionError as error:
            raise ValueError("nested too deeply") from error


def _v1_offsets(ws_msg: bytes) -> tuple[int, ...]:
    """The offset table of a v1 message, checked so slicing cannot go wrong."""
    if not isinstance(ws_msg, bytes):
        raise WireError("a text frame in the v1 protocol, which is binary only")
    if len(ws_msg) < 16:
        raise WireError("v1 message shorter than its offset table")
    (count,) = struct.unpack_from("<Q", ws_msg, 0)
    if count < 2 or 8 * (count + 1) > len(ws_msg):
        raise WireError(f"v1 message with a bad offset count {count}")
    offsets = struct.unpack_from(f"<{count}Q", ws_msg, 8)
    _check_order(offsets, 8 * (count + 1), len(ws_msg), "v1")
    return offsets


def _check_order(offsets: tuple[int, ...], start: int, end: int, what: str) -> None:
    previous = start
    for offset in offsets:
        if offset < previous or offset > end:
            raise WireError(f"{what} message with offsets out of order or out of range")
        previous = offset


def v1_header_bounds(ws_msg: bytes) -> tuple[str, int, int]:
    """Channel and where the header frame lies in a v1 message, from the offset
    table alone: callers search the header in place, without copying or parsing."""
    offsets = _v1_offsets(ws_msg)
    if len(offsets) < 3:
        raise WireError("v1 message without a header frame")
    channel = ws_msg[offsets[0] : offsets[1]].decode("utf-8", "replace")
    return channel, offsets[1], offsets[2]


def parse_v1_request(ws_msg: bytes) -> tuple[str, IncomingRequest]:
    """Parse a v1 message already matched as a custom request.

    Raises :class:`WireError` only when no header can be read: with a header,
    what else is wrong becomes the request's ``problem``, and it is answered.
    """
    offsets = _v1_offsets(ws_msg)
    channel = ws_msg[offsets[0] : offsets[1]].decode("utf-8", "replace")
    # The last offset is where the last frame ends, as stock reads the table.
    frames = [ws_msg[offsets[i] : offsets[i + 1]] for i in range(1, len(offsets) - 1)]
    if not frames:
        raise WireError("v1 message without a header frame")
    header = _load_object(frames[0], "header")
    problems: list[str] = []
    if len(frames) < 4:
        problems.append(f"v1 message with {len(frames)} frames, not the four required")
    content = frames[3] if len(frames) > 3 else b""
    return channel, IncomingRequest(
        msg_type=str(header.get("msg_type", "")),
        header=header,
        parent_header=_part(frames[1] if len(frames) > 1 else b"", "parent_header", problems),
        metadata=_part(frames[2] if len(frames) > 2 else b"", "metadata", problems),
        raw_content=content,
        content_size=len(content),
        buffers=frames[4:],
        problem="; ".join(problems) or None,
    )


def _part(frame: bytes, what: str, problems: list[str]) -> dict[str, Any]:
    """A JSON object beside a readable header; what is wrong with it goes to ``problems``."""
    try:
        return _load_object(frame, what)
    except WireError as error:
        problems.append(str(error))
        return {}


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


def check_legacy_binary(ws_msg: bytes) -> int:
    """The part count a binary legacy message announces, refused unless the
    message can hold its offsets.

    Stock builds a struct format with one code per announced part before it
    looks at the length: 22 bytes announcing 2**26 parts cost it 2 GiB and
    seconds of CPU. Checked on every binary legacy message (four bytes read).
    """
    if len(ws_msg) < 8:
        raise WireError("binary legacy message shorter than its offset table")
    (count,) = struct.unpack_from("!i", ws_msg, 0)
    if count < 1 or 4 * (count + 1) > len(ws_msg):
        raise WireError(f"binary legacy message with a bad part count {count}")
    return int(count)


def _legacy_binary_parts(ws_msg: bytes) -> tuple[bytes, list[bytes]]:
    """The JSON and the buffers of a binary legacy message, offsets checked."""
    count = check_legacy_binary(ws_msg)
    offsets = struct.unpack_from(f"!{count}I", ws_msg, 4)
    _check_order(offsets, 4 * (count + 1), len(ws_msg), "binary legacy")
    bounds = [*offsets, len(ws_msg)]
    parts = [ws_msg[bounds[i] : bounds[i + 1]] for i in range(count)]
    return parts[0], parts[1:]


def parse_legacy_message(ws_msg: str | bytes) -> tuple[str, IncomingRequest]:
    """Parse a legacy (JSON or binary-with-JSON) websocket message.

    Raises :class:`WireError` only when no header can be read; content that is
    not an object is left for the flow to refuse, as v1's content frame is.
    """
    if isinstance(ws_msg, bytes):
        text: str | bytes
        text, buffers = _legacy_binary_parts(ws_msg)
    else:
        text, buffers = ws_msg, None
    try:
        msg = json.loads(text)
    except JSON_ERRORS as error:
        raise WireError(f"unreadable legacy message: {type(error).__name__}") from error
    if not isinstance(msg, dict) or not isinstance(msg.get("header"), dict):
        raise WireError("legacy message without a header")
    header = msg["header"]
    problems: list[str] = []
    content = msg.get("content", {})
    if buffers is None:
        buffers = _legacy_buffers(msg.get("buffers"), problems)
    return str(msg.get("channel") or "shell"), IncomingRequest(
        msg_type=str(header.get("msg_type", "")),
        header=header,
        parent_header=_legacy_object(msg, "parent_header", problems),
        metadata=_legacy_object(msg, "metadata", problems),
        raw_content=content,
        content_size=_content_size(content, problems),
        buffers=buffers,
        problem="; ".join(problems) or None,
    )


def _legacy_object(msg: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = msg.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key} is not a JSON object")
        return {}
    return value


def _legacy_buffers(value: Any, problems: list[str]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("buffers is not a list")
        return []
    return value


def _content_size(content: Any, problems: list[str]) -> int:
    """Measured as v1 would see the content frame, so limits mean the same in both."""
    try:
        return len(json.dumps(content, separators=(",", ":")).encode())
    except JSON_ERRORS:
        problems.append("content nested too deeply")
        return 0


def _load_object(frame: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(frame) if frame else {}
    except JSON_ERRORS as error:
        raise WireError(f"{what} is not JSON: {type(error).__name__}") from error
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
    """A fresh message header, made by jupyter_client as for any Jupyter message,
    with the date as ISO 8601 text (these messages are JSON-encoded here) and the
    kernel's protocol ``version``."""
    header = msg_header(new_id(), msg_type, username, session_id)
    header["date"] = header["date"].isoformat()
    header["version"] = version
    return header


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
    """UTF-8 JSON; a string UTF-8 cannot hold goes as JSON escapes.

    A lone surrogate (an undecodable file name, as ``os.listdir`` returns it)
    is a Python string that UTF-8 refuses; ``\\udce9`` in JSON is its exact
    spelling, and JavaScript reads it back as the same string. Only a message
    that holds one pays for the second encoding.
    """
    text = json.dumps(obj, default=str, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, default=str).encode("ascii")


def encode_for_websocket(msg: dict[str, Any], channel: str, protocol: str | None) -> bytes | str:
    """Encode a server-made message in the websocket protocol of one connection.

    Any string Python can hold goes out; a value JSON cannot carry at all
    raises :class:`EncodeError`, for the caller to answer or log.
    """
    try:
        return _encode(msg, channel, protocol)
    except (TypeError, *JSON_ERRORS) as error:
        raise EncodeError(f"{msg.get('msg_type')} cannot be encoded: {error}") from error


def _encode(msg: dict[str, Any], channel: str, protocol: str | None) -> bytes | str:
    if protocol == V1_PROTOCOL:
        frames = [
            _pack(msg["header"]),
            _pack(msg["parent_header"]),
            _pack(msg["metadata"]),
            _pack(msg["content"]),
            *msg.get("buffers", []),
        ]
        framed: bytes = serialize_msg_to_ws_v1(frames, channel)
        return framed
    legacy = dict(msg, channel=channel)
    if legacy.get("buffers"):
        binary: bytes = serialize_binary_message(legacy)
        return binary
    # ASCII JSON (ensure_ascii): a lone surrogate is an escape, as in v1.
    return json.dumps(legacy, default=str)
