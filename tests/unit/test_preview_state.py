"""``KernelPreview``'s state machine, against a fake of the server's kernel client.

The fake kernel answers with the real kernel procedure (``python_preview.py``)
run on a namespace the test sets, or with scripted answers in the same format
(partial ones). Nothing here starts a kernel or a server.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from beaker_server.preview import kernel_preview
from beaker_server.preview.kernel_preview import (
    GRACE_SECONDS,
    MAX_FOLLOW_UPS,
    MIME,
    PREVIEW_MSG_TYPE,
    PROCEDURE_MODULE,
    KernelPreview,
    PreviewSettings,
)

from ..support.fakes import (
    FakePreviewKernel,
    Recorder,
    answer,
    bundle,
    header,
    make_message_factory,
)

pytestmark = pytest.mark.timeout(10)

CLIENT_SESSION = "internal-client-session"
#: Long enough after a grace (or a follow-up delay) for a preview that should
#: not happen to have happened.
QUIET = 0.12


@dataclass
class Setup:
    preview: KernelPreview
    kernel: FakePreviewKernel
    recorder: Recorder
    sent_to: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    @property
    def previews(self) -> list[dict[str, Any]]:
        """The preview messages broadcast, in order."""
        return [msg for msg, _ in self.recorder.sent]

    async def until_previews(self, count: int) -> None:
        await self.recorder.until(lambda: len(self.previews) >= count)


def make_preview(*, subshell_id: str | None = "preview-subshell", **settings: Any) -> Setup:
    kernel = FakePreviewKernel(subshell_id=subshell_id)
    recorder = Recorder()
    sent_to: list[tuple[Any, dict[str, Any]]] = []

    async def kernel_client() -> FakePreviewKernel:
        return kernel

    preview = KernelPreview(
        "kernel-1",
        PreviewSettings(**settings),
        logging.getLogger("test_preview_state"),
        kernel_client=kernel_client,
        client_session_id=CLIENT_SESSION,
        make_message=make_message_factory(),
        broadcast=lambda msg: recorder.record(msg, "iopub"),
        send_to=lambda conn, msg: sent_to.append((conn, msg)),
    )
    return Setup(preview, kernel, recorder, sent_to)


def execute_header(subshell_id: str | None = None) -> dict[str, Any]:
    extra = {} if subshell_id is None else {"subshell_id": subshell_id}
    return header("execute_request", **extra)


def cell(s: Setup, parent: dict[str, Any], **changes: Any) -> None:
    """A user's cell as the kernel reports it: busy, the namespace changes, idle."""
    s.preview.on_kernel_status(parent, "busy")
    s.kernel.ns.update(changes)
    s.preview.on_kernel_status(parent, "idle")


def variables(msg: dict[str, Any]) -> dict[str, str]:
    """name -> text/plain of every variable a preview message shows."""
    out = {}
    for group in msg["content"]["preview"].values():
        for name, entry in group.items():
            out[name] = entry["text/plain"]
    return out


def flags(msg: dict[str, Any]) -> dict[str, bool]:
    """name -> the ``changed`` flag of its metadata."""
    out = {}
    for group in msg["content"]["preview"].values():
        for name, entry in group.items():
            out[name] = entry[MIME]["changed"]
    return out


# -- when to preview ---------------------------------------------------------------


async def test_a_cells_idle_triggers_one_preview_after_the_grace_parented_to_it():
    s = make_preview()
    parent = execute_header()
    s.preview.on_kernel_status(parent, "busy")
    s.kernel.ns["x"] = 41
    loop = asyncio.get_running_loop()
    idle_at = loop.time()
    s.preview.on_kernel_status(parent, "idle")
    for _ in range(3):
        await asyncio.sleep(0)
    assert s.kernel.asks == []  # not at once: the grace runs first

    await s.until_previews(1)
    # call_later may fire up to the clock's resolution early
    assert s.kernel.asked_at[0] - idle_at >= GRACE_SECONDS - 0.002
    await asyncio.sleep(QUIET)
    assert len(s.kernel.asks) == 1
    [msg] = s.previews
    assert msg["msg_type"] == PREVIEW_MSG_TYPE
    assert msg["parent_header"] == parent
    assert variables(msg) == {"x": "41"}
    assert msg["content"]["meta"]["changed"] == ["x"]
    assert msg["content"]["meta"]["live"] is True
    assert s.preview.content == msg["content"]


