"""Live variable preview: time from a cell's reply to the preview, vs an inspector.

Usage (from the repository root)::

    .venv/bin/python -m bench.preview              # 5 rounds, ~1 minute on 2 cores
    .venv/bin/python -m bench.preview --rounds 7 --samples 5 --json /tmp/preview.json

What a user waits for is the time from their cell's ``execute_reply`` to the
variables being up to date. Two ways to get there are measured on the same
namespaces, taking turns in every round (order flipped each round) because on
2 shared cores single runs vary by ±20%:

- ``beaker``: jupyter_server + beaker_server (``bench.servers``' ``ext``). The
  server asks the kernel for a preview after the reply, on the kernel's
  subshell, and pushes an iopub ``preview`` message. Measured: the client's
  arrival time of the ``execute_reply`` to that of the ``preview`` message whose
  parent is the cell. It includes the server's short grace period after a
  reply (a client running cells one after the other sends the next within it).
- ``inspector``: stock jupyter_server with server-side TCP_NODELAY
  (``stock_nodelay``, so that Nagle's ~40 ms does not count against it) and
  this module's emulation of the JupyterLab Variable Inspector's *approach*
  (not its code): helpers defined in the user's namespace once, then, after
  every cell, an ordinary ``execute_request`` on the main shell that walks the
  whole namespace and returns one JSON list as the ``execute_result``: per
  variable its type name, ``sys.getsizeof`` (which for a pandas DataFrame
  means ``memory_usage(deep=True)``), its ``shape`` if it has one, and ``str()``
  of the value cut to 200 characters after it is computed in full. Nothing is
  cached between runs. The client sends that request as soon as the cell is
  done (reply and idle), the earliest an inspector can; measured: the cell's
  ``execute_reply`` to the ``execute_result`` of the query.

Namespaces (each side has two kernels; the large one is kept apart so that
small-data scenarios need not build and drop a gigabyte every round):

- 10, 100 and 1,000 small variables (ints, floats, short strings, short lists
  and dicts), with two cells: one that changes one variable, and one that
  creates all of them anew;
- 100 small variables plus ``big = np.ones(128 * 1024 * 1024)`` (1 GiB of
  float64) and a 10-million-row DataFrame of two numeric columns, vs the same
  with a 1,000-element array and a 1,000-row frame. Cells: one small variable
  changes; all are created anew (a new 1 GiB array and frame every time);
- the same with the values whose repr is as large as they are: 200 MB of
  ``bytes`` vs 1 kB; a 100 MB ``str`` vs 10 characters; a 2-million-entry
  ``dict`` and ``defaultdict`` vs 10 entries each (the issue's cases: a full
  ``repr`` of each cost up to a second and most of a gigabyte per preview).

Reported per scenario and side: the median over rounds of each round's median,
with the kernel-side time (the preview's own ``elapsed_ms``; the inspector
query's time inside the kernel), then beaker / inspector, and the issue's
targets: ≤ 30 ms at 100 variables; large data at most 1.2 times small data, for
each pair of namespaces. ``--only bytes,str,mapping`` runs some pairs alone.

Reading beaker / inspector: the inspector's figure is a best case bought with
the user's main shell. Its query runs there the instant the cell is done, so a
cell sent right after waits behind it, nothing updates while a cell runs, and
every run redoes the whole namespace (its kernel column grows with it). The
preview waits ``GRACE_SECONDS`` after a reply on purpose (a cell sent right
after the reply cancels it), then costs a subshell round trip (~3 ms) and only
what changed. The inspector's large-data run is *faster* than its small-data
one: numpy's ``str()`` summarizes a 1 GiB array but prints all 1,000 numbers
of the small one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from beaker_server.preview.kernel_preview import GRACE_SECONDS
from bench.client import Peek, execute, execute_content, send, until_done
from bench.run import turns
from bench.servers import BenchServer, make_servers, start_all, stop_all
from tests.support.kernel_ws import KernelWebsocket

BEAKER, INSPECTOR = "beaker", "inspector"
#: Which benchmark server each side runs on (see ``bench.servers.make_servers``).
SERVER_OF = {BEAKER: "ext", INSPECTOR: "stock_nodelay"}
BIG_LENGTH = 128 * 1024 * 1024  # float64: 1 GiB
BIG_ROWS = 10_000_000
SMALL_LENGTH = SMALL_ROWS = 1_000
TARGET_MS_AT_100 = 30.0
TARGET_LARGE_OVER_SMALL = 1.2

#: Defined once in every kernel. Private names: neither the preview nor the
#: inspector emulation lists them.
KERNEL_SETUP = '''
import collections as _bench_collections, json as _bench_json, sys as _bench_sys
import time as _bench_time, types as _bench_types
import numpy as np
import pandas as pd


def _bench_value(i, k):
    """A small value, a new object for each k (so a preview sees it change)."""
    kind = i % 5
    if kind == 0:
        return k * 1_000_003 + i
    if kind == 1:
        return i + k / 7
    if kind == 2:
        return f"s{i}-{k}"
    if kind == 3:
        return [i, k, "x"]
    return {"i": i, "k": k}


def _bench_small(n, k):
    """Drop the small variables there are and create n new ones."""
    g = globals()
    for name in [x for x in g if x[:1] == "v" and x[1:].isdigit()]:
        del g[name]
    for i in range(n):
        g[f"v{i}"] = _bench_value(i, k)


def _bench_drop_data():
    for name in ("big", "frame", "blob", "text", "table", "counts"):
        globals().pop(name, None)


def _bench_data(length, rows):
    """A new array and frame (the old ones go first: no 2 GiB peak)."""
    _bench_drop_data()
    g = globals()
    g["big"] = np.ones(length)
    g["frame"] = pd.DataFrame({"a": np.arange(rows), "b": np.linspace(0.0, 1.0, rows)})


# The next three make the new value before the old one goes: freed first, a value
# of the same size tends to get the same address, so the same id, and a preview
# would rightly take it for unchanged (a "one changes" cell, not "all created").


def _bench_blob(size):
    """New bytes of ``size``."""
    blob = bytes(size)
    _bench_drop_data()
    globals()["blob"] = blob


def _bench_text(size, k):
    """A new str of ``size`` characters, made at run time (never an interned constant)."""
    text = "y" * (size - len(str(k))) + str(k)
    _bench_drop_data()
    globals()["text"] = text


def _bench_maps(entries):
    """A new dict and defaultdict of ``entries`` int keys each."""
    table = {i: i for i in range(entries)}
    counts = _bench_collections.defaultdict(int, table)
    _bench_drop_data()
    globals().update(table=table, counts=counts)


_bench_inspector_ms = 0.0


def _bench_inspector():
    """The inspector approach: the whole namespace, str() and getsizeof, every run."""
    global _bench_inspector_ms
    started = _bench_time.perf_counter()
    shell = get_ipython()
    hidden = shell.user_ns_hidden
    rows = []
    for name, value in list(shell.user_ns.items()):
        if name.startswith("_") or name in hidden:
            continue
        if isinstance(value, (_bench_types.ModuleType, _bench_types.FunctionType, type)):
            continue
        shape = getattr(value, "shape", None)
        rows.append({
            "name": name,
            "type": type(value).__name__,
            "size": _bench_sys.getsizeof(value),
            "shape": "" if shape is None else str(shape),
            "content": str(value)[:200],
        })
    text = _bench_json.dumps(rows)
    _bench_inspector_ms = 1e3 * (_bench_time.perf_counter() - started)
    return text
'''


@dataclass(frozen=True)
class Scenario:
    """A namespace (set up by ``setup``) and the two cells measured on it."""

    key: str
    label: str
    kernel: str  # "main" or "large"
    setup: str  # code run once per round before the cells (not measured)
    cells: dict[str, str]  # cell label -> code template; {k} is a fresh number


def small_scenario(n: int) -> Scenario:
    return Scenario(
        key=f"small{n}",
        label=f"{n:,} small variables",
        kernel="main",
        setup=f"_bench_drop_data(); _bench_small({n}, {{k}})",
        cells={"one": "v0 = [{k}, 'changed']", "all": f"_bench_small({n}, {{k}})"},
    )


def data_scenario(key: str, label: str, kernel: str, make: str) -> Scenario:
    """100 small variables and what ``make`` (a kernel helper call) creates."""
    make = f"_bench_small(100, {{k}}); {make}"
    return Scenario(
        key=key,
        label=label,
        kernel=kernel,
        setup=make,
        cells={"one": "v0 = [{k}, 'changed']", "all": make},
    )


def pair(name: str, small: tuple[str, str], large: tuple[str, str]) -> list[Scenario]:
    """A small-data scenario and its large-data twin, compared in the report."""
    return [
        data_scenario(f"small{name}", f"100 vars + {small[0]}", "main", small[1]),
        data_scenario(f"large{name}", f"100 vars + {large[0]}", "large", large[1]),
    ]


#: Pairs of namespaces whose large/small ratio has a target (``--only`` picks them).
PAIRS = ("data", "bytes", "str", "mapping")
SMALL_SCENARIOS = [small_scenario(10), small_scenario(100), small_scenario(1000)]
PAIR_SCENARIOS = [
    *pair(
        "data",
        ("1,000-element array + 1,000-row frame", f"_bench_data({SMALL_LENGTH}, {SMALL_ROWS})"),
        ("1 GiB array + 10M-row frame", f"_bench_data({BIG_LENGTH}, {BIG_ROWS})"),
    ),
    *pair(
        "bytes", ("1 kB bytes", "_bench_blob(1_000)"), ("200 MB bytes", "_bench_blob(200_000_000)")
    ),
    *pair(
        "str",
        ("10-char str", "_bench_text(10, {k})"),
        ("100 MB str", "_bench_text(100_000_000, {k})"),
    ),
    *pair(
        "mapping",
        ("10-entry dict + defaultdict", "_bench_maps(10)"),
        ("2M-entry dict + defaultdict", "_bench_maps(2_000_000)"),
    ),
]
SCENARIOS = SMALL_SCENARIOS + PAIR_SCENARIOS
CELL_LABELS = {"one": "one changes", "all": "all created"}


@dataclass
class Sample:
    """One measured cell: client-side milliseconds and the kernel's own share."""

    ms: float
    kernel_ms: float
    partial: bool = False
    payload_bytes: int = 0


