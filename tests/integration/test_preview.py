"""The live variable preview on a real server and kernel (ipykernel 7, subshells)."""

from __future__ import annotations

import asyncio
import os

from beaker_server.preview.kernel_preview import MAX_FOLLOW_UPS

from ..support import slow_iopub_kernel
from ..support.dropping_kernel import install_kernelspec
from ..support.kernel_ws import reply_of
from .conftest import open_ws

MIME = "application/vnd.beaker.variable+json"
#: A class whose repr outlasts the preview's whole time budget (0.25 s).
SLOW_REPR_CLASS = (
    "class SlowRepr:\n"
    "    def __repr__(self):\n"
    "        __import__('time').sleep(0.3)\n"
    "        return 'slow'\n"
)


async def test_preview_follows_executions_on_every_websocket(server, kernel_id):
    async with open_ws(server, kernel_id) as a, open_ws(server, kernel_id, "legacy") as b:
        msg = await a.send("execute_request", {"code": "x = 41\nname = 'ada'", "silent": False})
        on_a = await a.preview_after(msg["header"]["msg_id"])
        on_b = await b.preview_after(msg["header"]["msg_id"])
    for preview in (on_a, on_b):
        variables = preview["content"]["preview"]["variables"]
        assert variables["x"]["text/plain"] == "41"
        assert variables["x"][MIME]["type"] == "int"
        assert variables["name"][MIME]["shape"] == 3
        assert set(preview["content"]["meta"]["changed"]) >= {"x", "name"}
        assert preview["content"]["meta"]["live"] is True


async def test_changes_a_preview_saw_mid_cell_stay_with_the_cell(server, kernel_id):
    """A preview that ran while a cell ran saw part of the cell's changes; the
    cell's own preview still lists them as its changes.

    Here the overlapping preview is a ``preview_request`` while the cell waits
    for input; the first connection's preview overlapping the first cell is the
    same race (it made the test above fail about one run in 13).
    """
    code = "mid_a = [1]\nmid_answer = input('go? ')\nmid_b = [2]"
    async with open_ws(server, kernel_id) as ws:
        # The server's client connects on the main shell: not behind the waiting cell.
        reply_of(await ws.request("preview_request", {}))
        content = {"code": code, "silent": False, "allow_stdin": True}
        cell = await ws.send("execute_request", content)
        while (await ws.recv())["msg_type"] != "input_request":
            pass
        request = await ws.send("preview_request", {})
        seen = reply_of(await ws.collect(request["header"]["msg_id"], timeout=10))
        assert "mid_a" in seen["content"]["return"]["preview"]["variables"]
        await ws.send("input_reply", {"value": "go"}, "stdin")
        preview = await ws.preview_after(cell["header"]["msg_id"])
    variables = preview["content"]["preview"]["variables"]
    assert {"mid_a", "mid_answer", "mid_b"} <= set(preview["content"]["meta"]["changed"])
    assert variables["mid_a"][MIME]["changed"] and variables["mid_b"][MIME]["changed"]


async def test_a_partial_preview_is_followed_until_complete(server, kernel_id):
    """Values whose first rendering outlasts the time budget (0.25 s): the first
    preview is partial, and follow-ups, cheaper each (the kernel keeps what it
    rendered), complete it, under the same cell and keeping its changes."""
    code = SLOW_REPR_CLASS + "slow_a, slow_b = SlowRepr(), SlowRepr()"
    async with open_ws(server, kernel_id) as ws:
        cell = await ws.send("execute_request", {"code": code, "silent": False})
        previews = [await ws.preview_after(cell["header"]["msg_id"])]
        while previews[-1]["content"]["meta"]["partial"]:
            assert len(previews) <= MAX_FOLLOW_UPS
            previews.append(await ws.preview_after(cell["header"]["msg_id"], timeout=10))
        cleanup = await ws.send("execute_request", {"code": "del slow_a, slow_b, SlowRepr"})
        await ws.preview_after(cleanup["header"]["msg_id"])  # no run left in flight
    assert previews[0]["content"]["meta"]["partial"] is True
    assert "slow_b" not in previews[0]["content"]["preview"].get("variables", {})
    final = previews[-1]["content"]
    assert final["preview"]["variables"]["slow_b"]["text/plain"] == "slow"
    assert {"slow_a", "slow_b"} <= set(final["meta"]["changed"])


