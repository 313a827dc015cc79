"""``RequestFlow`` from request to idle, with a real ``MessageRegistry`` and
handlers registered here; only the kernel side (``KernelSide``) is faked.

Every message the flow sends (broadcast on iopub, the reply to the requester)
lands in one ordered list, so order and "exactly one reply" are checked on what
actually went out.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from beaker_server.errors import KernelError, NotFound
from beaker_server.messages.context import KernelProxy, RequestContext
from beaker_server.messages.flow import KernelSide, RequestFlow
from beaker_server.messages.registry import MessageRegistry, MessageType, custom_message
from beaker_server.settings import FlowLimits
from beaker_server.websocket.wire import EncodeError, IncomingRequest

from ..support.fakes import WAIT, Recorder, header, make_message_factory

pytestmark = pytest.mark.timeout(10)

USER = "alice"


class FakeClient:
    """The server's kernel client as ``KernelProxy.execute`` uses it: the code's
    outputs arrive through ``on_output`` (a status among them, which is no output)."""

    def __init__(self) -> None:
        self.executed: list[str] = []

    async def execute(self, code: str, *, on_output=None, **_: Any) -> dict[str, Any]:
        self.executed.append(code)
        if on_output is not None:
            for msg_type, content in [
                ("status", {"execution_state": "busy"}),
                ("stream", {"name": "stdout", "text": "from the kernel\n"}),
                ("execute_result", {"data": {"text/plain": "2"}, "metadata": {}}),
            ]:
                on_output({"header": {"msg_type": msg_type}, "content": content})
        return {"status": "ok", "execution_count": 0, "user_expressions": {}}


class NoPreview:
    def schedule(self) -> None:
        raise AssertionError("not used by these handlers")

    async def refresh(self) -> dict[str, Any]:
        raise AssertionError("not used by these handlers")


class Harness:
    """A registry, a ``KernelSide`` of fakes, and the one ordered list of what went out."""

    def __init__(
        self,
        *,
        handler_timeout: float = 5.0,
        max_payload_bytes: int = 10_000,
        allow_tracebacks: bool = True,
    ) -> None:
        self.registry = MessageRegistry(logging.getLogger("test_request_flow"))
        self.recorder = Recorder()
        self.client = FakeClient()
        self.stopping = False
        self.allowed = True
        self.authorized: list[str] = []
        #: Raises EncodeError for a message when this says so (msg, channel).
        self.refuse: Callable[[dict[str, Any], str], bool] = lambda msg, channel: False
        self.reply_attempts: list[dict[str, Any]] = []
        self.log = logging.getLogger("test_request_flow")
        self.limits = FlowLimits(
            handler_timeout=handler_timeout,
            max_payload_bytes=max_payload_bytes,
            allow_tracebacks=allow_tracebacks,
        )

    def side(self) -> KernelSide:
        async def client() -> FakeClient:
            return self.client

        return KernelSide(
            registry=self.registry,
            limits=self.limits,
            make_message=make_message_factory(),
            broadcast=self._broadcast,
            kernel_proxy=lambda publish: KernelProxy(
                "kernel-1", client, publish, preview=NoPreview(), max_variable_bytes=1 << 20
            ),
            kernel_stopping=lambda: self.stopping,
        )

    def _broadcast(self, msg: dict[str, Any]) -> None:
        if self.refuse(msg, "iopub"):
            raise EncodeError(f"{msg['msg_type']} cannot be encoded: test")
        self.recorder.record(msg, "iopub")

    def _reply_to(self, msg: dict[str, Any], channel: str) -> None:
        self.reply_attempts.append(msg)
        if self.refuse(msg, channel):
            raise EncodeError(f"{msg['msg_type']} cannot be encoded: test")
        self.recorder.record(msg, channel)

    async def _authorize(self, action: str) -> bool:
        self.authorized.append(action)
        return self.allowed

    def register(self, handler, **options: Any) -> MessageType:
        """Register ``handler`` (an async function) under its name."""
        self.registry.add_object(custom_message(**options)(handler))
        message = self.registry.get(options.get("name") or handler.__name__)
        assert message is not None
        return message

    def flow(self, message: MessageType, request: IncomingRequest, observe=None) -> RequestFlow:
        return RequestFlow(
            self.side(),
            message,
            request,
            username=USER,
            reply_to=self._reply_to,
            authorize=self._authorize,
            log=self.log,
            observe=observe,
        )

    async def serve(
        self, message: MessageType, content: Any = None, *, observe=None, **request: Any
    ) -> tuple[IncomingRequest, dict[str, Any]]:
        incoming = make_request(message, {} if content is None else content, **request)
        flow = self.flow(message, incoming, observe=observe)
        reply = await asyncio.wait_for(flow.run(), WAIT)
        return incoming, reply

    # -- what went out ------------------------------------------------------------

    def replies(self) -> list[dict[str, Any]]:
        return [msg for msg, channel in self.recorder.sent if channel == "shell"]

    def the_reply(self, message: MessageType) -> dict[str, Any]:
        """The one reply the requester got, checked to be the only one, of the
        reply type, between busy and idle."""
        replies = self.replies()
        assert len(replies) == 1, replies
        assert replies[0]["msg_type"] == message.reply_type
        types = self.recorder.types()
        assert types[0] == ("status:busy", "iopub")
        assert types[-1] == ("status:idle", "iopub")
        assert types[-2] == (message.reply_type, "shell")
        return replies[0]["content"]


def make_request(
    message: MessageType,
    content: Any,
    *,
    raw: bytes | None = None,
    size: int | None = None,
    problem: str | None = None,
) -> IncomingRequest:
    """A request as a v1 websocket frame brings it: the content frame's bytes."""
    raw_content = json.dumps(content).encode() if raw is None else raw
    return IncomingRequest(
        msg_type=message.request_type,
        header=header(message.request_type, username=USER),
        parent_header={},
        metadata={},
        raw_content=raw_content,
        content_size=len(raw_content) if size is None else size,
        problem=problem,
    )


