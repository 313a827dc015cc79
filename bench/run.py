"""beaker_server vs stock jupyter_server, interleaved: latency, server CPU, throughput.

Usage (from the repository root)::

    .venv/bin/python -m bench.run            # 7 rounds, ~2.5 minutes on 2 cores
    .venv/bin/python -m bench.run --quick    # 5 rounds, smaller samples, ~1 minute
    .venv/bin/python -m bench.run --rounds 9 --flood 30000 --json /tmp/results.json
    .venv/bin/python -m bench.run --quick --loaded   # every core busy meanwhile
    .venv/bin/python -m bench.run --quick --protocol legacy

Four ``jupyter server`` processes run at the same time, each with one python3
kernel, and the benchmark takes turns between them in every round (the order
flips each round), because on shared cores two identical servers measured one
after the other differ by ±20%. Figures are per-round p50/p90 (or totals), then
the median over rounds; ratios are ext / baseline, with the per-round ratios
shown so that noise can be told from a difference.

- ``ext``: jupyter_server + beaker_server, defaults (it sets TCP_NODELAY).
- ``ext_nopreview``: the same with the live variable preview off. ``ext`` asks
  the kernel for a preview after every execution (through its own kernel client,
  on a subshell); this one tells the websocket path's cost from the preview's.
- ``stock``: jupyter_server, defaults (Nagle on: a reply's idle status waits for
  the client's delayed ACK).
- ``stock_nodelay``: jupyter_server with server-side TCP_NODELAY only
  (:mod:`bench.nodelay`), to isolate what the extension's processing costs.

All have the iopub rate limits off (a flood is dropped otherwise) and log at
INFO. The kernel publishes floods and big buffers straight from its session
(``print`` is batched and ``display()`` costs the kernel more than the server).
By default (idle mode) the kernels get no high-water mark on their iopub
sockets: at the default a PUB socket drops what a slower server has not taken
yet, idle status included, and the idle-mode figures are about speed.

``--loaded`` starts one busy loop per core (``os.cpu_count()``) for the whole
measurement, as when other work shares the machine, and leaves every kernel as
its server makes it (stock: ZMQ's default high-water mark; beaker_server raises
it itself): the report counts what each server delivered of every flood and
whether the flood's final ``status: idle`` came (waited for a bounded time, then
counted lost). ``--protocol legacy`` runs everything over the legacy JSON
websocket protocol instead of v1.

``python -m bench.profile`` shows where the servers' CPU goes (py-spy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.metadata
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import (
    Peek,
    execute,
    execute_content,
    round_trip,
    send,
    until_done,
    until_reply_and_idle,
)
from bench.servers import BenchServer, cpu_clock, make_servers, start_all, stop_all

ROOT = Path(__file__).resolve().parent.parent
EXT, EXT_NOPREVIEW, STOCK, STOCK_NODELAY = "ext", "ext_nopreview", "stock", "stock_nodelay"
#: Servers the floods and the big buffers go through, in a round's first order.
FLOODED = (EXT, EXT_NOPREVIEW, STOCK, STOCK_NODELAY)
BUFFERED = (EXT, EXT_NOPREVIEW, STOCK_NODELAY)
MiB = 1024 * 1024

#: Kernel-side helpers, defined once per kernel. They publish on iopub straight
#: from the kernel's session, with the running execute_request as parent, so the
#: messages load the server and not the kernel's output machinery.
KERNEL_HELPERS = '''
def _bench_flood(n):
    """Publish n 100-byte stdout streams; returns the kernel's seconds for it."""
    import time
    kernel = get_ipython().kernel
    send, socket = kernel.session.send, kernel.iopub_socket
    parent, ident = kernel.get_parent(), kernel._topic("stream")
    content = {"name": "stdout", "text": "x" * 100}
    start = time.monotonic()
    for _ in range(n):
        send(socket, "stream", content, parent=parent, ident=ident)
    return time.monotonic() - start


