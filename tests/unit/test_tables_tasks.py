"""Slow requests of the Data Explorer's kernel procedure: a ``task`` id makes a
request's progress readable from another thread (the other lane) and lets it be
cancelled, running or still queued (README, "Data Explorer")."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from .test_tables_procedure import call, fresh_procedure, opened

pytestmark = pytest.mark.timeout(30)


class Gate(float):
    """A number whose comparisons wait at a gate: a sort of them is held mid-way,
    on another thread, until the test opens it."""

    reached = threading.Event()
    opened = threading.Event()

    def _wait(self) -> None:
        Gate.reached.set()
        assert Gate.opened.wait(10)

    def __lt__(self, other: Any) -> bool:
        self._wait()
        return float(self) < float(other)

    def __eq__(self, other: object) -> bool:
        self._wait()
        return float(self) == other

    __hash__ = float.__hash__


@pytest.fixture
def held_sort():
    """A sort of a Python table of Gate values, started on a thread with task "t1"
    and held inside its comparisons; yields (tables, answer holder)."""
    Gate.reached.clear()
    Gate.opened.clear()
    tables = fresh_procedure()
    ns = {"rows": [{"g": Gate(n)} for n in (3, 1, 2)]}
    view = opened(tables, ns, "rows")["view"]
    answers: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            call(tables, ns, op="sort", view=view, keys=[{"column": 0}], task="t1")
        )
    )
    thread.start()
    assert Gate.reached.wait(10)
    yield tables, ns, view, answers
    Gate.opened.set()
    thread.join(10)


def test_a_running_task_shows_in_progress_and_leaves_when_done(held_sort):
    tables, ns, _view, answers = held_sort
    progress = call(tables, ns, op="progress", tasks=["t1", "unknown"])
    assert progress["status"] == "ok"
    assert set(progress["tasks"]) == {"t1"}
    assert 0 <= progress["tasks"]["t1"]["progress"] <= 1
    assert progress["tasks"]["t1"]["elapsed_ms"] >= 0
    Gate.opened.set()
    while not answers:
        threading.Event().wait(0.01)
    assert answers[0]["status"] == "ok", answers[0]
    assert call(tables, ns, op="progress", tasks=["t1"])["tasks"] == {}


def test_a_cancelled_running_task_commits_nothing(held_sort):
    tables, ns, view, answers = held_sort
    assert call(tables, ns, op="cancel", tasks=["t1"]) == {
        "status": "ok",
        "running": 1,
        "elapsed_ms": pytest.approx(0, abs=1000),
    }
    Gate.opened.set()
    while not answers:
        threading.Event().wait(0.01)
    assert answers[0]["ename"] == "Cancelled", answers[0]
    assert tables._views[view].state.generation == 0
    rows = call(tables, ns, op="rows", view=view, generation=0, start=0, count=3)
    assert rows["positions"] == [0, 1, 2]


def test_a_task_cancelled_before_it_starts_ends_at_once():
    tables = fresh_procedure()
    ns = {"t": [[3], [1], [2]]}
    view = opened(tables, ns)["view"]
    assert call(tables, ns, op="cancel", tasks=["queued"])["running"] == 0
    answer = call(tables, ns, op="sort", view=view, keys=[{"column": 0}], task="queued")
    assert answer["ename"] == "Cancelled"
    assert tables._views[view].state.generation == 0
    # An id is cancelled once: the same id again runs.
    again = call(tables, ns, op="sort", view=view, keys=[{"column": 0}], task="queued")
    assert again["status"] == "ok", again


@pytest.mark.parametrize("task", [5, "", "x" * 101, None.__class__.__name__ * 30])
def test_a_bad_task_id_is_a_bad_request(task):
    tables = fresh_procedure()
    ns = {"t": [[1]]}
    view = opened(tables, ns)["view"]
    answer = call(tables, ns, op="sort", view=view, keys=[], task=task)
    assert answer["ename"] == "BadRequest", answer


@pytest.mark.parametrize("op", ["progress", "cancel"])
@pytest.mark.parametrize("tasks", [None, "t1", list(range(300))])
def test_progress_and_cancel_need_a_bounded_list(op, tasks):
    tables = fresh_procedure()
    answer = json.loads(tables.handle({}, json.dumps({"op": op, "tasks": tasks})))
    assert answer["ename"] == "BadRequest", answer


def test_early_cancels_are_bounded():
    tables = fresh_procedure()
    for start in range(0, 3000, 200):
        call(tables, {}, op="cancel", tasks=[f"t{n}" for n in range(start, start + 200)])
    assert len(tables._cancelled_early) <= 4 * tables.MAX_VIEWS