@pytest.fixture
def h() -> Harness:
    return Harness()


# -- the order of the flow -----------------------------------------------------------


async def test_busy_outputs_reply_idle_in_order_all_parented_to_the_request(h):
    async def greet(ctx: RequestContext) -> dict[str, Any]:
        ctx.stdout("hello\n")
        ctx.display({"text/plain": "a display"})
        await ctx.kernel.execute("1 + 1")
        ctx.respond({"greeting": f"hi {ctx.content['name']}"})
        ctx.stderr("done\n")
        return {"greeted": ctx.content["name"]}

    message = h.register(greet)
    request, reply = await h.serve(message, {"name": "bob"})

    assert h.recorder.types() == [
        ("status:busy", "iopub"),
        ("stream", "iopub"),
        ("display_data", "iopub"),
        ("stream", "iopub"),  # the kernel's stdout, re-published as the request's
        ("execute_result", "iopub"),
        ("greet_response", "iopub"),
        ("stream", "iopub"),
        ("greet_reply", "shell"),
        ("status:idle", "iopub"),
    ]
    assert all(msg["parent_header"] == request.header for msg, _ in h.recorder.sent)
    assert all(msg["header"]["username"] == USER for msg, _ in h.recorder.sent)
    sent = [msg["content"] for msg, _ in h.recorder.sent]
    assert sent[1] == {"name": "stdout", "text": "hello\n"}
    assert sent[3] == {"name": "stdout", "text": "from the kernel\n"}
    assert sent[5] == {"greeting": "hi bob"}
    assert sent[6] == {"name": "stderr", "text": "done\n"}
    assert h.client.executed == ["1 + 1"]
    assert reply == {"status": "ok", "return": {"greeted": "bob"}}
    assert h.the_reply(message) == reply
    assert h.authorized == ["execute"]


async def test_the_observer_sees_every_message_in_order(h):
    async def ping(ctx: RequestContext) -> int:
        ctx.respond({"pong": True})
        return 1

    seen: list[tuple[dict[str, Any], str]] = []
    message = h.register(ping)
    await h.serve(message, observe=lambda msg, channel: seen.append((msg, channel)))
    assert seen == h.recorder.sent


async def test_an_observer_that_raises_does_not_stop_the_flow(h):
    async def ping(ctx: RequestContext) -> int:
        ctx.respond({"pong": True})
        return 1

    calls: list[str] = []

    def observe(msg: dict[str, Any], channel: str) -> None:
        calls.append(msg["msg_type"])
        raise RuntimeError("observer broke")

    message = h.register(ping)
    _, reply = await h.serve(message, observe=observe)
    assert reply == {"status": "ok", "return": 1}
    assert h.the_reply(message) == reply
    assert [t for t, _ in h.recorder.types()] == [
        "status:busy",
        "ping_response",
        "ping_reply",
        "status:idle",
    ]
    assert calls == ["status", "ping_response", "ping_reply", "status"]