@dataclass
class Side:
    """One way of keeping the variables up to date, on its server and kernels."""

    name: str
    server: BenchServer
    kernels: dict[str, str] = field(default_factory=dict)  # role -> kernel id
    sockets: dict[str, KernelWebsocket] = field(default_factory=dict)
    counter: int = 0

    def fresh(self) -> int:
        """A number no cell used before: every cell makes new objects."""
        self.counter += 1
        return self.counter


# -- one cell -------------------------------------------------------------------


async def read(ws: KernelWebsocket, timeout: float) -> tuple[Peek, float]:
    data = await asyncio.wait_for(ws.conn.read_message(), timeout)
    now = time.perf_counter()
    if data is None:
        raise ConnectionError("websocket closed")
    return Peek.of(data), now


async def beaker_cell(ws: KernelWebsocket, code: str, timeout: float = 300.0) -> Sample:
    """Run a cell; time its ``execute_reply`` to its ``preview`` at the client."""
    msg_id = await send(ws, "execute_request", execute_content(code, store_history=True))
    deadline = time.monotonic() + timeout
    replied: float | None = None
    while True:
        peek, now = await read(ws, max(0.01, deadline - time.monotonic()))
        if not peek.has_parent(msg_id):
            continue
        if peek.is_reply():
            check_ok(peek, code)
            replied = now
        elif peek.msg_type == "preview":
            if replied is None:
                raise RuntimeError("a preview arrived before the cell's reply")
            meta = peek.json(3)["meta"]
            return Sample(
                ms=1e3 * (now - replied),
                kernel_ms=float(meta.get("elapsed_ms", 0.0)),
                partial=bool(meta.get("partial")),
                payload_bytes=len(peek.data),
            )


