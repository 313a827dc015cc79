"""pytest plugin that ``tests/integration/test_upstream.py`` loads into jupyter_server's own suite.

It runs inside a pytest process whose rootdir is jupyter_server's extracted source
distribution (``-p beaker_upstream_plugin``, with this folder on ``PYTHONPATH``), and
changes nothing in their files. It:

- with ``--beaker=on``, enables beaker_server the way an installed package does: its
  ``jupyter_server_config.d/beaker_server.json`` (the very file the wheel installs into
  ``<sys.prefix>/etc/jupyter``) is copied into ``jp_env_config_path``, the temporary
  stand-in for ``<sys.prefix>/etc/jupyter`` that pytest-jupyter's ``jp_environ`` puts on
  the config path. Every ``ServerApp`` a test builds then finds the extension, however
  the test overrides ``jp_server_config``. With ``--beaker=off`` nothing is enabled
  (``jp_environ`` hides the real environment's config, so this is stock jupyter_server);
- records, after each test's call phase, whether a server was running and which kernel
  websocket connection class it used, how many kernel websockets were opened and how
  many of them went through ``BeakerConnectionMixin.connect``, and each test's outcome,
  as JSON lines in ``--beaker-report`` (written as it goes, so a hard exit still leaves
  a record of what ran);
- registers the ``flaky`` marker when the ``flaky`` plugin (an upstream test dependency
  that beaker_server does not install) is absent, so their ``--strict-markers`` run
  collects (``tests/integration/test_upstream.py`` reruns any failure once, alone, instead).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("beaker_server", "beaker_server upstream run")
    group.addoption(
        "--beaker",
        choices=("on", "off"),
        default="off",
        help="on: enable beaker_server in every ServerApp the tests build.",
    )
    group.addoption(
        "--beaker-config",
        default=None,
        help="The jupyter_server_config.d JSON file that enables beaker_server.",
    )
    group.addoption(
        "--beaker-report",
        default=None,
        help="Where to write the JSON-lines report.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("flaky"):
        config.addinivalue_line(
            "markers", "flaky: (beaker_server upstream run) flaky is absent, run once"
        )
    if config.getoption("--beaker") == "on" and not config.getoption("--beaker-config"):
        raise pytest.UsageError("--beaker=on needs --beaker-config")
    report = config.getoption("--beaker-report")
    if report:
        config.pluginmanager.register(_Recorder(Path(report)), "beaker_upstream_recorder")


class _Counts:
    """Kernel websockets opened, and those that went through beaker_server's mixin."""

    def __init__(self) -> None:
        self.kernel_websockets = 0
        self.beaker_connects = 0


_COUNTS = pytest.StashKey[_Counts]()


@pytest.fixture(autouse=True)
def _beaker_upstream(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Enable beaker_server (``--beaker=on``) and count kernel websockets, for every test."""
    config = request.config
    if config.getoption("--beaker") == "on":
        env_config = Path(request.getfixturevalue("jp_env_config_path"))
        conf_d = env_config / "jupyter_server_config.d"
        conf_d.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config.getoption("--beaker-config"), conf_d / "beaker_server.json")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

        from beaker_server.websocket.connection import BeakerConnectionMixin

    counts = _Counts()
    original_open = KernelWebsocketHandler.open
    original_connect = BeakerConnectionMixin.connect

    def counting_open(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.kernel_websockets += 1
        return original_open(self, *args, **kwargs)

    async def counting_connect(self: Any) -> Any:
        counts.beaker_connects += 1
        return await original_connect(self)

    monkeypatch.setattr(KernelWebsocketHandler, "open", counting_open)
    monkeypatch.setattr(BeakerConnectionMixin, "connect", counting_connect)
    request.node.stash[_COUNTS] = counts
    yield


def _server_state() -> dict[str, Any]:
    """The running ServerApp's connection class and extensions (before teardown clears it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from jupyter_server.serverapp import ServerApp

        from beaker_server.websocket.connection import BeakerConnectionMixin

    if not ServerApp.initialized():
        return {"server": False}
    app = ServerApp.instance()
    web_app = getattr(app, "web_app", None)
    if web_app is None:
        return {"server": False}
    cls = web_app.settings.get("kernel_websocket_connection_class")
    manager = getattr(app, "extension_manager", None)
    extension = manager.extensions.get("beaker_server") if manager else None
    return {
        "server": True,
        "connection_class": f"{cls.__module__}.{cls.__qualname__}" if cls else None,
        "beaker_class": bool(cls) and issubclass(cls, BeakerConnectionMixin),
        "beaker_loaded": bool(extension and extension.enabled),
    }


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _warnings_and_errors(caplog: str) -> str:
    """The WARNING-and-up records of a captured log, tracebacks included."""
    records: list[list[str]] = []
    for line in caplog.splitlines():
        if line.startswith(_LEVELS) or not records:
            records.append([])
        records[-1].append(line)
    return "\n".join(
        "\n".join(record)
        for record in records
        if not record[0].startswith(("DEBUG", "INFO"))
        # jupyter_server logs its "To access the server" banner at CRITICAL.
        and "To access the server" not in "\n".join(record)
    )


class _Recorder:
    """Writes the JSON-lines report: test starts, server state after the call, outcomes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.write({"event": "start", "nodeid": nodeid})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        try:
            return (yield)
        finally:
            state = _server_state()
            counts = item.stash.get(_COUNTS, None)
            if counts is not None:
                state["kernel_websockets"] = counts.kernel_websockets
                state["beaker_connects"] = counts.beaker_connects
            self.write({"event": "state", "nodeid": item.nodeid, **state})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        record = {
            "event": "report",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": outcome,
            "duration": round(report.duration, 3),
            "flaky": "flaky" in report.keywords,
        }
        if report.failed:
            record["longrepr"] = str(report.longrepr)[-8000:]
            record["log"] = _warnings_and_errors(report.caplog)[-8000:]
        self.write(record)
