"""The websocket and ZMQ wire formats (beaker_server/websocket/wire.py), without a server.

What the relay reads of a client's frame, what it refuses and how, and what the
messages the server makes look like in both websocket protocols. The frames are
made as a client makes them (jupyter_server's own v1 serializer) or by hand,
byte for byte, where a frame is malformed on purpose.
"""

from __future__ import annotations

import json
import struct
from datetime import datetime, timezone

import jupyter_client
import pytest
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

from beaker_server.websocket.wire import (
    PROTOCOL_VERSION,
    V1_PROTOCOL,
    ZMQ_DELIMITER,
    EncodeError,
    IncomingRequest,
    WireError,
    check_legacy_binary,
    encode_for_websocket,
    make_header,
    make_message,
    match_legacy_request,
    parse_legacy_message,
    parse_v1_request,
    v1_header_bounds,
    zmq_parts,
)

HEADER = {"msg_id": "m1", "msg_type": "greet_request", "session": "s", "username": "u"}
PARENT = {"msg_id": "p0"}
METADATA = {"trusted": True}
CONTENT = {"name": "world", "n": [1, 2, 3]}


def pack(value: object) -> bytes:
    return json.dumps(value).encode()


def v1_frame(frames: list[bytes], channel: str = "shell") -> bytes:
    """A v1 message as a client (JupyterLab, jupyter_server) makes it."""
    return serialize_msg_to_ws_v1(frames, channel)


def request_frames(**parts: object) -> list[bytes]:
    """header, parent_header, metadata, content of a request, each replaceable."""
    values = {"header": HEADER, "parent": PARENT, "metadata": METADATA, "content": CONTENT}
    values.update(parts)
    return [v if isinstance(v, bytes) else pack(v) for v in values.values()]


def offset_table(offsets: list[int], tail: bytes = b"") -> bytes:
    """A v1 message by hand: its offset count, the offsets, then ``tail``."""
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + tail


def server_message(content: object, **options: object) -> dict:
    return make_message(
        "greet_reply", content, PARENT, session_id="server", username="u", **options
    )


# -- v1: reading a client's frame ------------------------------------------------------


def test_v1_request_is_read_part_by_part():
    channel, request = parse_v1_request(v1_frame([*request_frames(), b"buf0", b"buf1"]))
    assert channel == "shell"
    assert isinstance(request, IncomingRequest)
    assert request.msg_type == "greet_request"
    assert (request.header, request.parent_header, request.metadata) == (HEADER, PARENT, METADATA)
    assert request.raw_content == pack(CONTENT)  # parsed only when served
    assert request.content() == CONTENT
    assert request.content_size == len(pack(CONTENT))
    assert request.buffers == [b"buf0", b"buf1"]
    assert request.problem is None


def test_v1_header_bounds_find_the_header_without_parsing():
    message = v1_frame(request_frames(), channel="control")
    channel, start, end = v1_header_bounds(message)
    assert channel == "control"
    assert message[start:end] == pack(HEADER)


def test_v1_empty_content_is_an_empty_object():
    _, request = parse_v1_request(v1_frame(request_frames(content=b"")))
    assert request.content() == {}
    assert request.content_size == 0


def test_v1_content_that_is_not_json_fails_only_when_served():
    _, request = parse_v1_request(v1_frame(request_frames(content=b"{not json")))
    assert request.problem is None
    with pytest.raises(ValueError):
        request.content()


def test_v1_content_nested_too_deeply_is_a_value_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    _, request = parse_v1_request(v1_frame(request_frames(content=deep)))
    with pytest.raises(ValueError, match="nested too deeply"):
        request.content()


