"""Kernel hooks (``@kernel_hook``, ``kernel/hooks.py``): when they run after cells
and restarts, coalesced per kernel, and what a failing hook leaves running."""

from __future__ import annotations

import asyncio
import logging
import types
from typing import Any

import pytest

from beaker_server import kernel_hook
from beaker_server.kernel.hooks import KernelHooks
from beaker_server.messages.registry import MessageRegistry

pytestmark = pytest.mark.timeout(10)

CELL = {"msg_type": "execute_request"}


def test_a_hook_follows_a_known_event_and_is_async():
    with pytest.raises(ValueError, match="cell_done"):
        kernel_hook("cell_started")
    with pytest.raises(TypeError, match="async"):
        kernel_hook("cell_done")(lambda kernel: None)


def test_a_module_s_hooks_are_registered():
    @kernel_hook("cell_done")
    async def after(kernel: Any) -> None: ...

    @kernel_hook("restarted")
    async def restarted(kernel: Any) -> None: ...

    registry = MessageRegistry()
    module = types.ModuleType("hooks_here")
    module.after, module.restarted = after, restarted
    assert registry.add_module(module) == 2
    assert registry.kernel_hooks_for("cell_done") == [after]
    assert registry.kernel_hooks_for("restarted") == [restarted]
    assert registry.add_object(after) == 1 and registry.kernel_hooks_for("cell_done") == [after]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.release = asyncio.Event()
        self.release.set()
        self.entered = asyncio.Event()

    async def hook(self, kernel: Any) -> None:
        self.calls.append(kernel)
        self.entered.set()
        await self.release.wait()


def make(hooks: dict[str, list[Any]]) -> tuple[KernelHooks, list[int]]:
    made: list[int] = []

    def proxy() -> int:
        made.append(len(made))
        return made[-1]

    runner = KernelHooks("k", lambda event: hooks.get(event, []), proxy, logging.getLogger("t"))
    return runner, made


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_hook_runs_once_every_shell_is_idle():
    recorder = Recorder()
    runner, _ = make({"cell_done": [recorder.hook]})
    runner.on_kernel_status(CELL, "busy")
    runner.on_kernel_status({**CELL, "subshell_id": "s1"}, "busy")
    runner.on_kernel_status(CELL, "idle")
    await settle()
    assert recorder.calls == []  # the subshell's cell still runs
    runner.on_kernel_status({**CELL, "subshell_id": "s1"}, "idle")
    await settle()
    assert len(recorder.calls) == 1
    runner.on_kernel_status({"msg_type": "comm_msg"}, "idle")
    await settle()
    assert len(recorder.calls) == 1  # no execution, no run


async def test_cells_ending_during_a_run_cost_one_more_run():
    recorder = Recorder()
    recorder.release.clear()
    runner, _ = make({"cell_done": [recorder.hook]})
    runner.on_kernel_status(CELL, "idle")
    await recorder.entered.wait()
    for _ in range(5):
        runner.on_kernel_status(CELL, "busy")
        runner.on_kernel_status(CELL, "idle")
    recorder.release.set()
    await settle()
    assert len(recorder.calls) == 2


async def test_a_failing_hook_is_logged_and_the_next_one_runs(caplog):
    async def broken(kernel: Any) -> None:
        raise RuntimeError("boom")

    recorder = Recorder()
    runner, _ = make({"cell_done": [broken, recorder.hook]})
    with caplog.at_level(logging.ERROR):
        runner.on_kernel_status(CELL, "idle")
        await settle()
    assert len(recorder.calls) == 1
    assert "broken" in caplog.text and "boom" in caplog.text


async def test_a_restart_stops_the_cell_run_and_runs_the_restart_hooks():
    cells, restarts = Recorder(), Recorder()
    cells.release.clear()
    runner, _ = make({"cell_done": [cells.hook], "restarted": [restarts.hook]})
    runner.on_kernel_status(CELL, "busy")
    runner.on_kernel_status(CELL, "idle")
    await cells.entered.wait()
    runner.on_kernel_status(CELL, "busy")  # a cell running at the restart
    runner.on_kernel_restarted("old kernel")
    await settle()
    assert restarts.calls == ["old kernel"]
    assert runner._task is None
    runner.on_kernel_status(CELL, "idle")  # the new process's first cell: nothing left running
    cells.release.set()
    await settle()
    assert len(cells.calls) == 2


async def test_without_cell_hooks_nothing_is_scheduled():
    runner, made = make({})
    assert not runner.wanted
    runner.on_kernel_status(CELL, "idle")
    await settle()
    assert made == []


def test_user_executions_end_when_every_shell_is_idle():
    from beaker_server.kernel.executions import UserExecutions

    running = UserExecutions()
    assert running.update({"msg_type": "comm_msg"}, "busy") is None
    assert running.update(CELL, "starting") is None
    assert running.update(CELL, "busy") == "started"
    assert running.update({**CELL, "subshell_id": "s"}, "busy") == "started"
    assert running.update(CELL, "idle") == "idle" and running
    assert running.update({**CELL, "subshell_id": "s"}, "idle") == "ended" and not running
    running.update(CELL, "busy")
    running.clear()
    assert not running
