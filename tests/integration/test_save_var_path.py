"""A saved value travels from the kernel to the server alone, not to every client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(120)

MIB = 1024 * 1024
VALUE_MIB = 60
TABS = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    yield from serve(tmp_path_factory, "save-path")


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (Linux's VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


async def _peak_growth_of_a_save(server, kernel_id: str, name: str, tabs: int) -> float:
    """MiB by which saving a fresh ``VALUE_MIB`` value raises the server's peak memory,
    with ``tabs`` websockets open on the kernel."""
    assert server.process is not None
    async with contextlib.AsyncExitStack() as stack:
        websockets = [
            await stack.enter_async_context(open_ws(server, kernel_id)) for _ in range(tabs)
        ]
        ws = websockets[0]
        reply = reply_of(await ws.execute(f"{name} = bytes({VALUE_MIB * MIB})"))
        assert reply["content"]["status"] == "ok"
        before = _peak_rss(server.process.pid)
        saved = reply_of(await ws.request("save_var_request", {"name": name}))
        after = _peak_rss(server.process.pid)
        reply_of(await ws.execute(f"del {name}"))
    assert saved["content"]["status"] == "ok", saved["content"]
    assert saved["content"]["return"]["bytes"] > VALUE_MIB * MIB
    return (after - before) / MIB


async def test_a_large_value_is_not_copied_to_every_tab(server, kernel_id):
    """Saving a 60 MiB value with five tabs open needs no more memory than with one:
    the value reaches the server alone (it used to reach every tab's iopub socket).

    The first save sets the server's peak; the second, with four more tabs,
    raises it only by what the extra tabs cost: about nothing (one copy's worth
    was seen once on a loaded machine, from the order of frees), where one copy
    per tab was 244-296 MiB.
    """
    await _peak_growth_of_a_save(server, kernel_id, "blob_one_tab", tabs=1)
    extra = await _peak_growth_of_a_save(server, kernel_id, "blob_five_tabs", tabs=TABS)
    print(f"four more tabs raised the server's peak memory by {extra:.0f} MiB")
    assert extra < 2 * VALUE_MIB, f"{extra:.0f} MiB"
