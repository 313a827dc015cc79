"""``table_update`` on a real server and kernel: after a user's cell, a view whose
variable was changed in place, reassigned or deleted is updated (or closed) and
every client of the kernel is told, with the sort and filters kept where their
columns still exist (README, "Data Explorer")."""

from __future__ import annotations

from typing import Any

import pytest

from ..support.kernel_ws import KernelWebsocket, reply_of
from .conftest import open_ws
from .test_explorer_lanes import Inbox

pytestmark = pytest.mark.timeout(120)

FRAME = (
    "import pandas as pd\ndf = pd.DataFrame({'a': range(100), 'b': [f'r{n}' for n in range(100)]})"
)


async def _ok(ws: KernelWebsocket, name: str, content: dict[str, Any]) -> Any:
    reply = reply_of(await ws.request(f"{name}_request", content))["content"]
    assert reply["status"] == "ok", reply
    return reply["return"]


async def _sorted_view(ws: KernelWebsocket) -> str:
    assert reply_of(await ws.execute(FRAME))["content"]["status"] == "ok"
    view = str((await _ok(ws, "table_open", {"name": "df", "rows": 0}))["view"])
    await _ok(ws, "table_sort", {"view": view, "keys": [{"column": 0, "ascending": False}]})
    return view


async def _update_after(ws: KernelWebsocket, code: str) -> tuple[dict[str, Any], Inbox]:
    inbox = Inbox(ws)
    await ws.send("execute_request", {"code": code, "silent": False, "store_history": True})
    update = await inbox.wait_for(lambda m: m["msg_type"] == "table_update")
    return update, inbox


async def test_a_value_changed_in_place_is_seen_and_told_to_every_client(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws, open_ws(server, fresh_kernel) as other:
        view = await _sorted_view(ws)
        watcher = Inbox(other)
        update, inbox = await _update_after(ws, "df.loc[0, 'a'] = 1_000")
        told = await watcher.wait_for(lambda m: m["msg_type"] == "table_update")
        inbox.close()
        watcher.close()
        content = update["content"]
        assert content["view"] == view and content["reason"] == "mutated", content
        assert content["closed"] is False and content["row_count"] == 100
        assert told["content"] == content and told["parent_header"] == {}
        page = await _ok(
            ws,
            "table_rows",
            {"view": view, "generation": content["generation"], "start": 0, "count": 2},
        )
    assert page["columns"][0]["values"] == ["1000", "99"]  # still sorted, the edit on top


async def test_a_reassigned_variable_keeps_the_sort_where_its_column_is(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        view = await _sorted_view(ws)
        update, inbox = await _update_after(ws, "df = df[['b']].head(10)")
        inbox.close()
        content = update["content"]
        assert content["reason"] == "reassigned" and content["closed"] is False, content
        assert content["shape"] == [10, 1] and content["sort"] == []
        assert [key["name"] for key in content["dropped"]["sort"]] == ["a"]
        page = await _ok(
            ws,
            "table_rows",
            {"view": view, "generation": content["generation"], "start": 0, "count": 2},
        )
    assert page["columns"][0]["values"] == ["r0", "r1"]


async def test_a_deleted_variable_closes_its_view(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        view = await _sorted_view(ws)
        update, inbox = await _update_after(ws, "del df")
        inbox.close()
        gone = reply_of(
            await ws.request(
                "table_rows_request", {"view": view, "generation": 0, "start": 0, "count": 1}
            )
        )
    assert update["content"] == {"view": view, "name": "df", "reason": "deleted", "closed": True}
    assert gone["content"]["ename"] == "UnknownView"


async def test_a_cell_that_changes_nothing_sends_no_update(server, fresh_kernel):
    async with open_ws(server, fresh_kernel) as ws:
        await _sorted_view(ws)
        for code in ("x = 1", "y = df.a.sum()"):
            assert reply_of(await ws.execute(code))["content"]["status"] == "ok"
        # Checks run one after the other and are told in order: an update owed to
        # the cells above would come before the one this change causes.
        update, inbox = await _update_after(ws, "df.loc[5, 'b'] = 'changed'")
        inbox.close()
    updates = [m for m in ws.received if m["msg_type"] == "table_update"]  # every message
    assert [m["content"]["reason"] for m in updates] == ["mutated"]
    assert updates[0] is update
