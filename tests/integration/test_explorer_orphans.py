"""A Data Explorer view outlives its client's last websocket by the grace
``explorer_orphan_grace`` and is then closed in the kernel (a reloaded page
makes a new client, and the old one's views would hold their variables for
ever); a view opened over REST lives until it is closed (README, "Data
Explorer"). A server of its own, with a grace of one second."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(120)

GRACE = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {"BeakerServerApp": {"explorer_orphan_grace": GRACE}}
    yield from serve(tmp_path_factory, "orphans", config=config)


async def _page(ws: KernelWebsocket, view: str) -> dict[str, Any]:
    request = {"view": view, "generation": 0, "start": 0, "count": 1}
    return reply_of(await ws.request("table_rows_request", request))["content"]


async def test_a_gone_clients_views_are_closed_after_the_grace(server, fresh_kernel):
    route = f"/beaker/api/kernels/{fresh_kernel}/requests"
    async with open_ws(server, fresh_kernel) as first:
        await first.execute("df = __import__('pandas').DataFrame({'a': [1, 2, 3]})")
        reply = reply_of(await first.request("table_open_request", {"name": "df", "rows": 0}))
        gone = reply["content"]["return"]["view"]
    rest = await server.arest("POST", f"{route}/table_open", {"name": "df", "rows": 0})
    kept = rest["reply"]["content"]["return"]["view"]
    async with open_ws(server, fresh_kernel) as second:
        # Within the grace the view is there (a dropped connection may come back).
        await second.execute("x = 1")
        assert (await _page(second, gone))["status"] == "ok"
        await asyncio.sleep(GRACE + 0.5)  # the grace is time itself: nothing else to await
        # The next cell's end sweeps; the hook runs after the cell's reply.
        await second.execute("x = 2")
        for _ in range(100):
            answer = await _page(second, gone)
            if answer["status"] == "error":
                break
            await asyncio.sleep(0.05)
        assert (answer["status"], answer.get("ename")) == ("error", "UnknownView"), answer
        assert (await _page(second, kept))["status"] == "ok"  # opened over REST: kept


async def test_a_connected_clients_views_stay(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        await ws.execute("df = __import__('pandas').DataFrame({'a': [1, 2, 3]})")
        reply = reply_of(await ws.request("table_open_request", {"name": "df", "rows": 0}))
        view = reply["content"]["return"]["view"]
        await asyncio.sleep(GRACE + 0.5)
        await ws.execute("x = 2")
        # The sweep after the cell (and the open of another view) leaves it.
        reply = reply_of(await ws.request("table_open_request", {"name": "df", "rows": 0}))
        assert reply["content"]["status"] == "ok"
        assert (await _page(ws, view))["status"] == "ok"