async def test_a_busy_within_the_grace_cancels_the_preview(monkeypatch):
    monkeypatch.setattr(kernel_preview, "GRACE_SECONDS", 0.15)
    s = make_preview()
    first, second = execute_header(), execute_header()
    cell(s, first, x=1)
    await asyncio.sleep(0.03)  # well within the grace
    s.preview.on_kernel_status(second, "busy")
    await asyncio.sleep(0.15 + QUIET)  # the first grace would have ended long ago
    assert s.kernel.asks == []

    s.kernel.ns["y"] = 2
    s.preview.on_kernel_status(second, "idle")
    await s.until_previews(1)
    await asyncio.sleep(QUIET)
    assert len(s.kernel.asks) == 1
    assert [msg["parent_header"] for msg in s.previews] == [second]


async def test_run_all_of_many_quick_cells_costs_one_preview(monkeypatch):
    # A generous grace, so that a loaded machine cannot stretch a gap between
    # two cells past it; the gaps still let the loop run (timers could fire).
    monkeypatch.setattr(kernel_preview, "GRACE_SECONDS", 0.1)
    s = make_preview()
    parents = [execute_header() for _ in range(30)]
    for i, parent in enumerate(parents):
        cell(s, parent, **{f"v{i}": i})
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    await s.until_previews(1)
    await asyncio.sleep(0.1 + QUIET)
    assert len(s.kernel.asks) == 1
    [msg] = s.previews
    assert msg["parent_header"] == parents[-1]
    assert len(variables(msg)) == 30


@pytest.mark.parametrize("msg_type", ["kernel_info_request", "comm_msg", "inspect_request"])
async def test_statuses_of_non_execute_requests_do_nothing(msg_type):
    s = make_preview()
    other = header(msg_type)
    s.kernel.ns["x"] = 1
    s.preview.on_kernel_status(other, "busy")
    s.preview.on_kernel_status(other, "idle")
    await asyncio.sleep(QUIET)
    assert s.kernel.asks == []

    # ... nor does such a status cancel a cell's preview in its grace.
    parent = execute_header()
    cell(s, parent, y=2)
    s.preview.on_kernel_status(other, "busy")
    await s.until_previews(1)
    assert s.previews[0]["parent_header"] == parent


@pytest.mark.parametrize("first", ["subshell", "main"])
async def test_no_preview_until_the_subshell_cell_and_the_main_cell_are_both_idle(first: str):
    s = make_preview()
    cells = {"main": execute_header(), "subshell": execute_header(subshell_id="user-subshell")}
    last = "main" if first == "subshell" else "subshell"
    s.preview.on_kernel_status(cells["main"], "busy")
    s.preview.on_kernel_status(cells["subshell"], "busy")
    s.kernel.ns["x"] = 1
    s.preview.on_kernel_status(cells[first], "idle")
    await asyncio.sleep(QUIET)
    assert s.kernel.asks == []  # the other shell still runs a cell

    s.preview.on_kernel_status(cells[last], "idle")
    await s.until_previews(1)
    assert s.previews[0]["parent_header"] == cells[last]
    assert len(s.kernel.asks) == 1


async def test_triggers_during_a_running_preview_collapse_into_one_more_run():
    s = make_preview()
    s.kernel.ns["x"] = 1
    s.kernel.gate = asyncio.Event()
    s.preview.schedule()
    await s.kernel.until_asks(1)

    for _ in range(5):
        s.preview.schedule()
    parent = execute_header()
    cell(s, parent, y=2)
    await asyncio.sleep(GRACE_SECONDS + 0.05)  # its grace ends while the run holds
    assert len(s.kernel.asks) == 1

    s.kernel.gate.set()
    await s.kernel.until_asks(2)
    await asyncio.sleep(QUIET)
    assert len(s.kernel.asks) == 2
    assert variables(s.previews[-1]) == {"x": "1", "y": "2"}


# -- what to publish ---------------------------------------------------------------


async def test_an_answer_with_nothing_new_publishes_nothing():
    s = make_preview()
    cell(s, execute_header(), x=1)
    await s.until_previews(1)

    cell(s, execute_header())  # changes nothing
    await s.kernel.until_asks(2)
    await asyncio.sleep(QUIET)
    assert s.kernel.answers[-1]["entries"] == {}
    assert len(s.previews) == 1


async def test_refresh_publishes_and_returns_an_answer_with_nothing_new():
    s = make_preview()
    parent = execute_header()
    cell(s, parent, x=1)
    await s.until_previews(1)

    content = await s.preview.refresh()
    assert s.kernel.answers[-1]["entries"] == {}
    assert len(s.previews) == 2
    assert s.previews[1]["content"] == content == s.preview.content
    assert s.previews[1]["parent_header"] == parent
    assert variables(s.previews[1]) == {"x": "1"}


