"""The Data Explorer's messages: ``table_open``, ``table_rows``, ``table_sort``,
``table_filter``, ``table_profile``, ``table_export``, ``table_find``,
``table_cancel`` and ``table_close``, and the iopub ``table_update`` (README, "Data Explorer").

Each is answered by the kernel procedure, package ``kernel/`` beside this file,
on the server's subshells (``ctx.kernel.call_procedure``): pages are read while a
user's cell runs, and what a request names (a variable, a filter's text) is data
in the kernel, never code. A view lives in the kernel as an index of row
positions into the variable, never a copy of it.

Two lanes: quick requests (open, rows, export, close, a sampled profile, the
progress of slow ones) on the server's subshell; sorts, filters, exact profiles
and the check after each cell on a second one, so that a 10 s sort holds up no
page read. A slow request has a task id in the kernel: its progress is published
as ``N_response`` while it runs, a newer request of its kind on the same view
cancels it, and so does ``table_cancel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BeakerError, KernelError
from ..messages.context import KernelProxy, RequestContext
from ..messages.registry import custom_message, kernel_hook, object_schema

MODULE = "_beaker_tables"
#: The kernel procedure's modules, each importing only modules before it; its
#: ``__init__.py`` (which exposes ``handle``) runs last, as the package itself.
KERNEL_MODULES = (
    "core",
    "columns",
    "sources",
    "library_sources",
    "sorting",
    "fingerprint",
    "views",
    "profiles",
    "export",
    "find",
    "check",
    "dispatch",
)
_KERNEL = Path(__file__).with_name("kernel")
PROCEDURE = (*(_KERNEL / f"{name}.py" for name in KERNEL_MODULES), _KERNEL / "__init__.py")


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


#: The lanes of slow requests, by kind (quick ones run on the server's subshell):
#: a profile or a find (which only read a view) need not wait for a 10 s sort, nor
#: a sort for them.
LANES = {"sort": "tables", "filter": "tables", "profile": "reads", "find": "reads", "lazy": "lazy"}
#: Seconds between two progress reports of a slow request (none for a quick one).
PROGRESS_INTERVAL = 0.25
#: Seconds between two looks for a sort's first rows, in its first second.
FIRST_ROWS_POLL = 0.05
#: Seconds a slow request may take (a sort of 10M strings takes some).
SLOW_TIMEOUT = 600.0


@dataclass
class _Tables:
    """What the server keeps of one kernel process's views (in ``kernel.state``)."""

    #: Open views: id -> variable name (for the check after cells and restarts).
    views: dict[str, str] = field(default_factory=dict)
    #: The newest slow request of each kind on each view: (view, kind) -> task id.
    newest: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The slow requests in flight on each view: view -> task ids.
    tasks: dict[str, set[str]] = field(default_factory=dict)
    #: Views of lazy sources (dask, a polars LazyFrame): a page of one computes
    #: partitions, so their pages run on a lane of their own.
    lazy: set[str] = field(default_factory=set)
    #: The client session that opened each view over a websocket (REST: none).
    owners: dict[str, str] = field(default_factory=dict)
    #: When each owner was last seen connected (loop time).
    seen: dict[str, float] = field(default_factory=dict)

    def forget(self, view: str) -> None:
        self.views.pop(view, None)
        self.owners.pop(view, None)
        self.lazy.discard(view)

    def lane_of_pages(self, view: Any) -> str | None:
        """Where pages of ``view`` are read: a lazy source's compute partitions."""
        return LANES["lazy"] if view in self.lazy else None

    def orphans(self, connected: set[str], now: float, grace: float) -> list[str]:
        """Views whose client has had no websocket for ``grace`` seconds (the
        setting ``explorer_orphan_grace``)."""
        for owner in set(self.owners.values()) & connected:
            self.seen[owner] = now
        gone = [
            view
            for view, owner in self.owners.items()
            if owner not in connected and now - self.seen.get(owner, now) > grace
        ]
        live = set(self.owners.values())
        self.seen = {owner: at for owner, at in self.seen.items() if owner in live}
        return gone


