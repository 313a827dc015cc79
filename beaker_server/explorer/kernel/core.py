"""The Data Explorer's kernel procedure, part 1: what every other module uses.

The procedure is a package run *inside* an IPython kernel (``__init__.py``): the
server installs its modules as package ``_beaker_tables`` in ``sys.modules``
(never in the user's namespace; ``kernel/procedures.py: install_package_code``)
and calls ``handle(namespace, request_json)``: the request is JSON text passed as
a string literal, so a variable name is only ever a dictionary key, never code;
the answer is JSON text. The standard library only at import (the modules are
sent to the kernel as text and run there); numpy and pandas are used only when
the variable is one of their types (they are then already imported).

A *view* is a variable opened for paging: a source adapter over the object
(length, columns, values at row positions, sort keys, filter masks) and a state
(generation, row positions, sort keys, filters). The positions are an index into
the source, never a copy of its data: a numpy ``intp`` array (8 bytes per row,
``None`` while the view is the whole table in order), or an ``array('q')`` for a
Python source when numpy is not imported. A filter selects positions, a sort
orders them; a new state replaces the old in one assignment, so a page read
while a sort runs sees the old state or the new, whole.

Everything is bounded: rows per request, characters per value, columns in a
schema, bytes per answer (``truncated`` with what was left out); values are
formatted here (numbers to bounded significant digits, special values as codes).

This module holds the bounds and constants, the errors answered, the tasks of
slow requests (``_step``, cancelling), looking at types without asking the
object, formatting one value, and display types: what the later modules (each
importing only modules before it) share.
"""

from __future__ import annotations

import datetime
import decimal
import math
import operator
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

#: Rows per ``rows`` request and per ``open``'s first page.
MAX_ROWS = 1000
OPEN_ROWS = 100
#: Characters of one value (default and most a request may ask).
VALUE_CHARS = 200
MAX_VALUE_CHARS = 2000
#: Significant digits of a float (default; a request may ask 1 to 17).
DIGITS = 10
#: Bytes of one answer (default and most a request may ask).
MAX_ANSWER_BYTES = 2 * 1024 * 1024
#: Columns described by ``open`` and sent when a request names none.
SCHEMA_COLUMNS = 2000
PAGE_COLUMNS = 200
MAX_SORT_KEYS = 16
MAX_FILTERS = 64
MAX_SET_VALUES = 10_000
MAX_TERM_CHARS = 1000
MAX_VIEWS = 256
#: Rows looked at to guess an object column's display type or a list's keys.
SAMPLE_ROWS = 1000
#: Printing an int is quadratic in its digits: past this many bits, its size only.
INT_BITS_PRINTED = 3000
ELLIPSIS = "\u2026"

#: Special values, sent as these integers (formatted values are strings).
NULL, NAN, NAT, POS_INF, NEG_INF = 0, 1, 2, 3, 4
SPECIAL_VALUES = {"null": NULL, "NaN": NAN, "NaT": NAT, "+inf": POS_INF, "-inf": NEG_INF}

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "\u2260": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    "\u2264": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "\u2265": operator.ge,
}
_TEXT_KINDS = ("contains", "starts_with", "ends_with", "regex")
FILTER_KINDS = ("compare", "between", "is_null", "not_null", *_TEXT_KINDS, "in")

_lock = threading.Lock()


_MISSING = object()


class TableError(Exception):
    """An answer ``{"status": "error", "ename": <class name>, "evalue", ...extra}``."""

    def __init__(self, evalue: str, **extra: Any) -> None:
        super().__init__(evalue)
        self.extra = extra


class BadRequest(TableError):
    pass


class UnknownView(TableError):
    pass


class UnknownVariable(TableError):
    pass


class NotATable(TableError):
    pass


class BadFilter(TableError):
    pass


class BadSort(TableError):
    pass


class TooManyViews(TableError):
    pass


class Cancelled(TableError):
    """A slow request's task was cancelled (``cancel``): by the user, or by a newer
    request of the same kind on the same view."""


# -- slow requests: progress and cancelling --------------------------------------------------


class _Task:
    """The progress of one slow request, read by ``progress`` from the other lane."""

    __slots__ = ("cancelled", "extra", "id", "progress", "stage", "started")

    def __init__(self, task_id: str) -> None:
        self.id = task_id
        self.started = time.perf_counter()
        self.progress = 0.0
        self.stage = "started"
        self.cancelled = False
        self.extra: dict[str, Any] = {}


