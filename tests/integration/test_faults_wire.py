"""Bad frames and odd strings on the kernel websocket.

Whatever a client sends, its websocket stays open and the next execute
round-trips: a frame that names a registered request and has a readable header
is answered (``ValidationError``), anything else is dropped with one log line.
Any string Python can hold (a lone surrogate from an undecodable file name)
goes out as a JSON escape, and a custom request whose header or result holds
one still gets exactly busy, reply, idle. A seeded fuzzer sends hostile and
random frames in both protocols and counts closures: zero.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import WebSocketClosedError

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, kinds, make_msg, reply_of
from .conftest import open_ws

pytestmark = pytest.mark.timeout(120)

#: Deeper than Python's json can parse (RecursionError), small enough to send.
TOO_DEEP = 100_000
#: How long an answer the server makes itself may take: it usually takes milliseconds.
ANSWER_TIMEOUT = 10.0
MiB = 1024 * 1024


def answered(msg_type: str) -> list[tuple[str, str]]:
    """The whole flow of a request the server answers without output."""
    return [("iopub", "status:busy"), ("shell", f"{msg_type}_reply"), ("iopub", "status:idle")]


async def still_works(ws: KernelWebsocket) -> None:
    """A normal execute_request round-trips after whatever happened before."""
    got = await ws.execute("40 + 2")
    assert reply_of(got)["content"]["status"] == "ok"
    results = [m for m in got if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "42"


async def first_of(ws: KernelWebsocket, msg_type: str, timeout: float = 30.0) -> dict[str, Any]:
    """The next message of ``msg_type`` on ``ws`` (others are kept in ``ws.received``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        msg = await ws.recv(max(0.01, deadline - loop.time()))
        if msg["msg_type"] == msg_type:
            return msg


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def pack(value: Any) -> bytes:
    """JSON as a client writes it: ASCII, lone surrogates as ``\\udXXX`` escapes."""
    return json.dumps(value).encode()


def v1_frame(parts: list[bytes], channel: str | bytes = "shell") -> bytes:
    """A v1 message with a real offset table around ``parts``, whatever they hold."""
    name = channel.encode() if isinstance(channel, str) else channel
    count = len(parts) + 2
    offsets = [8 * (count + 1)]
    for part in [name, *parts]:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"<{count + 1}Q", count, *offsets) + name + b"".join(parts)


def legacy_binary(first: bytes, buffers: list[bytes] | None = None) -> bytes:
    """A binary legacy message: big-endian count and offsets, the JSON, the buffers."""
    parts = [first, *(buffers or [])]
    offsets = [4 * (len(parts) + 1)]
    for part in parts[:-1]:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"!{len(parts) + 1}I", len(parts), *offsets) + b"".join(parts)


def legacy_text(header: dict[str, Any], **fields: Any) -> str:
    msg = {"channel": "shell", "header": header, "parent_header": {}, "metadata": {}}
    msg.update(fields)
    return json.dumps(msg)


# -- one malformed frame at a time -----------------------------------------------


@dataclass(frozen=True)
class Malformed:
    name: str
    protocol: str
    msg_type: str
    #: The frame, from the header the test made for it.
    build: Callable[[dict[str, Any]], bytes | str]
    #: A registered request with a readable header: answered ValidationError.
    answered: bool


def _without_header(header: dict[str, Any]) -> str:
    return json.dumps({"channel": "shell", "msg_type": header["msg_type"], "content": {}})


