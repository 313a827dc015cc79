"""Custom message types every beaker_server answers."""

from __future__ import annotations

from typing import Any

from .context import RequestContext
from .registry import custom_message


@custom_message(
    "evaluate",
    schema={
        "type": "object",
        "properties": {
            "expression": {"type": "string", "minLength": 1, "description": "A Python expression"}
        },
        "required": ["expression"],
        "additionalProperties": False,
    },
    default={"expression": "1 + 1"},
    permission="execute",
)
async def evaluate(ctx: RequestContext) -> Any:
    """Evaluate an expression in the kernel and return its value as JSON.

    Runs through the server's own kernel client: no execution count, history or
    output changes in the notebook. Needs the same permission as running code.
    """
    return await ctx.kernel.evaluate(ctx.content["expression"])


@custom_message(
    "message_types",
    schema={"type": "object", "additionalProperties": False},
    default={},
    permission="read",
)
async def message_types(ctx: RequestContext) -> Any:
    """List the custom message types this server answers, with docs and schemas."""
    return {"message_types": ctx.registry.describe()}


@custom_message("preview", schema={"type": "object"}, default={}, permission="execute")
async def preview(ctx: RequestContext) -> Any:
    """The kernel's variable preview, computed now.

    Returns ``{"preview": {item_type: {name: {mimetype: data}}}, "meta": {...}}``,
    the content of the iopub ``preview`` messages. Runs on the kernel's subshell
    when it has one, so it answers while a cell runs.
    """
    return await ctx.kernel.preview()
