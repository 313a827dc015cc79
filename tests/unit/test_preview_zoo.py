"""One odd variable costs only itself: a zoo of hostile objects beside ``ok = 1``.

These call the kernel procedure in this process (as ``test_preview_procedure``
does), where each object's own code can count what the preview asked of it;
tests/integration/test_preview_zoo.py runs the zoo in a real kernel.
"""

from __future__ import annotations

import collections
import threading
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from ..support.preview_procedure import MIME, ClassRaises, ShapeRaises, fresh_procedure, run


@pytest.fixture
def procedure():
    """A fresh copy of the module, as a newly started kernel would have."""
    return fresh_procedure()


#: Allocations a preview may make at most, whatever the size of the value.
PREVIEW_BYTES = 1024 * 1024


def entries_of(procedure, ns: dict[Any, Any], **options: Any) -> dict[str, Any]:
    """The entries of a full preview of ``ns``; ``ok = 1`` must be among them, right."""
    result = run(procedure, {**ns, "ok": 1}, **options)
    assert result["entries"]["ok"]["text/plain"] == "1"
    assert result["entries"]["ok"][MIME]["type"] == "int"
    assert {name for _, name in result["names"]} == {"ok", *(k for k in ns if type(k) is str)}
    return result["entries"]


# -- the objects of the issue (ShapeRaises and ClassRaises: tests/support/preview_procedure.py)


class DeadProxy:
    """A proxy of a remote object whose connection is gone: every attribute fails."""

    asked: ClassVar[list[str]] = []

    def __getattr__(self, name):
        DeadProxy.asked.append(name)
        raise ConnectionError("the remote end is gone")


def test_a_shape_property_that_raises_costs_its_shape_only(procedure):
    entry = entries_of(procedure, {"odd": ShapeRaises()})["odd"]
    assert entry[MIME]["shape"] is None
    assert entry[MIME]["error"] == "shape: ValueError: no shape today"
    assert "skipped" not in entry[MIME]  # the rendering worked
    assert entry["text/plain"].startswith("<")
    assert "ShapeRaises object at" in entry["text/plain"]


def test_a_class_property_that_raises_is_not_asked(procedure):
    entry = entries_of(procedure, {"odd": ClassRaises()})["odd"]
    assert entry[MIME]["type"] == "ClassRaises" and "error" not in entry[MIME]


def test_a_dead_proxy_is_previewed_without_asking_it_anything(procedure):
    DeadProxy.asked.clear()
    entry = entries_of(procedure, {"odd": DeadProxy()})["odd"]
    assert DeadProxy.asked == []
    assert entry[MIME]["type"] == "DeadProxy" and "error" not in entry[MIME]


def test_keys_that_are_not_names_are_left_out(procedure):
    result = run(procedure, {42: "x", ("a", 1): 2, "ok": 1})
    assert [name for _, name in result["names"]] == ["ok"]
    assert result["total"] == 1 and result["entries"]["ok"]["text/plain"] == "1"


# -- bounded renderings ------------------------------------------------------------------


class Text(str):
    """A str subclass (its repr used to be the full repr)."""


def _peak_bytes_of(procedure, ns: dict[str, Any]) -> tuple[dict[str, Any], int]:
    tracemalloc.start()
    try:
        entries = entries_of(procedure, ns, max_chars=300)
        return entries, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("make", "starts"),
    [
        (lambda: bytes(50_000_000), "b'\\x00\\x00"),
        (lambda: bytearray(50_000_000), "bytearray(b'\\x00"),
        (lambda: memoryview(bytes(50_000_000)), "<memoryview format 'B': [0, 0, 0"),
        (lambda: Text("y" * 20_000_000), "'yyy"),
        (lambda: collections.defaultdict(list, {i: i for i in range(200_000)}), "defaultdict("),
        (lambda: collections.OrderedDict((i, i) for i in range(200_000)), "OrderedDict({0: 0"),
        (lambda: collections.deque(range(1_000_000)), "deque([0, 1, 2"),
        (lambda: collections.Counter(range(200_000)), "Counter({0: 1"),
        (lambda: frozenset(range(200_000)), "frozenset({0, 1"),
        (lambda: type("Items", (list,), {})(range(1_000_000)), "Items([0, 1, 2"),
        (lambda: 10**100_000, "1.000000e+100000 (an int of 100,001 digits)"),
    ],
    ids=[
        "bytes",
        "bytearray",
        "memoryview",
        "str-subclass",
        "defaultdict",
        "OrderedDict",
        "deque",
        "Counter",
        "frozenset",
        "list-subclass",
        "huge-int",
    ],
)
def test_large_values_are_rendered_from_a_part_of_them(procedure, make, starts):
    """No full repr, no copy: the text is short and marked clipped, and the preview
    allocates well under a megabyte (the full reprs were 20 to 200 MB)."""
    value = make()
    entries, peak = _peak_bytes_of(procedure, {"odd": value})
    entry = entries["odd"]
    assert peak < PREVIEW_BYTES, f"the preview allocated {peak:,} bytes"
    assert entry["text/plain"].startswith(starts)
    assert len(entry["text/plain"]) <= 300
    assert entry[MIME]["clipped"] is True