async def test_the_idle_goes_out_when_the_busy_status_cannot_be_encoded(h):
    async def ping(ctx: RequestContext) -> int:
        return 1

    h.refuse = lambda msg, channel: msg["content"] == {"execution_state": "busy"}
    message = h.register(ping)
    _, reply = await h.serve(message)
    assert reply == {"status": "ok", "return": 1}
    assert h.recorder.types() == [("ping_reply", "shell"), ("status:idle", "iopub")]


# -- exactly one reply, whatever happens ---------------------------------------------


@pytest.mark.parametrize("allow_tracebacks", [True, False])
async def test_a_handler_exception_is_one_error_reply_with_or_without_traceback(
    allow_tracebacks,
):
    h = Harness(allow_tracebacks=allow_tracebacks)

    async def broken(ctx: RequestContext) -> None:
        ctx.stdout("before\n")
        raise ValueError("the handler broke")

    message = h.register(broken)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["status"] == "error"
    assert (reply["ename"], reply["evalue"]) == ("ValueError", "the handler broke")
    if allow_tracebacks:
        text = "".join(reply["traceback"])
        assert "ValueError: the handler broke" in text
        assert "in broken" in text
    else:
        assert reply["traceback"] == []
    assert ("stream", "iopub") in h.recorder.types()  # what was published before stays


async def test_a_typed_error_of_the_handler_is_its_reply(h):
    async def lookup(ctx: RequestContext) -> None:
        raise NotFound("no variable 7")

    message = h.register(lookup)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply == {"status": "error", "ename": "NotFound", "evalue": "no variable 7",
                     "traceback": []}  # fmt: skip


def never_runs():
    """A fresh handler ``echo`` for tests in which the handler must not run."""

    async def echo(ctx: RequestContext) -> dict[str, Any]:
        raise AssertionError("the handler must not run")

    return echo


SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "items": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["name"],
}


@pytest.mark.parametrize(
    ("raw", "evalue"),
    [
        (b'{"name": ', "content is not valid JSON"),
        (b"[1, 2]", "content must be a JSON object"),
        (b'"text"', "content must be a JSON object"),
        (b'{"name": "a", "items": [1, "two"]}', "items/1: 'two' is not of type 'integer'"),
        (b'{"items": []}', "(content): 'name' is a required property"),
    ],
)
async def test_invalid_content_is_a_validation_error(h, raw, evalue):
    message = h.register(never_runs(), schema=SCHEMA)
    _, reply = await h.serve(message, raw=raw)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "ValidationError"
    assert reply["evalue"].startswith(evalue), reply["evalue"]


async def test_a_request_with_a_problem_is_a_validation_error(h):
    message = h.register(never_runs())
    _, reply = await h.serve(message, problem="metadata is not a JSON object")
    assert h.the_reply(message) == reply
    assert (reply["ename"], reply["evalue"]) == (
        "ValidationError",
        "metadata is not a JSON object",
    )


async def test_legacy_content_that_is_not_an_object_is_a_validation_error(h):
    message = h.register(never_runs())
    incoming = make_request(message, None)
    incoming.raw_content = ["not", "an", "object"]  # legacy: already parsed
    reply = await h.flow(message, incoming).run()
    assert h.the_reply(message) == reply
    assert (reply["ename"], reply["evalue"]) == (
        "ValidationError",
        "content must be a JSON object",
    )


async def test_content_over_the_servers_limit_is_payload_too_large_before_parsing():
    h = Harness(max_payload_bytes=64)
    message = h.register(never_runs())
    # Not JSON either: the size is what is reported, so it was checked first.
    _, reply = await h.serve(message, raw=b"{" * 65)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "PayloadTooLarge"
    assert "65 bytes" in reply["evalue"] and "64" in reply["evalue"]

    _, reply = await h.serve(message, raw=b"{}", size=65)  # the size the wire measured
    assert reply["ename"] == "PayloadTooLarge"


async def test_content_over_the_messages_own_limit_is_payload_too_large():
    h = Harness(max_payload_bytes=10_000)

    async def small(ctx: RequestContext) -> str:
        return "ok"

    message = h.register(small, max_payload_bytes=16)
    _, reply = await h.serve(message, {"text": "x" * 20})
    assert h.the_reply(message) == reply
    assert reply["ename"] == "PayloadTooLarge"
    assert "the limit is 16" in reply["evalue"]


async def test_a_messages_own_limit_replaces_the_servers():
    # registry.MessageType: "Largest request content in bytes; None takes the server's limit."
    h = Harness(max_payload_bytes=16)

    async def big(ctx: RequestContext) -> int:
        return len(ctx.content["text"])

    message = h.register(big, max_payload_bytes=1000)
    _, reply = await h.serve(message, {"text": "x" * 100})
    assert reply == {"status": "ok", "return": 100}


