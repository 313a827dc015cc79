"""The integration tests' fixtures: one real jupyter server (and kernel) per test module."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket


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