def test_containers_show_their_first_items_like_their_repr(procedure):
    point = collections.namedtuple("Point", "x y")
    entries = entries_of(
        procedure,
        {
            "point": point(1, "two"),
            "single": (1,),
            "nested": [[[[[1]]]]],
            "empty": set(),
            "bounded": collections.deque([1, 2], maxlen=5),
            "factory": collections.defaultdict(list, {"a": [1]}),
        },
    )
    text = {name: entry["text/plain"] for name, entry in entries.items()}
    assert text["point"] == "Point(x=1, y='two')"
    assert text["single"] == "(1,)"
    assert text["nested"] == "[[[<list \u2026>]]]"
    assert text["empty"] == "set()"
    assert text["bounded"] == "deque([1, 2], maxlen=5)"
    assert text["factory"] == "defaultdict(<class 'list'>, {'a': [1]})"
    assert "clipped" not in entries["point"][MIME]


# -- objects of my own ----------------------------------------------------------------------


class LengthRaises(str):
    def __len__(self):
        raise RuntimeError("no length today")


class ItemsRaise(dict):
    """A dict subclass whose own methods all fail: its items are read as a dict's."""

    def __repr__(self):
        raise RuntimeError("no repr")

    def items(self):
        raise RuntimeError("no items")

    def __iter__(self):
        raise RuntimeError("no iter")


class Remote(Sequence):
    """A remote sequence: its length and items need the (gone) connection."""

    def __len__(self):
        raise ConnectionError("the remote end is gone")

    def __getitem__(self, index):
        raise ConnectionError("the remote end is gone")


class ReprExits:
    def __repr__(self):
        raise SystemExit(3)


class HostileMeta(type):
    def __getattribute__(cls, name):
        raise RuntimeError(f"no {name} for you")


class MetaHostile(metaclass=HostileMeta):
    pass


class ReprRaisesUnprintable:
    def __repr__(self):
        class Unprintable(Exception):
            def __str__(self):
                raise RuntimeError("cannot even say why")

        raise Unprintable()


class SizeofRaises:
    def __sizeof__(self):
        raise ConnectionError("the remote end is gone")


def test_a_str_subclass_whose_len_raises(procedure):
    entry = entries_of(procedure, {"odd": LengthRaises("abc")})["odd"]
    assert entry["text/plain"] == "'abc'" and entry[MIME]["shape"] == 3


def test_a_dict_subclass_whose_methods_raise_shows_its_items(procedure):
    entry = entries_of(procedure, {"odd": ItemsRaise(a=1)})["odd"]
    assert entry["text/plain"] == "ItemsRaise({'a': 1})" and entry[MIME]["shape"] == 1


def test_a_repr_that_fails_marks_its_variable_with_the_error(procedure):
    entries = entries_of(procedure, {"remote": Remote(), "unprintable": ReprRaisesUnprintable()})
    remote = entries["remote"][MIME]
    assert remote["skipped"] == "error" and remote["shape"] is None
    assert remote["error"].startswith("shape: ConnectionError: the remote end is gone")
    assert "rendering: ConnectionError" in remote["error"]
    assert "could not be previewed: ConnectionError" in entries["remote"]["text/plain"]
    assert remote["summary"] == entries["remote"]["text/plain"]  # the panel's column says why
    unprintable = entries["unprintable"][MIME]
    assert unprintable["error"] == "rendering: Unprintable: <unprintable message>"


def test_a_repr_that_exits_and_a_hostile_metaclass(procedure):
    entries = entries_of(procedure, {"exits": ReprExits(), "meta": MetaHostile()})
    assert entries["exits"][MIME]["error"] == "rendering: SystemExit: 3"
    assert entries["meta"][MIME]["type"] == "MetaHostile"
    assert entries["meta"][MIME]["module"] == __name__


def test_a_sizeof_that_raises_costs_the_size_only(procedure):
    entry = entries_of(procedure, {"odd": SizeofRaises()})["odd"]
    assert entry[MIME]["bytes"] is None
    assert entry[MIME]["error"] == "size: ConnectionError: the remote end is gone"
    assert "SizeofRaises object at" in entry["text/plain"]


# -- the time budget within a variable ---------------------------------------------------------


class SleepyProxy:
    """A proxy whose every attribute is a slow round trip (the issue's 1 s, shortened)."""

    asked: ClassVar[list[str]] = []

    def __getattr__(self, name):
        SleepyProxy.asked.append(name)
        time.sleep(0.2)
        raise AttributeError(name)


