"""The Data Explorer's slow lane on a real server and kernel: a sort runs on a
subshell of its own, reports its progress, is cancelled by a newer sort and by
``table_cancel``, and holds up no page read; a restart closes the views with a
``table_update`` (README, "Data Explorer").

The slow sort is real work in the kernel: a table of numbers whose comparisons
sleep a millisecond (``time.sleep`` gives the GIL away, as numpy's sorts do),
so it takes about a second and a half whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ..support.kernel_ws import KernelWebsocket, reply_of
from .conftest import open_ws

pytestmark = pytest.mark.timeout(120)

SLOW_TABLE = """\
import time

class Slow(float):
    def __lt__(self, other):
        time.sleep(0.001)
        return float(self) < float(other)

    def __eq__(self, other):
        time.sleep(0.001)
        return float(self) == float(other)

    __hash__ = float.__hash__

slow = [{"x": Slow((n * 7919) % 211), "n": n} for n in range(211)]
"""


async def _open(ws: KernelWebsocket) -> str:
    assert reply_of(await ws.execute(SLOW_TABLE))["content"]["status"] == "ok"
    reply = reply_of(await ws.request("table_open_request", {"name": "slow", "rows": 0}))
    assert reply["content"]["status"] == "ok", reply
    return str(reply["content"]["return"]["view"])


def _sort(view: str, ascending: bool = True) -> dict[str, Any]:
    return {"view": view, "keys": [{"column": 0, "ascending": ascending}]}


class Inbox:
    """Every message of the websocket, read by one task: tests wait for the ones
    they need by parent and type, in any order."""

    def __init__(self, ws: KernelWebsocket) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            self.messages.append(await self.ws.recv(timeout=100))
            self._arrived.set()

    async def wait_for(self, match: Any, timeout: float = 30.0) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                for msg in self.messages:
                    if match(msg):
                        return msg
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    async def reply(self, request: dict[str, Any]) -> dict[str, Any]:
        msg_id = request["header"]["msg_id"]
        return await self.wait_for(
            lambda m: m["channel"] == "shell" and m["parent_header"].get("msg_id") == msg_id
        )

    def position(self, msg: dict[str, Any]) -> int:
        return next(i for i, m in enumerate(self.messages) if m is msg)

    def close(self) -> None:
        self._reader.cancel()


def _of(request: dict[str, Any], msg_type: str) -> Any:
    msg_id = request["header"]["msg_id"]
    return lambda m: m["msg_type"] == msg_type and m["parent_header"].get("msg_id") == msg_id


async def test_a_page_is_read_while_a_sort_runs_and_the_sort_reports_progress(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        view = await _open(ws)
        inbox = Inbox(ws)
        try:
            sort = await ws.send("table_sort_request", _sort(view))
            progress = await inbox.wait_for(_of(sort, "table_sort_response"))
            rows = await ws.send(
                "table_rows_request", {"view": view, "generation": 0, "start": 0, "count": 3}
            )
            page = await inbox.reply(rows)
            sorted_ = await inbox.reply(sort)
        finally:
            inbox.close()
    assert progress["content"]["view"] == view
    assert 0 <= progress["content"]["progress"] <= 1
    assert page["content"]["status"] == "ok", page
    assert page["content"]["return"]["positions"] == [0, 1, 2]
    assert sorted_["content"]["status"] == "ok", sorted_
    assert inbox.position(page) < inbox.position(sorted_)  # it did not wait for the sort


async def test_a_newer_sort_cancels_the_older_one(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        view = await _open(ws)
        inbox = Inbox(ws)
        try:
            older = await ws.send("table_sort_request", _sort(view, ascending=False))
            await inbox.wait_for(_of(older, "table_sort_response"))
            newer = await ws.send("table_sort_request", _sort(view, ascending=True))
            first, second = await inbox.reply(older), await inbox.reply(newer)
        finally:
            inbox.close()
        assert (first["content"]["status"], first["content"]["ename"]) == ("error", "Cancelled")
        assert second["content"]["status"] == "ok", second
        generation = second["content"]["return"]["generation"]
        assert generation == 1  # the cancelled sort committed nothing
        page = reply_of(
            await ws.request(
                "table_rows_request",
                {"view": view, "generation": generation, "start": 0, "count": 2, "columns": [0]},
            )
        )
    assert page["content"]["return"]["columns"][0]["values"] == ["0.0", "1.0"]


async def test_table_cancel_stops_a_running_sort(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        view = await _open(ws)
        inbox = Inbox(ws)
        try:
            sort = await ws.send("table_sort_request", _sort(view))
            await inbox.wait_for(_of(sort, "table_sort_response"))
            cancel = await ws.send("table_cancel_request", {"view": view})
            cancelled, ended = await inbox.reply(cancel), await inbox.reply(sort)
            idle = await inbox.wait_for(
                lambda m: (
                    m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"
                    and m["parent_header"].get("msg_id") == sort["header"]["msg_id"]
                )
            )
        finally:
            inbox.close()
        assert cancelled["content"]["return"] == {"cancelled": 1}
        assert ended["content"]["ename"] == "Cancelled"
        assert idle is not None  # the flow ended as every flow does
        page = reply_of(
            await ws.request(
                "table_rows_request", {"view": view, "generation": 0, "start": 0, "count": 1}
            )
        )
        assert page["content"]["status"] == "ok" and "stale" not in page["content"]["return"]
        nothing = reply_of(await ws.request("table_cancel_request", {"view": view}))
    assert nothing["content"]["return"] == {"cancelled": 0}


async def test_a_restart_closes_the_views_with_a_table_update(server, fresh_kernel, protocol):
    """... and the new kernel process gets the procedure's package installed again."""
    async with open_ws(server, fresh_kernel, protocol) as ws:
        view = await _open(ws)
        inbox = Inbox(ws)
        try:
            await server.arest("POST", f"/api/kernels/{fresh_kernel}/restart")
            update = await inbox.wait_for(lambda m: m["msg_type"] == "table_update")
        finally:
            inbox.close()
        # As a client does, wait for the new process before sending it a cell.
        await ws.until_iopub_answers()
        await _open(ws)  # asserts the open's status is ok
    assert update["channel"] == "iopub"
    expected = {"view": view, "name": "slow", "reason": "restarted", "closed": True}
    assert update["content"] == expected