MALFORMED = [
    Malformed(
        "legacy-deep-nesting",
        "legacy",
        "greet_request",
        lambda h: legacy_text(h)[:-1] + f', "content": {{"who": {deep(TOO_DEEP)}}}}}',
        answered=False,
    ),
    Malformed(
        "legacy-buffers-not-a-list",
        "legacy",
        "greet_request",
        lambda h: legacy_text(h, content={"who": "x"}, buffers=5),
        answered=True,
    ),
    Malformed(
        "legacy-content-array",  # v1 answers ValidationError: legacy must agree
        "legacy",
        "small_request",
        lambda h: legacy_text(h, content=[1, 2]),
        answered=True,
    ),
    Malformed(
        "legacy-parent-header-array",
        "legacy",
        "greet_request",
        lambda h: legacy_text(h, content={"who": "x"}, parent_header=[1]),
        answered=True,
    ),
    Malformed(
        "legacy-binary-array",
        "legacy",
        "greet_request",
        lambda h: legacy_binary(pack([h["msg_type"], h]), [b"buffer"]),
        answered=False,
    ),
    Malformed(
        "legacy-binary-without-header",
        "legacy",
        "greet_request",
        lambda h: legacy_binary(_without_header(h).encode(), [b"buffer"]),
        answered=False,
    ),
    Malformed(
        "v1-text-frame",
        "v1",
        "greet_request",
        lambda h: legacy_text(h, content={"who": "x"}),
        answered=False,
    ),
    Malformed(
        "v1-deep-header",
        "v1",
        "greet_request",
        lambda h: v1_frame(
            [pack(h)[:-1] + f', "x": {deep(TOO_DEEP)}}}'.encode(), b"{}", b"{}", b"{}"]
        ),
        answered=False,
    ),
    Malformed(
        "v1-deep-content",
        "v1",
        "greet_request",
        lambda h: v1_frame([pack(h), b"{}", b"{}", f'{{"who": {deep(TOO_DEEP)}}}'.encode()]),
        answered=True,
    ),
    Malformed(
        "v1-header-only",
        "v1",
        "greet_request",
        lambda h: v1_frame([pack(h)]),
        answered=True,
    ),
    Malformed(
        "v1-parent-header-array",
        "v1",
        "greet_request",
        lambda h: v1_frame([pack(h), b"[1]", b"{}", pack({"who": "x"})]),
        answered=True,
    ),
    Malformed(
        "v1-huge-offset-count",
        "v1",
        "greet_request",
        lambda h: struct.pack("<Q", 2**26) + bytes(14),
        answered=False,
    ),
]


@pytest.mark.parametrize("case", MALFORMED, ids=lambda case: case.name)
async def test_a_malformed_frame_keeps_the_websocket(server, kernel_id, case: Malformed):
    async with open_ws(server, kernel_id, case.protocol) as ws:
        header = make_msg(case.msg_type, session=ws.session)["header"]
        await ws.send_raw(case.build(header))
        if case.answered:
            got = await ws.collect(header["msg_id"], timeout=ANSWER_TIMEOUT)
            assert kinds(got) == answered(case.msg_type.removesuffix("_request"))
            assert reply_of(got)["content"]["ename"] == "ValidationError", reply_of(got)
            assert all(m["parent_header"] == header for m in got)
        await still_works(ws)