class SlowShape:
    """A ``shape`` that takes longer than the whole budget."""

    asked = 0

    @property
    def shape(self):
        SlowShape.asked += 1
        time.sleep(0.15)
        return (1, 2)


def test_a_slow_getattr_is_never_run(procedure):
    SleepyProxy.asked.clear()
    ns = {f"proxy{i}": SleepyProxy() for i in range(3)}
    first = run(procedure, {**ns, "ok": 1}, time_budget=0.25)
    again = run(procedure, {**ns, "ok": 1}, time_budget=0.25, since=first["generation"])
    assert SleepyProxy.asked == []
    assert first["partial"] is False and first["entries"]["ok"]["text/plain"] == "1"
    assert again["entries"] == {} and len(again["names"]) == 4


def test_a_variable_over_budget_is_not_tried_again_until_reassigned(procedure):
    SlowShape.asked = 0
    ns = {"slow": SlowShape(), "ok": 1}
    first = run(procedure, ns, time_budget=0.1)
    meta = first["entries"]["slow"][MIME]
    assert meta["skipped"] == "over budget"
    assert "in its shape" in meta["message"] and "budget 0.1 s" in meta["message"]
    assert meta["summary"].startswith("<SlowShape: over the time budget")
    # The rendering after the shape was not started: the variable was already over.
    assert first["entries"]["slow"]["text/plain"] == f"<SlowShape: {meta['message']}>"
    if first["partial"]:  # ok came after the budget was spent: the follow-up gets it
        first = run(procedure, ns, time_budget=0.1, since=first["generation"])
    assert first["entries"]["ok"]["text/plain"] == "1"
    again = run(procedure, ns, time_budget=0.1, since=first["generation"])
    assert again["entries"] == {} and {n for _, n in again["names"]} == {"slow", "ok"}
    assert SlowShape.asked == 1
    ns["slow"] = SlowShape()  # another object: looked at again
    third = run(procedure, ns, time_budget=30, since=again["generation"])
    assert SlowShape.asked == 2
    assert third["entries"]["slow"][MIME]["shape"] == [1, 2]
    assert "skipped" not in third["entries"]["slow"][MIME]


def test_a_stalled_call_pins_its_variable_and_ends_if_it_returns(procedure):
    """A preview whose repr does not return (the server gave it up, and runs the
    next on another subshell, here a thread): the next call marks the variable
    stalled and shows the rest; nothing tries it again."""
    started, release = threading.Event(), threading.Event()
    calls = []

    class Stuck:
        def __repr__(self):
            calls.append(1)
            started.set()
            release.wait(10)
            return "stuck"

    ns = {"ok": 1, "stuck": Stuck()}
    outcome: list[Any] = []

    def stalled_call() -> None:
        try:
            outcome.append(run(procedure, ns))
        except BaseException as error:  # what ends it is no Exception
            outcome.append(error)

    thread = threading.Thread(target=stalled_call)
    thread.start()
    try:
        assert started.wait(10)
        later = run(procedure, ns)
        again = run(procedure, ns, since=later["generation"])
    finally:
        release.set()
        thread.join(10)
    meta = later["entries"]["stuck"][MIME]
    assert meta["skipped"] == "stalled" and "its rendering had not returned" in meta["message"]
    assert later["entries"]["ok"]["text/plain"] == "1"
    assert again["entries"] == {} and {n for _, n in again["names"]} == {"ok", "stuck"}
    assert len(calls) == 1
    # The stuck call was interrupted: it ends when its wait returns, with no answer.
    assert not thread.is_alive()
    assert type(outcome[0]).__name__ == "_Interrupted"
    after = run(procedure, ns, since=again["generation"])
    assert after["entries"] == {} and len(calls) == 1


def test_a_stalled_call_that_spins_is_interrupted(procedure):
    """A repr looping in Python (it would burn a core for good): the next call
    interrupts it, and its thread ends at once."""
    started, ended = threading.Event(), threading.Event()

    class Spins:
        def __repr__(self):
            started.set()
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    pass
                return "spun"
            finally:
                ended.set()

    ns = {"ok": 1, "spins": Spins()}
    outcome: list[Any] = []

    def stalled_call() -> None:
        try:
            outcome.append(run(procedure, ns))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=stalled_call)
    thread.start()
    assert started.wait(10)
    later = run(procedure, ns)
    assert ended.wait(10), "the spinning repr was not interrupted"
    thread.join(10)
    assert later["entries"]["spins"][MIME]["skipped"] == "stalled"
    assert later["entries"]["ok"]["text/plain"] == "1"
    assert type(outcome[0]).__name__ == "_Interrupted"
