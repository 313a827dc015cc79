"""Data Explorer on a 10M x 10 frame, through the server, vs the Variable Inspector's approach.

Usage (from the repository root)::

    .venv/bin/python -m bench.tables            # 10M rows, 5 rounds, ~4 minutes on 2 cores
    .venv/bin/python -m bench.tables --rows 1000000 --rounds 2   # a quick look, ~15 s
    .venv/bin/python -m bench.tables --json /tmp/tables.json

What a user waits for is a message at the client, so everything is timed at a
kernel websocket client, from sending a request to the message that answers it:
the benchmark is a front-end sending the ``table_*_request`` custom messages
(``sendCustomRequest`` in the lab extension) to jupyter_server + beaker_server
(``bench.servers``' ``ext``). The frame is built once per run, in the kernel, as
``df``: 10 columns of which 3 floats (10% NaN), 2 ints, 2 datetimes (one with
10% NaT) and 3 strings (pandas' default string dtype, from a vocabulary of
100,000 words). Each round opens a fresh view, does each operation on it in
turn, waiting for each reply before the next (a newer sort or filter of the
same view would cancel the older one), and closes it:

- ``open``: ``table_open`` with the first 100 rows, to its reply (and its bytes);
- ``page``: ``table_rows`` of 100 rows x 10 columns at random positions
  (``--pages`` a round), p50 and p95 of the round;
- ``numeric sort`` (float column with NaN): the ``table_sort_response`` of stage
  ``first_rows`` (the first rows are in final order; the server looks for
  them every 50 ms in the sort's first second), and the first sorted page,
  what the user sees first: a ``table_rows`` of that generation sent the
  moment that response arrives, to its reply, or, when the sort ended before
  any such response (none sent, or a quick sort), one sent at the sort's
  reply; the full order is the sort's reply;
- ``string sort``: to the reply (the sort is reset to the table's order after,
  untimed, so that a filter's time is the filter's alone);
- ``numeric filter`` (``f1 > 0.5``) and ``string contains`` (``s1`` contains
  "par", case-insensitive): to the reply (filters reset after, untimed);
- ``profile`` of one float column: ``table_profile``'s first
  ``table_profile_response`` with ``approximate: true`` (a sample of at most
  100,000 rows) and its reply (the exact profile);
- ``pages during a sort``: a string sort of another column is started (slow
  lane), and from 20 ms after it was sent to its reply random pages are read
  one after another; their p50/p95 and how many. A page
  answered ``stale`` (the sort committed while it waited) is read again at the
  new generation, timed in all, and is the last;
- ``memory per view``: the kernel's resident set (``VmRSS`` of
  ``/proc/<kernel pid>/status``; the kernel reports its pid) before and after
  opening ``--views`` views and sorting (float column) then filtering
  (``f1`` not null, ~90% of the rows kept) each, divided by views x rows:
  bytes per row per view, over the lower of the RSS before the views and
  after they are closed. Each RSS is read after a garbage collection and
  glibc's ``malloc_trim`` in the kernel (an ``execute_request``), so that it
  counts what is held, not free heap pages kept for reuse (shown as well:
  the figure before that trim). The views are closed after.

Beside them, on stock jupyter_server with server-side TCP_NODELAY
(``stock_nodelay``: no Nagle delay counted against it), in the same run and
with the same frame in its kernel, what a user gets without the explorer
(``--samples`` of each a round, median):

- the JupyterLab Variable Inspector's *approach* (not its code): an ordinary
  ``execute_request`` on the main shell of ``df.head(10000).to_json(orient=
  "table")``, its ``execute_result`` (the string's repr) shipped to the client:
  time to that message and its bytes;
- ``display(df)``: time to the ``display_data`` and its bytes (pandas' HTML and
  text of the first and last rows).

The two servers take turns, the order flipped each round. Reported: the median
over rounds of each figure, the procedure's own time in the kernel beside it
(its ``elapsed_ms``: the rest is the way through server and subshell, and for a
page during a sort, the wait for the kernel's GIL), every round's value, and
the issue's targets with ok / MISS. A figure is ``n/a`` when the server does not answer that yet (no
``first_rows`` stage, ``table_profile`` unknown to the kernel procedure).
Reading it: the explorer figures are for a user who has the whole 10M rows at
hand (any page, sorted and filtered); the inspector's are for 10,000 rows, and
``display(df)`` for ten of them, with the main shell busy meanwhile (a cell
waits behind them). The targets are the issue's, for 10M rows: a run with
fewer ``--rows`` is a quick check whose figures are lower. At 10M every view's
array (80 MB) is a mapping of its own, given back when freed; at 1M the C heap
keeps such arrays for reuse, hence the trim before each RSS.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/tables.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import Peek, execute_content
from bench.run import git_commit, package_version, percentile
from bench.servers import BenchServer, make_servers, start_all, stop_all
from tests.support.kernel_ws import KernelWebsocket, make_msg

EXPLORER, INSPECTOR = "ext", "stock_nodelay"
ROWS = 10_000_000
PAGE_ROWS = 100
INSPECTOR_ROWS = 10_000
SLOW_TIMEOUT = 900.0
#: Seconds between sending the sort and the first page read during it (the sort's
#: way to the kernel's slow lane: a few milliseconds).
SORT_HEAD_START = 0.02
#: Columns of the frame, by position (see ``KERNEL_SETUP``).
FLOAT, FLOAT_FILTERED, STRING, STRING_SEARCHED = 0, 1, 7, 8
COLUMNS = ["f0", "f1", "f2", "i0", "i1", "d0", "d1", "s0", "s1", "s2"]
CONTAINS_TERM = "par"

#: Defined once in each kernel; ``_bench_frame(rows)`` builds ``df``.
KERNEL_SETUP = '''
import ctypes as _bench_ctypes, gc as _bench_gc, os as _bench_os
import numpy as np
import pandas as pd


def _bench_trim():
    """Give the C heap's free pages back (glibc), so that RSS counts what is held."""
    _bench_gc.collect()
    try:
        _bench_ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def _bench_frame(rows, seed=12):
    """``df``: 3 floats (10% NaN), 2 ints, 2 datetimes (one 10% NaT), 3 strings."""
    globals().pop("df", None)
    rng = np.random.default_rng(seed)

    def floats():
        x = rng.standard_normal(rows)
        x[rng.random(rows) < 0.1] = np.nan
        return x

    start = np.datetime64("2020-01-01T00:00:00", "ns")
    def times(nat):
        seconds = rng.integers(0, 5 * 365 * 86400, rows).astype("timedelta64[s]")
        t = start + seconds.astype("timedelta64[ns]")
        if nat:
            t[rng.random(rows) < 0.1] = np.datetime64("NaT")
        return t

    cities = ["amsterdam", "berlin", "cairo", "denver", "edinburgh", "florence", "geneva",
              "havana", "istanbul", "jakarta", "kyoto", "lima", "madrid", "nairobi", "oslo",
              "paris", "quito", "rome", "seoul", "tokyo"]
    words = np.array([f"{c}-{k:04d}" for c in cities for k in range(5000)], dtype=object)

    def strings():
        return words[rng.integers(0, len(words), rows)]

    columns = {"f0": floats(), "f1": floats(), "f2": floats(),
               "i0": rng.integers(0, 1_000_000, rows), "i1": np.arange(rows),
               "d0": times(False), "d1": times(True)}
    for name in ("s0", "s1", "s2"):
        columns[name] = strings()
    globals()["df"] = pd.DataFrame(columns)
    del columns
    return [str(t) for t in df.dtypes]
