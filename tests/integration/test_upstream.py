"""jupyter_server's own kernel websocket tests pass with beaker_server enabled.

Their tests are not copied here: the source distribution of the *installed*
jupyter_server version is downloaded from PyPI (``pip download --no-binary :all:``)
into the pytest cache (``.pytest_cache/d/beaker_server-upstream``, a temporary
folder with ``-p no:cacheprovider``) and run from there, in subprocesses, twice:

- ``beaker``: with ``tests/integration/upstream/beaker_upstream_plugin.py``, which enables
  beaker_server through the ``jupyter_server_config.d`` file the wheel installs, in
  every server their tests build, and records what each test ran against;
- ``stock``: the same tests and plugin with the extension off, the baseline that
  tells a beaker_server bug from an upstream or environment failure.

Both runs go in parallel shards (most of the time is spent waiting on kernels and
cull timers). Needs network access to PyPI the first time a version is used.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path(__file__).resolve().parent / "upstream"
PLUGIN = "beaker_upstream_plugin"
# The file the wheel installs into <sys.prefix>/etc/jupyter/jupyter_server_config.d.
ENABLE_FILE = ROOT / "jupyter-config" / "jupyter_server_config.d" / "beaker_server.json"

pytestmark = [pytest.mark.network, pytest.mark.timeout(900)]

KERNELS = "tests/services/kernels"
SESSIONS = "tests/services/sessions/test_api.py"
CHANNELS_AUTH = (
    "tests/auth/test_authorizer.py::test_authorized_requests"
    "[{}-GET-/api/kernels/{{kernel_id}}/channels-None]"
)

# The upstream tests that touch the kernel websocket (/api/kernels/<id>/channels),
# its connection classes or the kernel lifecycle beaker_server follows, in shards of
# similar length (most of it is waiting: cull timers, kernel start and shutdown). A
# file runs whole; ``file::function`` runs every parametrization of the function.
SHARDS: dict[str, list[str]] = {
    "cull-idle": [
        # A kernel is culled once its websocket closed and it idles: the extension's
        # own kernel client must not count as activity or as a connection.
        f"{KERNELS}/test_cull.py::test_cull_idle",
        f"{KERNELS}/test_cull.py::test_cull_idle_disable",
        f"{KERNELS}/test_cull.py::test_cull_dead",
    ],
    "cull-connected-execution": [
        # A kernel with an open websocket is not culled unless cull_connected.
        f"{KERNELS}/test_cull.py::test_cull_connected",
        # execute_request and a control debug_request over the websocket, interrupt,
        # the execution_state the server derives from the kernel's iopub status.
        f"{KERNELS}/test_execution_state.py",
    ],
    "kernels-connection": [
        # Open/close a websocket, the connection count of the kernel model.
        f"{KERNELS}/test_api.py::test_connection",
        # A websocket to a pending kernel that failed to start is refused.
        f"{KERNELS}/test_api.py::test_kernel_handler_startup_error_pending",
        # REST start/list/interrupt/restart/shutdown (the extension follows these).
        f"{KERNELS}/test_api.py::test_main_kernel_handler",
        f"{KERNELS}/test_api.py::test_kernel_handler",
        f"{KERNELS}/test_api.py::test_kernel_handler_startup_error",
        f"{KERNELS}/test_restart_error.py",
        # ZMQChannelsWebsocketConnection itself (nudge, buffering, fd leaks) in a server
        # with the extension loaded (these tests build the stock class directly).
        f"{KERNELS}/test_connection.py",
    ],
    "sessions-auth-gateway": [
        # Websockets across a kernel restart, client-supplied kernel ids, failed
        # pending kernels.
        f"{SESSIONS}::test_restart_kernel",
        f"{SESSIONS}::test_create_with_client_supplied_kernel_id",
        f"{SESSIONS}::test_create_bad_pending",
        # Websocket authentication rules.
        "tests/base/test_websocket.py",
        # The authorizer sees the channels websocket as ("execute", "kernels").
        CHANNELS_AUTH.format("True"),
        CHANNELS_AUTH.format("False"),
        # GatewayWebSocketConnection (the extension wraps it with --gateway-url).
        "tests/test_gateway.py",
    ],
}

# Upstream tests that fail on stock jupyter_server too, deselected: node id -> reason.
EXCLUDED: dict[str, str] = {
    f"{KERNELS}/test_connection.py::test_disconnect_resolves_orphaned_kernel_info_future": (
        "timing: it starts a kernel and, without waiting for it to be ready, needs its "
        "kernel_info_reply within 1 s; with the parallel shards loading the CPU the kernel "
        "takes longer to start and it fails on stock jupyter_server too (seen in both "
        "runs). It builds the stock ZMQChannelsWebsocketConnection directly and opens no "
        "websocket, so beaker_server is not on its path."
    ),
}

# Upstream runs with ``filterwarnings = error``. Tornado 6.6 deprecates the positional
# ``HTTPServerRequest(method, uri)`` form that upstream *test code* uses to build fake
# requests (test_connection.py, test_websocket.py, test_gateway.py), so 11 tests error
# on stock jupyter_server too; these filters let them run instead of excluding them.
WARNING_FILTERS = [
    "ignore:The method, uri, and version arguments to HTTPServerRequest:DeprecationWarning",
    "ignore:The start_line argument to HTTPServerRequest:DeprecationWarning",
]

MIN_PASSED = 75  # of the 80 selected tests (jupyter_server 2.21.1: all 80 pass)
MIN_BEAKER_WEBSOCKETS = 20  # of 24 kernel websockets the selection opens (through the mixin)
SHARD_TIMEOUT = 420
MAX_RERUNS = 5


# -- the upstream source -------------------------------------------------------------


def _pip_download(version: str, dest: Path) -> Path:
    base = [
        sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
        "--disable-pip-version-check", "--quiet", "-d", str(dest),
        f"jupyter_server=={version}",
    ]  # fmt: skip
    errors = []
    # Without build isolation pip reads the sdist's metadata with the hatchling this
    # environment already has (seconds instead of half a minute); plain pip otherwise.
    for extra in (["--no-build-isolation"], []):
        result = subprocess.run(
            base + extra, capture_output=True, text=True, timeout=300, check=False
        )
        found = list(dest.glob(f"jupyter_server-{version}.tar.gz"))
        if result.returncode == 0 and found:
            return found[0]
        errors.append(result.stdout + result.stderr)
    raise AssertionError("pip download of the jupyter_server sdist failed:\n" + "\n".join(errors))


def _extract(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # a Python without PEP 706 extraction filters
            tar.extractall(dest)


@pytest.fixture(scope="module")
def upstream_source(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """jupyter_server's sdist, of the installed version, extracted (cached across runs)."""
    version = importlib.metadata.version("jupyter_server")
    cache = getattr(request.config, "cache", None)
    cache_dir = (
        Path(cache.mkdir("beaker_server-upstream"))
        if cache is not None
        else tmp_path_factory.mktemp("beaker_server-upstream")
    )
    source = cache_dir / f"jupyter_server-{version}"
    if (source / "tests" / "conftest.py").is_file():
        return source
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        archive = _pip_download(version, Path(work) / "download")
        _extract(archive, Path(work) / "src")
        shutil.rmtree(source, ignore_errors=True)
        os.replace(Path(work) / "src" / source.name, source)
    assert (source / "tests" / "conftest.py").is_file(), f"no tests in the sdist at {source}"
    return source


