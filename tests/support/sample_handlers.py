"""Handlers the tests load through ``BeakerServerApp.handler_modules``."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from beaker_server import custom_message, response_hook
from beaker_server.errors import BeakerError, NotFound
from beaker_server.messages.context import RequestContext

HOOK_CALLS: list[dict[str, Any]] = []


@custom_message(
    schema={
        "type": "object",
        "properties": {"who": {"type": "string"}},
        "required": ["who"],
    },
    default={"who": "world"},
)
async def greet(ctx: RequestContext) -> Any:
    """Print a line, emit two responses, return a value: the whole seed flow."""
    ctx.stdout(f"hello {ctx.content['who']}\n")
    ctx.respond({"step": 1})
    ctx.respond({"step": 2})
    return {"greeted": ctx.content["who"], "user": ctx.username}


@custom_message()
async def boom(ctx: RequestContext) -> Any:
    """Always raises."""
    raise ValueError("boom went the handler")


@custom_message(timeout=0.5)
async def slow(ctx: RequestContext) -> Any:
    """Sleeps past its half-second limit."""
    await asyncio.sleep(30)


@custom_message(
    schema={"type": "object", "properties": {"expression": {"type": "string"}}},
    default={"expression": "1"},
    timeout=1,
)
async def slow_evaluate(ctx: RequestContext) -> Any:
    """Evaluates an expression in the kernel, with a one-second limit."""
    return await ctx.kernel.evaluate(ctx.content["expression"])


@custom_message(max_payload_bytes=200)
async def small(ctx: RequestContext) -> Any:
    """Takes at most 200 bytes of content."""
    return len(ctx.content)


@custom_message(
    schema={
        "type": "object",
        "properties": {"expression": {"type": "string"}},
        "required": ["expression"],
    }
)
async def evaluate_twice(ctx: RequestContext) -> Any:
    """Evaluates an expression twice in the kernel (the second after the first)."""
    first = await ctx.kernel.evaluate(ctx.content["expression"])
    second = await ctx.kernel.evaluate(ctx.content["expression"])
    return [first, second]


@custom_message(
    schema={"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
)
async def run_code(ctx: RequestContext) -> Any:
    """Runs code in the kernel; its output becomes this request's output."""
    reply = await ctx.kernel.execute(ctx.content["code"])
    return {"status": reply["status"]}


@response_hook("kpub")
def record_kpub(message: dict[str, Any], kernel_id: str) -> bool:
    """Records kernel-published kpub_response; drops those asking to be dropped."""
    HOOK_CALLS.append({"kernel_id": kernel_id, "content": message["content"]})
    return not message["content"].get("drop", False)


@custom_message()
async def hook_calls(ctx: RequestContext) -> Any:
    """What the kpub hook has seen so far."""
    return HOOK_CALLS


@custom_message(timeout=120)
async def wait_forever(ctx: RequestContext) -> Any:
    """Prints a line, then waits until cancelled: a request a kernel restart aborts."""
    ctx.stdout("waiting\n")
    await asyncio.Event().wait()


@custom_message()
async def odd_response(ctx: RequestContext) -> Any:
    """Responds with values JSON has no type for: the server writes them as text."""
    ctx.respond({"when": datetime(2020, 1, 2, tzinfo=timezone.utc), "ids": {3}})
    return "sent"


@custom_message(schema={"type": "object", "properties": {"id": {"type": "string"}}})
async def lookup(ctx: RequestContext) -> Any:
    """Finds nothing: a handler's typed NotFound error."""
    raise NotFound(f"nothing has id {ctx.content.get('id')!r}")


class OddError(BeakerError):
    """An error whose reply holds a key JSON cannot carry (a tuple)."""

    ename = "OddError"

    def reply_content(self, traceback: list[str] | None = None) -> dict[str, Any]:
        return {**super().reply_content(traceback), "where": {(1, 2): "a tuple key"}}


@custom_message()
async def odd_error(ctx: RequestContext) -> Any:
    """Raises an error whose reply cannot be encoded: an EncodingError reply goes instead."""
    raise OddError("this reply cannot be sent as it is")


@custom_message(
    schema={"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    default={"name": "x"},
)
async def kernel_lookup(ctx: RequestContext) -> Any:
    """What the kernel's namespace holds under a name, through a kernel procedure."""
    path = Path(__file__).with_name("lookup_procedure.py")
    return await ctx.kernel.call_procedure(
        "_beaker_test_lookup", path, "lookup", {"name": ctx.content["name"]}
    )