async def test_a_user_the_authorizer_refuses_is_forbidden_and_the_handler_does_not_run(h):
    h.allowed = False
    message = h.register(never_runs(), permission="write")
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "Forbidden"
    assert USER in reply["evalue"] and "write" in reply["evalue"]
    assert h.authorized == ["write"]


async def test_a_handler_over_its_timeout_is_a_handler_timeout_and_is_cancelled():
    h = Harness(handler_timeout=5.0)
    cancelled = asyncio.Event()

    async def slow(ctx: RequestContext) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    message = h.register(slow, timeout=0.05)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "HandlerTimeout"
    assert "0.05 s" in reply["evalue"]
    assert cancelled.is_set()


async def test_the_servers_handler_timeout_applies_without_the_messages_own():
    h = Harness(handler_timeout=0.05)

    async def slow(ctx: RequestContext) -> None:
        await asyncio.Event().wait()

    message = h.register(slow)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "HandlerTimeout"


@pytest.mark.parametrize("value", [{"x": object()}, float("nan"), {1: {2j}}])
async def test_a_return_value_that_is_not_json_is_an_error_reply(h, value):
    async def odd(ctx: RequestContext) -> Any:
        return value

    message = h.register(odd)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["status"] == "error"
    assert reply["ename"] == "TypeError"
    assert "not JSON" in reply["evalue"]


async def test_abort_during_the_handler_is_an_aborted_reply(h):
    started = asyncio.Event()

    async def waits(ctx: RequestContext) -> None:
        started.set()
        await asyncio.Event().wait()

    message = h.register(waits)
    flow = h.flow(message, make_request(message, {}))
    task = asyncio.ensure_future(flow.run())
    await asyncio.wait_for(started.wait(), WAIT)
    flow.abort("the kernel restarted")
    reply = await asyncio.wait_for(task, WAIT)
    assert reply == {"status": "aborted"}
    assert h.the_reply(message) == reply


async def test_abort_before_the_flow_runs_is_an_aborted_reply_without_the_handler(h):
    message = h.register(never_runs())
    flow = h.flow(message, make_request(message, {}))
    flow.abort("the kernel is shut down")
    reply = await asyncio.wait_for(flow.run(), WAIT)
    assert reply == {"status": "aborted"}
    assert h.the_reply(message) == reply


@pytest.mark.parametrize(("stopping", "status"), [(True, "aborted"), (False, "error")])
async def test_an_exception_while_the_kernel_is_stopping_is_aborted(h, stopping, status):
    async def interrupted(ctx: RequestContext) -> None:
        h.stopping = stopping  # the restart interrupts the kernel first
        raise KernelError("KeyboardInterrupt", "")

    message = h.register(interrupted)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["status"] == status
    if status == "error":
        assert reply["ename"] == "KeyboardInterrupt"


async def test_a_reply_that_cannot_be_encoded_is_replaced_by_one_encoding_error(h):
    async def fine(ctx: RequestContext) -> str:
        return "fine"

    refused: list[dict[str, Any]] = []

    def refuse_first_reply(msg: dict[str, Any], channel: str) -> bool:
        if channel == "shell" and not refused:
            refused.append(msg)
            return True
        return False

    h.refuse = refuse_first_reply
    message = h.register(fine)
    _, reply = await h.serve(message)
    assert len(h.reply_attempts) == 2
    assert h.the_reply(message) == reply
    assert reply["status"] == "error"
    assert reply["ename"] == "EncodingError"
    assert "cannot be encoded" in reply["evalue"]


async def test_a_reply_that_can_never_be_sent_still_ends_with_idle(h):
    async def fine(ctx: RequestContext) -> str:
        return "fine"

    h.refuse = lambda msg, channel: channel == "shell"
    message = h.register(fine)
    _, reply = await h.serve(message)
    assert len(h.reply_attempts) == 2  # the reply, then its EncodingError
    assert reply["ename"] == "EncodingError"
    assert h.recorder.types() == [("status:busy", "iopub"), ("status:idle", "iopub")]


async def test_a_response_that_cannot_be_encoded_is_the_handlers_error(h):
    async def publishes(ctx: RequestContext) -> str:
        ctx.respond({"bad": "value"})
        return "not reached"

    h.refuse = lambda msg, channel: msg["msg_type"] == "publishes_response"
    message = h.register(publishes)
    _, reply = await h.serve(message)
    assert h.the_reply(message) == reply
    assert reply["ename"] == "EncodeError"
