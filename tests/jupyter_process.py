"""A real ``jupyter server`` in a subprocess, one per test module.

Tests talk to it as any client would: REST with a token, kernel websockets in
either protocol. Running it out of process keeps its event loop independent of
the per-test loops, and lets one server (and its kernels) serve a whole module.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(
    process: subprocess.Popen[bytes], probe: Any, name: str, log: Any, timeout: float
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


def stop_process(process: subprocess.Popen[bytes], ask_to_stop: Any = None) -> None:
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


class JupyterServerProcess:
    """Start, query and stop one ``jupyter server``."""

    def __init__(self, workdir: Path, *, beaker: bool = True, config: dict | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        server_config: dict[str, Any] = {
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
            "BeakerServerApp": {"handler_modules": ["tests.sample_handlers"]},
        }
        for section, values in (config or {}).items():
            server_config.setdefault(section, {}).update(values)
        self.config_path = workdir / "jupyter_server_config.json"
        self.config_path.write_text(json.dumps(server_config))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> JupyterServerProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["JUPYTER_RUNTIME_DIR"] = str(self.workdir / "runtime")
        env["JUPYTER_DATA_DIR"] = str(self.workdir / "data")
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_server", f"--config={self.config_path}"],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_answers(
            self.process,
            lambda: self.rest("GET", "/api/status"),
            "jupyter server",
            self.log,
            timeout,
        )
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process, lambda: self.rest("POST", "/api/shutdown"))
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rest(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A synchronous REST call with the token; returns parsed JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

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

    def start_kernel(self) -> str:
        return self.rest("POST", "/api/kernels", {"name": "python3"})["id"]

    def shutdown_kernel(self, kernel_id: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):
            self.rest("DELETE", f"/api/kernels/{kernel_id}")
