"""The benchmark's server processes: beaker_server vs stock jupyter_server.

All servers run at the same time, each as its own ``jupyter server`` process with
one python3 kernel, so a run can interleave them round by round (on shared
cores, back-to-back runs of identical servers differ by ±20%).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.jupyter_process import Config, JupyterServerProcess, merge_config
from tests.support.kernel_ws import KernelWebsocket

from .nodelay import LOG_MARKER

#: Settings every benchmark server shares. The iopub rate limits drop flood
#: messages at their shipped defaults; 0 turns them off (the check still runs in
#: both servers, as it does for users). INFO is the log level users run with.
COMMON_CONFIG: Config = {
    "ServerApp": {"log_level": "INFO", "iopub_msg_rate_limit": 0, "iopub_data_rate_limit": 0},
    "ZMQChannelsWebsocketConnection": {"iopub_msg_rate_limit": 0, "iopub_data_rate_limit": 0},
    # Only the built-in message types: no test handlers or response hooks.
    "BeakerServerApp": {"handler_modules": []},
}


class BenchServerProcess(JupyterServerProcess):
    """``JupyterServerProcess`` started out of the terminal's reach (``detached``).

    With the terminal as stdin a ``jupyter server`` answers Ctrl-C with a
    "Shutdown this Jupyter server (y/[n])?" prompt, and the terminal's SIGINT
    reaches every process of the foreground group. A new session and no stdin let
    the benchmark alone decide when its servers stop, and stop them cleanly.
    """

    detached = True


def cpu_clock(pid: int) -> Callable[[], float]:
    """A reader of a process's CPU time (all threads, user + system), in seconds.

    Linux's per-process CPU clock has nanosecond resolution; psutil and
    ``/proc/<pid>/stat`` count 10 ms ticks, too coarse for one 20 MB message.
    """
    clock = ((~pid) << 3) | 2  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    try:
        time.clock_gettime(clock)
    except OSError:
        pass
    else:
        return lambda: time.clock_gettime(clock)
    try:
        import psutil
    except ImportError:
        ticks = os.sysconf("SC_CLK_TCK")
        stat = Path(f"/proc/{pid}/stat")

        def read_proc() -> float:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        return read_proc
    process = psutil.Process(pid)
    return lambda: sum(process.cpu_times()[:2])


@dataclass
class BenchServer:
    """One server process, its kernel and the benchmark's websocket to it."""

    name: str
    description: str
    proc: BenchServerProcess
    kernel_id: str = ""
    ws: KernelWebsocket | None = None
    server_cpu: Callable[[], float] = field(default=lambda: 0.0)
    kernel_cpu: Callable[[], float] = field(default=lambda: 0.0)

    @property
    def pid(self) -> int:
        assert self.proc.process is not None
        return self.proc.process.pid

    def start(self) -> None:
        self.proc.start()
        self.server_cpu = cpu_clock(self.pid)
        self.kernel_id = self.proc.start_kernel()

    async def connect(self, protocol: str = "v1") -> KernelWebsocket:
        self.ws = await KernelWebsocket.open(
            self.proc.ws_url, self.proc.token, self.kernel_id, protocol
        )
        return self.ws

    def stop(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()
            self.ws = None
        if self.kernel_id:
            with contextlib.suppress(Exception):
                self.proc.shutdown_kernel(self.kernel_id)
            self.kernel_id = ""
        self.proc.stop()

    def nodelay_logged(self) -> bool:
        return LOG_MARKER in self.proc.log()


def make_servers(workdir: Path) -> dict[str, BenchServer]:
    """ext (beaker_server, defaults), ext_nopreview (previews off), stock
    (defaults: Nagle on), stock_nodelay (stock + server-side TCP_NODELAY)."""
    specs = {
        "ext": ("jupyter_server + beaker_server (defaults: TCP_NODELAY on)", True, {}),
        "ext_nopreview": (
            "the same with previews off (BeakerServerApp.preview_enabled=False)",
            True,
            {"BeakerServerApp": {"preview_enabled": False}},
        ),
        "stock": ("stock jupyter_server (defaults: Nagle on)", False, {}),
        "stock_nodelay": (
            "stock jupyter_server + server-side TCP_NODELAY (bench/nodelay.py)",
            False,
            {
                "ServerApp": {
                    "kernel_websocket_connection_class": (
                        "bench.nodelay.NodelayZMQChannelsWebsocketConnection"
                    )
                }
            },
        ),
    }
    servers = {}
    for name, (description, beaker, extra) in specs.items():
        config = merge_config(COMMON_CONFIG, extra)
        directory = workdir / name
        directory.mkdir()
        proc = BenchServerProcess(directory, beaker=beaker, config=config)
        servers[name] = BenchServer(name, description, proc)
    return servers


def start_all(servers: dict[str, BenchServer]) -> None:
    """Start the servers and their kernels side by side (startup is mostly waiting)."""
    with ThreadPoolExecutor(len(servers)) as pool:
        for future in [pool.submit(server.start) for server in servers.values()]:
            future.result()


def stop_all(servers: dict[str, BenchServer]) -> None:
    """Shut down every kernel and server that was started, whatever failed before."""
    with ThreadPoolExecutor(len(servers)) as pool:
        futures = [pool.submit(server.stop) for server in servers.values()]
    for server, future in zip(servers.values(), futures, strict=True):
        error = future.exception()
        if error is not None:
            print(f"warning: stopping {server.name}: {error!r}", file=sys.stderr)