def _bench_buffer(size):
    """Publish a comm message with one binary buffer of size bytes, stamped with
    the kernel's monotonic clock just before it is serialized."""
    import time
    kernel = get_ipython().kernel
    buffer = bytes(size)
    kernel.session.send(
        kernel.iopub_socket,
        "comm_msg",
        {"comm_id": "beaker-bench", "data": {"method": "custom"}},
        parent=kernel.get_parent(),
        ident=kernel._topic("comm_msg"),
        buffers=[buffer],
        metadata={"bench_t0": time.monotonic()},
    )


def _bench_unbounded_iopub():
    """No high-water mark on the kernel's iopub PUB socket (libzmq >= 4.2 applies
    it to connected pipes too). At the default 1000 a PUB socket silently drops
    what a slower subscriber has not taken, the idle status included; unbounded,
    the kernel queues and the server sets the pace of a flood."""
    import zmq
    thread = get_ipython().kernel.iopub_socket.io_thread
    thread.schedule(lambda: thread.socket.setsockopt(zmq.SNDHWM, 0))


import os as _bench_os
_bench_pid = _bench_os.getpid()
'''
#: With the kernel's iopub queue unbounded (idle mode): nothing is lost, speed alone.
KERNEL_SETUP = KERNEL_HELPERS + "_bench_unbounded_iopub()\n"


@dataclass(frozen=True)
class Plan:
    """How much to measure per server and round."""

    rounds: int
    samples: int  # round trips per request type
    flood: int  # messages per server and round, split into floods taken in turns
    floods: int  # floods per server and round
    buffers: tuple[int, ...]  # binary buffer sizes, bytes
    buffer_repeats: int  # messages per size, server and round
    loaded: bool = False  # one busy loop per core meanwhile; kernels as their servers make them
    protocol: str = "v1"  # the benchmark's websockets: "v1" or "legacy"

    @property
    def mode(self) -> str:
        return "loaded" if self.loaded else "idle"


FULL = Plan(
    rounds=7, samples=25, flood=10_000, floods=4, buffers=(20 * MiB, 50 * MiB), buffer_repeats=3
)
QUICK = Plan(
    rounds=5, samples=15, flood=6_000, floods=2, buffers=(20 * MiB, 50 * MiB), buffer_repeats=2
)

#: Per round: server name -> metric -> values (one per round).
Results = dict[str, dict[str, list[float]]]


def new_results() -> Results:
    return defaultdict(lambda: defaultdict(list))


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile, interpolated (``q`` = 50 is the median)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def turns(servers: list[BenchServer], times: int) -> list[BenchServer]:
    """A, B, C, C, B, A, A, B...: each server's runs straddle the others', so
    drifting load (other work on shared cores) weighs on all alike within a round."""
    return [s for i in range(times) for s in (servers if i % 2 == 0 else servers[::-1])]


# -- measurements ------------------------------------------------------------


async def measure_round_trips(server: BenchServer, plan: Plan, results: Results) -> None:
    """execute (``pass``) and kernel_info round trips, plus message_types on ext."""
    assert server.ws is not None
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "execute": ("execute_request", execute_content("pass", store_history=True)),
        "kernel_info": ("kernel_info_request", {}),
    }
    if server.name == EXT:
        requests["message_types"] = ("message_types_request", {})
    for label, (msg_type, content) in requests.items():
        times = [await round_trip(server.ws, msg_type, content) for _ in range(plan.samples)]
        results[server.name][f"{label}_p50_ms"].append(1e3 * percentile(times, 50))
        results[server.name][f"{label}_p90_ms"].append(1e3 * percentile(times, 90))


@dataclass
class Flood:
    """Totals over the floods one server carried in one round."""

    sent: int = 0
    received: int = 0
    floods: int = 0
    idle_lost: int = 0  # floods whose final status: idle never came
    active_seconds: float = 0.0  # first to last flood message, at the client
    kernel_seconds: float = 0.0  # the kernel's send loop
    server_cpu: float = 0.0
    kernel_cpu: float = 0.0
    client_cpu: float = 0.0

    def record(self, metrics: dict[str, list[float]]) -> None:
        metrics["flood_sent"].append(self.sent)
        metrics["flood_received"].append(self.received)
        metrics["flood_lost"].append(self.sent - self.received)
        metrics["flood_floods"].append(self.floods)
        metrics["flood_idle_lost"].append(self.idle_lost)
        metrics["flood_server_cpu_us_per_msg"].append(1e6 * self.server_cpu / self.received)
        metrics["flood_msgs_per_s"].append(self.received / self.active_seconds)
        metrics["flood_kernel_msgs_per_s"].append(self.sent / self.kernel_seconds)
        metrics["flood_kernel_cpu_us_per_msg"].append(1e6 * self.kernel_cpu / self.sent)
        metrics["flood_client_cpu_us_per_msg"].append(1e6 * self.client_cpu / self.received)


#: Seconds of silence after a flood's reply before its idle status counts as lost.
IDLE_GRACE = 5.0


async def measure_flood(server: BenchServer, n: int, total: Flood) -> None:
    """Publish ``n`` iopub messages from the kernel; add what they cost to ``total``,
    and how many arrived, and whether the flood's idle status did."""
    assert server.ws is not None
    arrivals: list[float] = []

    def on_message(peek: Peek, now: float) -> None:
        if peek.msg_type == "stream":
            arrivals.append(now)

    content = execute_content(
        f"_bench_flood_seconds = _bench_flood({n})",
        user_expressions={"seconds": "_bench_flood_seconds"},
    )
    server_cpu, kernel_cpu = server.server_cpu(), server.kernel_cpu()
    client_cpu = time.process_time()
    msg_id = await send(server.ws, "execute_request", content)
    reply, idle = await until_reply_and_idle(
        server.ws, msg_id, on_message, timeout=300, idle_grace=IDLE_GRACE
    )
    total.client_cpu += time.process_time() - client_cpu
    total.server_cpu += server.server_cpu() - server_cpu
    total.kernel_cpu += server.kernel_cpu() - kernel_cpu
    seconds = reply.json(3)["user_expressions"]["seconds"]["data"]["text/plain"]
    total.kernel_seconds += float(seconds)
    total.sent += n
    total.received += len(arrivals)
    total.floods += 1
    total.idle_lost += not idle
    if len(arrivals) > 1:
        # n - 1 intervals: the first message starts the clock.
        total.active_seconds += (arrivals[-1] - arrivals[0]) * len(arrivals) / (len(arrivals) - 1)


async def measure_buffer(server: BenchServer, size: int) -> tuple[float, float]:
    """Kernel-to-client seconds and server CPU seconds for one ``size``-byte buffer."""
    assert server.ws is not None
    delivered: list[float] = []

    def on_message(peek: Peek, now: float) -> None:
        if peek.msg_type == "comm_msg":
            # Both clocks are the system's CLOCK_MONOTONIC: comparable across processes.
            delivered.append(time.monotonic() - peek.json(2)["bench_t0"])
            if len(peek.data) < size:
                raise RuntimeError(f"a {size}-byte buffer arrived as {len(peek.data)} bytes")

    server_cpu = server.server_cpu()
    msg_id = await send(server.ws, "execute_request", execute_content(f"_bench_buffer({size})"))
    await until_done(server.ws, msg_id, on_message, timeout=300)
    server_cpu = server.server_cpu() - server_cpu
    if len(delivered) != 1:
        raise RuntimeError(f"{server.name}: expected one {size}-byte message, got {delivered}")
    return delivered[0], server_cpu


# -- the run ---------------------------------------------------------------------


async def prepare(servers: dict[str, BenchServer], plan: Plan) -> None:
    """Connect, install the kernel helpers, warm every path that is measured."""
    setup = KERNEL_HELPERS if plan.loaded else KERNEL_SETUP
    for server in servers.values():
        ws = await server.connect(plan.protocol)
        reply = await execute(ws, setup, user_expressions={"pid": "_bench_pid"})
        pid = int(reply.json(3)["user_expressions"]["pid"]["data"]["text/plain"])
        server.kernel_cpu = cpu_clock(pid)
    if not servers[STOCK_NODELAY].nodelay_logged():
        raise RuntimeError("stock_nodelay: bench.nodelay's connection class was not used")
    warm = Plan(rounds=1, samples=5, flood=2_000, floods=1, buffers=(MiB,), buffer_repeats=1)
    for server in servers.values():
        await measure_round_trips(server, warm, new_results())
    for name in FLOODED:
        await measure_flood(servers[name], warm.flood, Flood())
    for name in BUFFERED:
        await measure_buffer(servers[name], MiB)


async def run_round(
    servers: dict[str, BenchServer], plan: Plan, index: int, results: Results
) -> str:
    """One round of every measurement; the order of servers flips every round."""
    order = [servers[name] for name in (EXT, EXT_NOPREVIEW, STOCK, STOCK_NODELAY)]
    flooded = [servers[name] for name in FLOODED]
    buffered = [servers[name] for name in BUFFERED]
    if index % 2:
        order.reverse()
        flooded.reverse()
        buffered.reverse()
    for server in order:
        await measure_round_trips(server, plan, results)
    floods = {server.name: Flood() for server in flooded}
    for server in turns(flooded, plan.floods):
        await measure_flood(server, plan.flood // plan.floods, floods[server.name])
    for name, flood in floods.items():
        flood.record(results[name])
    for size in plan.buffers:
        samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for server in turns(buffered, plan.buffer_repeats):
            samples[server.name].append(await measure_buffer(server, size))
        for name, values in samples.items():
            metrics = results[name]
            metrics[f"buffer_{size // MiB}MiB_ms"].append(
                1e3 * statistics.median(v[0] for v in values)
            )
            metrics[f"buffer_{size // MiB}MiB_server_cpu_ms"].append(
                1e3 * statistics.median(v[1] for v in values)
            )
    return " -> ".join(server.name for server in order)


async def run_rounds(
    servers: dict[str, BenchServer], plan: Plan, progress: Callable[[str], None]
) -> Results:
    """Every measurement, every round, the servers taking turns."""
    await prepare(servers, plan)
    results = new_results()
    for index in range(plan.rounds):
        started = time.monotonic()
        order = await run_round(servers, plan, index, results)
        progress(f"round {index + 1}/{plan.rounds} ({order}) {time.monotonic() - started:.1f} s")
    return results


# -- report ----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a metric for ext and a baseline, their ratio, a target."""

    section: str
    label: str
    unit: str
    ext: float
    stock: float
    baseline: str  # which server (and metric) the ext figure is compared with
    ext_server: str
    per_round_ratios: list[float]
    target: tuple[str, float] | None = None  # ("<=", 0.3)

    @property
    def ratio(self) -> float:
        return self.ext / self.stock if self.stock else float("nan")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        op, bound = self.target
        return self.ratio <= bound if op == "<=" else self.ratio >= bound

    def as_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "metric": self.label,
            "unit": self.unit,
            "ext_server": self.ext_server,
            "ext": self.ext,
            "baseline": self.baseline,
            "baseline_value": self.stock,
            "ratio": self.ratio,
            "per_round_ratios": self.per_round_ratios,
            "target": None if self.target is None else f"{self.target[0]} {self.target[1]}",
            "met": self.met,
        }


def build_rows(results: Results, plan: Plan) -> list[Row]:
    def row(
        section: str,
        label: str,
        unit: str,
        ext_metric: str,
        base: str,
        base_metric: str | None = None,
        target: tuple[str, float] | None = None,
        ext: str = EXT,
    ) -> Row:
        ext_values = results[ext][ext_metric]
        base_values = results[base][base_metric or ext_metric]
        return Row(
            section,
            label,
            unit,
            statistics.median(ext_values),
            statistics.median(base_values),
            base if base_metric is None else f"{base} {base_metric}",
            ext,
            [e / b if b else float("nan") for e, b in zip(ext_values, base_values, strict=True)],
            target,
        )

    rows: list[Row] = []
    s1 = (
        "1. default settings (as users get them): ext vs stock; "
        "back-to-back requests, as in Run All"
    )
    s2 = "2. TCP_NODELAY on both: ext vs stock_nodelay"
    for section, base in ((s1, STOCK), (s2, STOCK_NODELAY)):
        for ext, note in ((EXT, ""), (EXT_NOPREVIEW, ", previews off")):
            for request in ("execute", "kernel_info"):
                for q in ("p50", "p90"):
                    targeted = (ext, base, request, q) == (EXT, STOCK, "execute", "p50")
                    rows.append(
                        row(
                            section,
                            f"{request} round trip {q}{note}",
                            "ms",
                            f"{request}_{q}_ms",
                            base,
                            target=("<=", 0.30) if targeted else None,
                            ext=ext,
                        )
                    )
    s3 = (
        f"3. iopub flood ({plan.mode}, {plan.protocol}): {plan.flood} stream messages of "
        f"100 B per server and round ({plan.floods} floods each, in turns A B C C B A...), "
        "nodelay on both"
    )
    s3b = f"3b. the same flood ({plan.mode}, {plan.protocol}), default settings: ext vs stock"
    s4 = (
        "4. a comm message with one binary buffer, kernel to client "
        f"(median of {plan.buffer_repeats} per round), nodelay on both"
    )

    def flood_rows(section: str, baseline: str, targets: Callable[[str], Any]) -> list[Row]:
        """CPU per message and throughput of both extension servers against
        ``baseline``; ``targets(ext)`` is the pair of their targets."""
        out = []
        for ext, note in ((EXT, ""), (EXT_NOPREVIEW, ", previews off")):
            cpu, rate = targets(ext)
            out += [
                row(
                    section,
                    f"server CPU per message{note}",
                    "us",
                    "flood_server_cpu_us_per_msg",
                    baseline,
                    target=cpu,
                    ext=ext,
                ),
                row(
                    section,
                    f"throughput at the client{note}",
                    "msg/s",
                    "flood_msgs_per_s",
                    baseline,
                    target=rate,
                    ext=ext,
                ),
            ]
        return out

    rows += flood_rows(s3, STOCK_NODELAY, lambda ext: (("<=", 1.10), (">=", 0.90)))
    for label, metric in (
        ("kernel send rate", "flood_kernel_msgs_per_s"),
        ("kernel CPU per message", "flood_kernel_cpu_us_per_msg"),
        ("client CPU per message", "flood_client_cpu_us_per_msg"),
    ):
        unit = "msg/s" if metric.endswith("per_s") else "us"
        rows.append(row(s3, f"{label} (info)", unit, metric, STOCK_NODELAY))
    # Under load the extension's default (nodelay, coalesced bursts) must not cost
    # a flood anything against stock's default (Nagle on).
    loaded_targets = (("<=", 1.05), (">=", 1.0))
    rows += flood_rows(
        s3b, STOCK, lambda ext: loaded_targets if plan.loaded and ext == EXT else (None, None)
    )
    for size in plan.buffers:
        mib = size // MiB
        for ext, note in ((EXT, ""), (EXT_NOPREVIEW, ", previews off")):
            rows += [
                row(
                    s4,
                    f"{mib} MiB delivery{note}",
                    "ms",
                    f"buffer_{mib}MiB_ms",
                    STOCK_NODELAY,
                    ext=ext,
                ),
                row(
                    s4,
                    f"{mib} MiB server CPU{note}",
                    "ms",
                    f"buffer_{mib}MiB_server_cpu_ms",
                    STOCK_NODELAY,
                    ext=ext,
                ),
            ]
    s5 = "5. server-handled message_types_request (ext) vs a kernel_info round trip"
    for q in ("p50", "p90"):
        for base in (STOCK_NODELAY, STOCK):
            rows.append(
                row(
                    s5,
                    f"vs {base} kernel_info, {q}",
                    "ms",
                    f"message_types_{q}_ms",
                    base,
                    f"kernel_info_{q}_ms",
                    ("<=", 0.50) if q == "p50" else None,
                )
            )
    rows.append(
        row(
            s5,
            "vs ext kernel_info, p50 (info)",
            "ms",
            "message_types_p50_ms",
            EXT,
            "kernel_info_p50_ms",
        )
    )
    return rows


def flood_losses(results: Results) -> dict[str, dict[str, list[int]]]:
    """Per server, per round: flood messages sent and lost, floods and idles lost."""
    return {
        name: {
            key: [int(v) for v in results[name][f"flood_{key}"]]
            for key in ("sent", "lost", "floods", "idle_lost")
        }
        for name in FLOODED
    }


def format_losses(losses: dict[str, dict[str, list[int]]]) -> str:
    lines = ["", "flood losses per round: messages lost of sent; idle statuses lost of floods"]
    for name, counts in losses.items():
        per_round = "  ".join(
            f"{lost}/{sent}, idle {idle}/{floods}"
            for sent, lost, floods, idle in zip(
                counts["sent"], counts["lost"], counts["floods"], counts["idle_lost"], strict=True
            )
        )
        total = sum(counts["lost"]) + sum(counts["idle_lost"])
        lines.append(f"  {name:14} {'none' if total == 0 else 'LOST'}: {per_round}")
    return "\n".join(lines)


def _number(value: float) -> str:
    if value != value:  # NaN
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: list[Row]) -> str:
    lines = []
    width = 50
    header = (
        f"{'':{width}} {'ext':>10} {'baseline':>10} {'ext/base':>9}  "
        f"{'target':<8} {'':4} per-round ratios"
    )
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines += ["", section, header]
        label = f"  {r.label} ({r.unit})"
        target = "" if r.target is None else f"{r.target[0]} {r.target[1]:.2f}"
        verdict = {None: "", True: "ok", False: "MISS"}[r.met]
        spread = " ".join(f"{x:.2f}" for x in r.per_round_ratios)
        lines.append(
            f"{label:{width}} {_number(r.ext):>10} {_number(r.stock):>10} {r.ratio:>9.2f}  "
            f"{target:<8} {verdict:4} {spread}"
        )
    return "\n".join(lines)


def package_version(package: str) -> str:
    """An installed package's version, or "?"."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def git_commit() -> str:
    """The checkout's commit (``git describe --always --dirty``), or "?"."""
    with contextlib.suppress(Exception):
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return "?"


def metadata(servers: dict[str, BenchServer], plan: Plan, seconds: float) -> dict[str, Any]:
    version, commit = package_version, git_commit()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "python": sys.version.split()[0],
        "versions": {
            p: version(p) for p in ("jupyter_server", "tornado", "ipykernel", "jupyter_client")
        },
        "cpus": os.cpu_count(),
        "mode": plan.mode,
        "busy_loops": os.cpu_count() if plan.loaded else 0,
        "protocol": plan.protocol,
        "kernel_iopub": "as each server makes it" if plan.loaded else "unbounded (bench)",
        "plan": {
            "rounds": plan.rounds,
            "samples_per_round": plan.samples,
            "flood_messages": plan.flood,
            "floods": plan.floods,
            "buffer_bytes": list(plan.buffers),
            "buffer_repeats": plan.buffer_repeats,
        },
        "servers": {name: server.description for name, server in servers.items()},
        "seconds": round(seconds, 1),
    }


# -- entry point ------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="5 rounds, smaller samples")
    parser.add_argument("--rounds", type=int, help="rounds (>= 5 to be read; default 7)")
    parser.add_argument("--samples", type=int, help="round trips per request type and round")
    parser.add_argument(
        "--flood", type=int, help="flood messages per server and round (sent as several floods)"
    )
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="one busy loop per core for the whole run; kernels as their servers make them "
        "(no bench high-water-mark trick), losses counted",
    )
    parser.add_argument(
        "--protocol",
        choices=("v1", "legacy"),
        default="v1",
        help="websocket protocol of the benchmark's connections (default: v1)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench" / "results.json",
        help="where to write the figures (default: bench/results.json)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the servers' directories and logs"
    )
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    return dataclasses.replace(
        plan,
        rounds=args.rounds or plan.rounds,
        samples=args.samples or plan.samples,
        flood=args.flood or plan.flood,
        loaded=args.loaded,
        protocol=args.protocol,
    )


#: A busy loop that ends by itself when the benchmark that started it is gone.
BUSY_LOOP = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(200_000):
        pass
"""


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[list[int]]:
    """``count`` processes spinning on a core each until the block ends, however it ends.

    They run in a session of their own (a Ctrl-C in the terminal reaches only
    the benchmark, which stops them here) and end themselves when orphaned.
    """
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", BUSY_LOOP],
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="beaker-bench-"))
        print(f"server directories and logs: {path}", file=sys.stderr)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="beaker-bench-") as path:
            yield Path(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = make_plan(args)
    if plan.rounds < 5:
        print(f"warning: {plan.rounds} rounds; medians need >= 5 to be read", file=sys.stderr)
    # SIGTERM ends the run like Ctrl-C does: through the finally that stops servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    begun = time.monotonic()
    with workdir(args.keep_logs) as directory:
        servers = make_servers(directory)
        try:
            progress(f"starting {len(servers)} servers and kernels ...")
            start_all(servers)
            with busy_loops((os.cpu_count() or 1) if plan.loaded else 0) as pids:
                if pids:
                    progress(f"loaded: {len(pids)} busy loops (pids {' '.join(map(str, pids))})")
                results = asyncio.run(run_rounds(servers, plan, progress))
        except KeyboardInterrupt:
            progress("interrupted: stopping servers and kernels")
            return 130
        except Exception:
            for server in servers.values():
                tail = "\n".join(server.proc.log().splitlines()[-15:])
                progress(f"--- {server.name} server log (tail) ---\n{tail}")
            raise
        finally:
            stop_all(servers)
    print_report(results, plan, servers, time.monotonic() - begun, args.json)
    return 0


def print_report(
    results: Results, plan: Plan, servers: dict[str, BenchServer], seconds: float, path: Path
) -> None:
    """The table to stdout, the same figures (and every round's) as JSON to ``path``."""
    rows = build_rows(results, plan)
    meta = metadata(servers, plan, seconds)
    print(
        f"beaker_server benchmark: {plan.rounds} rounds interleaved, medians over rounds "
        f"({meta['commit']}, jupyter_server {meta['versions']['jupyter_server']}, "
        f"{meta['cpus']} CPUs, {seconds:.0f} s)"
    )
    print(
        f"mode: {plan.mode}"
        + (f" ({meta['busy_loops']} busy loops, one per core)" if plan.loaded else "")
        + f"; websocket protocol {plan.protocol}; kernels' iopub queues: {meta['kernel_iopub']}"
    )
    for name, server in servers.items():
        print(f"  {name:14} {server.description}")
    print(format_table(rows))
    losses = flood_losses(results)
    print(format_losses(losses))
    missed = [r for r in rows if r.met is False]
    summary = "; ".join(f"{r.section[:2]} {r.label}" for r in missed)
    print(f"\ntargets: {'MISSED ' + summary if missed else 'all met'}")
    report = {
        "meta": meta,
        "rows": [r.as_json() for r in rows],
        "flood_losses": losses,
        "per_round": {name: dict(metrics) for name, metrics in results.items()},
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {path}")


if __name__ == "__main__":
    sys.exit(main())