def _tables(kernel: KernelProxy) -> _Tables:
    tables = kernel.state.get(__name__)
    if not isinstance(tables, _Tables):
        tables = kernel.state[__name__] = _Tables()
    return tables


async def _call(kernel: KernelProxy, request: dict[str, Any], *, lane: str | None = None) -> Any:
    """The procedure's answer to ``request``; its errors as the typed errors above
    (a fault of the procedure keeps its own name)."""
    answer = await kernel.call_procedure(MODULE, PROCEDURE, "handle", request, lane=lane)
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


async def _ask(ctx: RequestContext, op: str, **extra: Any) -> Any:
    """A quick request: the procedure's answer to ``op`` with the request's content."""
    return await _call(ctx.kernel, {**ctx.content, **extra, "op": op})


async def _ask_slowly(ctx: RequestContext, op: str, kind: str, **extra: Any) -> Any:
    """A slow request on the lane of its ``kind``, as a task: reports its progress
    while it runs, and cancels the view's older request of the same kind."""
    kernel, tables = ctx.kernel, _tables(ctx.kernel)
    view, task = str(ctx.content.get("view")), uuid.uuid4().hex
    older = tables.newest.get((view, kind))
    tables.newest[(view, kind)] = task
    in_flight = tables.tasks.setdefault(view, set())
    in_flight.add(task)
    reporting: asyncio.Future[None] | None = None
    try:
        if older is not None:
            await _call(kernel, {"op": "cancel", "tasks": [older]})
        reporting = asyncio.ensure_future(_report_progress(ctx, view, task))
        request = {**ctx.content, **extra, "op": op, "task": task}
        return await _call(kernel, request, lane=LANES[kind])
    except asyncio.CancelledError:
        # Given up (a timeout, a restart, the server stopping): the kernel stops
        # at its next step, and later requests get a subshell of their own.
        stopping = asyncio.ensure_future(_give_up(kernel, LANES[kind], task))
        stopping.add_done_callback(lambda t: t.cancelled() or t.exception())
        raise
    finally:
        if reporting is not None:
            reporting.cancel()
        in_flight.discard(task)
        if not in_flight:
            tables.tasks.pop(view, None)
        if tables.newest.get((view, kind)) == task:
            del tables.newest[(view, kind)]


async def _give_up(kernel: KernelProxy, lane: str, task: str) -> None:
    with contextlib.suppress(Exception):
        await kernel.give_up_lane(lane)
        await _call(kernel, {"op": "cancel", "tasks": [task]})


async def _report_progress(ctx: RequestContext, view: str, task: str) -> None:
    """Publish the task's progress every :data:`PROGRESS_INTERVAL` while it runs,
    and the first rows of a sort as soon as they are in order (once): asked for
    every :data:`FIRST_ROWS_POLL` seconds in the first second, so that the first
    sorted page is not late by a whole progress interval."""
    loop = asyncio.get_running_loop()
    started = told_at = loop.time()
    told_first_rows = False
    while True:
        early = not told_first_rows and loop.time() - started < 1.0
        await asyncio.sleep(FIRST_ROWS_POLL if early else PROGRESS_INTERVAL)
        try:
            answer = await _call(ctx.kernel, {"op": "progress", "tasks": [task]})
        except Exception:
            continue  # the next report may get through; the request goes on regardless
        progress = answer.get("tasks", {}).get(task)
        if progress is None:
            continue  # queued behind another slow request, or just ended
        if "generation" in progress and not told_first_rows:
            told_first_rows, told_at = True, loop.time()
            ctx.respond({"view": view, "task": task, **progress, "stage": "first_rows"})
        elif loop.time() - told_at >= PROGRESS_INTERVAL:
            told_at = loop.time()
            progress = {k: v for k, v in progress.items() if k != "generation"}
            if progress.get("stage") == "first_rows":  # told once; the rest is sorting
                progress["stage"] = "sorting"
            ctx.respond({"view": view, "task": task, **progress})


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
    tables = _tables(ctx.kernel)
    await _close_orphans(ctx.kernel, tables)
    answer = await _ask(ctx, "open")
    view = answer["view"]
    tables.views[view] = str(ctx.content["name"])
    if answer.get("features", {}).get("row_count", "known") != "known":
        tables.lazy.add(view)
    client = ctx.header.get("session")
    if isinstance(client, str) and client in ctx.kernel.client_sessions():
        tables.owners[view] = client
        tables.seen[client] = asyncio.get_running_loop().time()
    return answer