def peak_rss(server: JupyterServerProcess) -> int:
    """The server process's peak resident memory so far (VmHWM), in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    (line,) = (line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


async def test_a_huge_announced_buffer_count_is_refused_before_allocating(server, kernel_id):
    """22 bytes announcing 2**26 buffers: stock builds a struct format of that size (2 GiB)."""
    frame = struct.pack("!I", 2**26) + bytes(18)
    before = peak_rss(server)
    async with open_ws(server, kernel_id, "legacy") as ws:
        await ws.send_raw(frame)
        await still_works(ws)
    grown = peak_rss(server) - before
    assert grown < 256 * MiB, f"the server's peak memory grew by {grown / MiB:.0f} MiB"


async def test_a_dropped_execute_request_does_not_stop_previews(server):
    """An execute_request stock cannot read never reaches the kernel: counting it as
    in flight would hold every later preview back, waiting for its reply."""
    kernel = server.start_kernel()
    try:
        async with open_ws(server, kernel, "legacy") as ws:
            first = await ws.send("execute_request", {"code": "before_drop = 1", "silent": False})
            await ws.preview_after(first["header"]["msg_id"])  # none runs from here on
            await ws.send_raw('{"header": {"msg_type": "execute_request"}, "content": ')
            cell = await ws.send("execute_request", {"code": "after_drop = 1", "silent": False})
            preview = await ws.preview_after(cell["header"]["msg_id"], timeout=ANSWER_TIMEOUT)
            assert "after_drop" in preview["content"]["preview"]["variables"]
            await still_works(ws)
    finally:
        server.shutdown_kernel(kernel)


# -- lone surrogates in what the server sends ----------------------------------------

#: An undecodable file name, as ``os.listdir`` returns it, in a DataFrame's object
#: column (pandas' strings backed by pyarrow refuse a lone surrogate outright).
SURROGATE_CELL = (
    "import pandas as pd\n"
    "odd_names = pd.DataFrame({'name': pd.Series(['caf\\udce9.txt'], dtype=object)})"
)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def holds_surrogate(preview: dict[str, Any]) -> bool:
    return any("caf\udce9.txt" in text for text in strings(preview["content"]))


async def test_a_surrogate_in_a_variable_reaches_every_websocket(server):
    kernel = server.start_kernel()
    try:
        async with open_ws(server, kernel, "v1") as a, open_ws(server, kernel, "legacy") as b:
            cell = await a.send("execute_request", {"code": SURROGATE_CELL, "silent": False})
            for ws in (a, b):
                preview = await ws.preview_after(cell["header"]["msg_id"])
                assert holds_surrogate(preview), preview["content"]
        for protocol in ("v1", "legacy"):  # the cached preview, sent while connecting
            async with open_ws(server, kernel, protocol) as fresh:
                assert holds_surrogate(await first_of(fresh, "preview"))
                await still_works(fresh)
    finally:
        server.shutdown_kernel(kernel)


async def test_a_surrogate_in_an_evaluate_result(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        msg = await ws.send("evaluate_request", {"expression": "'\\udcff' + 'x'"})
        got = await ws.collect(msg["header"]["msg_id"], timeout=ANSWER_TIMEOUT)
        assert kinds(got) == answered("evaluate")
        assert reply_of(got)["content"] == {"status": "ok", "return": "\udcffx"}
        await still_works(ws)


async def test_a_surrogate_in_a_request_header(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        msg = make_msg("evaluate_request", {"expression": "6 * 7"}, session=ws.session)
        msg["header"].update(username="\ud800", x_file="caf\udce9.txt")
        await ws.send_raw(ws.encode(msg, "shell"))
        got = await ws.collect(msg["header"]["msg_id"], timeout=ANSWER_TIMEOUT)
        assert kinds(got) == answered("evaluate")
        assert reply_of(got)["content"] == {"status": "ok", "return": 42}
        assert all(m["parent_header"] == msg["header"] for m in got)
        await still_works(ws)


async def test_a_surrogate_over_rest_is_a_json_escape(server, kernel_id):
    """The flow's stdout holds the surrogate: it reaches a v1 websocket of the kernel
    and the HTTP answer (an escape in an ASCII body), not a 500."""
    async with open_ws(server, kernel_id, "v1") as ws:
        response = await AsyncHTTPClient().fetch(
            f"{server.base_url}/beaker/api/kernels/{kernel_id}/requests/greet",
            method="POST",
            body=json.dumps({"who": "caf\udce9"}),
            headers={"Authorization": f"token {server.token}"},
            request_timeout=ANSWER_TIMEOUT,
            raise_error=False,
        )
        assert response.code == 200, response.body
        assert b"caf\\udce9" in response.body
        body = json.loads(response.body)
        assert body["reply"]["content"]["return"]["greeted"] == "caf\udce9"
        got = await ws.collect(body["msg_id"], reply=False, timeout=ANSWER_TIMEOUT)
        streams = [m["content"]["text"] for m in got if m["msg_type"] == "stream"]
        assert streams == ["hello caf\udce9\n"]
        await still_works(ws)


async def test_a_reply_that_cannot_be_encoded_becomes_an_error_reply(server, kernel_id, protocol):
    """``odd_error``'s reply has a tuple key: an ``EncodingError`` reply goes instead."""
    async with open_ws(server, kernel_id, protocol) as ws:
        msg = await ws.send("odd_error_request", {})
        got = await ws.collect(msg["header"]["msg_id"], timeout=ANSWER_TIMEOUT)
        assert kinds(got) == answered("odd_error")
        assert reply_of(got)["content"]["ename"] == "EncodingError", reply_of(got)
        await still_works(ws)


