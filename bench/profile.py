"""Where the servers' CPU goes during an iopub flood: py-spy on benchmark servers.

Usage (from the repository root; needs ``pip install py-spy`` in the venv)::

    .venv/bin/python -m bench.profile          # ext, ext_nopreview and stock_nodelay
    .venv/bin/python -m bench.profile --server ext --server stock_nodelay --floods 6

Starts the benchmark's servers and one ``py-spy record --format raw`` per server
process, all at once, then floods the servers in turns (A B C C B A ...), as
``bench.run`` does, so that other load on shared cores weighs on all alike.
py-spy leaves out threads waiting in select/epoll, so on an otherwise idle
machine a server's samples measure its CPU time; with other load on the cores
they also count time spent runnable but descheduled, and the figures spread.
Prints per server the functions with the most self time, then the functions
whose inclusive time per message differs most from the last server (the
baseline, stock_nodelay by default): where the extension's extra CPU goes.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.client import execute, execute_content, send, until_done
from bench.run import KERNEL_SETUP, turns
from bench.servers import BenchServer, make_servers, start_all, stop_all


@dataclass
class Profile:
    """py-spy's collapsed stacks of one process: samples per function."""

    total: int
    own: Counter[str]
    inclusive: Counter[str]

    @classmethod
    def load(cls, raw: Path) -> Profile:
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for line in raw.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            frames = [_function(frame) for frame in stack.split(";")]
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
        return cls(total, own, inclusive)


def _function(frame: str) -> str:
    """``name (path/file.py:line)`` -> ``name (file.py)``: lines would split a function."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rpartition(":")[0]
    return f"{name} ({'/'.join(path.split('/')[-2:])})" if path else name


async def flood(server: BenchServer, n: int) -> None:
    assert server.ws is not None
    msg_id = await send(server.ws, "execute_request", execute_content(f"_bench_flood({n})"))
    await until_done(server.ws, msg_id, timeout=300)


async def record(
    servers: list[BenchServer], n: int, floods: int, rate: int, outdir: Path, py_spy: str
) -> dict[str, Path]:
    """Flood every server ``floods`` times in turns while py-spy samples them all."""
    for server in servers:
        await execute(await server.connect(), KERNEL_SETUP)
        await flood(server, 1000)  # warm up before sampling
    outputs = {server.name: outdir / f"{server.name}.txt" for server in servers}
    spies = [
        await asyncio.create_subprocess_exec(
            *[py_spy, "record", "--pid", str(server.pid), "--rate", str(rate)],
            *["--format", "raw", "--output", str(outputs[server.name])],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for server in servers
    ]
    try:
        await asyncio.sleep(1.0)  # py-spy attaches
        for server in turns(servers, floods):
            await flood(server, n)
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        errors = [(await asyncio.wait_for(spy.communicate(), 60))[1] for spy in spies]
    for (name, path), err in zip(outputs.items(), errors, strict=True):
        if not path.exists():
            raise RuntimeError(f"py-spy wrote nothing for {name}: {err.decode(errors='replace')}")
    return outputs


def report(profiles: dict[str, Profile], messages: int, rate: int, top: int) -> str:
    """Self time per server; then inclusive µs per message, each server vs the last."""
    us_per_sample = 1e6 / rate
    lines = []
    for name, profile in profiles.items():
        per_msg = profile.total * us_per_sample / messages
        lines += ["", f"=== {name}: {profile.total} samples, {per_msg:.0f} us CPU per message"]
        lines += [
            f"  {100 * count / profile.total:5.1f}%  {function}"
            for function, count in profile.own.most_common(top)
        ]
    *others, base_name = profiles
    base = profiles[base_name]
    for name in others:
        profile = profiles[name]
        difference = {
            f: (profile.inclusive[f] - base.inclusive[f]) * us_per_sample / messages
            for f in set(profile.inclusive) | set(base.inclusive)
        }
        lines += ["", f"=== inclusive us per message: {name} - {base_name}"]
        lines += [
            f"  {delta:+7.1f}  ({profile.inclusive[f] * us_per_sample / messages:6.1f} vs "
            f"{base.inclusive[f] * us_per_sample / messages:6.1f})  {f}"
            for f, delta in sorted(difference.items(), key=lambda item: -abs(item[1]))[:top]
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--server",
        choices=["ext", "ext_nopreview", "stock_nodelay"],
        action="append",
        help="servers to profile, the baseline last (default: all three)",
    )
    parser.add_argument("--flood", type=int, default=10_000, help="messages per flood")
    parser.add_argument("--floods", type=int, default=4, help="floods per server")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="copy the raw profiles to this directory")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        parser.error("py-spy is not installed: pip install py-spy")
    names = args.server or ["ext", "ext_nopreview", "stock_nodelay"]
    # SIGTERM ends the run like Ctrl-C does: through the finally that stops servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="beaker-profile-") as tmp:
        servers = make_servers(Path(tmp))
        chosen = [servers[name] for name in names]
        try:
            start_all({server.name: server for server in chosen})
            outputs = asyncio.run(
                record(chosen, args.flood, args.floods, args.rate, Path(tmp), py_spy)
            )
        finally:
            stop_all({server.name: server for server in chosen})
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in outputs.values():
                shutil.copy(path, args.keep / path.name)
        profiles = {name: Profile.load(path) for name, path in outputs.items()}
    print(f"{args.floods} floods of {args.flood} messages per server")
    print(report(profiles, args.flood * args.floods, args.rate, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
