"""Shared fixtures: one real jupyter server (and kernel) per test module."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from .jupyter_process import JupyterServerProcess
from .kernel_ws import KernelWebsocket

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: Lines of a module server's log shown with a failed test (CI keeps no files).
_LOG_TAIL_LINES = 80


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report ends with the tail of its server's log (debug lines
    only where they name the kernel or us): a flake in CI is then seen with what
    the server did, not only the client's timeout."""
    report = yield
    if report.failed and call.when == "call":
        server = getattr(item, "funcargs", {}).get("server")
        if isinstance(server, JupyterServerProcess):
            lines = [
                line
                for line in server.log().splitlines()
                if not line.startswith("[D ") or "beaker_server" in line or "ernel" in line
            ]
            tail = lines[-_LOG_TAIL_LINES:]
            report.sections.append(("server log (tail)", "\n".join(tail)))
    return report


def serve(
    factory: pytest.TempPathFactory, name: str, **options: Any
) -> Iterator[JupyterServerProcess]:
    """A module's server in its own directory, for ``yield from`` in a fixture;
    ``options`` go to :class:`JupyterServerProcess` (``config``, ``beaker``)."""
    proc = JupyterServerProcess(factory.mktemp(name), **options).start()
    yield proc
    proc.stop()


#: jupyter_server's synchronous kernel manager: its kernels' ZMQ streams and
#: restart callbacks run on jupyter_core's runner thread, and it reports no
#: kernel-action events.
SYNC_KERNEL_MANAGER = "jupyter_server.services.kernels.kernelmanager.MappingKernelManager"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    """jupyter server with beaker_server enabled and the test handlers loaded."""
    yield from serve(tmp_path_factory, "beaker")


@pytest.fixture(scope="module")
def kernel_id(server: JupyterServerProcess) -> Iterator[str]:
    """A kernel shared by the tests of a module that do not restart it."""
    kernel = server.start_kernel()
    yield kernel
    server.shutdown_kernel(kernel)


@pytest.fixture
def fresh_kernel(server: JupyterServerProcess) -> Iterator[str]:
    """A kernel of the test's own on the module's server, shut down after it."""
    kernel = server.start_kernel()
    yield kernel
    server.shutdown_kernel(kernel)


@pytest.fixture(params=["v1", "legacy"])
def protocol(request: pytest.FixtureRequest) -> str:
    """Both kernel websocket protocols."""
    return request.param


@contextlib.asynccontextmanager
async def open_ws(
    server: JupyterServerProcess,
    kernel_id: str,
    protocol: str = "v1",
    headers: dict[str, str] | None = None,
) -> AsyncIterator[KernelWebsocket]:
    ws = await KernelWebsocket.open(server.ws_url, server.token, kernel_id, protocol, headers)
    try:
        yield ws
    finally:
        ws.close()
