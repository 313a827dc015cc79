"""Real Jupyter applications in subprocesses, for the tests and the benchmark.

:class:`JupyterProcess` starts, queries and stops one application (a server, a
lab, a kernel gateway) in its own directory; :class:`JupyterServerProcess` is the
``jupyter server`` most tests use, one per test module. Tests talk to it as any
client would: REST with a token, kernel websockets in either protocol. Running
it out of process keeps its event loop independent of the per-test loops, and
lets one server (and its kernels) serve a whole module.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]

#: Traitlets config as JSON: ``{"ServerApp": {"port": 8888}, ...}``.
Config = dict[str, dict[str, Any]]

_Process = TypeVar("_Process", bound="JupyterProcess")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(
    process: subprocess.Popen[bytes],
    probe: Callable[[], object],
    name: str,
    log: Callable[[], str],
    timeout: float,
) -> None:
    """Poll ``probe()`` until it answers; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log()}")
        try:
            probe()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # nothing to await: the process has no readiness signal
    raise TimeoutError(f"{name} did not start:\n{log()}")


def stop_process(
    process: subprocess.Popen[bytes], ask_to_stop: Callable[[], object] | None = None
) -> None:
    """Ask politely (``ask_to_stop()`` or SIGTERM), then kill after 20 s."""
    try:
        if ask_to_stop is None:
            raise RuntimeError
        ask_to_stop()
    except Exception:
        process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def merge_config(*configs: Config | None) -> Config:
    """Config sections merged left to right, a later value winning, section by section."""
    merged: Config = {}
    for config in configs:
        for section, values in (config or {}).items():
            merged.setdefault(section, {}).update(values)
    return merged


def with_checkout_on_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` with this checkout first on PYTHONPATH (for ``tests.*`` and ``bench.*``)."""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class JupyterProcess:
    """One Jupyter application (server, lab, kernel gateway) in a subprocess.

    It listens on a free local port, wants a random token, runs in ``workdir``
    with its own runtime and data directories there, and logs to
    ``workdir/<log_name>``. Subclasses say what to run (:meth:`command`), and
    may add to its environment (:meth:`environment`).
    """

    #: What error messages call the application.
    name = "jupyter application"
    #: The path polled until the application answers.
    status_path = "/api/status"
    #: A POST here asks the application to stop; None: SIGTERM.
    shutdown_path: str | None = "/api/shutdown"
    #: The timeout of each :meth:`rest` call, in seconds.
    rest_timeout = 60.0
    #: True: no stdin and a session of its own, out of the terminal's reach (a
    #: Ctrl-C in the terminal then neither reaches it nor makes it prompt).
    detached = False

    def __init__(self, workdir: Path, log_name: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / log_name
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that starts the application."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """The application's environment: ours, with its own runtime and data dirs."""
        env = dict(os.environ)
        env["JUPYTER_RUNTIME_DIR"] = str(self.workdir / "runtime")
        env["JUPYTER_DATA_DIR"] = str(self.workdir / "data")
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        return env

    def start(self: _Process, timeout: float = 60.0) -> _Process:
        """Start the application and wait until it answers; stopped again if it does not."""
        detached: dict[str, Any] = (
            {"stdin": subprocess.DEVNULL, "start_new_session": True} if self.detached else {}
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                **detached,
            )
        try:
            wait_until_answers(
                self.process,
                lambda: self.rest("GET", self.status_path),
                self.name,
                self.log,
                timeout,
            )
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Ask the application to stop (see :attr:`shutdown_path`); kill it if it will not."""
        if self.process is None:
            return
        path = self.shutdown_path
        stop_process(self.process, None if path is None else lambda: self.rest("POST", path))
        self.process = None

    def log(self) -> str:
        """Everything the application has logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rest(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A synchronous REST call with the token; returns parsed JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.rest_timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None


class JupyterServerProcess(JupyterProcess):
    """Start, query and stop one ``jupyter server``."""

    name = "jupyter server"

    def __init__(self, workdir: Path, *, beaker: bool = True, config: Config | None = None) -> None:
        super().__init__(workdir, "server.log")
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        server_config: Config = {
            "ServerApp": {
                "jpserver_extensions": {"beaker_server": beaker},
                "root_dir": str(workdir),
                "port": self.port,
                "port_retries": 0,
                "open_browser": False,
                "allow_root": True,
                "log_level": "DEBUG",
            },
            "IdentityProvider": {"token": self.token},
            "BeakerServerApp": {"handler_modules": ["tests.support.sample_handlers"]},
        }
        self.config_path = workdir / "jupyter_server_config.json"
        self.config_path.write_text(json.dumps(merge_config(server_config, config)))

    def command(self) -> list[str]:
        return [sys.executable, "-m", "jupyter_server", f"--config={self.config_path}"]

    def environment(self) -> dict[str, str]:
        """With this checkout on the path (for ``tests.support.sample_handlers``)."""
        return with_checkout_on_path(super().environment())

    async def arest(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> Any:
        """The same call without blocking the test's event loop."""
        from tornado.httpclient import AsyncHTTPClient

        response = await AsyncHTTPClient().fetch(
            self.base_url + path,
            method=method,
            body=None if body is None and method == "GET" else json.dumps(body or {}),
            headers={"Authorization": f"token {self.token if token is None else token}"},
            request_timeout=120,
            allow_nonstandard_methods=True,
        )
        return json.loads(response.body) if response.body else None

    def start_kernel(self, name: str = "python3") -> str:
        """Start a kernel (python3 unless named); its id."""
        return self.rest("POST", "/api/kernels", {"name": name})["id"]

    def shutdown_kernel(self, kernel_id: str) -> None:
        """Shut the kernel down, if it is still there."""
        with contextlib.suppress(urllib.error.HTTPError):
            self.rest("DELETE", f"/api/kernels/{kernel_id}")