_tasks: dict[str, _Task] = {}
#: Tasks cancelled before they started (a queued request), so they end at once.
_cancelled_early: set[str] = set()
MAX_TASK_ID = 100


def _step(request: dict[str, Any], progress: float, stage: str = "", **extra: Any) -> None:
    """Report a slow request's progress (0 to 1) and end it with ``Cancelled`` when
    it was cancelled. Slow work calls this between chunks, each short enough
    (~20 ms) to hold the GIL: a page read on the other lane waits for no longer."""
    task = request.get("_task")
    if task is None:
        return
    if task.cancelled:
        raise Cancelled(f"task {task.id} was cancelled")
    task.progress = min(1.0, max(task.progress, progress))
    if stage:
        task.stage = stage
    task.extra.update(extra)


def _start_task(request: dict[str, Any]) -> _Task | None:
    task_id = request.get("task")
    if task_id is None:
        return None
    if type(task_id) is not str or not 0 < len(task_id) <= MAX_TASK_ID:
        raise BadRequest(f"task must be a string of 1 to {MAX_TASK_ID} characters")
    task = _Task(task_id)
    with _lock:
        if task_id in _cancelled_early:
            _cancelled_early.discard(task_id)
            raise Cancelled(f"task {task_id} was cancelled before it started")
        _tasks[task_id] = task
    request["_task"] = task
    return task


def _progress(request: dict[str, Any]) -> dict[str, Any]:
    wanted = request.get("tasks")
    if type(wanted) is not list or len(wanted) > MAX_VIEWS:
        raise BadRequest(f"tasks must be a list of at most {MAX_VIEWS} task ids")
    now, found = time.perf_counter(), {}
    for task_id in wanted:
        task = _tasks.get(task_id) if type(task_id) is str else None
        if task is not None:
            found[task_id] = {
                "progress": round(task.progress, 4),
                "stage": task.stage,
                "elapsed_ms": round((now - task.started) * 1000, 1),
                **task.extra,
            }
    return {"status": "ok", "tasks": found}


def _cancel(request: dict[str, Any]) -> dict[str, Any]:
    """Cancel tasks by id: a running one ends at its next step, a queued one when
    it starts (kept for a bounded while: an id is cancelled once)."""
    wanted = request.get("tasks")
    if type(wanted) is not list or len(wanted) > MAX_VIEWS:
        raise BadRequest(f"tasks must be a list of at most {MAX_VIEWS} task ids")
    running = 0
    with _lock:
        for task_id in wanted:
            if type(task_id) is not str or not 0 < len(task_id) <= MAX_TASK_ID:
                continue
            task = _tasks.get(task_id)
            if task is not None:
                task.cancelled = True
                running += 1
            else:
                if len(_cancelled_early) >= 4 * MAX_VIEWS:
                    _cancelled_early.pop()
                _cancelled_early.add(task_id)
    return {"status": "ok", "running": running}


# -- looking at types without asking the object --------------------------------------------

_type_mro = type.__dict__["__mro__"].__get__
_type_name = type.__dict__["__name__"].__get__
_type_module = type.__dict__["__module__"].__get__


def _is(tp: type, module: str, names: tuple[str, ...]) -> bool:
    """Whether ``tp`` is or derives from class ``names`` of module ``module*``,
    found through ``type``'s own descriptors (no metaclass or user code runs)."""
    for klass in _type_mro(tp):
        mod = _type_module(klass)
        if type(mod) is str and mod.startswith(module) and _type_name(klass) in names:
            return True
    return False


def _np() -> Any:
    """numpy if the user's code imported it, else ``None`` (never imported here)."""
    return sys.modules.get("numpy")


def _clip(text: str, room: int) -> tuple[str, bool]:
    if len(text) <= room:
        return text, False
    return text[: max(room - 1, 0)] + ELLIPSIS, True


# -- formatting one value ------------------------------------------------------------------


class _Format:
    __slots__ = ("digits", "max_chars")

    def __init__(self, max_chars: int, digits: int) -> None:
        self.max_chars = max_chars
        self.digits = digits


def _float_text(x: float, digits: int) -> str | int:
    if x != x:
        return NAN
    if x in (math.inf, -math.inf):
        return POS_INF if x > 0 else NEG_INF
    text = f"{x:.{digits}g}"
    if "e" not in text and "." not in text and "n" not in text:
        text += ".0"
    return text