async def _close_orphans(kernel: KernelProxy, tables: _Tables) -> None:
    """Close the views of clients gone for good (a reloaded page): a view holds
    its variable alive and 8 bytes a row once sorted. Views opened over REST
    have no client and live until closed."""
    now = asyncio.get_running_loop().time()
    grace = kernel.settings.explorer_orphan_grace
    for view in tables.orphans(kernel.client_sessions(), now, grace):
        tables.forget(view)
        with contextlib.suppress(BeakerError):
            await _call(kernel, {"op": "close", "view": view})


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
    lane = _tables(ctx.kernel).lane_of_pages(ctx.content.get("view"))
    return await _call(ctx.kernel, {**ctx.content, "op": "rows"}, lane=lane)


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
    timeout=SLOW_TIMEOUT,
)
async def table_sort(ctx: RequestContext) -> Any:
    """Sort a view by one or more columns (stable, missing values last; no keys:
    the table's own order). Returns the view's new generation and row count.

    Runs on the slow lane: ``table_sort_response`` messages report its progress,
    and for one numeric key the generation whose first rows are already in order.
    A newer sort of the view cancels this one (``Cancelled``)."""
    return await _ask_slowly(ctx, "sort", "sort")


@custom_message(
    schema=object_schema(
        ["view", "filters"],
        view=_VIEW,
        filters={"type": "array", "maxItems": 64, "items": {"type": "object"}},
        combine={"enum": ["and", "or"]},
    ),
    default={"view": "", "filters": [], "combine": "and"},
    timeout=SLOW_TIMEOUT,
)
async def table_filter(ctx: RequestContext) -> Any:
    """Filter a view's rows (compare, between, is-null, not-null, contains,
    starts-with, ends-with, regex, in-set; combined with and/or; none: every
    row). A filter that cannot apply is a ``BadFilter`` naming it, and the view
    is left as it was. Returns the new generation and row count. Runs on the
    slow lane, like ``table_sort``."""
    return await _ask_slowly(ctx, "filter", "filter")


@custom_message(
    schema=object_schema(["view"], view=_VIEW),
    default={"view": ""},
)
async def table_close(ctx: RequestContext) -> Any:
    """Close a view: the kernel lets go of its row positions."""
    answer = await _ask(ctx, "close")
    _tables(ctx.kernel).forget(str(ctx.content["view"]))
    return answer


_PROFILE_KINDS = ["nulls", "stats", "quantiles", "histogram", "top"]


@custom_message(
    schema=object_schema(
        ["view", "columns"],
        view=_VIEW,
        generation={"type": "integer", "minimum": 0},
        columns={"type": "array", "items": _COLUMN, "minItems": 1, "maxItems": 50},
        kinds={"type": "array", "items": {"enum": _PROFILE_KINDS}, "maxItems": 5},
        bins={"type": "integer", "minimum": 2, "maximum": 100},
        top={"type": "integer", "minimum": 1, "maximum": 50},
    ),
    default={"view": "", "columns": [0], "kinds": _PROFILE_KINDS, "bins": 20, "top": 10},
    timeout=SLOW_TIMEOUT,
)
async def table_profile(ctx: RequestContext) -> Any:
    """Profile columns of a view: nulls, min/max/mean/std, quantiles, a histogram
    and the top values. A profile of a sample (at most 100,000 rows, counts scaled)
    is published first as ``table_profile_response`` with ``approximate: true``;
    the exact one follows on the slow lane, published too, and is the return.
    A newer profile of the view cancels this one's exact pass."""
    # A newer profile of the view stops the older one's exact pass before its own
    # sampled pass queues behind it.
    older = _tables(ctx.kernel).newest.get((str(ctx.content["view"]), "profile"))
    if older is not None:
        await _call(ctx.kernel, {"op": "cancel", "tasks": [older]})
    sampled = await _call(
        ctx.kernel, {**ctx.content, "op": "profile", "sample": True}, lane=LANES["profile"]
    )
    if sampled.get("stale"):
        return sampled
    ctx.respond(sampled)
    if not sampled.get("approximate"):
        return sampled
    exact = await _ask_slowly(ctx, "profile", "profile", sample=False)
    if not exact.get("stale"):
        ctx.respond(exact)
    return exact


