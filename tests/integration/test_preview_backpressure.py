"""A client that does not read gets the newest preview, not a pile of old ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import reply_of
from .conftest import open_ws, serve

#: Each preview here is ~200 KB: 100 of them would queue ~20 MB for a client
#: that does not read, far beyond what the sockets' own buffers hold.
BIG_FRAME = "import pandas as pd\nwide = pd.DataFrame({'text': ['w' * 40_000] * 5})"
REQUESTS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {"BeakerServerApp": {"preview_max_chars": 250_000, "preview_max_bytes": 4_000_000}}
    yield from serve(tmp_path_factory, "backpressure", config=config)


async def test_a_client_that_does_not_read_gets_only_the_newest_preview(server, kernel_id):
    async with open_ws(server, kernel_id) as lazy, open_ws(server, kernel_id) as active:
        cell = await active.send("execute_request", {"code": BIG_FRAME, "silent": False})
        first = await active.preview_after(cell["header"]["msg_id"])
        assert len(first["content"]["preview"]["tables"]["wide"]["text/html"]) > 200_000
        for _ in range(REQUESTS):  # each one is broadcast to both websockets
            reply = reply_of(await active.request("preview_request", {}))
            assert reply["content"]["status"] == "ok"
        last = await active.send("execute_request", {"code": "marker = 'last'", "silent": False})
        await active.preview_after(last["header"]["msg_id"])
        # Now the lazy client reads everything it was sent.
        previews = []
        while True:
            msg = await lazy.recv()
            if msg["msg_type"] == "preview":
                previews.append(msg)
                if "marker" in msg["content"]["preview"].get("variables", {}):
                    break
    assert len(previews) < REQUESTS // 2, len(previews)
    assert previews[-1]["parent_header"]["msg_id"] == last["header"]["msg_id"]