async def test_the_next_cell_does_not_inherit_a_partial_previews_changes(server, kernel_id):
    """A cell sent while a partial preview waits for its follow-up: its preview
    flags its own changes, not those the partial one already reported."""
    code = SLOW_REPR_CLASS + "slow_c, slow_d = SlowRepr(), SlowRepr()"
    async with open_ws(server, kernel_id) as ws:
        cell = await ws.send("execute_request", {"code": code, "silent": False})
        partial = await ws.preview_after(cell["header"]["msg_id"])
        nxt = await ws.send("execute_request", {"code": "after_partial = [1]", "silent": False})
        preview = await ws.preview_after(nxt["header"]["msg_id"])
        cleanup = await ws.send("execute_request", {"code": "del slow_c, slow_d, SlowRepr"})
        await ws.preview_after(cleanup["header"]["msg_id"])
    assert partial["content"]["meta"]["partial"] is True
    assert "slow_c" in partial["content"]["meta"]["changed"]
    changed = preview["content"]["meta"]["changed"]
    assert "after_partial" in changed and "slow_c" not in changed
    assert preview["content"]["preview"]["variables"]["slow_c"][MIME]["changed"] is False


async def test_preview_request_reports_the_last_cells_changes(server, kernel_id):
    """Asking again (the panel's refresh) keeps what the last cell changed flagged."""
    async with open_ws(server, kernel_id) as ws:
        cell = await ws.send("execute_request", {"code": "kept = [1]", "silent": False})
        await ws.preview_after(cell["header"]["msg_id"])
        reply = reply_of(await ws.request("preview_request", {}))["content"]["return"]
    assert reply["meta"]["changed"] == ["kept"]
    assert reply["preview"]["variables"]["kept"][MIME]["changed"] is True