@custom_message(
    schema=object_schema(
        ["view", "generation", "text"],
        view=_VIEW,
        generation={"type": "integer", "minimum": 0},
        text={"type": "string", "minLength": 1, "maxLength": 1000},
        case_sensitive={"type": "boolean"},
        columns={"type": "array", "items": _COLUMN, "maxItems": 2000},
        row={"type": "integer", "minimum": 0},
        column=_COLUMN,
        direction={"enum": ["next", "previous"]},
    ),
    default={"view": "", "generation": 0, "text": "x", "direction": "next"},
    timeout=SLOW_TIMEOUT,
)
async def table_find(ctx: RequestContext) -> Any:
    """The next (or previous) cell of a view, in the view's order, whose text as
    the grid shows it holds ``text`` (ignoring case unless ``case_sensitive``):
    from the cell at ``row`` (a position in the view) and ``column`` (one of
    ``columns``, default every column), that cell included, row by row, wrapping
    once past the end. Returns ``{generation, match: {row, column} | null,
    wrapped, scanned_rows}``; an older ``generation`` is answered ``{"stale":
    true, "generation": <current>}``. A slow request: ``table_find_response``
    reports its progress, and a newer find on the view cancels it."""
    return await _ask_slowly(ctx, "find", "find")


@custom_message(
    schema=object_schema(["view"], view=_VIEW),
    default={"view": ""},
)
async def table_cancel(ctx: RequestContext) -> Any:
    """Cancel the view's sorts, filters, finds and exact profiles, running or queued:
    their replies are ``Cancelled``, and the view stays as it was. Returns
    ``{"cancelled": <how many were in flight>}``."""
    tasks = sorted(_tables(ctx.kernel).tasks.get(str(ctx.content["view"]), ()))
    if tasks:
        await _call(ctx.kernel, {"op": "cancel", "tasks": tasks})
    return {"cancelled": len(tasks)}


UPDATE_MSG_TYPE = "table_update"


@kernel_hook("cell_done")
async def check_views(kernel: KernelProxy) -> None:
    """After a user's cell: for each open view whose variable was reassigned,
    changed in place or deleted, publish ``table_update`` (the kernel re-applies
    the view's sort and filters where their columns still exist)."""
    tables = _tables(kernel)
    await _close_orphans(kernel, tables)
    if not tables.views:
        return
    answer = await _call(kernel, {"op": "check"}, lane=LANES["filter"])
    for update in answer.get("updates", []):
        if update.get("closed"):
            tables.forget(str(update.get("view")))
        kernel.broadcast(UPDATE_MSG_TYPE, update)


@kernel_hook("restarted")
async def close_views(kernel: KernelProxy) -> None:
    """The kernel restarted: every open view is gone with it; its clients are told."""
    tables = _tables(kernel)
    for view, name in list(tables.views.items()):
        update = {"view": view, "name": name, "reason": "restarted", "closed": True}
        kernel.broadcast(UPDATE_MSG_TYPE, update)
        tables.forget(view)


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
    ``{"stale": true, "generation": <current>}``. A quick request, but a lazy
    frame's (its rows computed) runs on the lane of its pages."""
    lane = _tables(ctx.kernel).lane_of_pages(ctx.content.get("view"))
    return await _call(ctx.kernel, {**ctx.content, "op": "export"}, lane=lane)
