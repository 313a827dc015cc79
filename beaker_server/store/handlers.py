"""``save_var`` and friends: kernel variables kept in the server's variable store.

The example of Jupyter custom messages made real. ``save_var`` reads a variable from the kernel
(serialized in the kernel, size-capped), stores it with its metadata under a new
id, prints a line on stdout, emits ``save_var_response`` and replies with the id;
``load_var`` puts a stored value back into a kernel (any kernel of the same user,
also after a server restart); ``list_vars`` and ``delete_var`` manage the store.

Variable names are checked to be identifiers before anything reaches the kernel,
and in the kernel they are only ever keys of the namespace, never code.
"""

from __future__ import annotations

import keyword
from typing import Any

from ..errors import KernelUnavailable, ValidationError
from ..messages.context import RequestContext
from ..messages.registry import custom_message, object_schema
from .variable_store import StoredVariable, VariableStore

_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "description": "A Python identifier naming a variable of the kernel's namespace",
}
_ID = {"type": "string", "minLength": 1, "maxLength": 64, "description": "A saved value's id"}


def variable_name(name: str) -> str:
    """``name`` if it can only ever mean a plain variable; else :class:`ValidationError`."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValidationError(f"{name!r} is not a variable name (a Python identifier)")
    if name.startswith("__") and name.endswith("__"):
        raise ValidationError(f"{name!r} is reserved (a dunder name)")
    return name


def _store(ctx: RequestContext) -> VariableStore:
    if ctx.store is None:
        raise KernelUnavailable("this server has no variable store")
    return ctx.store


def _summary(record: StoredVariable) -> dict[str, Any]:
    """What the response and reply say about a saved value (no user, no blob)."""
    data = record.to_json()
    del data["user"]
    return data


def _human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


@custom_message(
    "save_var",
    schema=object_schema(["name"], name=_NAME),
    default={"name": "x"},
)
async def save_var(ctx: RequestContext) -> Any:
    """Save a kernel variable to the variable store under a new id.

    The value is serialized in the kernel (pickle), up to the server's
    ``max_variable_bytes`` (``PayloadTooLarge`` above). Prints a line on stdout,
    emits ``save_var_response {"id", "name", "type", "bytes"}`` and returns the
    saved value's id and metadata.
    """
    name = variable_name(ctx.content["name"])
    store = _store(ctx)
    meta, value = await ctx.kernel.save_variable(name)
    record = await store.save(
        user=ctx.username,
        name=name,
        type=str(meta.get("type", "")),
        module=str(meta.get("module", "")),
        format=str(meta.get("format", "")),
        kernel_id=ctx.kernel.kernel_id,
        value=value,
    )
    ctx.stdout(f"Saved {name} ({record.type}, {_human_size(record.bytes)}) as {record.id}\n")
    ctx.respond({"id": record.id, "name": name, "type": record.type, "bytes": record.bytes})
    return _summary(record)


@custom_message(
    "load_var",
    schema=object_schema(["id"], id=_ID, name=_NAME),
    default={"id": "an id from list_vars"},
)
async def load_var(ctx: RequestContext) -> Any:
    """Load a saved value into this kernel, under its saved name or ``name``.

    Works in any kernel of the same user, also after a server restart. Prints a
    line on stdout, emits ``load_var_response`` and returns the value's metadata.
    """
    wanted = ctx.content.get("name")
    if wanted is not None:
        variable_name(wanted)  # before anything else happens
    record, value = await _store(ctx).load(ctx.username, ctx.content["id"])
    name = variable_name(wanted or record.name)
    meta = await ctx.kernel.load_variable(name, value, record.format)
    ctx.kernel.schedule_preview()
    ctx.stdout(f"Loaded {record.id} into {name} ({meta.get('type', record.type)})\n")
    result = {"id": record.id, "name": name, "type": record.type, "bytes": record.bytes}
    ctx.respond(result)
    return result


@custom_message(
    "list_vars",
    schema=object_schema(),
    default={},
    permission="read",
)
async def list_vars(ctx: RequestContext) -> Any:
    """The requesting user's saved values, newest first (metadata only)."""
    records = await _store(ctx).list(ctx.username)
    return {"vars": [record.to_json() for record in records]}


@custom_message(
    "delete_var",
    schema=object_schema(["id"], id=_ID),
    default={"id": "an id from list_vars"},
    permission="write",
)
async def delete_var(ctx: RequestContext) -> Any:
    """Delete one of the requesting user's saved values (``NotFound`` if it has no such id)."""
    await _store(ctx).delete(ctx.username, ctx.content["id"])
    return {"id": ctx.content["id"], "deleted": True}
