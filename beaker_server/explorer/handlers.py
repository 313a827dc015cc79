"""The Data Explorer's messages: ``table_open``, ``table_rows``, ``table_sort``,
``table_filter`` and ``table_close`` (README, "Data Explorer").

Each is answered by the kernel procedure ``python_tables.py`` beside this file,
on the server's subshell (``ctx.kernel.call_procedure``): pages are read while a
user's cell runs, and what a request names (a variable, a filter's text) is data
in the kernel, never code. A view lives in the kernel as an index of row
positions into the variable, never a copy of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BeakerError, KernelError
from ..messages.context import RequestContext
from ..messages.registry import custom_message, object_schema

MODULE = "_beaker_tables"
PROCEDURE = Path(__file__).with_name("python_tables.py")


def _error(name: str, http_status: int, doc: str) -> type[BeakerError]:
    """An error the table procedure reports, under its name and with its HTTP status."""
    namespace = {"__doc__": doc, "__module__": __name__}
    return type(name, (BeakerError,), namespace, http_status=http_status)


BadRequest = _error("BadRequest", 400, "A request the procedure cannot take (out of range).")
UnknownView = _error("UnknownView", 404, "No open view has this id (closed, or a restart).")
UnknownVariable = _error("UnknownVariable", 404, "The kernel has no variable of this name.")
NotATable = _error("NotATable", 400, "The variable is not something shown as a table.")
BadFilter = _error("BadFilter", 400, "A filter that cannot apply; the view is left as it was.")
BadSort = _error("BadSort", 400, "A sort key that cannot apply; the view is left as it was.")
TooManyViews = _error("TooManyViews", 429, "The kernel holds as many views as it may.")
ViewChanged = _error("ViewChanged", 409, "Another sort or filter of the view ended first.")
Cancelled = _error("Cancelled", 409, "Cancelled: by table_cancel, or by a newer request.")

_ERRORS: dict[str, type[BeakerError]] = {
    cls.__name__: cls
    for cls in (
        BadRequest,
        UnknownView,
        UnknownVariable,
        NotATable,
        BadFilter,
        BadSort,
        TooManyViews,
        ViewChanged,
        Cancelled,
    )
}


_VIEW = {"type": "string", "minLength": 1, "maxLength": 200}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 1000}
_COLUMN = {"type": "integer", "minimum": 0}
_MAX_BYTES = {"type": "integer", "minimum": 4096, "maximum": 2 * 1024 * 1024}


async def _ask(ctx: RequestContext, op: str) -> Any:
    """The procedure's answer to ``op`` with the request's content; its errors as
    the typed errors above (a fault of the procedure keeps its own name)."""
    request = {**ctx.content, "op": op}
    answer = await ctx.kernel.call_procedure(MODULE, PROCEDURE, "handle", request)
    if not isinstance(answer, dict):
        raise KernelError("TypeError", "the table procedure answered no object")
    status = answer.pop("status", None)
    if status == "error":
        ename, evalue = str(answer.get("ename", "Error")), str(answer.get("evalue", ""))
        error = _ERRORS.get(ename)
        raise error(evalue) if error is not None else KernelError(ename, evalue)
    if status == "stale":
        return {"stale": True, **answer}
    return answer


@custom_message(
    schema=object_schema(
        ["name"],
        name={"type": "string", "minLength": 1, "maxLength": 1000},
        rows=_COUNT,
        max_bytes=_MAX_BYTES,
    ),
    default={"name": "df", "rows": 100},
)
async def table_open(ctx: RequestContext) -> Any:
    """Open the kernel variable ``name`` as a table view.

    Returns the view id and generation, the kind and shape, the columns (name,
    dtype, display type), row label levels, features, and the first ``rows`` rows.
    """
    return await _ask(ctx, "open")


@custom_message(
    schema=object_schema(
        ["view", "generation", "start", "count"],
        view=_VIEW,
        generation={"type": "integer", "minimum": 0},
        start={"type": "integer", "minimum": 0},
        count=_COUNT,
        columns={"type": "array", "items": _COLUMN, "maxItems": 2000},
        max_chars={"type": "integer", "minimum": 8, "maximum": 2000},
        digits={"type": "integer", "minimum": 1, "maximum": 17},
        max_bytes=_MAX_BYTES,
    ),
    default={"view": "", "generation": 0, "start": 0, "count": 100},
)
async def table_rows(ctx: RequestContext) -> Any:
    """Rows ``start`` to ``start + count`` of a view, formatted in the kernel,
    column by column, with their row labels. A request for an older generation
    of the view is answered ``{"stale": true, "generation": <current>}``."""
    return await _ask(ctx, "rows")


@custom_message(
    schema=object_schema(
        ["view", "keys"],
        view=_VIEW,
        keys={
            "type": "array",
            "maxItems": 16,
            "items": object_schema(["column"], column=_COLUMN, ascending={"type": "boolean"}),
        },
    ),
    default={"view": "", "keys": [{"column": 0, "ascending": True}]},
)
async def table_sort(ctx: RequestContext) -> Any:
    """Sort a view by one or more columns (stable, missing values last; no keys:
    the table's own order). Returns the view's new generation and row count."""
    return await _ask(ctx, "sort")


@custom_message(
    schema=object_schema(
        ["view", "filters"],
        view=_VIEW,
        filters={"type": "array", "maxItems": 64, "items": {"type": "object"}},
        combine={"enum": ["and", "or"]},
    ),
    default={"view": "", "filters": [], "combine": "and"},
)
async def table_filter(ctx: RequestContext) -> Any:
    """Filter a view's rows (compare, between, is-null, not-null, contains,
    starts-with, ends-with, regex, in-set; combined with and/or; none: every
    row). A filter that cannot apply is a ``BadFilter`` naming it, and the view
    is left as it was. Returns the new generation and row count."""
    return await _ask(ctx, "filter")


@custom_message(
    schema=object_schema(["view"], view=_VIEW),
    default={"view": ""},
)
async def table_close(ctx: RequestContext) -> Any:
    """Close a view: the kernel lets go of its row positions."""
    return await _ask(ctx, "close")


@custom_message(
    schema=object_schema(
        ["view", "format"],
        view=_VIEW,
        generation={"type": "integer", "minimum": 0},
        format={"enum": ["csv", "tsv", "html", "json"]},
        rows=object_schema(
            [], start={"type": "integer", "minimum": 0}, stop={"type": "integer", "minimum": 0}
        ),
        columns={"type": "array", "items": _COLUMN, "maxItems": 2000},
        headers={"type": "boolean"},
        index={"type": "boolean"},
        max_bytes={"type": "integer", "minimum": 1, "maximum": 16 * 1024 * 1024},
    ),
    default={"view": "", "format": "csv"},
)
async def table_export(ctx: RequestContext) -> Any:
    """A view's rows (``rows``: ``{start, stop}`` positions, default all) and
    ``columns`` as text in ``format``: csv (RFC 4180), tsv (tabs, newlines and
    backslashes escaped as ``\\t``, ``\\n``, ``\\\\``), html (a ``<table>``, every
    value escaped) or json (``{"columns", "index"?, "data"}``), at full precision,
    with the row labels as first columns when ``index``. Whole rows up to
    ``max_bytes`` (1 MiB by default): ``truncated`` says it stopped there and
    ``rows`` how many were written. An older ``generation`` is answered
    ``{"stale": true, "generation": <current>}``."""
    return await _ask(ctx, "export")