async def inspector_cell(ws: KernelWebsocket, code: str, timeout: float = 300.0) -> Sample:
    """Run a cell, then the inspector query; time the reply to the query's result."""
    replied: list[float] = []

    def on_cell(peek: Peek, now: float) -> None:
        if peek.is_reply():
            replied.append(now)

    msg_id = await send(ws, "execute_request", execute_content(code, store_history=True))
    check_ok(await until_done(ws, msg_id, on_cell, timeout=timeout), code)
    result: list[tuple[float, int]] = []

    def on_query(peek: Peek, now: float) -> None:
        if peek.msg_type == "execute_result":
            result.append((now, len(peek.data)))

    query = execute_content("_bench_inspector()", user_expressions={"ms": "_bench_inspector_ms"})
    query_id = await send(ws, "execute_request", query)
    reply = await until_done(ws, query_id, on_query, timeout=timeout)
    check_ok(reply, "_bench_inspector()")
    if len(result) != 1:
        raise RuntimeError(f"the inspector query gave {len(result)} results")
    kernel_ms = reply.json(3)["user_expressions"]["ms"]["data"]["text/plain"]
    return Sample(
        ms=1e3 * (result[0][0] - replied[0]),
        kernel_ms=float(kernel_ms),
        payload_bytes=result[0][1],
    )