async def test_changes_an_overlapping_run_saw_are_owed_to_the_cells_preview():
    s = make_preview()
    first = execute_header()
    cell(s, first, x=1)
    await s.until_previews(1)

    # A preview starts (a handler's schedule_preview) and reads the namespace while
    # the next cell runs: it sees that cell's change before the cell ends.
    s.kernel.gate = asyncio.Event()
    s.preview.schedule()
    await s.kernel.until_asks(2)
    second = execute_header()
    s.preview.on_kernel_status(second, "busy")
    s.kernel.ns["x"] = 2
    s.kernel.gate.set()
    await s.until_previews(2)
    assert s.previews[1]["parent_header"] == first

    # The cell's own preview has nothing new from the kernel, and still goes out,
    # telling what the cell changed.
    s.preview.on_kernel_status(second, "idle")
    await s.until_previews(3)
    assert s.kernel.answers[-1]["entries"] == {}
    assert s.kernel.answers[-1]["changed"] == []
    msg = s.previews[2]
    assert msg["parent_header"] == second
    assert msg["content"]["meta"]["changed"] == ["x"]
    assert flags(msg) == {"x": True}
    assert variables(msg) == {"x": "2"}


async def test_changed_and_removed_accumulate_under_one_parent_and_reset_for_the_next():
    s = make_preview()
    s.kernel.ns["keep"] = 0
    await s.preview.refresh()
    first = execute_header()
    cell(s, first, x=1)
    await s.until_previews(2)
    assert s.previews[1]["content"]["meta"]["changed"] == ["x"]

    # More changes under the same cell (a handler, then a preview_request).
    s.kernel.ns["y"] = 2
    await s.preview.refresh()
    meta = s.previews[2]["content"]["meta"]
    assert s.previews[2]["parent_header"] == first
    assert (meta["changed"], meta["removed"]) == (["x", "y"], [])
    assert flags(s.previews[2]) == {"keep": False, "x": True, "y": True}

    del s.kernel.ns["x"]
    await s.preview.refresh()
    meta = s.previews[3]["content"]["meta"]
    assert (meta["changed"], meta["removed"]) == (["y"], ["x"])
    assert flags(s.previews[3]) == {"keep": False, "y": True}

    # The next cell's preview reports its own changes only.
    second = execute_header()
    cell(s, second, z=3)
    await s.until_previews(5)
    msg = s.previews[4]
    assert msg["parent_header"] == second
    assert (msg["content"]["meta"]["changed"], msg["content"]["meta"]["removed"]) == (["z"], [])
    assert flags(msg) == {"keep": False, "y": False, "z": True}


# -- partial previews ----------------------------------------------------------------


def growing_partial(shown: list[int], total: int = 100):
    """Scripted answers: the n-th shows ``shown[n]`` names (the last repeated),
    partial while it shows fewer than ``total``."""
    asked = 0
    generation = 0

    def script(arguments: dict[str, Any]) -> dict[str, Any]:
        nonlocal asked, generation
        count = shown[min(asked, len(shown) - 1)]
        before = shown[min(asked - 1, len(shown) - 1)] if asked else 0
        asked += 1
        names = [f"v{i:03}" for i in range(count)]
        full = arguments["since"] != generation
        new = names if full else names[before:]
        if new or full:
            generation += 1
        return answer(
            generation=generation,
            names=names,
            entries={n: bundle(n, n) for n in new},
            changed=new,
            full=full,
            partial=count < total,
            total=total,
        )

    return script


@pytest.fixture
def quick_follow_ups(monkeypatch):
    monkeypatch.setattr(kernel_preview, "_FOLLOW_UP_MIN_DELAY", 0.01)


async def test_a_partial_preview_is_followed_up_at_most_max_follow_ups_times(quick_follow_ups):
    s = make_preview(time_budget=0.01)
    s.kernel.script = growing_partial(list(range(1, 40)))  # always partial, always further
    parent = execute_header()
    cell(s, parent)
    await s.kernel.until_asks(1 + MAX_FOLLOW_UPS)
    await asyncio.sleep(QUIET)
    assert len(s.kernel.asks) == 1 + MAX_FOLLOW_UPS
    assert len(s.previews) == 1 + MAX_FOLLOW_UPS
    assert all(msg["parent_header"] == parent for msg in s.previews)
    assert s.previews[-1]["content"]["meta"]["partial"] is True
    assert s.previews[-1]["content"]["meta"]["shown"] == 1 + MAX_FOLLOW_UPS


@pytest.mark.parametrize(
    ("shown", "asks"),
    [
        ([2, 3, 3], 3),  # the third shows no more than the second: the chain ends
        ([2, 100], 2),  # the follow-up is complete
    ],
)
async def test_follow_ups_end_when_one_shows_no_more(quick_follow_ups, shown, asks):
    s = make_preview(time_budget=0.01)
    s.kernel.script = growing_partial(shown)
    cell(s, execute_header())
    await s.kernel.until_asks(asks)
    await asyncio.sleep(QUIET)
    assert len(s.kernel.asks) == asks
    assert [a["partial"] for a in s.kernel.answers] == [n < 100 for n in shown[:asks]]