@pytest.mark.parametrize(
    ("message", "error"),
    [
        pytest.param("text", "text frame", id="text-frame"),
        pytest.param(b"\x01" * 15, "shorter than its offset table", id="shorter-than-16"),
        pytest.param(offset_table([16], b"\0" * 8), "bad offset count 1", id="one-offset"),
        pytest.param(struct.pack("<QQ", 2**40, 16), "bad offset count", id="count-past-end"),
        pytest.param(
            offset_table([40, 30, 45], b"shell" + b"{}" * 5), "out of order", id="decreasing"
        ),
        pytest.param(offset_table([32, 37, 999], b"shell{}"), "out of range", id="past-the-end"),
        pytest.param(offset_table([8, 24], b"\0" * 8), "out of order", id="inside-the-table"),
        pytest.param(offset_table([24, 29], b"shell"), "without a header frame", id="no-frame"),
        pytest.param(
            v1_frame(request_frames(header=b"{oops")), "header is not JSON", id="bad-json"
        ),
        pytest.param(
            v1_frame(request_frames(header=[1])), "header is not a JSON object", id="list"
        ),
    ],
)
def test_v1_frames_without_a_readable_header_are_refused(message, error):
    with pytest.raises(WireError, match=error):
        parse_v1_request(message)


def test_v1_truncated_message_is_refused_whatever_the_cut():
    message = v1_frame(request_frames())
    for cut in range(1, len(message)):
        with pytest.raises(WireError):
            parse_v1_request(message[:cut])


def test_v1_header_bounds_refuse_what_parse_refuses():
    with pytest.raises(WireError, match="without a header frame"):
        v1_header_bounds(offset_table([24, 29], b"shell"))
    with pytest.raises(WireError, match="out of range"):
        v1_header_bounds(v1_frame(request_frames())[:-1])


def test_v1_readable_header_with_broken_parts_is_kept_with_its_problems():
    """A header that can be read gets an answer: what else is wrong is the problem."""
    _, request = parse_v1_request(
        v1_frame(request_frames(parent=b"{x", metadata=[1, 2]), channel="shell")
    )
    assert request.header == HEADER
    assert (request.parent_header, request.metadata) == ({}, {})
    assert request.problem == (
        "parent_header is not JSON: JSONDecodeError; metadata is not a JSON object"
    )


def test_v1_header_alone_is_kept_with_a_problem():
    _, request = parse_v1_request(v1_frame([pack(HEADER)]))
    assert request.msg_type == "greet_request"
    assert request.problem == "v1 message with 1 frames, not the four required"
    assert request.content() == {}


def test_v1_header_without_msg_type_has_an_empty_one():
    _, request = parse_v1_request(v1_frame(request_frames(header={"msg_id": "x"})))
    assert request.msg_type == ""


# -- legacy JSON: reading a client's frame ----------------------------------------------


def legacy_text(**fields: object) -> str:
    msg = {"header": HEADER, "parent_header": PARENT, "metadata": METADATA, "content": CONTENT}
    msg.update(fields)
    return json.dumps(msg)


def test_legacy_text_request_is_read():
    channel, request = parse_legacy_message(legacy_text(channel="control"))
    assert channel == "control"
    assert (request.header, request.parent_header, request.metadata) == (HEADER, PARENT, METADATA)
    assert request.content() == CONTENT
    assert request.buffers == []
    assert request.problem is None


def test_legacy_content_size_is_what_v1_would_see():
    _, request = parse_legacy_message(legacy_text())
    assert request.content_size == len(json.dumps(CONTENT, separators=(",", ":")).encode())


def test_legacy_channel_defaults_to_shell_and_parts_to_empty_objects():
    channel, request = parse_legacy_message(json.dumps({"header": HEADER}))
    assert channel == "shell"
    assert (request.parent_header, request.metadata, request.content()) == ({}, {}, {})


@pytest.mark.parametrize(
    ("message", "error"),
    [
        pytest.param("{not json", "unreadable legacy message: JSONDecodeError", id="bad-json"),
        pytest.param("[" * 100_000 + "]" * 100_000, "unreadable legacy message", id="too-deep"),
        pytest.param("[1, 2]", "without a header", id="not-an-object"),
        pytest.param('{"content": {}}', "without a header", id="no-header"),
        pytest.param('{"header": "greet_request"}', "without a header", id="header-a-string"),
        pytest.param(b"\0\0", "shorter than its offset table", id="binary-too-short"),
    ],
)
def test_legacy_messages_without_a_readable_header_are_refused(message, error):
    with pytest.raises(WireError, match=error):
        parse_legacy_message(message)


