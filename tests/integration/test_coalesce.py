"""Bursts of kernel messages are coalesced (the socket corked while more are queued), and
every message still arrives, in order, with nothing held once a burst is over.

How long a message takes is the benchmark's business (``bench/run.py``); these
tests look at the mechanism's state and at the TCP option of the server's socket. The
mechanism alone, on real sockets in this process: tests/unit/test_coalesce.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.coalesce_probe import PATH
from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import V1, reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(120)

#: Messages the kernel publishes in one go, faster than a server relays them:
#: the websocket's iopub socket has a queue behind most of them.
BURST = 3_000
BURST_CODE = f"""\
k = get_ipython().kernel
for i in range({BURST}):
    k.session.send(k.iopub_socket, "stream", {{"name": "stdout", "text": str(i)}},
                   parent=k.get_parent(), ident=k._topic("stream"))
"""


# -- through a real server and kernel ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {
        "ServerApp": {"jpserver_extensions": {"tests.support.coalesce_probe": True}},
        # The rate limiter's drops are announced, and not what this is about.
        "ZMQChannelsWebsocketConnection": {"iopub_msg_rate_limit": 0, "iopub_data_rate_limit": 0},
        # No preview after a cell: its messages could be a burst of their own
        # under way when a test reads the socket's state.
        "BeakerServerApp": {"preview_enabled": False},
    }
    yield from serve(tmp_path_factory, "coalesce", config=config)


async def probe(server: JupyterServerProcess, kernel_id: str) -> dict:
    (connection,) = await server.arest("GET", f"{PATH}/{kernel_id}")
    return connection


async def test_a_burst_arrives_whole_in_order_and_then_nothing_is_held(
    server, fresh_kernel, protocol
):
    async with open_ws(server, fresh_kernel, protocol) as ws:
        await ws.execute("warm = 1")
        before = await probe(server, fresh_kernel)
        cell = await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        seen = await ws.collect(cell["header"]["msg_id"], timeout=90)
        after = await probe(server, fresh_kernel)
    assert reply_of(seen)["content"]["status"] == "ok"
    texts = [m["content"]["text"] for m in seen if m["msg_type"] == "stream"]
    assert texts == [str(i) for i in range(BURST)], f"{BURST - len(texts)} lost or out of order"
    # collect() returned: the idle came, and no output of the cell came after it.
    idle = next(
        i
        for i, m in enumerate(seen)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
    )
    assert all(m["msg_type"] != "stream" for m in seen[idle:])
    assert after["protocol"] == (V1 if protocol == "v1" else "legacy")
    # The burst was coalesced (the socket corked for at least one stretch of it) ...
    assert after["coalescing"] and after["bursts"] > before["bursts"], (before, after)
    # ... and once its last message was out, uncorked with TCP_NODELAY.
    assert (after["corked"], after["held"], after["tcp_nodelay"]) == (False, False, 1), after


async def test_a_lone_execute_leaves_the_socket_with_nodelay(server, fresh_kernel):
    """A reply and its idle status have nothing queued behind them: the socket
    is uncorked, at TCP_NODELAY=1, when they are out, also right after a burst."""
    async with open_ws(server, fresh_kernel) as ws:
        cell = await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        await ws.collect(cell["header"]["msg_id"], timeout=90)
        for code in ("x = 1", "x + 1", "print(x)"):
            got = await ws.execute(code)
            assert reply_of(got)["content"]["status"] == "ok"
            now = await probe(server, fresh_kernel)
            assert (now["corked"], now["held"], now["tcp_nodelay"]) == (False, False, 1), (
                code,
                now,
            )


async def test_a_websocket_closed_mid_burst_leaves_the_kernel_and_server_working(
    server, fresh_kernel
):
    """The client goes away while its socket is corked in a burst: the server
    lets the connection go without an error, and the next websocket gets a
    whole burst and a plain reply, uncorked."""
    before = server.log()
    async with open_ws(server, fresh_kernel) as ws:
        await ws.execute("warm = 1")
        await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        while (await ws.recv())["msg_type"] != "stream":
            pass  # the burst is under way
    async with open_ws(server, fresh_kernel) as ws:
        got = await ws.execute("after = 1")
        assert reply_of(got)["content"]["status"] == "ok"
        cell = await ws.send("execute_request", {"code": BURST_CODE, "silent": False})
        seen = await ws.collect(cell["header"]["msg_id"], timeout=90)
        assert sum(m["msg_type"] == "stream" for m in seen) == BURST
        now = await probe(server, fresh_kernel)
    assert (now["corked"], now["held"]) == (False, False), now
    logged = server.log()[len(before) :]
    assert "Traceback" not in logged and "[E " not in logged, logged[-3000:]