async def test_a_stalled_run_on_a_subshell_renews_it_and_the_next_run_works():
    s = make_preview(stall_timeout=0.05)
    s.kernel.stall = 1
    cell(s, execute_header(), x=1)
    await s.kernel.until_renewed()
    assert s.kernel.renewed == 1
    assert s.previews == []

    parent = execute_header()
    cell(s, parent)
    await s.until_previews(1)
    assert [call[4] for call in s.kernel.calls if call[0] == "ask"] == [
        "preview-subshell",
        "preview-subshell-2",
    ]
    assert s.previews[0]["parent_header"] == parent
    assert variables(s.previews[0]) == {"x": "1"}
    assert s.kernel.renewed == 1


async def test_a_slow_run_without_a_subshell_is_not_given_up():
    s = make_preview(subshell_id=None, stall_timeout=0.02)
    s.kernel.gate = asyncio.Event()
    cell(s, execute_header(), x=1)
    await s.kernel.until_asks(1)
    await asyncio.sleep(0.1)  # five stall timeouts: it waits for the user's cells
    s.kernel.gate.set()
    await s.until_previews(1)
    assert s.kernel.renewed == 0
    assert variables(s.previews[0]) == {"x": "1"}


# -- restart, connect, disabled, install -------------------------------------------


async def test_a_restart_publishes_the_empty_preview_and_resets_the_generation():
    s = make_preview()
    cell(s, execute_header(), x=1)
    await s.until_previews(1)
    cell(s, execute_header(), y=2)
    await s.until_previews(2)
    assert [a["since"] for a in s.kernel.asks] == [-1, s.kernel.answers[0]["generation"]]
    assert s.kernel.asks[1]["since"] >= 0

    s.kernel.restart()
    s.preview.on_kernel_restarted()
    assert len(s.previews) == 3
    empty = s.previews[2]
    assert empty["parent_header"] == {}
    assert empty["content"]["preview"] == {}
    assert empty["content"]["meta"]["state"] == "empty"
    assert s.preview.content == empty["content"]

    cell(s, execute_header(), z=3)
    await s.until_previews(4)
    assert s.kernel.asks[-1]["since"] == -1
    assert variables(s.previews[3]) == {"z": "3"}


async def test_on_connect_sends_the_cached_preview_to_that_connection_only():
    s = make_preview()
    cell(s, execute_header(), x=1)
    await s.until_previews(1)

    connection = object()
    s.preview.on_connect(connection)
    await asyncio.sleep(QUIET)
    [(to, msg)] = s.sent_to
    assert to is connection
    assert msg["msg_type"] == PREVIEW_MSG_TYPE
    assert msg["content"] == s.preview.content
    assert variables(msg) == {"x": "1"}
    assert len(s.previews) == 1  # nothing broadcast
    assert len(s.kernel.asks) == 1  # no kernel work


async def test_on_connect_without_a_cached_preview_schedules_one():
    s = make_preview()
    s.kernel.ns["x"] = 1
    s.preview.on_connect(object())
    await s.until_previews(1)
    assert len(s.kernel.asks) == 1
    assert s.sent_to == []
    assert variables(s.previews[0]) == {"x": "1"}


async def test_disabled_pushes_nothing_after_cells_but_refresh_answers():
    s = make_preview(enabled=False)
    cell(s, execute_header(), x=1)
    s.preview.schedule()
    s.preview.on_connect(object())
    await asyncio.sleep(QUIET)
    assert s.kernel.asks == []

    content = await s.preview.refresh()
    assert len(s.kernel.asks) == 1
    assert content["preview"]["variables"]["x"]["text/plain"] == "1"
    assert content["meta"]["live"] is False

    s.preview.on_kernel_restarted()
    await asyncio.sleep(QUIET)
    assert s.recorder.sent == []
    assert s.sent_to == []


async def test_the_procedure_is_installed_on_the_subshell_before_the_first_ask():
    s = make_preview()
    cell(s, execute_header(), x=1)
    await s.until_previews(1)
    kinds = [call[0] for call in s.kernel.calls]
    assert kinds.index("install") < kinds.index("ask")
    _, name, code, on_subshell, _ = s.kernel.calls[kinds.index("install")]
    assert name == PROCEDURE_MODULE
    assert on_subshell is True
    assert f"setup({CLIENT_SESSION!r})" in code
    assert "def preview(" in code
    [(_, _, ask_on_subshell, until_idle, _)] = [c for c in s.kernel.calls if c[0] == "ask"]
    assert (ask_on_subshell, until_idle) == (True, True)