def check_ok(reply: Peek, code: str) -> None:
    content = reply.json(3)
    if content.get("status") != "ok":
        raise RuntimeError(f"{code!r} failed: {content.get('ename')}: {content.get('evalue')}")


async def run_cell(side: Side, kernel: str, template: str) -> Sample:
    code = template.format(k=side.fresh())
    ws = side.sockets[kernel]
    if side.name == BEAKER:
        return await beaker_cell(ws, code)
    return await inspector_cell(ws, code)


# -- the run ----------------------------------------------------------------------

#: side -> "scenario/cell/metric" -> one value per round.
Results = dict[str, dict[str, list[float]]]


async def prepare(sides: list[Side]) -> None:
    """A second kernel per side for the large namespace; helpers in every kernel."""
    for side in sides:
        proc = side.server.proc
        side.kernels = {"main": side.server.kernel_id, "large": proc.start_kernel()}
        for role, kernel_id in side.kernels.items():
            ws = await KernelWebsocket.open(proc.ws_url, proc.token, kernel_id)
            side.sockets[role] = ws
            await execute(ws, KERNEL_SETUP)


async def run_scenario(
    sides: list[Side], scenario: Scenario, samples: int, results: Results | None
) -> None:
    """Set the namespace up on every side, then measure each cell in turns."""
    for side in sides:
        await run_cell(side, scenario.kernel, scenario.setup)
    for cell, template in scenario.cells.items():
        got: dict[str, list[Sample]] = defaultdict(list)
        for side in turns(sides, samples):
            got[side.name].append(await run_cell(side, scenario.kernel, template))
        if results is None:
            continue
        for name, values in got.items():
            metrics = results[name]
            prefix = f"{scenario.key}/{cell}"
            metrics[f"{prefix}/ms"].append(statistics.median(s.ms for s in values))
            metrics[f"{prefix}/kernel_ms"].append(statistics.median(s.kernel_ms for s in values))
            metrics[f"{prefix}/partial"].append(sum(s.partial for s in values))
            metrics[f"{prefix}/bytes"].append(statistics.median(s.payload_bytes for s in values))


def chosen(only: list[str] | None) -> list[Scenario]:
    """Every scenario, or (``--only``) the pairs named, with 100 small variables."""
    if only is None:
        return SCENARIOS
    keys = {"small100"} | {f"{size}{name}" for name in only for size in ("small", "large")}
    return [scenario for scenario in SCENARIOS if scenario.key in keys]


async def run_all(
    sides: list[Side], rounds: int, samples: int, scenarios: list[Scenario]
) -> Results:
    await prepare(sides)
    for scenario in scenarios:  # warm-up: procedure loaded, caches and imports warm
        await run_scenario(sides, scenario, 1, None)
    results: Results = defaultdict(lambda: defaultdict(list))
    for index in range(rounds):
        started = time.monotonic()
        order = sides if index % 2 == 0 else sides[::-1]
        for scenario in scenarios:
            await run_scenario(order, scenario, samples, results)
        names = " -> ".join(side.name for side in order)
        progress(f"round {index + 1}/{rounds} ({names}) {time.monotonic() - started:.1f} s")
    return results


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- report -------------------------------------------------------------------------


def median(results: Results, side: str, key: str) -> float:
    return statistics.median(results[side][key])