def _int_text(n: int) -> str:
    bits = int.bit_length(n)
    if bits > INT_BITS_PRINTED:
        return f"<int of {bits:,} bits>"
    return int.__repr__(n)


def _format_value(v: Any, fmt: _Format) -> tuple[str | int, bool]:
    """A value as text (cut to ``fmt.max_chars``, and whether it was cut) or a code."""
    tp = type(v)
    if v is None:
        return NULL, False
    if tp is str:
        return _clip(v, fmt.max_chars)
    if tp is bool:
        return ("True" if v else "False"), False
    if tp is float:
        return _float_text(v, fmt.digits), False
    if tp is int:
        return _clip(_int_text(v), fmt.max_chars)
    return _format_other(v, tp, fmt)


def _format_other(v: Any, tp: type, fmt: _Format) -> tuple[str | int, bool]:
    module = _type_module(tp)
    if type(module) is str and module.startswith(("numpy", "pandas")):
        special = _library_special(v, tp)
        if special is not None:
            return special, False
        np = _np()
        if np is not None and issubclass(tp, np.generic) and not issubclass(tp, np.datetime64):
            if issubclass(tp, np.timedelta64):
                return _clip(str(v), fmt.max_chars)
            if issubclass(tp, (np.number, np.bool_)) and not issubclass(tp, np.complexfloating):
                return _format_value(v.item(), fmt)
    if issubclass(tp, str):
        return _clip(str.__str__(v), fmt.max_chars)
    if issubclass(tp, bool):
        return ("True" if v else "False"), False
    if issubclass(tp, float):
        return _float_text(float.__float__(v), fmt.digits), False
    if issubclass(tp, int):
        return _clip(_int_text(int.__index__(v)), fmt.max_chars)
    if issubclass(tp, complex) and (v.real != v.real or v.imag != v.imag):
        return NAN, False
    if issubclass(tp, decimal.Decimal):
        if v.is_nan():
            return NAN, False
        if v.is_infinite():
            return (NEG_INF if v.is_signed() else POS_INF), False
    return _clip(_brief(v, fmt.max_chars + 1), fmt.max_chars)


def _library_special(v: Any, tp: type) -> int | None:
    name = _type_name(tp)
    if name == "NAType":
        return NULL
    if name == "NaTType":
        return NAT
    np = _np()
    if np is not None and issubclass(tp, (np.datetime64, np.timedelta64)) and np.isnat(v):
        return NAT
    if np is not None and issubclass(tp, np.floating):
        f = float(v)
        if f != f or f in (math.inf, -math.inf):
            result = _float_text(f, 1)
            return result if type(result) is int else None
    return None


_SHORT = (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, complex, range)


def _brief(v: Any, room: int, depth: int = 0) -> str:
    """A repr of about ``room`` characters: a slice of a string or bytes, the first
    items of a container, never the whole ``repr`` of a big builtin value."""
    tp = type(v)
    module = _type_module(tp)
    module = module if type(module) is str else ""
    if issubclass(tp, str):
        return repr(str.__getitem__(v, slice(0, room)))
    if issubclass(tp, (bytes, bytearray)):
        return repr(bytes(v[:room]))
    if issubclass(tp, bool) or v is None:
        return repr(v)
    if issubclass(tp, int):
        return _int_text(int.__index__(v))
    if issubclass(tp, _SHORT) or issubclass(tp, float) or module.partition(".")[0] == "pandas":
        return str(v)  # short by type (pandas' Period, Interval, Timestamp: their text)
    if issubclass(tp, (list, tuple, set, frozenset, dict)):
        if depth >= 2:
            return "[\u2026]" if issubclass(tp, list) else "{\u2026}"
        if issubclass(tp, dict):
            items = dict.items(v)
            parts = (
                f"{_brief(k, room, depth + 1)}: {_brief(x, room, depth + 1)}" for k, x in items
            )
            opening, closing = "{", "}"
        else:
            base = next(b for b in (list, tuple, set, frozenset) if issubclass(tp, b))
            parts = (_brief(x, room, depth + 1) for x in base.__iter__(v))
            brackets = {list: "[]", tuple: "()"}.get(base, "{}")
            opening, closing = brackets[0], brackets[1]
        text, used = opening, 1
        for part in parts:
            if used > room:
                text += ELLIPSIS
                break
            text += ("" if text == opening else ", ") + part
            used = len(text)
        return text + closing
    np = _np()
    if np is not None and issubclass(tp, np.ndarray):
        return str(np.array2string(v, threshold=10, edgeitems=2, max_line_width=room))
    try:
        return str(repr(v))
    except Exception as error:
        return f"<{_type_name(tp)}: repr failed: {type(error).__name__}>"