async def test_an_answer_that_cannot_be_encoded_is_a_json_500_over_rest(server, kernel_id):
    response = await AsyncHTTPClient().fetch(
        f"{server.base_url}/beaker/api/kernels/{kernel_id}/requests/odd_error",
        method="POST",
        body="{}",
        headers={"Authorization": f"token {server.token}"},
        request_timeout=ANSWER_TIMEOUT,
        raise_error=False,
    )
    assert response.code == 500, response.body
    assert json.loads(response.body)["reason"] == "EncodingError"


# -- the fuzzer ---------------------------------------------------------------------

#: Bounded for CI: about 2,500 frames, some 15 s here on two shared cores.
FUZZ_EXAMPLES = 300
FUZZ_FRAMES = 16
#: Server-answered and kernel-answered types, none slow, none that stops the kernel.
MSG_TYPES = [
    "greet_request",
    "small_request",
    "boom_request",
    "message_types_request",
    "kernel_info_request",
    "nope_request",
]
CHANNELS = ["shell", "control", "iopub", "stdin", "nope", ""]
ODD_TEXT = ["\ud800", "\udcff", "caf\udce9.txt", "\x00", "é", '"', "\\"]

leaf_text = st.text(max_size=12) | st.sampled_from(ODD_TEXT)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | leaf_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(leaf_text, inner, max_size=3),
    max_leaves=8,
)
headers = st.fixed_dictionaries(
    {"msg_id": st.uuids().map(str), "msg_type": st.sampled_from(MSG_TYPES)},
    optional={
        "session": leaf_text,
        "username": leaf_text,
        "version": st.just("5.3"),
        "date": st.just("2026-01-01T00:00:00Z"),
        "subshell_id": json_values,
    },
)
#: Hostile JSON text: escapes JSON allows but Python's utf-8 does not, truncation,
#: nesting too deep to parse, and a registered name where no header is.
hostile_json = st.sampled_from(
    [
        '"\\ud800"',
        '{"x": "\\udcff\\ud800"}',
        '{"msg_type": "greet_request"',
        deep(TOO_DEEP),
        '{"a": ' + deep(TOO_DEEP) + "}",
        '["greet_request"]',
        "null",
        "5",
        "",
    ]
)


@st.composite
def json_parts(draw: st.DrawFn, base: dict[str, Any] | None = None) -> bytes:
    """One JSON frame: a value (the given one, often), or hostile text, or bytes."""
    choice = draw(st.integers(0, 3))
    if choice == 0 and base is not None:
        return pack(base)
    if choice == 1:
        return pack(draw(json_values))
    if choice == 2:
        return draw(hostile_json).encode()
    return draw(st.binary(max_size=24))