def test_legacy_readable_header_with_broken_parts_is_kept_with_its_problems():
    _, request = parse_legacy_message(
        legacy_text(parent_header=[1], metadata="x", buffers={"a": 1}, content=[[[]]])
    )
    assert (request.parent_header, request.metadata, request.buffers) == ({}, {}, [])
    assert request.problem == (
        "buffers is not a list; parent_header is not a JSON object; metadata is not a JSON object"
    )
    assert request.content() == [[[]]]  # not an object: the flow refuses it, not the reader


def test_legacy_binary_message_keeps_its_buffers():
    msg = {
        "header": HEADER,
        "parent_header": PARENT,
        "metadata": {},
        "content": CONTENT,
        "channel": "shell",
        "buffers": [b"\x00\x01", memoryview(b"second")],
    }
    channel, request = parse_legacy_message(serialize_binary_message(msg))
    assert channel == "shell"
    assert request.header == HEADER
    assert request.content() == CONTENT
    assert [bytes(b) for b in request.buffers] == [b"\x00\x01", b"second"]


def test_legacy_binary_part_count_is_checked_before_anything_is_allocated():
    # 22 bytes announcing 2**26 parts: stock builds a 2**26-code struct format for it.
    with pytest.raises(WireError, match="bad part count 67108864"):
        check_legacy_binary(struct.pack("!i", 2**26) + b"\0" * 18)
    with pytest.raises(WireError, match="bad part count 0"):
        check_legacy_binary(struct.pack("!ii", 0, 0))
    with pytest.raises(WireError, match="bad part count -1"):
        check_legacy_binary(struct.pack("!ii", -1, 8))
    assert check_legacy_binary(struct.pack("!iii", 2, 12, 14) + b"{}ab") == 2


def test_legacy_binary_offsets_out_of_range_are_refused():
    with pytest.raises(WireError, match="binary legacy message with offsets out of order"):
        parse_legacy_message(struct.pack("!iii", 2, 12, 99) + b"{}ab")
    with pytest.raises(WireError, match="binary legacy message with offsets out of order"):
        parse_legacy_message(struct.pack("!iii", 2, 14, 12) + b"{}ab")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('{"header": {"msg_type": "greet_request"}}', True),
        ('{"header": {"msg_type": "kernel_info_request"}}', False),
        ('{"header": {"msg_type": "xgreet_request"}}', False),  # the whole quoted word
        ('{"a": "kernel_info_request", "header": {"msg_type": "greet_request"}}', True),
        (b'{"header": {"msg_type": "greet_request"}}', True),
        (b'{"header": {"msg_type": "greet_reply"}}', False),
        ("", False),
    ],
)
def test_legacy_pre_check_matches_registered_names_only(message, expected):
    names = frozenset({"greet", "save_var"})
    names_bytes = frozenset(n.encode() for n in names)
    assert match_legacy_request(message, names, names_bytes) is expected


# -- ZMQ frames --------------------------------------------------------------------------


def test_zmq_parts_are_the_frames_after_the_identities():
    parts = [b"hmac", b"{}", b"{}", b"{}", b"{}", b"buffer"]
    assert zmq_parts([b"ident-1", b"ident-2", ZMQ_DELIMITER, *parts]) == parts
    assert zmq_parts([ZMQ_DELIMITER, *parts[:5]]) == parts[:5]


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param([b"ident", b"hmac", b"{}", b"{}", b"{}", b"{}"], id="no-delimiter"),
        pytest.param([b"ident", ZMQ_DELIMITER, b"hmac", b"{}", b"{}", b"{}"], id="four-parts"),
        pytest.param([], id="empty"),
    ],
)
def test_zmq_parts_of_an_incomplete_message_are_none(frames):
    assert zmq_parts(frames) is None


# -- messages the server makes -----------------------------------------------------------


def test_make_header_follows_the_messaging_spec():
    header = make_header("greet_reply", "session-1", "alice", "5.4")
    assert set(header) == {"msg_id", "msg_type", "session", "username", "date", "version"}
    assert isinstance(header["msg_id"], str) and header["msg_id"]
    assert (header["msg_type"], header["session"], header["username"], header["version"]) == (
        "greet_reply",
        "session-1",
        "alice",
        "5.4",
    )
    date = datetime.fromisoformat(header["date"])
    assert date.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - date).total_seconds()) < 60