def _format_many(items: Any, fmt: _Format, masked: Any = None, code: int = NULL) -> tuple[Any, ...]:
    """Values of a page and the offsets of those cut; ``masked[i]`` true: ``code``."""
    values: list[str | int] = []
    clipped: list[int] = []
    for i, item in enumerate(items):
        if masked is not None and masked[i]:
            nan = code == NAN and type(item) is float and item != item
            values.append(NAT if code == NAT else NAN if nan else NULL)
            continue
        value, cut = _format_value(item, fmt)
        values.append(value)
        if cut:
            clipped.append(i)
    return values, clipped


def _format_array(vals: Any, fmt: _Format) -> tuple[Any, ...]:
    """A page of a numpy array, formatted by dtype kind."""
    np = _np()
    kind = vals.dtype.kind
    if kind == "f":
        # a float32 has about 7 significant digits, a float16 3: no more are shown
        digits = min(fmt.digits, {2: 3, 4: 7}.get(vals.dtype.itemsize, 17))
        return [_float_text(x, digits) for x in vals.tolist()], []
    if kind in "iu":
        return [str(x) for x in vals.tolist()], []
    if kind == "b":
        return [("True" if x else "False") for x in vals.tolist()], []
    if kind == "M":
        nat = np.isnat(vals).tolist()
        texts = _trim_times(np.datetime_as_string(vals).tolist(), nat)
        return [NAT if n else t for t, n in zip(texts, nat, strict=True)], []
    if kind == "m":
        nat = np.isnat(vals).tolist()
        spans = vals.astype("m8[us]").tolist()  # datetime.timedelta: "1 day, 0:00:05"
        return [
            NAT if n else _clip(str(x), fmt.max_chars)[0] for x, n in zip(spans, nat, strict=True)
        ], []
    return _format_many(vals.tolist() if kind in "USc" else list(vals), fmt)


def _trim_times(texts: list[str], nat: list[bool]) -> list[str]:
    """ISO times of a page shown alike: no zero fraction, no midnight time, when no
    value of the page needs them."""
    shown = [t for t, n in zip(texts, nat, strict=True) if not n]
    texts = [t.replace("T", " ") for t in texts]
    if all(t.partition(".")[2].strip("0") == "" for t in shown):
        texts = [t.partition(".")[0] for t in texts]
        if all(t.partition("T")[2] in ("", "00:00:00", "00:00", "00") for t in shown):
            texts = [t.partition(" ")[0] for t in texts]
    return texts


# -- display types -------------------------------------------------------------------------

_NUMPY_DISPLAY = {
    "i": "number",
    "u": "number",
    "f": "number",
    "c": "number",
    "b": "boolean",
    "M": "datetime",
    "m": "interval",
    "U": "string",
    "S": "string",
}


def _display_of_values(values: Sequence[Any]) -> str:
    """The display type of a sample of Python values (nulls skipped)."""
    found: set[str] = set()
    for v in values:
        tp = type(v)
        if v is None or (tp is float and v != v):
            continue
        if issubclass(tp, bool) or _type_name(tp) == "bool_":
            found.add("boolean")
        elif issubclass(tp, (int, float, decimal.Decimal)) or _is(tp, "numpy", ("number",)):
            found.add("number")
        elif issubclass(tp, (str, bytes)):
            found.add("string")
        elif issubclass(tp, datetime.datetime):
            found.add("datetime")
        elif issubclass(tp, datetime.date):
            found.add("date")
        elif issubclass(tp, datetime.time):
            found.add("time")
        elif issubclass(tp, datetime.timedelta):
            found.add("interval")
        elif _type_name(tp) in ("NAType", "NaTType"):
            continue
        else:
            found.add("object")
        if len(found) > 1:
            return "object"
    return found.pop() if found else "unknown"


def _numpy_display(values: Any) -> str:
    kind = values.dtype.kind
    if kind == "O":
        return _display_of_values(values[:SAMPLE_ROWS].tolist())
    return _NUMPY_DISPLAY.get(kind, "object")


def _describe(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:
        text = "<unprintable message>"
    return _clip(f"{type(error).__name__}: {text}", 300)[0]