@st.composite
def v1_frames(draw: st.DrawFn) -> bytes:
    """Real offset tables with hostile contents, some tables corrupted after."""
    header = draw(headers)
    parts = [draw(json_parts(header)), *draw(st.lists(json_parts({}), max_size=4))]
    channel = draw(st.sampled_from(CHANNELS) | st.binary(max_size=6))
    frame = bytearray(v1_frame(parts, channel))
    for _ in range(draw(st.integers(0, 2))):  # a wrong count or offset, a torn end
        at = draw(st.integers(0, len(frame) // 8)) * 8
        value = draw(st.sampled_from([0, 1, 2**26, 2**63, len(frame) + 1]) | st.integers(0, 64))
        frame[at : at + 8] = value.to_bytes(8, "little")
    if draw(st.booleans()):
        frame = frame[: draw(st.integers(0, len(frame)))]
    return bytes(frame)


@st.composite
def legacy_messages(draw: st.DrawFn) -> dict[str, Any] | list[Any]:
    header = draw(headers | st.sampled_from([None, [], "greet_request"]))
    msg: dict[str, Any] = {"header": header}
    for key in ("channel", "parent_header", "metadata", "content", "buffers"):
        if draw(st.booleans()):
            pick = st.sampled_from(CHANNELS) if key == "channel" else json_values
            msg[key] = draw(pick | st.sampled_from([{}, [], 5]))
    return draw(st.just(msg) | st.just([msg]))


@st.composite
def legacy_text_frames(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(hostile_json)
    text = json.dumps(draw(legacy_messages()))
    if draw(st.integers(0, 3)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


@st.composite
def legacy_binary_frames(draw: st.DrawFn) -> bytes:
    """Real tables (JSON first, then buffers), some counts and offsets wrong after."""
    first = pack(draw(legacy_messages())) if draw(st.booleans()) else draw(hostile_json).encode()
    frame = bytearray(legacy_binary(first, draw(st.lists(st.binary(max_size=8), max_size=3))))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(frame) // 4)) * 4
        value = draw(st.sampled_from([0, 2**26, 2**31 - 1, 2**32 - 1]) | st.integers(0, 64))
        frame[at : at + 4] = value.to_bytes(4, "big")
    return bytes(frame)


frames = st.one_of(
    st.tuples(st.just("v1"), v1_frames()),
    st.tuples(st.just("legacy"), legacy_text_frames()),
    st.tuples(st.just("legacy"), legacy_binary_frames()),
    st.tuples(st.sampled_from(["v1", "legacy"]), st.binary(max_size=64) | st.text(max_size=64)),
)


class Fuzz:
    """A v1 and a legacy websocket to one kernel; a closure is counted and reopened."""

    def __init__(self, server: JupyterServerProcess, kernel_id: str) -> None:
        self.server = server
        self.kernel_id = kernel_id
        self.sockets: dict[str, KernelWebsocket] = {}
        self.closures: list[tuple[str, bytes | str]] = []
        self.sent = 0

    async def open(self, protocol: str) -> None:
        self.sockets[protocol] = await KernelWebsocket.open(
            self.server.ws_url, self.server.token, self.kernel_id, protocol
        )

    async def send(self, batch: list[tuple[str, bytes | str]]) -> None:
        """Send a batch, then a request on each socket: its answer shows the socket
        open and every frame before it read."""
        for protocol, data in batch:
            try:
                await self.sockets[protocol].send_raw(data)
            except WebSocketClosedError:
                await self._closed(protocol, data)
            self.sent += 1
        for protocol, ws in list(self.sockets.items()):
            try:
                reply = reply_of(await ws.request("small_request", {}))
            except (ConnectionError, WebSocketClosedError):
                await self._closed(protocol, batch)
            else:
                assert reply["content"] == {"status": "ok", "return": 0}

    async def _closed(self, protocol: str, what: Any) -> None:
        self.closures.append((protocol, repr(what)[:300]))
        await self.open(protocol)

    def close(self) -> None:
        for ws in self.sockets.values():
            ws.close()


@pytest.mark.timeout(180)
def test_fuzz_closes_no_websocket(server, kernel_id):
    loop = asyncio.new_event_loop()
    fuzz = Fuzz(server, kernel_id)
    try:
        for protocol in ("v1", "legacy"):
            loop.run_until_complete(fuzz.open(protocol))

        @settings(
            max_examples=FUZZ_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # no shrinking: the batch is reported as it was
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=st.lists(frames, min_size=1, max_size=FUZZ_FRAMES))
        def fuzz_batch(batch: list[tuple[str, bytes | str]]) -> None:
            loop.run_until_complete(fuzz.send(batch))

        fuzz_batch()
        assert fuzz.closures == [], f"{len(fuzz.closures)} closures in {fuzz.sent} frames"
        for ws in fuzz.sockets.values():
            loop.run_until_complete(still_works(ws))
            reply = reply_of(loop.run_until_complete(ws.request("greet_request", {"who": "z"})))
            assert reply["content"]["return"]["greeted"] == "z"
        assert fuzz.sent > 500
    finally:
        fuzz.close()
        loop.close()
    assert server.rest("GET", "/api/status")["kernels"] >= 1