def test_make_message_is_a_whole_message_parented_to_the_request():
    msg = server_message({"status": "ok"})
    assert msg["msg_type"] == msg["header"]["msg_type"] == "greet_reply"
    assert msg["msg_id"] == msg["header"]["msg_id"]
    assert msg["header"]["version"] == PROTOCOL_VERSION == jupyter_client.protocol_version
    assert msg["header"]["session"] == "server"
    assert msg["parent_header"] is PARENT
    assert (msg["metadata"], msg["content"], msg["buffers"]) == ({}, {"status": "ok"}, [])
    assert server_message({}, metadata={"m": 1}, version="5.4")["metadata"] == {"m": 1}
    assert server_message({})["msg_id"] != server_message({})["msg_id"]


def test_v1_encoding_reads_back_as_jupyter_server_reads_it():
    msg = server_message({"status": "ok", "return": [1, "é"]})
    msg["buffers"] = [b"raw"]
    encoded = encode_for_websocket(msg, "shell", V1_PROTOCOL)
    assert isinstance(encoded, bytes)
    channel, frames = deserialize_msg_from_ws_v1(encoded)
    assert channel == "shell"
    assert [json.loads(f) for f in frames[:4]] == [
        msg["header"],
        PARENT,
        {},
        {"status": "ok", "return": [1, "é"]},
    ]
    assert frames[4:] == [b"raw"]
    assert "é".encode() in frames[3]  # UTF-8, not an escape, when UTF-8 can hold it


def test_legacy_encoding_is_json_text_with_the_channel():
    encoded = encode_for_websocket(server_message({"status": "ok"}), "iopub", None)
    assert isinstance(encoded, str)
    decoded = json.loads(encoded)
    assert decoded["channel"] == "iopub"
    assert decoded["content"] == {"status": "ok"}
    assert decoded["header"]["msg_type"] == "greet_reply"


def test_legacy_encoding_with_buffers_is_binary():
    msg = server_message({"status": "ok"})
    msg["buffers"] = [b"\x00\xff"]
    encoded = encode_for_websocket(msg, "shell", "")
    assert isinstance(encoded, bytes)
    decoded = deserialize_binary_message(encoded)
    assert decoded["content"] == {"status": "ok"}
    assert [bytes(b) for b in decoded["buffers"]] == [b"\x00\xff"]


@pytest.mark.parametrize("protocol", [V1_PROTOCOL, None])
def test_a_lone_surrogate_goes_out_as_a_json_escape(protocol):
    name = "caf\udce9.txt"  # os.listdir's spelling of an undecodable byte
    encoded = encode_for_websocket(server_message({"name": name}), "iopub", protocol)
    if protocol == V1_PROTOCOL:
        content = deserialize_msg_from_ws_v1(encoded)[1][3]
        assert b"\\udce9" in content
        assert json.loads(content) == {"name": name}
    else:
        assert "\\udce9" in encoded
        assert json.loads(encoded)["content"] == {"name": name}


def test_values_json_has_no_type_for_go_as_their_text():
    when = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    encoded = encode_for_websocket(server_message({"when": when}), "shell", V1_PROTOCOL)
    content = deserialize_msg_from_ws_v1(encoded)[1][3]
    assert json.loads(content) == {"when": str(when)}


def cyclic() -> dict:
    value: dict = {}
    value["self"] = value
    return value


@pytest.mark.parametrize("protocol", [V1_PROTOCOL, None])
@pytest.mark.parametrize(
    "content",
    [
        pytest.param({(1, 2): "a tuple key"}, id="tuple-key"),
        pytest.param(cyclic(), id="cycle"),
    ],
)
def test_content_json_cannot_carry_raises_encode_error(content, protocol):
    with pytest.raises(EncodeError, match="greet_reply cannot be encoded") as raised:
        encode_for_websocket(server_message(content), "shell", protocol)
    assert isinstance(raised.value, WireError)
    assert isinstance(raised.value.__cause__, (TypeError, ValueError))
