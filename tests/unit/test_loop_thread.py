"""Calls handed to the server's event-loop thread (beaker_server/websocket/loop_thread.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from beaker_server.websocket.loop_thread import LoopThread

pytestmark = pytest.mark.timeout(10)


async def test_on_the_loop_thread_a_call_runs_at_once():
    thread = LoopThread.current()
    assert thread.is_current()
    seen: list = []
    thread.call(seen.append, 1)
    thread.bind(seen.append)(2)
    assert seen == [1, 2]


async def test_calls_from_another_thread_run_on_the_loop_in_order():
    thread = LoopThread.current()
    loop_ident = threading.get_ident()
    seen: list = []
    done = asyncio.Event()
    current: list[bool] = []

    def record(value):
        seen.append((value, threading.get_ident()))
        if value == 99:
            done.set()

    bound = thread.bind(record)

    def elsewhere():
        current.append(thread.is_current())
        for i in range(50):
            thread.call(record, i)
        for i in range(50, 100):
            bound(i)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    await asyncio.to_thread(worker.join)
    await asyncio.wait_for(done.wait(), 5)
    assert current == [False]
    assert [value for value, _ in seen] == list(range(100))
    assert {ident for _, ident in seen} == {loop_ident}