async def test_nothing_sent_when_nothing_changed(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        first = await ws.send("execute_request", {"code": "1 + 1", "silent": False})
        second = await ws.send("execute_request", {"code": "fresh = 1", "silent": False})
        preview = await ws.preview_after(second["header"]["msg_id"])
        before = [m for m in ws.received if m["msg_type"] == "preview"]
    assert preview["content"]["meta"]["changed"] == ["fresh"]
    assert not [m for m in before if m["parent_header"].get("msg_id") == first["msg_id"]]


async def test_run_all_coalesces(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        sent = [
            await ws.send("execute_request", {"code": f"cell{i} = {i}", "silent": False})
            for i in range(8)
        ]
        last = await ws.preview_after(sent[-1]["header"]["msg_id"])
        previews = [m for m in ws.received if m["msg_type"] == "preview"]
    assert [p["parent_header"].get("msg_id") for p in previews][-1] == sent[-1]["msg_id"]
    parents = {p["parent_header"].get("msg_id") for p in previews}
    assert parents & {m["msg_id"] for m in sent[:-1]} == set()
    assert {f"cell{i}" for i in range(8)} <= set(last["content"]["preview"]["variables"])


async def test_previews_leave_no_trace_in_the_kernel(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        probe = "(len(In), len(Out), sorted(k for k in globals() if 'beaker' in k.lower()))"
        before = reply_of(await ws.execute(f"probe = {probe}; probe"))
        count = before["content"]["execution_count"]
        msg = await ws.send("execute_request", {"code": "y = [1, 2, 3]", "silent": False})
        await ws.preview_after(msg["header"]["msg_id"])
        reply_of(await ws.request("preview_request", {}))
        got = await ws.execute(probe)
        after = reply_of(got)
    assert after["content"]["execution_count"] == count + 2  # only the user's cells
    result = next(m for m in got if m["msg_type"] == "execute_result")["content"]["data"]
    # In grew by the two user cells; Out by this one; no beaker names in the namespace
    assert result["text/plain"].endswith(", [])")
    assert "preview" not in [m["msg_type"] for m in got if m["msg_type"] == "status"]


async def _preview_request_while_sleeping(ws, seconds: int) -> dict:
    """Start a cell that sleeps ``seconds``; once it has printed, a ``preview_request``
    must be answered within 4 s, without the cell's variable. Returns the cell."""
    code = f"import time\nprint('sleeping', flush=True)\ntime.sleep({seconds})\nslept = True"
    cell = await ws.send("execute_request", {"code": code, "silent": False})
    while True:
        m = await ws.recv()
        if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == cell["msg_id"]:
            break
    request = await ws.send("preview_request", {})
    got = await ws.collect(request["header"]["msg_id"], timeout=4)
    reply = reply_of(got)["content"]
    assert reply["status"] == "ok"
    assert "slept" not in reply["return"]["preview"].get("variables", {})
    return cell


async def test_preview_request_answers_during_a_long_first_cell_after_a_restart(server):
    """After a restart the server's client reconnects on first use. When that is
    a refresh during a long first cell, its hello must not queue behind the cell."""
    kernel_id = await asyncio.to_thread(server.start_kernel)
    try:
        async with open_ws(server, kernel_id) as ws:
            reply_of(await ws.request("preview_request", {}))  # a client before the restart
            await server.arest("POST", f"/api/kernels/{kernel_id}/restart")
            await ws.until_iopub_answers()  # what a cell prints right away is then not lost
            await _preview_request_while_sleeping(ws, seconds=8)
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)


async def test_preview_request_answers_while_a_cell_runs(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        cell = await _preview_request_while_sleeping(ws, seconds=5)
        again = await ws.request("preview_request", {})  # the first one's status has landed
        assert reply_of(again)["content"]["status"] == "ok"
        model = await server.arest("GET", f"/api/kernels/{kernel_id}")
        assert model["execution_state"] == "busy", "a preview made the running kernel look idle"
        done = await ws.collect(cell["header"]["msg_id"])
        assert reply_of(done)["content"]["status"] == "ok"


async def test_a_preview_during_a_cell_leaves_its_input_working(server, kernel_id, tmp_path):
    """ipykernel switches ``input()`` on and off kernel-wide at the start and end of
    each execute request; a preview on the subshell while a cell runs must not
    switch the cell's off (it did: StdinNotImplementedError in the user's cell)."""
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    code = (
        "print('waiting', flush=True)\n"
        f"open({str(fifo)!r}).read()  # until the test writes: a preview runs meanwhile\n"
        "typed = input('name? ')"
    )
    async with open_ws(server, kernel_id) as ws:
        # The server's client connects on the main shell and the procedure is loaded
        # on first use: both before the cell, as in a kernel that has been used.
        reply_of(await ws.request("preview_request", {}))
        content = {"code": code, "silent": False, "allow_stdin": True}
        cell = await ws.send("execute_request", content)
        cell_id = cell["header"]["msg_id"]
        while (await ws.recv())["msg_type"] != "stream":
            pass
        assert reply_of(await ws.request("preview_request", {}))["content"]["status"] == "ok"
        await asyncio.to_thread(fifo.write_text, "go")
        while True:
            m = await ws.recv()
            if m["msg_type"] == "input_request" or (
                m["msg_type"] == "execute_reply" and m["parent_header"]["msg_id"] == cell_id
            ):
                break
        assert m["msg_type"] == "input_request", m["content"]
        await ws.send("input_reply", {"value": "ada"}, "stdin")
        done = await ws.collect(cell_id)
    assert reply_of(done)["content"]["status"] == "ok"


async def test_new_websocket_gets_the_cached_preview(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        msg = await ws.send("execute_request", {"code": "cached_one = 1", "silent": False})
        await ws.preview_after(msg["header"]["msg_id"])
    async with open_ws(server, kernel_id) as fresh:
        while True:
            m = await fresh.recv()
            if m["msg_type"] == "preview":
                break
    assert "cached_one" in m["content"]["preview"]["variables"]
    rest = server.rest("GET", f"/beaker/api/kernels/{kernel_id}/preview")
    assert "cached_one" in rest["preview"]["variables"]


async def test_restart_sends_an_empty_preview(server):
    kernel_id = server.start_kernel()
    try:
        async with open_ws(server, kernel_id) as ws:
            msg = await ws.send("execute_request", {"code": "z = 1", "silent": False})
            await ws.preview_after(msg["header"]["msg_id"])
            await server.arest("POST", f"/api/kernels/{kernel_id}/restart")
            while True:
                m = await ws.recv()
                if m["msg_type"] == "preview" and m["content"]["meta"]["state"] == "empty":
                    break
            assert m["content"]["preview"] == {}
    finally:
        server.shutdown_kernel(kernel_id)


async def test_a_cell_sent_the_moment_a_websocket_opens_gets_its_preview(server):
    """The server's own client hears the kernel's iopub later than the websocket
    does (here 0.3 s later, as over a slow link): the websocket opens only once the
    server hears the kernel, so the statuses of a cell sent at once are seen and
    its preview comes, parented to it."""
    name = slow_iopub_kernel.install_kernelspec(server.workdir / "data")
    kernel_id = await asyncio.to_thread(server.start_kernel, name)
    try:
        async with open_ws(server, kernel_id) as ws:
            cell = await ws.send("execute_request", {"code": "seen = 1", "silent": False})
            preview = await ws.preview_after(cell["header"]["msg_id"], timeout=10)
        assert "seen" in preview["content"]["preview"]["variables"]
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)


async def test_a_dropped_create_subshell_is_asked_again(server):
    """The kernel drops our first create_subshell_request without a reply (as
    ipykernel 7 does under load just after start): the server asks again at once,
    previews run on the subshell, and only one subshell of ours is left."""
    name = install_kernelspec(server.workdir / "data")
    kernel_id = await asyncio.to_thread(server.start_kernel, name)
    try:
        async with open_ws(server, kernel_id) as ws:
            cell = await ws.send("execute_request", {"code": "x = 1", "silent": False})
            preview = await ws.preview_after(cell["header"]["msg_id"], timeout=10)
            subshells = await ws.subshells()
        assert "x" in preview["content"]["preview"]["variables"]
        assert len(subshells) == 1
        assert "the kernel dropped create_subshell (try 1)" in server.log()
        assert "did not create a subshell" not in server.log()
    finally:
        await asyncio.to_thread(server.shutdown_kernel, kernel_id)