LAZY_TABLES = """\
import time
import dask.dataframe as dd
import pandas as pd

def slow(part):
    time.sleep(0.4)
    return part

ddf = dd.from_pandas(pd.DataFrame({"a": range(1000)}), npartitions=4).map_partitions(slow)
small = pd.DataFrame({"a": range(10)})
"""


async def test_a_page_of_a_lazy_frame_holds_up_no_other_view(server, fresh_kernel):
    """Paging deep into a dask frame computes its partitions: on a lane of its own,
    so a page of another view is read meanwhile."""
    async with open_ws(server, fresh_kernel) as ws:
        assert reply_of(await ws.execute(LAZY_TABLES))["content"]["status"] == "ok"
        views = {}
        for name in ("ddf", "small"):
            reply = reply_of(await ws.request("table_open_request", {"name": name, "rows": 1}))
            assert reply["content"]["status"] == "ok", reply
            views[name] = reply["content"]["return"]["view"]
        inbox = Inbox(ws)
        try:
            deep = await ws.send(
                "table_rows_request",
                {"view": views["ddf"], "generation": 0, "start": 990, "count": 5},
            )
            quick = await ws.send(
                "table_rows_request",
                {"view": views["small"], "generation": 0, "start": 0, "count": 5},
            )
            fast, slow = await inbox.reply(quick), await inbox.reply(deep)
        finally:
            inbox.close()
    assert fast["content"]["status"] == "ok" and slow["content"]["status"] == "ok", (fast, slow)
    assert slow["content"]["return"]["columns"][0]["values"][0] == "990"
    assert inbox.position(fast) < inbox.position(slow)


async def test_a_big_numeric_sort_shows_its_first_rows_before_it_ends(server, fresh_kernel):
    """5M floats: the first sorted rows are readable (their generation published
    as ``first_rows``) while the whole order is still being made, and they are
    the rows the finished sort starts with."""
    async with open_ws(server, fresh_kernel) as ws:
        code = "import numpy as np\nbig = np.random.default_rng(7).standard_normal(5_000_000)"
        assert reply_of(await ws.execute(code))["content"]["status"] == "ok"
        opened = reply_of(await ws.request("table_open_request", {"name": "big", "rows": 0}))
        view = opened["content"]["return"]["view"]
        inbox = Inbox(ws)
        try:
            sort = await ws.send("table_sort_request", _sort(view))
            first = await inbox.wait_for(
                lambda m: (
                    _of(sort, "table_sort_response")(m)
                    and m["content"].get("stage") == "first_rows"
                )
            )
            early = first["content"]["generation"]
            rows = {"view": view, "generation": early, "start": 0, "count": 50}
            page = await inbox.reply(await ws.send("table_rows_request", rows))
            done = await inbox.reply(sort)
        finally:
            inbox.close()
        final = done["content"]["return"]["generation"]
        assert final > early and first["content"]["sorted_rows"] >= 50
        again = reply_of(await ws.request("table_rows_request", {**rows, "generation": final}))
    assert inbox.position(page) < inbox.position(done)  # read before the sort ended
    assert page["content"]["return"]["positions"] == again["content"]["return"]["positions"]


SLOW_TEXTS = """\
import time

class SlowText:
    def __init__(self, n):
        self.n = n

    def __repr__(self):
        time.sleep(0.004)
        return f"text {self.n}"

texts = [{"t": SlowText(n)} for n in range(600)]
"""


async def test_a_find_reports_progress_and_a_newer_find_cancels_it(server, fresh_kernel):
    """A find through 600 values whose text takes 4 ms each (about 2.4 s): it
    reports progress, beside it a page is read, and a newer find cancels it."""
    async with open_ws(server, fresh_kernel) as ws:
        assert reply_of(await ws.execute(SLOW_TEXTS))["content"]["status"] == "ok"
        reply = reply_of(await ws.request("table_open_request", {"name": "texts", "rows": 0}))
        view = reply["content"]["return"]["view"]
        inbox = Inbox(ws)
        try:
            find = {"view": view, "generation": 0}
            older = await ws.send("table_find_request", {**find, "text": "no such"})
            reported = _of(older, "table_find_response")
            progress = await inbox.wait_for(
                lambda m: reported(m) and m["content"]["stage"] == "finding"
            )
            rows = await ws.send(
                "table_rows_request", {"view": view, "generation": 0, "start": 0, "count": 1}
            )
            page = await inbox.reply(rows)
            newer = await ws.send("table_find_request", {**find, "text": "text 7", "row": 5})
            first, second = await inbox.reply(older), await inbox.reply(newer)
        finally:
            inbox.close()
    assert progress["content"]["view"] == view
    assert 0 < progress["content"]["progress"] < 1, progress
    assert page["content"]["return"]["columns"][0]["values"] == ["text 0"]
    assert (first["content"]["status"], first["content"]["ename"]) == ("error", "Cancelled")
    assert second["content"]["return"]["match"] == {"row": 7, "column": 0}, second