def format_table(results: Results, scenarios: list[Scenario]) -> str:
    """One line per scenario and cell, then the targets."""
    lines = [
        f"{'namespace':48} {'cell':12} {'beaker ms':>9} {'(kernel)':>9} "
        f"{'insp. ms':>9} {'(kernel)':>9} {'b/insp':>7}  per-round beaker ms"
    ]
    for scenario in scenarios:
        for cell in scenario.cells:
            key = f"{scenario.key}/{cell}"
            b, i = median(results, BEAKER, f"{key}/ms"), median(results, INSPECTOR, f"{key}/ms")
            partial = sum(results[BEAKER][f"{key}/partial"])
            spread = " ".join(f"{v:.1f}" for v in results[BEAKER][f"{key}/ms"])
            lines.append(
                f"{scenario.label:48} {CELL_LABELS[cell]:12} {b:9.1f} "
                f"{median(results, BEAKER, f'{key}/kernel_ms'):9.1f} {i:9.1f} "
                f"{median(results, INSPECTOR, f'{key}/kernel_ms'):9.1f} {b / i:7.2f}  {spread}"
                + (f"  ({partial} partial)" if partial else "")
            )
    lines += ["", "targets (beaker):"]
    for cell in ("one", "all"):
        value = median(results, BEAKER, f"small100/{cell}/ms")
        verdict = "ok" if value <= TARGET_MS_AT_100 else "MISS"
        lines.append(
            f"  100 variables, {CELL_LABELS[cell]}: {value:.1f} ms "
            f"(<= {TARGET_MS_AT_100:.0f} ms) {verdict}"
        )
    ran = {scenario.key for scenario in scenarios}
    for name in (name for name in PAIRS if f"large{name}" in ran):
        for cell in ("one", "all"):
            for side in (BEAKER, INSPECTOR):
                lines.append(f"  {ratio_line(results, name, cell, side)}")
    return "\n".join(lines)


def ratio_line(results: Results, name: str, cell: str, side: str) -> str:
    """Large over small namespace ``name`` for one cell and side, with the target."""
    large = results[side][f"large{name}/{cell}/ms"]
    small = results[side][f"small{name}/{cell}/ms"]
    ratio = statistics.median(large) / statistics.median(small)
    per_round = " ".join(f"{a / b:.2f}" for a, b in zip(large, small, strict=True))
    verdict = ""
    if side == BEAKER:
        verdict = "ok" if ratio <= TARGET_LARGE_OVER_SMALL else "MISS"
        verdict = f"(<= {TARGET_LARGE_OVER_SMALL}) {verdict}"
    return (
        f"large / small {name}, {CELL_LABELS[cell]}, {side}: {ratio:.2f} "
        f"{verdict}  per round: {per_round}"
    )


# -- entry point --------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.preview", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (>= 5 to be read)")
    parser.add_argument("--samples", type=int, default=3, help="cells per side, scenario, round")
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        help=f"only these pairs of small/large namespaces (of {','.join(PAIRS)}), "
        "and 100 small variables",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - set(PAIRS)
    if unknown:
        parser.error(f"--only: no pair {', '.join(sorted(unknown))} (pairs: {', '.join(PAIRS)})")
    return args


@contextlib.contextmanager
def servers_for(directory: Path) -> Iterator[list[Side]]:
    """The two servers (and their kernels) the sides run on; all stopped after."""
    servers = make_servers(directory)
    chosen = {name: servers[name] for name in SERVER_OF.values()}
    try:
        progress("starting 2 servers and their kernels ...")
        start_all(chosen)
        yield [Side(side, chosen[server]) for side, server in SERVER_OF.items()]
    finally:
        stop_all(chosen)  # a server shutdown ends its kernels: the gigabytes go


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rounds < 5:
        progress(f"warning: {args.rounds} rounds; medians need >= 5 to be read")
    # SIGTERM ends the run like Ctrl-C does: through the finally that stops servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    begun = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="beaker-bench-preview-") as tmp:
        try:
            with servers_for(Path(tmp)) as sides:
                scenarios = chosen(args.only)
                results = asyncio.run(run_all(sides, args.rounds, args.samples, scenarios))
        except KeyboardInterrupt:
            progress("interrupted: servers and kernels stopped")
            return 130
    print(
        f"variable preview: {args.rounds} rounds x {args.samples} cells per side, "
        f"medians ({time.monotonic() - begun:.0f} s); beaker ms include the server's "
        f"{1e3 * GRACE_SECONDS:.0f} ms grace after a reply"
    )
    print(format_table(results, scenarios))
    if args.json:
        args.json.write_text(json.dumps({k: dict(v) for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