'''


class Unsupported(Exception):
    """The server does not answer this yet (an unknown message or op)."""


def unsupported(content: dict[str, Any]) -> bool:
    ename, evalue = content.get("ename", ""), str(content.get("evalue", ""))
    if ename in ("ValidationError", "UnknownMessageType"):
        return True
    return ename == "BadRequest" and "unknown op" in evalue


# -- the client: one reader per websocket, messages routed to their request -----------------

_PARENT_ID = re.compile(rb'"msg_id"\s*:\s*"([^"]+)"')


class Pending:
    """One request's messages, in order of arrival, with their arrival times."""

    def __init__(self, channel: Channel, msg_id: bytes) -> None:
        self.channel = channel
        self.msg_id = msg_id
        self.queue: asyncio.Queue[tuple[Peek, float] | None] = asyncio.Queue()
        self.sent = 0.0

    async def next(self, timeout: float) -> tuple[Peek, float]:
        got = await asyncio.wait_for(self.queue.get(), timeout)
        if got is None:
            raise ConnectionError("websocket closed")
        return got

    def done(self) -> None:
        self.channel.waiting.pop(self.msg_id, None)


class Channel:
    """A kernel websocket read by one task, so that requests can overlap (pages
    read while a sort runs): each message goes to the request it is a child of."""

    def __init__(self, ws: KernelWebsocket) -> None:
        self.ws = ws
        self.waiting: dict[bytes, Pending] = {}
        self.reader: asyncio.Future[None] | None = None

    def start(self) -> None:
        self.reader = asyncio.ensure_future(self._read())

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader

    async def _read(self) -> None:
        while True:
            data = await self.ws.conn.read_message()
            now = time.perf_counter()
            if data is None:
                for pending in self.waiting.values():
                    pending.queue.put_nowait(None)
                return
            peek = Peek.of(data)
            found = _PARENT_ID.search(peek.frame(1))
            pending = self.waiting.get(found.group(1)) if found else None
            if pending is not None:
                pending.queue.put_nowait((peek, now))

    async def send(self, msg_type: str, content: dict[str, Any], channel: str = "shell") -> Pending:
        msg = make_msg(msg_type, content, session=self.ws.session)
        pending = Pending(self, msg["header"]["msg_id"].encode())
        self.waiting[pending.msg_id] = pending
        data = self.ws.encode(msg, channel)
        pending.sent = time.perf_counter()
        await self.ws.send_raw(data)
        return pending


@dataclass
class Answer:
    """A custom request's reply: its return, milliseconds from sending, bytes."""

    value: dict[str, Any]
    ms: float
    size: int
    stale: bool = False  # a page read again at the current generation (``Explorer.read``)

    @property
    def kernel_ms(self) -> float | None:
        """The procedure's own time in the kernel (its ``elapsed_ms``)."""
        value = self.value.get("elapsed_ms")
        return None if value is None else float(value)


#: Called with a response's content and its milliseconds since the request was sent.
OnResponse = Callable[[dict[str, Any], float], None]


async def ask(
    channel: Channel,
    name: str,
    content: dict[str, Any],
    on_response: OnResponse | None = None,
    timeout: float = 60.0,
) -> Answer:
    """``name``'s reply (raises :class:`Unsupported` or ``RuntimeError`` on an error)."""
    pending = await channel.send(f"{name}_request", content)
    try:
        while True:
            peek, now = await pending.next(timeout)
            ms = 1e3 * (now - pending.sent)
            if peek.msg_type == f"{name}_response":
                if on_response is not None:
                    on_response(peek.json(3), ms)
            elif peek.is_reply():
                reply = peek.json(3)
                if reply.get("status") == "ok":
                    return Answer(reply.get("return") or {}, ms, len(peek.data))
                if unsupported(reply):
                    raise Unsupported(f"{name}: {reply.get('ename')}: {reply.get('evalue')}")
                raise RuntimeError(f"{name} {content}: {reply.get('ename')}: {reply.get('evalue')}")
    finally:
        pending.done()


@dataclass
class Executed:
    """An ``execute_request``'s reply content and the first message of ``wanted``:
    milliseconds from sending to it, and its bytes."""

    reply: dict[str, Any]
    ms: float = 0.0
    size: int = 0


async def execute(
    channel: Channel, code: str, wanted: str = "", timeout: float = 600.0, **extra: Any
) -> Executed:
    """Run ``code`` on the main shell, until its reply and idle status."""
    pending = await channel.send("execute_request", execute_content(code, **extra))
    result = Executed({})
    replied = idle = False
    try:
        while not (replied and idle):
            peek, now = await pending.next(timeout)
            if peek.is_reply():
                result.reply, replied = peek.json(3), True
            elif peek.is_idle():
                idle = True
            elif wanted and peek.msg_type == wanted and not result.size:
                result.ms, result.size = 1e3 * (now - pending.sent), len(peek.data)
    finally:
        pending.done()
    if result.reply.get("status") != "ok":
        reply = result.reply
        raise RuntimeError(f"{code[:60]!r} failed: {reply.get('ename')}: {reply.get('evalue')}")
    if wanted and not result.size:
        raise RuntimeError(f"{code[:60]!r} gave no {wanted}")
    return result


def expression(executed: Executed, name: str) -> Any:
    """A user expression's value (its text/plain is a Python literal)."""
    return ast.literal_eval(executed.reply["user_expressions"][name]["data"]["text/plain"])


# -- one round's measurements ----------------------------------------------------------------

#: metric -> one value per round (``None``: not answered by this server yet).
Results = dict[str, list[float | None]]


@dataclass
class Explorer:
    """The explorer's side: its server, websocket, kernel pid and the frame's rows."""

    server: BenchServer
    channel: Channel
    pid: int
    rows: int
    pages: int
    views: int
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def page(self, view: str, generation: int, start: int | None = None) -> dict[str, Any]:
        if start is None:
            start = self.rng.randrange(max(1, self.rows - PAGE_ROWS))
        return {"view": view, "generation": generation, "start": start, "count": PAGE_ROWS}

    async def read(self, view: str, generation: int, start: int | None = None) -> Answer:
        """A page; a stale generation is read again at the current one (timed in all)."""
        begun = time.perf_counter()
        answer = await ask(self.channel, "table_rows", self.page(view, generation, start))
        if answer.value.get("stale"):
            current = answer.value["generation"]
            answer = await ask(self.channel, "table_rows", self.page(view, current, start))
            answer.ms, answer.stale = 1e3 * (time.perf_counter() - begun), True
        return answer


async def explorer_round(side: Explorer, out: Results) -> None:
    """Open a fresh view, do each operation in turn (each reply awaited), close it."""
    channel = side.channel
    opened = await ask(channel, "table_open", {"name": "df", "rows": PAGE_ROWS})
    view, generation = opened.value["view"], opened.value["generation"]
    out["open_ms"].append(opened.ms)
    out["open_kernel_ms"].append(opened.kernel_ms)
    out["open_bytes"].append(opened.size)
    try:
        pages = [await side.read(view, generation) for _ in range(side.pages)]
        spread(out, "page", pages)

        await numeric_sort(side, view, out)

        by_string = {"view": view, "keys": [{"column": STRING, "ascending": True}]}
        answer = await ask(channel, "table_sort", by_string, timeout=SLOW_TIMEOUT)
        timed(out, "string_sort", answer)
        await ask(channel, "table_sort", {"view": view, "keys": []}, timeout=SLOW_TIMEOUT)

        compare = {"kind": "compare", "column": FLOAT_FILTERED, "op": ">", "value": 0.5}
        answer = await ask(channel, "table_filter", {"view": view, "filters": [compare]})
        timed(out, "numeric_filter", answer)
        contains = {"kind": "contains", "column": STRING_SEARCHED, "term": CONTAINS_TERM}
        answer = await ask(
            channel, "table_filter", {"view": view, "filters": [contains]}, timeout=SLOW_TIMEOUT
        )
        timed(out, "string_contains", answer)
        answer = await ask(channel, "table_filter", {"view": view, "filters": []})
        generation = answer.value["generation"]

        await profile(side, view, out)
        await pages_during_sort(side, view, generation, out)
    finally:
        await ask(channel, "table_close", {"view": view})


def timed(out: Results, key: str, answer: Answer) -> None:
    """An answer's milliseconds at the client and in the kernel."""
    out[f"{key}_ms"].append(answer.ms)
    out[f"{key}_kernel_ms"].append(answer.kernel_ms)


def spread(out: Results, key: str, answers: list[Answer]) -> None:
    """p50 and p95 of answers' milliseconds, at the client and in the kernel."""
    for q in (50, 95):
        for suffix, values in (
            ("ms", [a.ms for a in answers]),
            ("kernel_ms", [a.kernel_ms for a in answers if a.kernel_ms is not None]),
        ):
            out[f"{key}_p{q}_{suffix}"].append(percentile(values, q) if values else None)


async def numeric_sort(side: Explorer, view: str, out: Results) -> None:
    """Sort by the float column; time its ``first_rows`` response, the first
    sorted page (read the moment that response arrives, or at the reply when the
    sort ended before any), and the reply (the full order)."""
    first: dict[str, Any] = {}
    sent = time.perf_counter()

    async def first_page(generation: int) -> None:
        await side.read(view, generation, start=0)
        first["page_ms"] = 1e3 * (time.perf_counter() - sent)

    def on_response(content: dict[str, Any], ms: float) -> None:
        if content.get("stage") == "first_rows" and "response_ms" not in first:
            first["response_ms"] = ms
            first["task"] = asyncio.ensure_future(first_page(int(content["generation"])))

    keys = [{"column": FLOAT, "ascending": True}]
    answer = await ask(
        side.channel, "table_sort", {"view": view, "keys": keys}, on_response, SLOW_TIMEOUT
    )
    if "task" in first:
        await first["task"]
    else:  # no first rows before the end: the first sorted page is read after the reply
        await first_page(int(answer.value["generation"]))
    out["sort_first_rows_ms"].append(first.get("response_ms"))
    out["sort_first_page_ms"].append(first["page_ms"])
    timed(out, "sort_full", answer)


async def profile(side: Explorer, view: str, out: Results) -> None:
    """Profile the float column: the sampled response, then the exact reply."""
    sampled: list[float] = []

    def on_response(content: dict[str, Any], ms: float) -> None:
        if content.get("approximate") and not sampled:
            sampled.append(ms)

    content = {"view": view, "columns": [FLOAT]}
    try:
        answer = await ask(side.channel, "table_profile", content, on_response, SLOW_TIMEOUT)
    except Unsupported:
        out["profile_sampled_ms"].append(None)
        out["profile_exact_ms"].append(None)
        out["profile_exact_kernel_ms"].append(None)
        return
    if answer.value.get("approximate"):
        raise RuntimeError("table_profile's reply is approximate; the exact one was expected")
    # A view of at most 100,000 rows gets only the exact profile: then no sampled figure.
    out["profile_sampled_ms"].append(sampled[0] if sampled else None)
    timed(out, "profile_exact", answer)


async def pages_during_sort(side: Explorer, view: str, generation: int, out: Results) -> None:
    """Random pages read one after another while a string sort runs in the kernel."""
    keys = [{"column": STRING_SEARCHED, "ascending": False}]
    sort = asyncio.ensure_future(
        ask(side.channel, "table_sort", {"view": view, "keys": keys}, None, SLOW_TIMEOUT)
    )
    await asyncio.sleep(SORT_HEAD_START)
    pages: list[Answer] = []
    stale = 0
    while not sort.done():
        answer = await side.read(view, generation)
        pages.append(answer)
        if answer.stale:  # the sort committed while this page waited: the last one
            stale += 1
            break
    timed(out, "during_sort", await sort)
    out["during_sort_pages"].append(len(pages))
    out["during_sort_stale"].append(stale)
    spread(out, "during_sort", pages)


def rss(pid: int) -> int:
    """A process's resident set, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def memory_round(side: Explorer, out: Results) -> None:
    """The kernel's RSS before and after ``views`` views opened, sorted and filtered;
    each read after the kernel's C heap is trimmed (``trimmed``), and once before."""
    channel = side.channel
    await execute(channel, "_bench_trim()")
    before = rss(side.pid)
    views = []
    try:
        for _ in range(side.views):
            opened = await ask(channel, "table_open", {"name": "df", "rows": 0})
            views.append(opened.value["view"])
            keys = [{"column": FLOAT, "ascending": True}]
            await ask(channel, "table_sort", {"view": views[-1], "keys": keys}, None, SLOW_TIMEOUT)
            kept = {"kind": "not_null", "column": FLOAT_FILTERED}
            await ask(channel, "table_filter", {"view": views[-1], "filters": [kept]})
        untrimmed = rss(side.pid)
        await execute(channel, "_bench_trim()")
        after = rss(side.pid)
    finally:
        for view in views:
            await ask(channel, "table_close", {"view": view})
    await execute(channel, "_bench_trim()")
    closed = rss(side.pid)
    # No views before and after: the lower is the baseline (what a closed view
    # leaves behind until a later close would otherwise count as no view).
    baseline, per_view_row = min(before, closed), side.views * side.rows
    out["view_bytes_per_row"].append((after - baseline) / per_view_row)
    out["view_bytes_per_row_untrimmed"].append((untrimmed - baseline) / per_view_row)
    out["kernel_rss_before_mb"].append(before / 2**20)
    out["kernel_rss_views_mb"].append(after / 2**20)
    out["kernel_rss_closed_mb"].append(closed / 2**20)


async def inspector_round(channel: Channel, samples: int, out: Results) -> None:
    """The Variable Inspector's approach and ``display(df)``, ``samples`` of each."""
    got: dict[str, list[float]] = defaultdict(list)
    for _ in range(samples):
        query = await execute(
            channel, f'df.head({INSPECTOR_ROWS}).to_json(orient="table")', "execute_result"
        )
        got["inspector_ms"].append(query.ms)
        got["inspector_bytes"].append(query.size)
        shown = await execute(channel, "display(df)", "display_data")
        got["display_ms"].append(shown.ms)
        got["display_bytes"].append(shown.size)
    for key, values in got.items():
        out[key].append(statistics.median(values))


# -- the run ------------------------------------------------------------------------------


async def connect(server: BenchServer, rows: int) -> tuple[Channel, int, list[str]]:
    """A websocket read by a :class:`Channel`; the frame built; the kernel's pid."""
    channel = Channel(await server.connect())
    channel.start()
    await execute(channel, KERNEL_SETUP)
    built = await execute(
        channel,
        f"_bench_dtypes = _bench_frame({rows})",
        user_expressions={
            "pid": "_bench_os.getpid()",
            "dtypes": "__import__('json').dumps(_bench_dtypes)",
        },
    )
    return channel, int(expression(built, "pid")), json.loads(expression(built, "dtypes"))


async def run_all(
    servers: dict[str, BenchServer], args: argparse.Namespace, progress: Callable[[str], None]
) -> tuple[Results, list[str]]:
    begun = time.monotonic()
    (channel, pid, dtypes), (inspector, _, _) = await asyncio.gather(
        connect(servers[EXPLORER], args.rows), connect(servers[INSPECTOR], args.rows)
    )
    progress(f"frames of {args.rows:,} rows built ({time.monotonic() - begun:.1f} s)")
    side = Explorer(servers[EXPLORER], channel, pid, args.rows, args.pages, args.views)
    try:
        # Warm-up, not counted: the procedure loaded into the kernel, the slow lane's
        # subshell created, imports done.
        warm = await ask(channel, "table_open", {"name": "df", "rows": 10})
        await side.read(warm.value["view"], 0)
        await ask(channel, "table_filter", {"view": warm.value["view"], "filters": []})
        await ask(channel, "table_close", {"view": warm.value["view"]})
        await memory_round(side, defaultdict(list))  # the kernel's heap grown once
        await inspector_round(inspector, 1, defaultdict(list))

        results: Results = defaultdict(list)
        for index in range(args.rounds):
            started = time.monotonic()
            order = ["explorer", "inspector"][:: 1 if index % 2 == 0 else -1]
            for name in order:
                if name == "explorer":
                    await explorer_round(side, results)
                    await memory_round(side, results)
                else:
                    await inspector_round(inspector, args.samples, results)
            progress(
                f"round {index + 1}/{args.rounds} ({' -> '.join(order)}) "
                f"{time.monotonic() - started:.1f} s"
            )
    finally:
        await channel.stop()
        await inspector.stop()
    return results, dtypes


# -- report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A line of the report: a metric's median, its unit and its target."""

    key: str
    label: str
    unit: str  # "ms", "B", "B/row"
    target: float | None = None


ROWS_REPORTED = [
    Row("open_ms", "open with the first 100 rows", "ms", 150),
    Row("page_p50_ms", "table_rows, 100 rows at random, p50", "ms", 30),
    Row("page_p95_ms", "table_rows, 100 rows at random, p95", "ms", 80),
    Row("sort_first_page_ms", "numeric sort: first sorted page", "ms", 300),
    Row("sort_first_rows_ms", "numeric sort: first_rows response", "ms"),
    Row("sort_full_ms", "numeric sort: full order (reply)", "ms"),
    Row("string_sort_ms", "string sort (reply)", "ms"),
    Row("numeric_filter_ms", "numeric filter f1 > 0.5", "ms", 150),
    Row("string_contains_ms", f"string contains {CONTAINS_TERM!r}", "ms"),
    Row("profile_sampled_ms", "profile of one column: sampled", "ms", 300),
    Row("profile_exact_ms", "profile of one column: exact (reply)", "ms"),
    Row("during_sort_p50_ms", "pages during a string sort, p50", "ms"),
    Row("during_sort_p95_ms", "pages during a string sort, p95", "ms", 80),
    Row("during_sort_ms", "that string sort, pages read meanwhile (reply)", "ms"),
    Row("view_bytes_per_row", "kernel memory per view and row (sort+filter)", "B/row", 8),
    Row("view_bytes_per_row_untrimmed", "the same before the C heap is trimmed", "B/row"),
    Row("open_bytes", "open: bytes of the reply", "B"),
    Row("inspector_ms", f"inspector: head({INSPECTOR_ROWS:,}).to_json, to its result", "ms"),
    Row("inspector_bytes", "inspector: bytes of the result", "B"),
    Row("display_ms", "display(df): to the display_data", "ms"),
    Row("display_bytes", "display(df): bytes of the display_data", "B"),
]


def median_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "B":
        return f"{value / 1e6:.2f} MB" if value >= 1e5 else f"{value / 1e3:.1f} kB"
    if unit == "B/row":
        return f"{value:.2f} B"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def verdict(value: float | None, target: float | None) -> str:
    if target is None:
        return ""
    if value is None:
        return "n/a"
    return "ok" if value <= target else "MISS"


def format_table(results: Results) -> str:
    lines = [f"{'measure':52} {'median':>10} {'(kernel)':>9}  {'target':>9} {'':4}  per round"]
    for row in ROWS_REPORTED:
        if row.key == "inspector_ms":
            lines.append(f"-- on {INSPECTOR}, the same frame --")
        values = results.get(row.key, [])
        value = median_of(values)
        target = "" if row.target is None else f"<= {row.target:g} {row.unit}"
        rounds = " ".join(show(v, row.unit).replace(" ", "") for v in values)
        kernel = ""
        if row.key.endswith("_ms") and f"{row.key[:-3]}_kernel_ms" in results:
            kernel = show(median_of(results[f"{row.key[:-3]}_kernel_ms"]), "ms")
        lines.append(
            f"{row.label:52} {show(value, row.unit):>10} {kernel:>9}  {target:>9} "
            f"{verdict(value, row.target):4}  {rounds}"
        )
    lines += ["", "ratios, medians of this run:"]
    for key, peer, label in (
        ("open_ms", "inspector_ms", "explorer open / inspector query, time"),
        ("open_bytes", "inspector_bytes", "explorer open / inspector query, bytes"),
        ("open_ms", "display_ms", "explorer open / display(df), time"),
        ("page_p50_ms", "display_ms", "explorer page p50 / display(df), time"),
    ):
        a, b = median_of(results.get(key, [])), median_of(results.get(peer, []))
        text = "n/a" if a is None or not b else f"{a / b:.3f}"
        lines.append(f"  {label:48} {text}")
    pages = " ".join(f"{v:.0f}" for v in results.get("during_sort_pages", []) if v is not None)
    stale = sum(v or 0 for v in results.get("during_sort_stale", []))
    lines.append(f"  kernel RSS (MiB, medians): {mib_line(results)}")
    lines.append(f"  pages read during the string sort, per round: {pages} ({stale:.0f} stale)")
    return "\n".join(lines)


def mib_line(results: Results) -> str:
    parts = []
    for key, label in (
        ("kernel_rss_before_mb", "no view"),
        ("kernel_rss_views_mb", "views open"),
        ("kernel_rss_closed_mb", "closed"),
    ):
        value = median_of(results.get(key, []))
        parts.append(f"{label} {'n/a' if value is None else f'{value:.0f}'}")
    return ", ".join(parts)


def report(
    results: Results, args: argparse.Namespace, dtypes: list[str], seconds: float
) -> dict[str, Any]:
    rows = []
    for row in ROWS_REPORTED:
        value = median_of(results.get(row.key, []))
        rows.append(
            {
                "key": row.key,
                "label": row.label,
                "unit": row.unit,
                "median": value,
                "target": row.target,
                "met": None if row.target is None or value is None else value <= row.target,
            }
        )
    return {
        "meta": {
            **metadata(seconds),
            "rows": args.rows,
            "rounds": args.rounds,
            "pages": args.pages,
            "views": args.views,
            "samples": args.samples,
            "columns": dict(zip(COLUMNS, dtypes, strict=False)),
        },
        "rows": rows,
        "per_round": dict(results),
    }


def metadata(seconds: float) -> dict[str, Any]:
    version, commit = package_version, git_commit()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "seconds": round(seconds),
        "python": sys.version.split()[0],
        "versions": {p: version(p) for p in ("jupyter_server", "ipykernel", "pandas", "numpy")},
        "cpus": os.cpu_count(),
    }


# -- entry point --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.tables", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (>= 5 to be read)")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of the frame (10M)")
    parser.add_argument("--pages", type=int, default=40, help="random pages read a round")
    parser.add_argument("--views", type=int, default=4, help="views for the memory figure")
    parser.add_argument(
        "--samples", type=int, default=3, help="inspector queries and display(df) a round"
    )
    parser.add_argument("--json", type=Path, help="also write the figures and every round's here")
    args = parser.parse_args(argv)
    if args.rows < 2 * PAGE_ROWS:
        parser.error(f"--rows: at least {2 * PAGE_ROWS}")
    if min(args.rounds, args.pages, args.views, args.samples) < 1:
        parser.error("--rounds, --pages, --views and --samples: at least 1")
    return args


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def servers_for(directory: Path) -> Iterator[dict[str, BenchServer]]:
    """The explorer's server and the inspector's, with their kernels; stopped after."""
    servers = make_servers(directory)
    chosen = {name: servers[name] for name in (EXPLORER, INSPECTOR)}
    try:
        progress("starting 2 servers and their kernels ...")
        start_all(chosen)
        yield chosen
    finally:
        stop_all(chosen)  # a server shutdown ends its kernel: the gigabytes go


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rounds < 5:
        progress(f"warning: {args.rounds} rounds; medians need >= 5 to be read")
    # SIGTERM ends the run like Ctrl-C does: through the finally that stops servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    begun = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="beaker-bench-tables-") as tmp:
        try:
            with servers_for(Path(tmp)) as servers:
                try:
                    results, dtypes = asyncio.run(run_all(servers, args, progress))
                except Exception:
                    for server in servers.values():
                        tail = "\n".join(server.proc.log().splitlines()[-15:])
                        progress(f"--- {server.name} server log (tail) ---\n{tail}")
                    raise
        except KeyboardInterrupt:
            progress("interrupted: servers and kernels stopped")
            return 130
    seconds = time.monotonic() - begun
    figures = report(results, args, dtypes, seconds)
    columns = ", ".join(f"{k} {v}" for k, v in figures["meta"]["columns"].items())
    print(
        f"Data Explorer: {args.rows:,} x {len(COLUMNS)} frame ({columns}); {args.rounds} rounds, "
        f"medians over rounds ({figures['meta']['commit']}, {seconds:.0f} s); "
        f"explorer on {EXPLORER}, inspector and display(df) on {INSPECTOR}"
    )
    print(format_table(results))
    missed = [r["label"] for r in figures["rows"] if r["met"] is False]
    unknown = [r["label"] for r in figures["rows"] if r["target"] is not None and r["met"] is None]
    print(f"\ntargets: {'MISSED ' + '; '.join(missed) if missed else 'none missed'}")
    if unknown:
        print(f"not answered by this server yet (n/a): {'; '.join(unknown)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