# -- running it -----------------------------------------------------------------------


@dataclass
class Shard:
    mode: str  # "beaker" or "stock"
    name: str
    args: list[str]
    workdir: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False

    @property
    def report(self) -> Path:
        return self.workdir / "report.jsonl"

    @property
    def log(self) -> Path:
        return self.workdir / "output.txt"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _command(mode: str, workdir: Path, selection: list[str]) -> list[str]:
    command = [
        sys.executable, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider",
        f"--beaker={'on' if mode == 'beaker' else 'off'}",
        f"--beaker-report={workdir / 'report.jsonl'}",
        f"--basetemp={workdir / 'tmp'}", "--color=no", "--durations=5",
    ]  # fmt: skip
    if mode == "beaker":
        command.append(f"--beaker-config={ENABLE_FILE}")
    for spec in WARNING_FILTERS:
        command += ["-W", spec]
    for nodeid in EXCLUDED:
        command += ["--deselect", nodeid]
    return command + selection


def _environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "JUPYTER_")) and key != "PYTHONPATH"
    }
    env["PYTHONPATH"] = os.pathsep.join(
        path for path in (str(PLUGIN_DIR), os.environ.get("PYTHONPATH")) if path
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _start(shard: Shard, source: Path) -> None:
    shard.workdir.mkdir(parents=True, exist_ok=True)
    with shard.log.open("wb") as log:
        shard.process = subprocess.Popen(
            _command(shard.mode, shard.workdir, shard.args),
            cwd=source,
            env=_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    shard.started = time.monotonic()


def _wait(shards: list[Shard]) -> None:
    running = list(shards)
    while running:
        time.sleep(0.2)
        for shard in list(running):
            assert shard.process is not None
            if shard.process.poll() is None:
                if time.monotonic() - shard.started < SHARD_TIMEOUT:
                    continue
                shard.timed_out = True
                os.killpg(shard.process.pid, signal.SIGKILL)
            shard.returncode = shard.process.wait()
            shard.seconds = time.monotonic() - shard.started
            running.remove(shard)


def _run(shards: list[Shard], source: Path) -> None:
    try:
        for shard in shards:
            _start(shard, source)
        _wait(shards)
    finally:  # interrupted or timed out here: leave no test run behind
        for shard in shards:
            if shard.process is not None and shard.process.poll() is None:
                os.killpg(shard.process.pid, signal.SIGKILL)
                shard.process.wait()


# -- reading the results ----------------------------------------------------------------


@dataclass
class Result:
    """One upstream test in one run."""

    nodeid: str
    phases: dict[str, str] = field(default_factory=dict)  # setup/call/teardown -> outcome
    flaky: bool = False
    longrepr: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def outcome(self) -> str:
        """passed, failed, error, skipped, xfailed, or hung (started, never reported)."""
        if self.phases.get("call") == "failed":
            return "failed"
        if "failed" in self.phases.values():
            return "error"
        if self.phases.get("setup") in ("skipped", "xfailed"):
            return self.phases["setup"]
        return self.phases.get("call", "hung")


def _results(shard: Shard) -> dict[str, Result]:
    results: dict[str, Result] = {}
    lines = shard.report.read_text().splitlines() if shard.report.exists() else []
    for line in lines:
        record = json.loads(line)
        result = results.setdefault(record["nodeid"], Result(record["nodeid"]))
        if record["event"] == "state":
            result.state = record
        elif record["event"] == "report":
            result.phases[record["when"]] = record["outcome"]
            result.duration += record["duration"]
            result.flaky = result.flaky or record["flaky"]
            if record["outcome"] == "failed":
                result.longrepr += f"--- {record['when']} ---\n{record.get('longrepr', '')}\n"
                if record.get("log"):
                    result.longrepr += f"--- server log, WARNING and up ---\n{record['log']}\n"
    for result in results.values():
        if result.outcome == "hung":
            result.longrepr = _timeout_dump(shard.output())
    return results


def _timeout_dump(output: str) -> str:
    """The main thread's stack from pytest-timeout's dump (upstream's ``thread`` method
    dumps every thread and ends the run)."""
    start = output.find("+++++ Timeout +++++")
    if start == -1:
        return "(no timeout dump: the run ended without reporting the test)"
    main = output.find("Stack of MainThread (", start)
    end = output.find("+++++ Timeout +++++", start + 1)
    stack = output[main if main != -1 else start : end if end != -1 else None].splitlines()
    header = stack[:1]
    return "\n".join([*header, "  [...]", *stack[-24:]] if len(stack) > 25 else stack)


SUMMARY_LINE = re.compile(r"^=+ (.+) in [\d.]+s(?: \([\d:]+\))? =+$")
SUMMARY_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


def _summary(output: str) -> dict[str, int]:
    """The counts on pytest's final line (``== 3 passed, 1 failed in 2.1s ==``)."""
    for line in reversed(output.splitlines()):
        match = SUMMARY_LINE.match(line.strip())
        if match:
            counts = dict.fromkeys(("passed", "failed", "error", "skipped"), 0)
            for number, kind in SUMMARY_COUNT.findall(match.group(1)):
                counts["error" if kind.startswith("error") else kind] = int(number)
            return counts
    return {}


@dataclass
class Run:
    mode: str
    shards: list[Shard]
    results: dict[str, Result] = field(default_factory=dict)
    reruns: dict[str, str] = field(default_factory=dict)  # nodeid -> first outcome, report

    def count(self, *outcomes: str) -> int:
        return sum(1 for result in self.results.values() if result.outcome in outcomes)

    def failed(self) -> list[Result]:
        return [
            result
            for result in self.results.values()
            if result.outcome not in ("passed", "skipped", "xfailed")
        ]

    def broken_shards(self) -> list[Shard]:
        """Shards that did not end as pytest does after running tests (0 or 1)."""
        return [s for s in self.shards if s.timed_out or s.returncode not in (0, 1)]

    def ok(self) -> bool:
        return not self.failed() and not self.broken_shards()

    def seconds(self) -> float:
        return max((shard.seconds for shard in self.shards), default=0.0)


def _collect(run: Run) -> None:
    for shard in run.shards:
        results = _results(shard)
        counts = _summary(shard.output())
        passed = sum(1 for result in results.values() if result.phases.get("call") == "passed")
        if counts:
            assert counts["passed"] == passed, (
                f"{run.mode}/{shard.name}: the summary line says {counts['passed']} passed, "
                f"the plugin's report {passed}\n{shard.output()[-3000:]}"
            )
        run.results.update(results)


@dataclass
class Upstream:
    version: str
    source: Path
    runs: dict[str, Run]


@pytest.fixture(scope="module")
def upstream(upstream_source: Path, tmp_path_factory) -> Upstream:
    """Both runs of the selected upstream tests, failures rerun once alone."""
    assert ENABLE_FILE.is_file(), ENABLE_FILE
    work = tmp_path_factory.mktemp("upstream-runs")
    runs = {
        mode: Run(
            mode,
            [Shard(mode, name, args, work / mode / name) for name, args in SHARDS.items()],
        )
        for mode in ("beaker", "stock")
    }
    _run([shard for run in runs.values() for shard in run.shards], upstream_source)
    for run in runs.values():
        _collect(run)
    # The shards load the CPU (two cores on CI) and upstream has timing-sensitive tests
    # (cull timers, kernel start races), so a failure is run again, alone, once: what
    # passes then is reported as a warning (see _warn_reruns), not hidden; what fails
    # again fails the check. Hangs are not rerun (each costs upstream's 100 s timeout),
    # nor many failures at once (that is no flake).
    retry = {
        mode: [r.nodeid for r in run.failed() if r.outcome in ("failed", "error")]
        for mode, run in runs.items()
    }
    rerun_shards = [
        Shard(mode, "rerun", nodeids, work / mode / "rerun")
        for mode, nodeids in retry.items()
        if 0 < len(nodeids) <= MAX_RERUNS
    ]
    if rerun_shards:
        _run(rerun_shards, upstream_source)
        for shard in rerun_shards:
            run = runs[shard.mode]
            for nodeid, result in _results(shard).items():
                first = run.results[nodeid]
                run.reruns[nodeid] = f"{first.outcome}:\n{first.longrepr}"
                run.results[nodeid] = result
            run.shards.append(shard)
    result = Upstream(importlib.metadata.version("jupyter_server"), upstream_source, runs)
    print(_describe(result))
    return result


def _describe(upstream: Upstream) -> str:
    lines = [f"jupyter_server {upstream.version} tests from {upstream.source}"]
    for run in upstream.runs.values():
        lines.append(
            f"  {run.mode}: {run.count('passed')} passed, {len(run.failed())} failed, "
            f"{run.count('skipped', 'xfailed')} skipped/xfailed in {run.seconds():.1f}s "
            + ", ".join(f"{s.name} {s.seconds:.1f}s" for s in run.shards)
        )
        lines += [
            f"    rerun: {nodeid} was {first.split(':')[0]}, then {run.results[nodeid].outcome}"
            for nodeid, first in run.reruns.items()
        ]
    lines += [f"  excluded: {nodeid}: {why}" for nodeid, why in EXCLUDED.items()]
    return "\n".join(lines)


def _explain(run: Run, others: Run) -> str:
    parts = []
    for result in run.failed():
        other = others.results.get(result.nodeid)
        elsewhere = other.outcome if other else "not run"
        again = " (in the parallel run, then again alone)" if result.nodeid in run.reruns else ""
        parts.append(
            f"{result.nodeid}: {result.outcome}{again} ({others.mode}: {elsewhere})\n"
            + result.longrepr
        )
    for shard in run.broken_shards():
        why = f"killed after {SHARD_TIMEOUT}s" if shard.timed_out else f"exit {shard.returncode}"
        tail = shard.output()[-4000:]
        parts.append(f"shard {shard.name} ({' '.join(shard.args)}): {why}, output ends:\n{tail}")
    missing = sorted(set(others.results) - set(run.results))
    if missing:
        files = sorted({nodeid.split("::")[0] for nodeid in missing})
        parts.append(
            f"{len(missing)} tests did not run in {run.mode} (a hang ends the shard: upstream "
            f"uses pytest-timeout's thread method), in: {', '.join(files)}"
        )
    return "\n\n".join(parts)


# -- the checks -----------------------------------------------------------------------------


def test_stock_jupyter_server_passes_the_selection(upstream: Upstream) -> None:
    """The baseline: a test failing here is not beaker_server's; exclude it in EXCLUDED."""
    stock, beaker = upstream.runs["stock"], upstream.runs["beaker"]
    if not stock.ok():
        pytest.fail(
            "upstream tests fail on STOCK jupyter_server (no beaker_server): an upstream or "
            "environment problem; list them in EXCLUDED with the reason.\n"
            + _explain(stock, beaker),
            pytrace=False,
        )
    assert stock.count("passed") >= MIN_PASSED, _describe(upstream)
    with_beaker = [r.nodeid for r in stock.results.values() if r.state.get("beaker_class")]
    assert not with_beaker, f"beaker_server was active in the stock run: {with_beaker}"
    _warn_reruns(stock)


def test_upstream_kernel_websocket_tests_pass_with_beaker_server(upstream: Upstream) -> None:
    beaker, stock = upstream.runs["beaker"], upstream.runs["stock"]
    if not beaker.ok():
        pytest.fail(
            "jupyter_server's own tests fail with beaker_server enabled (a failure that "
            "passes on stock is a beaker_server bug):\n" + _explain(beaker, stock),
            pytrace=False,
        )
    assert beaker.count("passed") >= MIN_PASSED, _describe(upstream)
    assert set(beaker.results) == set(stock.results), _explain(beaker, stock)
    _warn_reruns(beaker)


def _gist(report: str) -> str:
    """The outcome, error lines, locations and server warnings of a failure report."""
    lines = report.splitlines()
    keep = [
        line
        for line in lines[1:]
        if line.startswith(("E ", "WARNING ", "ERROR ", "CRITICAL "))
        or re.match(r"\S+\.py:\d+: ", line)
    ]
    return "\n".join([lines[0], *keep[-12:]]) if lines else report


def _warn_reruns(run: Run) -> None:
    """Tests that passed only when run again alone: not hidden, not failed."""
    for nodeid, first in run.reruns.items():
        if run.results[nodeid].outcome in ("passed", "skipped", "xfailed"):
            flaky = " (upstream marks it flaky)" if run.results[nodeid].flaky else ""
            warnings.warn(
                f"upstream test {nodeid}{flaky} ({run.mode} run) passed only on its rerun; "
                f"first {_gist(first)}",
                stacklevel=1,
            )


def test_beaker_server_was_active_in_the_upstream_run(upstream: Upstream) -> None:
    """Every server of the beaker run had the extension, every kernel websocket went
    through it (checked on the tests that ran, however the run ended)."""
    beaker = upstream.runs["beaker"]
    states = [r.state for r in beaker.results.values() if r.state]
    servers = [state for state in states if state.get("server")]
    not_wrapped = [
        f"{state['nodeid']}: {state['connection_class']}"
        for state in servers
        if not (state["beaker_class"] and state["beaker_loaded"])
    ]
    assert not not_wrapped, "servers without beaker_server:\n" + "\n".join(not_wrapped)
    bypassed = [
        f"{state['nodeid']}: {state['beaker_connects']} of {state['kernel_websockets']}"
        for state in states
        if state.get("beaker_connects") != state.get("kernel_websockets")
    ]
    assert not bypassed, "kernel websockets that bypassed the mixin:\n" + "\n".join(bypassed)
    if beaker.ok() and set(beaker.results) == set(upstream.runs["stock"].results):
        assert len(servers) >= MIN_PASSED - 10, f"only {len(servers)} tests ran a server"
        total = sum(state.get("beaker_connects", 0) for state in states)
        assert total >= MIN_BEAKER_WEBSOCKETS, f"only {total} websockets went through beaker"
