"""Data Explorer procedure, run *inside* an IPython kernel.

The server loads this file into the kernel as a module in ``sys.modules`` (never
in the user's namespace, ``kernel/procedures.py``) and calls
``handle(namespace, request_json)``: the request is JSON text passed as a string
literal, so a variable name is only ever a dictionary key, never code; the
answer is JSON text. One file with the standard library only, because it is sent
to the kernel and run there as one module; numpy and pandas are used only when
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
"""

from __future__ import annotations

import array
import bisect
import datetime
import decimal
import itertools
import json
import math
import operator
import re
import sys
import threading
import time
from collections import _count_elements  # type: ignore[attr-defined]
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

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
_views: dict[str, _View] = {}
_counter = itertools.count(1)
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


# -- columns of numpy and pandas sources: whole-column numpy operations --------------------


class _Column:
    """One column of a numpy or pandas source.

    ``values`` is the column as a numpy array without a copy where the storage
    has one (the frame's own block, a masked array's data, categorical codes).
    """

    display = "unknown"

    def format(self, positions: Any, fmt: _Format) -> tuple[Any, ...]:
        raise NotImplementedError

    def nulls(self) -> Any:
        """A boolean numpy mask of the null rows (``None``: none can be)."""
        raise NotImplementedError

    def sort_key(self) -> Any:
        """A numpy array whose order is the column's (nulls masked separately)."""
        raise NotImplementedError

    def mask(self, spec: dict[str, Any]) -> Any:
        """The boolean mask of the rows a filter selects (nulls never, but for is_null)."""
        raise NotImplementedError


def _text_predicate(spec: dict[str, Any]) -> Callable[[Any], bool]:
    """``str -> bool`` for a text filter, in Python (object and numpy string columns)."""
    kind, term, case = spec["kind"], spec["term"], spec["case_sensitive"]
    if kind == "regex":
        pattern = re.compile(term, 0 if case else re.IGNORECASE)
        return lambda s: pattern.search(s) is not None
    if not case:
        term = term.casefold()
    tests: dict[str, Callable[[str], bool]] = {
        "contains": lambda s: term in s,
        "starts_with": lambda s: s.startswith(term),
        "ends_with": lambda s: s.endswith(term),
    }
    test = tests[kind]
    return test if case else (lambda s: test(s.casefold()))


def _python_mask(values: Any, spec: dict[str, Any], display: str) -> list[bool]:
    """A filter over Python values, one at a time: values it cannot compare are not
    selected (a mixed object column)."""
    kind = spec["kind"]
    if kind in _TEXT_KINDS:
        text = _text_predicate(spec)
        return [issubclass(type(v), str) and text(v) for v in values]
    if kind in ("is_null", "not_null"):
        want = kind == "is_null"
        return [_is_null(v) is want for v in values]
    if kind == "in":
        wanted = [_coerce(x, display) for x in spec["values"]]
        keep_null = any(x is None for x in wanted)
        hashed = {x for x in wanted if x is not None}

        def member(v: Any) -> bool:
            if _is_null(v):
                return keep_null
            try:
                return v in hashed
            except TypeError:
                return False

        return [member(v) for v in values]
    tests = _comparisons(spec, display)

    def selected(v: Any) -> bool:
        if _is_null(v):
            return False
        try:
            return all(bool(op(v, x)) for op, x in tests)
        except TypeError:
            return False

    return [selected(v) for v in values]


def _comparisons(spec: dict[str, Any], display: str) -> list[tuple[Callable[..., Any], Any]]:
    if spec["kind"] == "between":
        low, high = _coerce(spec["low"], display), _coerce(spec["high"], display)
        return [(operator.ge, low), (operator.le, high)]
    return [(_COMPARE[spec["op"]], _coerce(spec["value"], display))]


def _is_null(v: Any) -> bool:
    if v is None:
        return True
    tp = type(v)
    if tp is float:
        return bool(v != v)
    if tp in (str, int, bool):
        return False
    name = _type_name(tp)
    if name in ("NAType", "NaTType"):
        return True
    np = _np()
    if np is not None and issubclass(tp, np.generic):
        if issubclass(tp, (np.datetime64, np.timedelta64)):
            return bool(np.isnat(v))
        if issubclass(tp, np.floating):
            return bool(np.isnan(v))
    return False


def _coerce(value: Any, display: str) -> Any:
    """A filter's JSON value as the column's type; ``ValueError`` if it is none."""
    if value is None:
        return None
    if display == "number":
        if type(value) in (int, float):
            return value
        if type(value) is str:
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                return float(text)
        raise ValueError(f"{value!r} is not a number")
    if display == "boolean":
        if type(value) is bool:
            return value
        if type(value) is str and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{value!r} is not true or false")
    if display == "string":
        return value if type(value) is str else json.dumps(value)
    if display in ("datetime", "date"):
        if type(value) is not str:
            raise ValueError(f"{value!r} is not a date or time (ISO 8601 text)")
        parsed = datetime.datetime.fromisoformat(value)
        return parsed.date() if display == "date" and len(value) <= 10 else parsed
    return value


class _ArrayColumn(_Column):
    """A numpy array: a 1-D array, a column of a 2-D one, a field of a structured one."""

    def __init__(self, values: Any) -> None:
        self.values = values
        self.display = _numpy_display(values)

    def format(self, positions: Any, fmt: _Format) -> tuple[Any, ...]:
        return _format_array(self.values.take(positions), fmt)

    def nulls(self) -> Any:
        np = _np()
        kind = self.values.dtype.kind
        if kind in "fc":
            return np.isnan(self.values)
        if kind in "mM":
            return np.isnat(self.values)
        if kind == "O":
            return np.fromiter(map(_is_null, self.values), dtype=bool, count=len(self.values))
        return None

    def sort_key(self) -> Any:
        return self.values

    def mask(self, spec: dict[str, Any]) -> Any:
        np = _np()
        kind, values = spec["kind"], self.values
        nulls = self.nulls()
        if kind in ("is_null", "not_null"):
            none = np.zeros(len(values), dtype=bool) if nulls is None else nulls
            return none if kind == "is_null" else ~none
        if values.dtype.kind in "OUSV" or kind in _TEXT_KINDS:
            if kind in _TEXT_KINDS and self.display not in ("string", "object", "unknown"):
                raise ValueError(f"a text filter on a {self.display} column")
            items = values.tolist()
            return np.array(_python_mask(items, spec, self.display), dtype=bool)
        if kind == "in":
            wanted = [_coerce(x, self.display) for x in spec["values"]]
            result = np.isin(values, [x for x in wanted if x is not None])
            if nulls is not None and any(x is None for x in wanted):
                result |= nulls
            return result
        result = None
        for op, x in _comparisons(spec, self.display):
            if values.dtype.kind in "mM":
                x = np.datetime64(x) if values.dtype.kind == "M" else np.timedelta64(x)
            with np.errstate(invalid="ignore"):
                part = op(values, x)
            result = part if result is None else result & part
        return result if nulls is None else result & ~nulls


class _PandasColumn(_Column):
    """A pandas Series: numpy-backed ones as arrays, extension arrays through pandas."""

    def __init__(self, series: Any) -> None:
        np = _np()
        self.series = series
        self.dtype = series.dtype
        self.numpy = isinstance(self.dtype, np.dtype)
        self.categorical = _type_name(type(self.dtype)) == "CategoricalDtype"
        if self.categorical:
            self.categories = _PandasColumn(series.cat.categories.to_series())
            self.display = self.categories.display
        elif self.numpy:
            self.display = _numpy_display(series.to_numpy())
        else:
            kind = getattr(self.dtype, "kind", "O")
            self.display = _NUMPY_DISPLAY.get(kind, "object")
            if kind == "O":
                head = series.iloc[:SAMPLE_ROWS].tolist()
                self.display = _display_of_values(head)
            if _type_name(type(self.dtype)) == "StringDtype":
                self.display = "string"

    def _code(self) -> int:
        if self.display in ("datetime", "interval", "date"):
            return NAT
        return NAN if self.display == "number" else NULL

    def format(self, positions: Any, fmt: _Format) -> tuple[Any, ...]:
        if self.numpy:
            return _format_array(self.series.to_numpy().take(positions), fmt)
        taken = self.series.array.take(positions)
        return _format_many(list(taken), fmt, _np().asarray(taken.isna()), self._code())

    def nulls(self) -> Any:
        if self.numpy and self.dtype.kind in "iub":
            return None
        return self.series.isna().to_numpy()

    def sort_key(self) -> Any:
        np = _np()
        if self.numpy:
            return self.series.to_numpy()
        if self.categorical:
            return self.series.cat.codes.to_numpy()
        array_ = self.series.array
        data = getattr(array_, "_data", None)  # a masked array's values, no copy
        if isinstance(data, np.ndarray) and len(data) == len(array_):
            return data
        if self.display in ("datetime", "interval"):
            values = self.series.values  # tz-aware: the UTC datetime64 array
            if isinstance(values, np.ndarray):
                return values
        return np.asarray(array_.to_numpy(dtype=object, na_value=None))

    def mask(self, spec: dict[str, Any]) -> Any:
        np = _np()
        kind = spec["kind"]
        if kind in ("is_null", "not_null"):
            nulls = self.series.isna().to_numpy()
            return nulls if kind == "is_null" else ~nulls
        if self.categorical:
            codes = self.series.cat.codes.to_numpy()
            chosen = np.append(self.categories.mask(spec), False)  # code -1: null
            if kind == "in" and None in spec["values"]:
                chosen[-1] = True
            return chosen[codes]
        series = self.series
        if kind in _TEXT_KINDS:
            if self.display not in ("string", "object", "unknown"):
                raise ValueError(f"a text filter on a {self.display} column")
            if self.display != "string":
                return np.array(_python_mask(series.tolist(), spec, self.display), dtype=bool)
            return self._text_mask(spec)
        if kind == "in":
            wanted = [self._coerce(x) for x in spec["values"] if x is not None]
            chosen = series.isin(wanted).to_numpy(dtype=bool, na_value=False)
            if None in spec["values"]:  # null is in the set: every missing value is chosen
                chosen = chosen | series.isna().to_numpy()
            return chosen
        if self.display == "object":
            return np.array(_python_mask(series.tolist(), spec, self.display), dtype=bool)
        result = None
        if spec["kind"] == "between":
            tests = [(operator.ge, spec["low"]), (operator.le, spec["high"])]
        else:
            tests = [(_COMPARE[spec["op"]], spec["value"])]
        for op, x in tests:
            part = op(series, self._coerce(x)).to_numpy(dtype=bool, na_value=False)
            result = part if result is None else result & part
        nulls = self.nulls()
        return result if nulls is None else result & ~nulls

    def _text_mask(self, spec: dict[str, Any]) -> Any:
        strings = self.series.str
        term, case = spec["term"], spec["case_sensitive"]
        kind = spec["kind"]
        if kind == "regex":
            re.compile(term)  # a bad pattern is the filter's error, said by re
            found = strings.contains(term, case=case, regex=True, na=False)
        elif kind == "contains":
            found = strings.contains(term, case=case, regex=False, na=False)
        else:
            escaped = re.escape(term)
            pattern = f"^{escaped}" if kind == "starts_with" else f"{escaped}$"
            if case:
                method = strings.startswith if kind == "starts_with" else strings.endswith
                found = method(term, na=False)
            else:
                found = strings.contains(pattern, case=False, regex=True, na=False)
        return found.to_numpy(dtype=bool, na_value=False)

    def _coerce(self, value: Any) -> Any:
        pandas = sys.modules["pandas"]
        if value is None:
            return None
        if self.display == "datetime":
            if type(value) is not str:
                raise ValueError(f"{value!r} is not a date or time (ISO 8601 text)")
            stamp = pandas.Timestamp(value)
            tz = getattr(self.dtype, "tz", None)
            if tz is not None and stamp.tzinfo is None:
                stamp = stamp.tz_localize(tz)
            elif tz is None and stamp.tzinfo is not None:
                raise ValueError(f"{value!r} has a time zone; the column has none")
            return stamp
        if self.display == "interval":
            return pandas.Timedelta(value)
        return _coerce(value, self.display)


# -- sources -------------------------------------------------------------------------------


class _Source:
    """A table: its length, its columns' schema, values at row positions, and (for
    numpy and pandas) whole-column arrays for sorting and filtering."""

    kind = ""
    vector = True  # numpy positions and whole-column numpy operations
    lazy = False  # paged a window at a time (a LazyFrame, a dask frame): ``_WindowSource``

    def __init__(self, obj: Any, name: str) -> None:
        self.obj = obj
        self.name = name

    def length(self) -> int:
        raise NotImplementedError

    def column_count(self) -> int:
        raise NotImplementedError

    def schema(self, j: int) -> dict[str, Any]:
        raise NotImplementedError

    def column(self, j: int) -> Any:
        raise NotImplementedError

    def label_levels(self) -> list[dict[str, Any]]:
        return []

    def labels(self, positions: Any, fmt: _Format) -> list[list[str | int]]:
        return []


def _label_text(label: Any) -> str:
    text = label if type(label) is str else _brief(label, 200)
    return _clip(text, 200)[0]


class _PandasSource(_Source):
    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        self.series = obj.ndim == 1
        self.kind = "pandas.Series" if self.series else "pandas.DataFrame"

    def length(self) -> int:
        return len(self.obj)

    def column_count(self) -> int:
        return 1 if self.series else len(self.obj.columns)

    def _series(self, j: int) -> Any:
        return self.obj if self.series else self.obj.iloc[:, j]

    def column(self, j: int) -> Any:
        return _PandasColumn(self._series(j))

    def schema(self, j: int) -> dict[str, Any]:
        column = self.column(j)
        entry: dict[str, Any] = {"dtype": str(column.dtype), "display_type": column.display}
        if self.series:
            label = self.obj.name if self.obj.name is not None else self.name
        else:
            label = self.obj.columns[j]
        if type(label) is tuple:
            entry["name"] = " / ".join(_label_text(part) for part in label)
            entry["levels"] = [_label_text(part) for part in label]
        else:
            entry["name"] = _label_text(label)
        if column.categorical:
            entry["categories"] = len(
                self.obj.dtypes.iloc[j].categories if not self.series else self.obj.dtype.categories
            )
        return entry

    def label_levels(self) -> list[dict[str, Any]]:
        index = self.obj.index
        levels = []
        for k in range(index.nlevels):
            values = index.levels[k] if index.nlevels > 1 else index
            name = index.names[k]
            levels.append(
                {
                    "name": None if name is None else _label_text(name),
                    "dtype": str(values.dtype),
                    "display_type": _PandasColumn(values[:SAMPLE_ROWS].to_series()).display,
                }
            )
        return levels

    def labels(self, positions: Any, fmt: _Format) -> list[list[str | int]]:
        np = _np()
        index = self.obj.index
        if index.nlevels == 1:
            taken = index.take(positions)
            return [_format_many(list(taken), fmt, np.asarray(taken.isna()), NULL)[0]]
        out = []
        for k in range(index.nlevels):
            codes = index.codes[k].take(positions)
            missing = codes < 0
            taken = index.levels[k].take(np.where(missing, 0, codes))
            out.append(_format_many(list(taken), fmt, missing, NULL)[0])
        return out


class _ArraySource(_Source):
    kind = "numpy.ndarray"

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        self.fields = obj.dtype.names

    def length(self) -> int:
        return int(self.obj.shape[0])

    def column_count(self) -> int:
        if self.fields:
            return len(self.fields)
        return 1 if self.obj.ndim == 1 else int(self.obj.shape[1])

    def column(self, j: int) -> Any:
        if self.fields:
            return _ArrayColumn(self.obj[self.fields[j]])
        return _ArrayColumn(self.obj if self.obj.ndim == 1 else self.obj[:, j])

    def schema(self, j: int) -> dict[str, Any]:
        column = self.column(j)
        if self.fields:
            name = _label_text(self.fields[j])
        else:
            name = self.name if self.obj.ndim == 1 else str(j)
        return {"name": name, "dtype": str(column.values.dtype), "display_type": column.display}


# -- Python sources: lists of dicts or tuples, a dict of lists -----------------------------


class _PythonSource(_Source):
    """Rows or columns of Python values, sorted and filtered in Python."""

    vector = False

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        self.names: list[str] = []
        self.displays: list[str | None] = []

    def length(self) -> int:
        return len(self.obj)

    def column_count(self) -> int:
        return len(self.names)

    def get(self, p: int, j: int) -> Any:
        raise NotImplementedError

    def values(self, j: int) -> list[Any]:
        return [self.get(p, j) for p in range(self.length())]

    def display(self, j: int) -> str:
        found = self.displays[j]
        if found is None:
            sample = [self.get(p, j) for p in range(min(self.length(), SAMPLE_ROWS))]
            found = self.displays[j] = _display_of_values(sample)
        return found

    def schema(self, j: int) -> dict[str, Any]:
        return {"name": self.names[j], "dtype": "object", "display_type": self.display(j)}

    def format(self, positions: Any, j: int, fmt: _Format) -> tuple[Any, ...]:
        return _format_many([self.get(p, j) for p in positions], fmt)


class _RecordsSource(_PythonSource):
    """A list of dicts: the columns are the keys of its first rows (SAMPLE_ROWS)."""

    kind = "list of dicts"

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        keys: dict[Any, None] = {}
        for row in list.__getitem__(obj, slice(0, SAMPLE_ROWS)):
            if issubclass(type(row), dict):
                keys.update(dict.fromkeys(dict.keys(row)))
        self.keys = list(keys)[: SCHEMA_COLUMNS * 8]
        self.names = [_label_text(key) for key in self.keys]
        self.displays = [None] * len(self.keys)

    def get(self, p: int, j: int) -> Any:
        row = list.__getitem__(self.obj, p)
        return dict.get(row, self.keys[j]) if issubclass(type(row), dict) else None


class _RowsSource(_PythonSource):
    """A list of tuples (or lists): as wide as the widest of its first rows."""

    kind = "list of tuples"

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        first = list.__getitem__(obj, 0)
        width = 0
        for row in list.__getitem__(obj, slice(0, SAMPLE_ROWS)):
            if issubclass(type(row), (tuple, list)):
                width = max(width, len(row))
        fields = None
        for klass in _type_mro(type(first)):
            fields = type.__dict__["__dict__"].__get__(klass).get("_fields")
            if fields is not None:
                break
        names = [_label_text(f) for f in fields] if type(fields) is tuple else []
        self.names = [names[j] if j < len(names) else str(j) for j in range(width)]
        self.displays = [None] * width

    def get(self, p: int, j: int) -> Any:
        row = list.__getitem__(self.obj, p)
        tp = type(row)
        base = tuple if issubclass(tp, tuple) else list if issubclass(tp, list) else None
        if base is None or j >= base.__len__(row):
            return None
        return base.__getitem__(row, j)


class _ColumnsSource(_PythonSource):
    """A dict of lists (tuples, 1-D arrays): as long as its longest."""

    kind = "dict of lists"

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        self.keys = list(dict.keys(obj))
        self.lists = [dict.__getitem__(obj, key) for key in self.keys]
        self.names = [_label_text(key) for key in self.keys]
        self.displays = [None] * len(self.keys)
        self.rows = max((len(values) for values in self.lists), default=0)

    def length(self) -> int:
        return self.rows

    def get(self, p: int, j: int) -> Any:
        values = self.lists[j]
        return values[p] if p < len(values) else None

    def values(self, j: int) -> list[Any]:
        column = self.lists[j]
        items = column.tolist() if _is(type(column), "numpy", ("ndarray",)) else list(column)
        return items + [None] * (self.rows - len(items))


def _source(obj: Any, name: str) -> _Source:
    """The adapter of a variable, by its type (no library imported, none asked)."""
    tp = type(obj)
    if _is(tp, "pandas", ("DataFrame", "Series")):
        return _PandasSource(obj, name)
    if _is(tp, "numpy", ("ndarray",)):
        ndim = obj.ndim
        if (obj.dtype.names and ndim == 1) or (not obj.dtype.names and ndim in (1, 2)):
            return _ArraySource(obj, name)
        raise NotATable(f"a {ndim}-dimensional array is not a table")
    library = _library_source(obj, name, tp)
    if library is not None:
        return library
    if issubclass(tp, list):
        if not list.__len__(obj):
            raise NotATable("an empty list")
        first = type(list.__getitem__(obj, 0))
        if issubclass(first, dict):
            return _RecordsSource(obj, name)
        if issubclass(first, (tuple, list)):
            return _RowsSource(obj, name)
        raise NotATable("a list of neither dicts nor tuples")
    if issubclass(tp, dict) and dict.__len__(obj):
        columns = dict.values(obj)
        if all(issubclass(type(c), (list, tuple)) or _is_1d(c) for c in columns):
            return _ColumnsSource(obj, name)
        raise NotATable("a dict whose values are not all lists")
    raise NotATable(f"a {_type_name(tp)} is not a table")


def _is_1d(obj: Any) -> bool:
    return _is(type(obj), "numpy", ("ndarray",)) and obj.ndim == 1


# -- library sources: polars, pyarrow, dask --------------------------------------------------
#
# A polars or pyarrow column is read through its library's small ``ops`` (below): a page
# is gathered first and only its rows converted (no copy of a 10M-row string column per
# page); sorting and filtering use whole-column numpy arrays, zero-copy where the library
# has one (a numeric column without nulls), and the library's own kernels for strings.
# A polars LazyFrame and a dask DataFrame are *windowed*: a page computes only its rows
# (``lf.slice(start, n).collect()``; the dask partitions the rows fall in), their row
# count is ``None`` until the last row was paged, and they refuse sort and filter
# (``BadRequest``: that would compute the whole frame; collect or compute it first).

#: Rows of a Python-level pass over a library column (Decimal, struct, list values) done
#: at once: the GIL is let go between them.
_LIB_CHUNK = 50_000
_NUMPY_INTS = {f"{s}Int{b}" for s in ("", "U") for b in (8, 16, 32, 64)}
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_TICKS_PER_US = {"ns": 1000, "us": 1, "ms": 1 / 1000, "s": 1 / 1_000_000}


class _PolarsOps:
    """A polars Series' few operations used by :class:`_LibColumn`."""

    @staticmethod
    def describe(s: Any) -> tuple[str, str, Any]:
        """(category, display type, (time zone, unit) of a zoned datetime)."""
        dtype = s.dtype
        name = _type_name(type(dtype))
        if name in _NUMPY_INTS or name in ("Float16", "Float32", "Float64"):
            return "numpy", "number", None
        if name == "Boolean":
            return "numpy", "boolean", None
        if name == "Date":
            return "numpy", "date", None
        if name == "Duration":
            return "numpy", "interval", None
        if name == "Datetime":
            if dtype.time_zone is None:
                return "numpy", "datetime", None
            return "tz", "datetime", (dtype.time_zone, dtype.time_unit)
        if name in ("String", "Categorical", "Enum"):
            return "text", "string", None
        if name in ("Decimal", "Int128", "UInt128"):
            return "other", "number", None
        if name == "Time":
            return "other", "time", None
        if name == "Binary":
            return "other", "string", None
        if name == "Null":
            return "other", "unknown", None
        if name == "Object":
            return "other", _display_of_values(s.head(SAMPLE_ROWS).to_list()), None
        return "other", "object", None  # List, Array, Struct

    @staticmethod
    def dtype_text(s: Any) -> str:
        return str(s.dtype)

    @staticmethod
    def length(s: Any) -> int:
        return int(s.len())

    @staticmethod
    def null_count(s: Any) -> int:
        return int(s.null_count())

    @staticmethod
    def take(s: Any, positions: Any) -> Any:
        return s.gather(positions)

    @staticmethod
    def piece(s: Any, start: int, stop: int) -> Any:
        return s.slice(start, stop - start)

    @staticmethod
    def is_null(s: Any) -> Any:
        return s.is_null().to_numpy()

    @staticmethod
    def filled(s: Any, display: str) -> Any:
        """The values as numpy, nulls as 0 / False (floats: NaN, times: NaT)."""
        if s.null_count() and display in ("number", "boolean") and not s.dtype.is_float():
            s = s.fill_null(False if display == "boolean" else 0)
        return s.to_numpy()

    @staticmethod
    def physical(s: Any) -> Any:
        return s.to_physical().fill_null(0).to_numpy()

    @staticmethod
    def to_list(s: Any) -> list[Any]:
        return list(s.to_list())

    @staticmethod
    def _text(s: Any) -> Any:
        return s if _type_name(type(s.dtype)) == "String" else s.cast(sys.modules["polars"].String)

    @staticmethod
    def rank(s: Any) -> Any:
        if _type_name(type(s.dtype)) == "Categorical":  # categories in text order, as pandas'
            s = _PolarsOps._text(s)
        return s.rank("dense").fill_null(0).to_numpy()

    @staticmethod
    def text_mask(s: Any, spec: dict[str, Any]) -> Any:
        s = _PolarsOps._text(s)
        kind, term, case = spec["kind"], spec["term"], spec["case_sensitive"]
        if kind == "regex":
            found = s.str.contains(term if case else f"(?i){term}")
        else:
            if not case:
                s, term = s.str.to_lowercase(), term.lower()
            if kind == "contains":
                found = s.str.contains(term, literal=True)
            else:
                found = s.str.starts_with(term) if kind == "starts_with" else s.str.ends_with(term)
        return found.fill_null(False).to_numpy()

    @staticmethod
    def compare(s: Any, op: Callable[[Any, Any], Any], value: str) -> Any:
        return op(_PolarsOps._text(s), value).fill_null(False).to_numpy()

    @staticmethod
    def is_in(s: Any, values: list[Any]) -> Any:
        polars = sys.modules["polars"]
        wanted = polars.Series(values, dtype=polars.String)
        return _PolarsOps._text(s).is_in(wanted).fill_null(False).to_numpy()


class _ArrowOps:
    """A pyarrow ChunkedArray's (or Array's) few operations used by :class:`_LibColumn`."""

    @staticmethod
    def _types() -> Any:
        return sys.modules["pyarrow"].types

    @staticmethod
    def _compute() -> Any:
        import importlib  # the variable is a pyarrow table: pyarrow is imported

        return importlib.import_module("pyarrow.compute")

    @staticmethod
    def describe(a: Any) -> tuple[str, str, Any]:
        types, tp = _ArrowOps._types(), a.type
        if types.is_integer(tp) or types.is_floating(tp):
            return "numpy", "number", None
        if types.is_boolean(tp):
            return "numpy", "boolean", None
        if types.is_date(tp):
            return "numpy", "date", None
        if types.is_duration(tp):
            return "numpy", "interval", None
        if types.is_timestamp(tp):
            if tp.tz is None:
                return "numpy", "datetime", None
            return "tz", "datetime", (tp.tz, tp.unit)
        if types.is_dictionary(tp) and (
            types.is_string(tp.value_type) or types.is_large_string(tp.value_type)
        ):
            return "text", "string", None
        if types.is_string(tp) or types.is_large_string(tp) or _is_string_view(types, tp):
            return "text", "string", None
        if types.is_decimal(tp):
            return "other", "number", None
        if types.is_time(tp):
            return "other", "time", None
        if types.is_binary(tp) or types.is_large_binary(tp) or types.is_fixed_size_binary(tp):
            return "other", "string", None
        if types.is_null(tp):
            return "other", "unknown", None
        return "other", "object", None

    @staticmethod
    def dtype_text(a: Any) -> str:
        return str(a.type)

    @staticmethod
    def length(a: Any) -> int:
        return len(a)

    @staticmethod
    def null_count(a: Any) -> int:
        return int(a.null_count)

    @staticmethod
    def take(a: Any, positions: Any) -> Any:
        return a.take(positions)

    @staticmethod
    def piece(a: Any, start: int, stop: int) -> Any:
        return a.slice(start, stop - start)

    @staticmethod
    def is_null(a: Any) -> Any:
        return a.is_null().to_numpy(zero_copy_only=False)

    @staticmethod
    def filled(a: Any, display: str) -> Any:
        types = _ArrowOps._types()
        if a.null_count and display in ("number", "boolean") and not types.is_floating(a.type):
            a = a.fill_null(False if display == "boolean" else 0)
        return a.to_numpy(zero_copy_only=False)

    @staticmethod
    def physical(a: Any) -> Any:
        return a.cast(sys.modules["pyarrow"].int64()).fill_null(0).to_numpy(zero_copy_only=False)

    @staticmethod
    def to_list(a: Any) -> list[Any]:
        return list(a.to_pylist())

    @staticmethod
    def _text(a: Any) -> Any:
        if _ArrowOps._types().is_dictionary(a.type):
            return a.cast(a.type.value_type)
        return a

    @staticmethod
    def rank(a: Any) -> Any:
        compute = _ArrowOps._compute()
        ranks = compute.rank(_ArrowOps._text(a), sort_keys="ascending", tiebreaker="dense")
        return ranks.to_numpy(zero_copy_only=False)

    @staticmethod
    def text_mask(a: Any, spec: dict[str, Any]) -> Any:
        compute = _ArrowOps._compute()
        a = _ArrowOps._text(a)
        kind, term, ignore = spec["kind"], spec["term"], not spec["case_sensitive"]
        method = {
            "contains": compute.match_substring,
            "starts_with": compute.starts_with,
            "ends_with": compute.ends_with,
            "regex": compute.match_substring_regex,
        }[kind]
        found = method(a, term, ignore_case=ignore)
        return found.fill_null(False).to_numpy(zero_copy_only=False)

    @staticmethod
    def compare(a: Any, op: Callable[[Any, Any], Any], value: str) -> Any:
        compute = _ArrowOps._compute()
        names = {
            operator.eq: "equal",
            operator.ne: "not_equal",
            operator.lt: "less",
            operator.le: "less_equal",
            operator.gt: "greater",
            operator.ge: "greater_equal",
        }
        found = getattr(compute, names[op])(_ArrowOps._text(a), value)
        return found.fill_null(False).to_numpy(zero_copy_only=False)

    @staticmethod
    def is_in(a: Any, values: list[Any]) -> Any:
        compute, pyarrow = _ArrowOps._compute(), sys.modules["pyarrow"]
        found = compute.is_in(_ArrowOps._text(a), value_set=pyarrow.array(values, pyarrow.string()))
        return found.fill_null(False).to_numpy(zero_copy_only=False)


def _is_string_view(types: Any, tp: Any) -> bool:
    test = getattr(types, "is_string_view", None)
    return bool(test(tp)) if test is not None else False


class _LibColumn(_Column):
    """A polars or pyarrow column, by category: ``numpy`` (numbers, booleans, dates,
    datetimes without a zone, durations: numpy arrays, nulls filled and masked, as an
    :class:`_ArrayColumn`), ``tz`` (zoned datetimes: Python values on a page, their
    UTC ticks to sort and filter), ``text`` (strings, categoricals: the library's
    kernels) and ``other`` (Python values, filtered in chunks)."""

    def __init__(self, ops: Any, data: Any) -> None:
        self.ops, self.data = ops, data
        self.category, self.display, self.zone = ops.describe(data)
        self.dtype = ops.dtype_text(data)
        self.categorical = False

    def _null_code(self) -> int:
        return NAT if self.display in ("datetime", "interval") else NULL

    def format(self, positions: Any, fmt: _Format) -> tuple[Any, ...]:
        np, ops = _np(), self.ops
        small = ops.take(self.data, positions)
        missing = ops.is_null(small) if ops.null_count(small) else None
        if self.category == "numpy":
            values, clipped = _format_array(ops.filled(small, self.display), fmt)
            if missing is not None:
                code = self._null_code()
                for i in np.flatnonzero(missing).tolist():
                    values[i] = code
            return values, clipped
        return _format_many(ops.to_list(small), fmt, missing, self._null_code())

    def whole(self) -> Any:
        """The column as a numpy array (``numpy`` category), nulls filled."""
        return self.ops.filled(self.data, self.display)

    def nulls(self) -> Any:
        np = _np()
        if self.category == "numpy" and self.display == "number":
            values = self.whole()
            if values.dtype.kind == "f":
                return np.isnan(values)  # nulls are NaN here, and NaN is null (as pandas')
        if not self.ops.null_count(self.data):
            return None
        return self.ops.is_null(self.data)

    def sort_key(self) -> Any:
        np = _np()
        if self.category == "numpy":
            return self.whole()
        if self.category == "tz":
            return self.ops.physical(self.data)
        try:
            return self.ops.rank(self.data)
        except Exception:  # a type the library does not rank: Python values
            keys = np.empty(self.ops.length(self.data), dtype=object)
            keys[:] = self.ops.to_list(self.data)
            return keys

    def mask(self, spec: dict[str, Any]) -> Any:
        np, ops, kind = _np(), self.ops, spec["kind"]
        if kind in ("is_null", "not_null"):
            nulls = self.nulls()
            none = np.zeros(ops.length(self.data), dtype=bool) if nulls is None else nulls
            return none if kind == "is_null" else ~none
        if kind in _TEXT_KINDS and self.display not in ("string", "object", "unknown"):
            raise ValueError(f"a text filter on a {self.display} column")
        null = ops.is_null(self.data) if ops.null_count(self.data) else None
        if self.category == "numpy":
            result = _ArrayColumn(self.whole()).mask(spec)
        elif self.category == "tz":
            result = self._zoned_mask(spec)
        elif self.category == "text":
            result = self._text_mask(spec)
        else:
            result = self._python_mask(spec)
        if null is not None:
            result = result & ~null
            if kind == "in" and any(x is None for x in spec["values"]):
                result = result | null
        return result

    def _text_mask(self, spec: dict[str, Any]) -> Any:
        kind, ops = spec["kind"], self.ops
        try:
            if kind in _TEXT_KINDS:
                return ops.text_mask(self.data, spec)
            if kind == "in":
                wanted = [_coerce(x, "string") for x in spec["values"]]
                return ops.is_in(self.data, [x for x in wanted if x is not None])
            result = None
            for op, x in _comparisons(spec, "string"):
                part = ops.compare(self.data, op, x)
                result = part if result is None else result & part
            return result
        except (ValueError, TypeError):
            raise
        except Exception as error:  # the library's own error (a pattern it cannot read)
            raise ValueError(_describe(error)) from None

    def _zoned_mask(self, spec: dict[str, Any]) -> Any:
        np = _np()
        zone, unit = self.zone
        ticks = self.ops.physical(self.data)

        def tick(value: Any) -> Any:
            stamp = _coerce(value, "datetime")
            if stamp is None:
                return None
            if stamp.tzinfo is None:
                import zoneinfo

                stamp = stamp.replace(tzinfo=zoneinfo.ZoneInfo(zone))
            micros = (stamp - _EPOCH) // datetime.timedelta(microseconds=1)
            return micros * _TICKS_PER_US[unit]

        if spec["kind"] == "in":
            wanted = [tick(x) for x in spec["values"]]
            return np.isin(ticks, [x for x in wanted if x is not None])
        if spec["kind"] == "between":
            return (ticks >= tick(spec["low"])) & (ticks <= tick(spec["high"]))
        return _COMPARE[spec["op"]](ticks, tick(spec["value"]))

    def _python_mask(self, spec: dict[str, Any]) -> Any:
        """Python values a chunk at a time, the GIL let go between chunks."""
        np, n = _np(), self.ops.length(self.data)
        parts = []
        for start in range(0, n, _LIB_CHUNK):
            items = self.ops.to_list(self.ops.piece(self.data, start, min(n, start + _LIB_CHUNK)))
            parts.append(np.array(_python_mask(items, spec, self.display), dtype=bool))
            time.sleep(0)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


class _LibSource(_Source):
    """A polars DataFrame or a pyarrow Table / RecordBatch (no row labels)."""

    def __init__(self, obj: Any, name: str, kind: str, ops: Any) -> None:
        super().__init__(obj, name)
        self.kind, self.ops = kind, ops
        self.polars = ops is _PolarsOps
        self.names = list(obj.columns if self.polars else obj.column_names)

    def length(self) -> int:
        return int(self.obj.height if self.polars else self.obj.num_rows)

    def column_count(self) -> int:
        return len(self.names)

    def column(self, j: int) -> Any:
        return _LibColumn(self.ops, self.obj.to_series(j) if self.polars else self.obj.column(j))

    def schema(self, j: int) -> dict[str, Any]:
        column = self.column(j)
        return {
            "name": _label_text(self.names[j]),
            "dtype": column.dtype,
            "display_type": column.display,
        }


class _WindowSource(_Source):
    """A frame computed a page at a time (a polars LazyFrame, a dask DataFrame)."""

    lazy = True
    refusal = ""

    def __init__(self, obj: Any, name: str) -> None:
        super().__init__(obj, name)
        self.rows: int | None = None  # known once the last row was paged
        #: How many rows are known to exist (the furthest row paged so far).
        self.seen = 0
        self.schema_source: _Source = self._schema_source()

    def _schema_source(self) -> _Source:
        raise NotImplementedError

    def length(self) -> int | None:  # type: ignore[override]
        return self.rows

    def column_count(self) -> int:
        return self.schema_source.column_count()

    def schema(self, j: int) -> dict[str, Any]:
        return self.schema_source.schema(j)

    def label_levels(self) -> list[dict[str, Any]]:
        return self.schema_source.label_levels()

    def column(self, j: int) -> Any:
        raise BadRequest(self.refusal)

    def window(self, start: int, count: int) -> _Source:
        """An eager source of the rows ``start`` to ``start + count`` (fewer at the end)."""
        raise NotImplementedError

    def _learned(self, start: int, count: int, got: int) -> None:
        """A short page ends the frame; an empty one only where rows were seen up to
        its start (past them, the end could be anywhere before)."""
        if got:
            self.seen = max(self.seen, start + got)
        if got < count and (got or start <= self.seen):
            self.rows = start + got


class _LazyPolarsSource(_WindowSource):
    kind = "polars.LazyFrame"
    refusal = (
        "a polars LazyFrame is paged without computing it whole; sorting or filtering it "
        "would: collect() it into a DataFrame and open that"
    )

    def _schema_source(self) -> _Source:
        polars = sys.modules["polars"]
        empty = polars.DataFrame(schema=self.obj.collect_schema())
        return _LibSource(empty, self.name, "polars.DataFrame", _PolarsOps)

    def window(self, start: int, count: int) -> _Source:
        frame = self.obj.slice(start, count).collect()
        self._learned(start, count, frame.height)
        return _LibSource(frame, self.name, "polars.DataFrame", _PolarsOps)


class _DaskSource(_WindowSource):
    """A dask DataFrame or Series, a partition at a time: a page computes the
    partitions its rows fall in (and, once, those before it to learn their lengths);
    the last two computed partitions are kept."""

    refusal = (
        "a dask DataFrame is paged a partition at a time; sorting or filtering it would "
        "compute it whole: compute() it into pandas and open that"
    )
    KEPT = 2

    def __init__(self, obj: Any, name: str) -> None:
        self.lengths: list[int | None] = [None] * int(obj.npartitions)
        self.kept: dict[int, Any] = {}
        super().__init__(obj, name)
        self.kind = "dask.Series" if obj.ndim == 1 else "dask.DataFrame"

    def _schema_source(self) -> _Source:
        return _PandasSource(self.obj._meta, self.name)

    def _partition(self, i: int) -> Any:
        frame = self.kept.get(i)
        if frame is None:
            frame = self.obj.get_partition(i).compute()
            self.lengths[i] = len(frame)
            if len(self.kept) >= self.KEPT:
                self.kept.pop(next(iter(self.kept)))
            self.kept[i] = frame
        return frame

    def window(self, start: int, count: int) -> _Source:
        pandas = sys.modules["pandas"]
        pieces, offset, stop = [], 0, start + count
        for i in range(len(self.lengths)):
            if offset >= stop:
                break
            length = self.lengths[i]
            if length is None:
                length = len(self._partition(i))
            if offset + length > start and count:
                frame = self._partition(i)
                pieces.append(frame.iloc[max(0, start - offset) : stop - offset])
            offset += length
        if all(n is not None for n in self.lengths):
            self.rows = offset
        frame = pandas.concat(pieces) if pieces else self.obj._meta
        return _PandasSource(frame, self.name)


def _library_source(obj: Any, name: str, tp: type) -> _Source | None:
    """The adapter of a polars, pyarrow or dask frame (by type: nothing imported)."""
    if _is(tp, "polars", ("DataFrame",)):
        return _LibSource(obj, name, "polars.DataFrame", _PolarsOps)
    if _is(tp, "polars", ("LazyFrame",)):
        return _LazyPolarsSource(obj, name)
    if _is(tp, "pyarrow", ("Table", "RecordBatch")):
        return _LibSource(obj, name, f"pyarrow.{_type_name(tp)}", _ArrowOps)
    if _is(tp, "dask", ("DataFrame", "Series")) and hasattr(obj, "npartitions"):
        return _DaskSource(obj, name)
    return None


def _window_rows(
    view: _View, state: _State, request: dict[str, Any], max_bytes: int
) -> dict[str, Any]:
    """A page of a windowed source: its rows computed, then paged as an eager table."""
    source = view.source
    assert isinstance(source, _WindowSource)
    start = _int(request, "start", 0, 0, 2**62)
    count = _int(request, "count", OPEN_ROWS, 0, MAX_ROWS)
    window = _View(view.id, view.name, source.window(start, count))
    answer = _rows(window, window.state, {**request, "start": 0}, max_bytes)
    answer.update(generation=state.generation, start=start, row_count=source.length())
    answer["positions"] = [start + p for p in answer["positions"]]
    return answer


def _refuse_windowed(view: _View) -> None:
    if getattr(view.source, "lazy", False):
        raise BadRequest(view.source.refusal)  # type: ignore[attr-defined]


def _view_features(source: _Source) -> dict[str, Any]:
    """``_features()`` as they hold for this source: a windowed one neither sorts nor filters."""
    features = _features()
    lazy = bool(getattr(source, "lazy", False))
    for op in ("sort", "filter"):
        features[op] = {**features[op], "supported": not lazy}
        if lazy:
            features[op]["reason"] = source.refusal  # type: ignore[attr-defined]
    features["row_count"] = "unknown until the last row is paged" if lazy else "known"
    return features


# -- sorting ---------------------------------------------------------------------------------
#
# A sort must not hold the GIL for long (the user's cell and the fast lane run
# beside it): numpy sorts numbers, datetimes and fixed-width strings with the GIL
# released, an object array's sort holds it throughout. So an object key is made
# a numeric or fixed-width unicode array in chunks (a step between them), and
# values of other types are sorted by buckets between a sample's splitters, each
# bucket short. Every sort is stable with missing values last, both directions.

#: Values converted, taken or compared in Python per step (each holds the GIL).
SORT_CHUNK = 50_000
#: Python values sorted by one ``sorted`` call.
PYTHON_SORT_CHUNK = 20_000
#: Bytes of a fixed-width copy of a string key: past it, a prefix, then refinements.
SORT_MEMORY = 1 << 30
#: A single numeric key on at least FIRST_ROWS_MIN rows commits its first rows first.
FIRST_ROWS = 1000
FIRST_ROWS_MIN = 200_000


_handed_over = [0.0]


def _hand_over() -> None:
    """Let a thread waiting for the GIL have it, at most every few milliseconds.
    Python lets a waiting thread ask for the GIL only when it saw no switch for
    5 ms, and short releases inside numpy count as switches: a loop of short
    chunks would starve the other threads for its whole length without this."""
    now = time.perf_counter()
    if now - _handed_over[0] >= 0.004:
        time.sleep(0.0001)
        _handed_over[0] = time.perf_counter()


class _Steps:
    """A share ``[low, low + span)`` of a task's progress, handed down to the parts."""

    __slots__ = ("low", "request", "span")

    def __init__(self, request: dict[str, Any] | None, low: float = 0.0, span: float = 1.0):
        self.request = request if request is not None else {}
        self.low = low
        self.span = span

    def at(self, fraction: float, stage: str = "") -> None:
        _step(self.request, self.low + self.span * min(1.0, max(0.0, fraction)), stage)
        _hand_over()

    def part(self, i: int, count: int) -> _Steps:
        return _Steps(self.request, self.low + self.span * i / count, self.span / count)


class _ValuesColumn:
    """A Python source's column as an object array, for the vector sort."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values

    def sort_key(self) -> Any:
        return self.values

    def nulls(self) -> Any:
        return None


class _ValuesSource:
    __slots__ = ("source", "steps")

    def __init__(self, source: Any, steps: _Steps) -> None:
        self.source = source
        self.steps = steps

    def column(self, j: int) -> _ValuesColumn:
        self.steps.at(0, "reading")
        return _ValuesColumn(self.source.values(j))


def _is_object(values: Any) -> bool:
    return isinstance(values, list) or values.dtype.kind == "O"


def _picked(values: Any, rows: Any) -> list[Any]:
    """The values (a list or an object array) at ``rows``, as a list: one chunk."""
    if isinstance(values, list):
        return [values[p] for p in rows.tolist()]
    return list(values.take(rows).tolist())


def _gather(values: Any, rows: Any, steps: _Steps) -> list[Any]:
    """The values at ``rows`` as a list, in chunks: an object array's take, or
    even its allocation (filled with None, page by page), holds the GIL."""
    out: list[Any] = []
    for a in range(0, len(rows), SORT_CHUNK):
        steps.at(0, "reading")
        out.extend(_picked(values, rows[a : a + SORT_CHUNK]))
    return out


def _split_key(
    np: Any, column: Any, base: Any, steps: _Steps, reverse: bool
) -> tuple[Any, Any, Any]:
    """``(key, index, tail)``: the key's values at the rows of ``base`` that are
    not null (an array, or a list of objects), those rows' indices in ``base``
    (reversed if ``reverse``), and the null rows (positions, in table order)."""
    values = column.sort_key()
    whole = False
    if _is_object(values):
        whole = _is_range(base, len(values))
        pandas = sys.modules.get("pandas") if isinstance(column, _PandasColumn) else None
        at = np.empty(len(base), dtype=bool)
        for a in range(0, len(base), SORT_CHUNK):
            steps.at(0, "reading")
            chunk = slice(a, a + SORT_CHUNK)
            part = values[chunk] if whole else _picked(values, base[chunk])
            if pandas is not None:
                at[a : a + len(part)] = pandas.isna(part)
            else:
                at[a : a + len(part)] = np.fromiter(map(_is_null, part), bool, len(part))
    else:
        nulls = column.nulls()
        at = None if nulls is None else nulls.take(base)
    if at is not None and at.any():
        index, tail, whole = np.flatnonzero(~at), base[at], False
    else:
        index, tail = np.arange(len(base)), base[:0]
    if reverse:
        index = index[::-1]
    rows = index if whole else base.take(index)
    if not _is_object(values):
        return values.take(rows), index, tail
    if whole and not isinstance(values, list):
        return (values[::-1] if reverse else values), index, tail
    if whole and not reverse:
        return values, index, tail
    return _gather(values, rows, steps), index, tail


def _starts(np: Any, key: Any, order: Any) -> Any:
    """Where, along ``order``, a value differs from the one before (the first: True)."""
    n = len(order)
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
    for a in range(1, n, 4 * SORT_CHUNK):
        b = min(n, a + 4 * SORT_CHUNK)
        seen = key.take(order[a - 1 : b])
        new[a:b] = seen[1:] != seen[:-1]
    return new


def _ascending(np: Any, key: Any, steps: _Steps, groups: bool, natural: bool) -> tuple[Any, Any]:
    """The stable ascending order of a key without nulls, and (``groups``) where
    its runs of equal values start along that order."""
    if _is_object(key):
        return _object_order(np, key, steps, groups, natural)
    if key.dtype.kind in "mM":
        key = key.view(np.int64)
    steps.at(0.2, "sorting")
    order = np.argsort(key, kind="stable")
    return order, (_starts(np, key, order) if groups else None)


def _group_code(v: Any) -> int:
    """:func:`_grouped`'s group: 0 numbers, 1 strings, 2 the rest."""
    tp = type(v)
    if issubclass(tp, (int, float)) or _is(tp, "numpy", ("number", "bool_")):
        return 0
    return 1 if issubclass(tp, str) else 2


def _object_order(
    np: Any, values: Any, steps: _Steps, groups: bool, natural: bool
) -> tuple[Any, Any]:
    """An object key's order: strings as fixed-width unicode, numbers as numbers;
    values of other types by their own comparisons (``natural``), and when those
    fail (or not ``natural``) as :func:`_grouped` orders them."""
    n = len(values)
    types: set[type] = set()
    for a in range(0, n, SORT_CHUNK):
        steps.at(0.05 * a / max(n, 1), "ranking")
        types.update(map(type, values[a : a + SORT_CHUNK]))
    strings = [issubclass(tp, str) for tp in types]
    if all(tp is str for tp in types):  # a subclass may compare otherwise
        return _string_order(np, values, steps, groups)
    numbers = _numbers(np, values, types, steps)
    if numbers is not None:
        return _ascending(np, numbers, steps, groups, natural)
    if natural and not any(strings):  # a string never compares with the others
        try:
            return _sample_order(np, values, steps, groups)
        except TypeError:
            pass
    return _grouped_order(np, values, steps, groups)


def _numbers(np: Any, values: Any, types: set[type], steps: _Steps) -> Any:
    """Python or numpy numbers as an int64 or float64 array with the same order
    (``None`` if there is none: a huge int, a complex, a long double, a non-number)."""

    def integral(tp: type) -> bool:  # not a subclass: it may compare otherwise
        if tp is int or tp is bool:
            return True
        return issubclass(tp, (np.integer, np.bool_)) and _type_module(tp) == "numpy"

    def floating(tp: type) -> bool:
        if tp is float:
            return True
        numpy_float = issubclass(tp, np.floating) and _type_module(tp) == "numpy"
        return numpy_float and np.dtype(tp).itemsize <= 8

    if types and all(integral(tp) for tp in types):
        dtype, check = np.int64, False
    elif types and all(integral(tp) or floating(tp) for tp in types):
        dtype, check = np.float64, any(integral(tp) for tp in types)
    else:
        return None
    out = np.empty(len(values), dtype=dtype)
    for a in range(0, len(values), SORT_CHUNK):
        steps.at(0.1, "ranking")
        part = out[a : a + SORT_CHUNK]
        try:
            part[:] = values[a : a + SORT_CHUNK]
        except (OverflowError, TypeError, ValueError):
            return None
        if check and not bool((np.abs(part) < 2.0**53).all()):  # ints exact as floats
            return None
    return out


def _string_order(np: Any, values: Any, steps: _Steps, groups: bool) -> tuple[Any, Any]:
    """Strings sorted as a fixed-width unicode array (numpy sorts it without the
    GIL), made in chunks; at most SORT_MEMORY bytes of it: past that, a prefix,
    and the runs of equal prefixes that hold a longer string are sorted again by
    the next characters (so are strings that end in NUL, which numpy drops)."""
    n = len(values)
    lengths = np.empty(n, dtype=np.int64)
    for a in range(0, n, SORT_CHUNK):
        steps.at(0.1 + 0.1 * a / max(n, 1), "ranking")
        part = values[a : a + SORT_CHUNK]
        lengths[a : a + len(part)] = np.fromiter(map(len, part), np.int64, len(part))
    longest = int(lengths.max()) if n else 0
    width = max(1, min(longest, SORT_MEMORY // (4 * max(n, 1))))
    key = np.empty(n, dtype=f"U{width}")
    rows = max(1, min(SORT_CHUNK, (1 << 22) // width))
    for a in range(0, n, rows):
        steps.at(0.2 + 0.3 * a / max(n, 1), "ranking")
        key[a : a + rows] = values[a : a + rows]  # cut at the width
    steps.at(0.5, "sorting")
    order = np.argsort(key, kind="stable")
    loose = _str_len(np, key) != lengths
    refine = bool(loose.any())
    new = _starts(np, key, order) if groups or refine else None
    del key
    if refine:
        _refine(np, values, lengths, order, new, loose, width, steps)
    return order, new


def _str_len(np: Any, key: Any) -> Any:
    strings = getattr(np, "strings", None)
    return (strings if strings is not None else np.char).str_len(key)


def _refine(
    np: Any,
    values: Any,
    lengths: Any,
    order: Any,
    new: Any,
    loose: Any,
    width: int,
    steps: _Steps,
) -> None:
    """Sort again, in place, the runs of ``order`` (equal in their first ``width``
    characters) that hold a ``loose`` string, by the next ``width`` characters and
    then the length, until no run holds a string longer than what was compared."""
    group = np.cumsum(new) - 1
    wanted = np.zeros(int(group[-1]) + 1, dtype=bool)
    wanted[group[loose[order]]] = True
    chosen = np.flatnonzero(wanted[group])  # positions in order
    group = group[chosen]
    offset, round_ = width, 0
    while len(chosen):
        round_ += 1
        steps.at(0.9 - 0.4 / (1 + round_), "refining")
        rows = order[chosen]
        window = np.empty(len(rows), dtype=f"U{width}")
        size = max(1, min(SORT_CHUNK, (1 << 22) // width))
        for a in range(0, len(rows), size):
            steps.at(0.9 - 0.4 / (1 + round_), "refining")
            part = _picked(values, rows[a : a + size])
            window[a : a + len(part)] = [s[offset : offset + width] for s in part]
        # Longer than compared: one length, so such rows stay in one run.
        reach = np.minimum(lengths.take(rows), offset + width + 1)
        o = np.argsort(reach, kind="stable")
        o = o[np.argsort(window[o], kind="stable")]
        o = o[np.argsort(group[o], kind="stable")]
        rows, group, window, reach = rows[o], group[o], window[o], reach[o]
        order[chosen] = rows
        fresh = np.empty(len(rows), dtype=bool)
        fresh[0] = True
        fresh[1:] = (group[1:] != group[:-1]) | (window[1:] != window[:-1])
        fresh[1:] |= reach[1:] != reach[:-1]
        new[chosen] = fresh
        more = reach > offset + width
        if not more.any():
            return
        sub = np.cumsum(fresh) - 1
        wanted = np.zeros(int(sub[-1]) + 1, dtype=bool)
        wanted[sub[more]] = True
        keep = np.flatnonzero(wanted[sub])
        chosen, group = chosen[keep], sub[keep]
        offset += width


def _sample_order(
    np: Any, values: Any, steps: _Steps, groups: bool, depth: int = 0
) -> tuple[Any, Any]:
    """Python values by their own comparisons, stable: into buckets between a
    sorted sample's splitters (a value equal to one is a bucket of its own), each
    bucket then sorted alone; ``TypeError`` if two do not compare."""
    n = len(values)
    steps.at(0.5, "sorting")
    if n <= PYTHON_SORT_CHUNK or depth >= 6:
        order = np.fromiter(sorted(range(n), key=values.__getitem__), np.intp, n)
    else:
        buckets = n // (PYTHON_SORT_CHUNK // 2) + 1
        picks = np.random.default_rng(n).choice(n, size=min(n, 16 * buckets), replace=False)
        sample = sorted(_picked(values, np.sort(picks)))
        spacing = max(1, len(sample) // buckets)
        splitters: list[Any] = []
        for x in sample[spacing // 2 :: spacing]:
            if not splitters or splitters[-1] < x:
                splitters.append(x)
        ids = np.empty(n, dtype=np.int64)
        left, right = bisect.bisect_left, bisect.bisect_right
        for a in range(0, n, SORT_CHUNK // 4):
            steps.at(0.5, "sorting")
            part = values[a : a + SORT_CHUNK // 4]
            found = (left(splitters, v) + right(splitters, v) for v in part)
            ids[a : a + len(part)] = np.fromiter(found, np.int64, len(part))
        order = np.argsort(ids, kind="stable")
        bounds = np.cumsum(np.bincount(ids, minlength=2 * len(splitters) + 1)).tolist()
        start = 0
        for b, stop in enumerate(bounds):
            if b % 2 == 0 and stop - start > 1:  # between two splitters
                segment = order[start:stop]
                inner, _ = _sample_order(np, _picked(values, segment), steps, False, depth + 1)
                order[start:stop] = segment.take(inner)
            start = stop
    if not groups:
        return order, None
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
    for a in range(1, n, SORT_CHUNK):
        steps.at(0.9, "ranking")
        seen = _picked(values, order[a - 1 : a + SORT_CHUNK])
        new[a : a + len(seen) - 1] = np.fromiter(map(operator.lt, seen, seen[1:]), bool)
    return order, new


def _grouped_order(np: Any, values: Any, steps: _Steps, groups: bool) -> tuple[Any, Any]:
    """Numbers, then strings, then the rest in table order (:func:`_grouped`)."""
    n = len(values)
    codes = np.empty(n, dtype=np.int8)
    for a in range(0, n, SORT_CHUNK):
        steps.at(0.1, "ranking")
        part = values[a : a + SORT_CHUNK]
        codes[a : a + len(part)] = np.fromiter(map(_group_code, part), np.int8, len(part))
    orders, starts = [], []
    for code in (0, 1, 2):
        rows = np.flatnonzero(codes == code)
        if not len(rows):
            continue
        if code == 2:
            order, new = np.arange(len(rows)), np.zeros(len(rows), dtype=bool)
            new[0] = True
        elif code == 1:
            part = _gather(values, rows, steps)
            if all(type(s) is str for s in part):
                order, new = _string_order(np, part, steps, groups)
            else:
                order, new = _sample_order(np, part, steps, groups)
        else:
            part = _gather(values, rows, steps)
            kinds: set[type] = set()
            for a in range(0, len(part), SORT_CHUNK):
                kinds.update(map(type, part[a : a + SORT_CHUNK]))
            numbers = _numbers(np, part, kinds, steps)
            if numbers is not None:
                order, new = _ascending(np, numbers, steps, groups, True)
            else:
                order, new = _sample_order(np, part, steps, groups)
        orders.append(rows.take(order))
        starts.append(new)
    order = np.concatenate(orders) if orders else np.arange(0)
    new = np.concatenate(starts) if groups and starts else None
    return order, new


def _arrow_strings(column: Any) -> Any:
    """A pandas column of Arrow strings as its ``pyarrow.ChunkedArray`` (sorted by
    Arrow without the GIL), else ``None``."""
    if not isinstance(column, _PandasColumn) or column.numpy or column.categorical:
        return None
    pa, compute = sys.modules.get("pyarrow"), sys.modules.get("pyarrow.compute")
    array_ = column.series.array
    if pa is None or compute is None or not _is(type(array_), "pandas", ("ArrowExtensionArray",)):
        return None
    data = array_.__arrow_array__()
    kind = data.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return data
    return None


def _arrow_taken(data: Any, base: Any) -> Any:
    return data if _is_range(base, len(data)) else data.take(base)


def _is_range(base: Any, rows: int) -> bool:
    """Whether ``base`` is every one of ``rows`` rows, in order (no filter)."""
    n = len(base)
    if n != rows:
        return False
    if n == 0:
        return True
    return int(base[0]) == 0 and int(base[-1]) == n - 1 and bool((base[1:] > base[:-1]).all())


def _numeric_values(np: Any, column: Any, base: Any, whole: bool = False) -> Any:
    """``(values, nulls)`` of a number or datetime key: the column's array and the
    null mask at ``base`` where nulls are not NaN or NaT (``None``: none); ``None``
    for other keys, and for a masked float column with nulls (its NaN is a value,
    its NA a null: the general sort)."""
    if _arrow_strings(column) is not None:
        return None
    values = column.sort_key()
    if _is_object(values) or values.dtype.kind not in "iufmM":
        return None
    kind = values.dtype.kind
    at = None
    if kind in "iu" or (isinstance(column, _PandasColumn) and not column.numpy):
        nulls = column.nulls()
        if nulls is not None and not (whole and len(nulls) == len(base)):
            nulls = nulls.take(base)  # (whole: base may be reused by _placed, unread)
        at = nulls if nulls is not None and nulls.any() else None
    if kind == "f" and at is not None:
        return None
    return values, at


def _numeric_key(np: Any, column: Any, base: Any, ascending: bool, whole: bool = False) -> Any:
    """``(key, nulls, strict)`` for a number or datetime key: the key at ``base``
    (``whole``: every row in order) transformed so that its ascending order is the
    wanted one (negated, inverted; datetimes as unsigned with NaT last); ``strict``:
    its nulls order after every value (NaN, NaT), else ``nulls`` is their mask."""
    found = _numeric_values(np, column, base, whole)
    if found is None:
        return None
    values, at = found
    kind = values.dtype.kind
    whole = whole and len(values) == len(base)
    if whole and ascending and kind not in "mM" and at is None:
        return values, None, True  # sorted as it is: no copy
    key = values.copy() if whole else values.take(base)  # (base may be reused: _placed)
    if kind in "mM":
        unsigned = key.view(np.uint64)
        unsigned ^= np.uint64(1 << 63)  # NaT, the least int64, is now 0
        if ascending:
            unsigned -= np.uint64(1)  # NaT the greatest
        else:
            np.invert(unsigned, out=unsigned)
        return unsigned, None, True
    if not ascending:
        if kind == "f":
            np.negative(key, out=key)
        else:
            np.invert(key, out=key)
    if at is not None:
        key[at] = np.iinfo(key.dtype).max
    return key, at, at is None


def _numeric_order(np: Any, base: Any, key: Any, at: Any, strict: bool, whole: bool = False) -> Any:
    if strict:
        order = np.argsort(key, kind="stable")
        return order if whole else base.take(order)
    keep = ~at
    rows, tail = (np.flatnonzero(keep), np.flatnonzero(at)) if whole else (base[keep], base[at])
    return np.concatenate((rows.take(np.argsort(key[keep], kind="stable")), tail))


def _placed(np: Any, base: Any, first: Any, whole: bool) -> Any:
    """Positions with ``base[first]`` at the front and the other rows after, in any
    order (those in the front slots move to the chosen rows' slots). ``whole``:
    ``base`` is every row in order, a new array, and becomes the positions (a new
    array of 10M rows costs its page faults: up to 150 ms here)."""
    k = len(first)
    positions = base if whole else base.copy()
    vacated = np.setdiff1d(np.arange(k), first, assume_unique=True)
    positions[first[first >= k]] = positions[vacated]
    positions[:k] = first if whole else base.take(first)
    return positions


def _sampled_first_rows(
    np: Any, column: Any, base: Any, ascending: bool, k: int, whole: bool
) -> Any:
    """``(positions, k)`` whose first ``k`` rows are the full sort's, found from a
    sample's threshold: the rows on its side, few, sorted (no copy of the column,
    one comparison over it). ``None`` when the threshold does not hold k rows or
    holds too many (ties, nulls): :func:`_first_rows` then."""
    found = _numeric_values(np, column, base, whole)
    if found is None:
        return None
    values, at = found
    whole = whole and len(values) == len(base)
    key = values if whole else values.take(base)
    kind = key.dtype.kind
    least = None
    if kind in "mM":
        key, least = key.view(np.int64), np.iinfo(np.int64).min  # NaT
    n = len(key)
    k = min(k, n)
    picks = np.random.default_rng(n).integers(0, n, size=min(n, 1 << 16)) if n else base[:0]
    sample = key.take(picks)
    if kind == "f":
        sample = sample[~np.isnan(sample)]
    elif least is not None:
        sample = sample[sample != least]
    elif at is not None:
        sample = sample[~at.take(picks)]
    if not k or not len(sample):
        return None
    sample.sort()
    j = min(len(sample) - 1, 4 * k * len(picks) // n + 32)
    if ascending:
        chosen = key <= sample[j]
        if least is not None:
            chosen &= key != least
    else:
        chosen = key >= sample[len(sample) - 1 - j]
    if at is not None:
        chosen &= ~at
    rows = np.flatnonzero(chosen)
    if not k <= len(rows) <= max(1 << 18, 4 * k):
        return None
    seen = key.take(rows)
    if not ascending:
        seen = np.negative(seen) if kind == "f" else np.invert(seen)
    first = rows.take(np.argsort(seen, kind="stable")[:k])
    return _placed(np, base, first, whole), k


def _first_rows(np: Any, base: Any, key: Any, at: Any, k: int, whole: bool) -> tuple[Any, int]:
    """As :func:`_sampled_first_rows`, from a transformed key (:func:`_numeric_key`)
    and a partition of it."""
    n = len(key)
    k = min(k, n)
    if not k:
        return base.copy(), 0
    kth = key[np.argpartition(key, k - 1)[k - 1]]
    if key.dtype.kind == "f" and kth != kth:  # fewer than k numbers: all, then NaN
        missing = np.isnan(key)
        less, same = np.flatnonzero(~missing), np.flatnonzero(missing)
    else:
        below, equal = key < kth, key == kth
        if at is not None:
            below &= ~at
            equal &= ~at
        less, same = np.flatnonzero(below), np.flatnonzero(equal)
    chosen = np.sort(np.concatenate((less, same[: k - len(less)])))
    first = chosen.take(np.argsort(key.take(chosen), kind="stable"))
    if len(first) < k and at is not None:
        first = np.concatenate((first, np.flatnonzero(at)[: k - len(first)]))
    return _placed(np, base, first, whole), len(first)


def _key_order(
    np: Any, column: Any, base: Any, ascending: bool, steps: _Steps, natural: bool = True
) -> Any:
    """``base`` stably ordered by one key, nulls last."""
    data = _arrow_strings(column)
    if data is not None:
        steps.at(0.2, "sorting")
        compute = sys.modules["pyarrow.compute"]
        order = compute.array_sort_indices(
            _arrow_taken(data, base), order="ascending" if ascending else "descending"
        )
        return base.take(np.asarray(order))
    whole = _is_range(base, len(base))  # and as long as the column: _numeric_key
    numeric = _numeric_key(np, column, base, ascending, whole)
    if numeric is not None:
        steps.at(0.2, "sorting")
        key, at, strict = numeric
        return _numeric_order(np, base, key, at, strict, whole)
    key, index, tail = _split_key(np, column, base, steps, not ascending)
    order, _ = _ascending(np, key, steps, False, natural)
    ordered = base.take(index.take(order))
    if not ascending:  # the ascending order of the reversed key, reversed: ties in table order
        ordered = ordered[::-1]
    return np.concatenate((ordered, tail))


def _key_ranks(
    np: Any, column: Any, base: Any, ascending: bool, steps: _Steps, natural: bool = True
) -> Any:
    """Dense ranks of one key at ``base`` (0, 1, ... in the key's direction, ties
    equal, nulls one rank after all), for :func:`numpy.lexsort`."""
    data = _arrow_strings(column)
    if data is not None:
        steps.at(0.2, "ranking")
        compute = sys.modules["pyarrow.compute"]
        ranks = compute.rank(
            _arrow_taken(data, base),
            sort_keys="ascending" if ascending else "descending",
            tiebreaker="dense",
        )
        return np.asarray(ranks).astype(np.int64)
    key, index, _ = _split_key(np, column, base, steps, False)
    order, new = _ascending(np, key, steps, True, natural)
    dense = np.cumsum(new, dtype=np.int64)
    top = int(dense[-1]) if len(dense) else 0
    ranks = np.empty(len(key), dtype=np.int64)
    ranks[order] = dense - 1 if ascending else top - dense
    if len(index) == len(base):
        return ranks
    full = np.full(len(base), top, dtype=np.int64)
    full[index] = ranks
    return full


def _vector_sort(
    source: Any,
    base: Any,
    keys: list[dict[str, Any]],
    steps: _Steps | None = None,
    natural: bool = True,
) -> Any:
    """The positions ``base`` (in table order) stably ordered by ``keys``, nulls last."""
    np = _np()
    steps = steps or _Steps(None)
    if len(keys) == 1:
        spec = keys[0]
        return _key_order(
            np, source.column(spec["column"]), base, spec["ascending"], steps, natural
        )
    lex = []
    for i, spec in enumerate(keys):
        part = steps.part(i, len(keys) + 1)
        part.at(0, "ranking")
        ranks = _key_ranks(
            np, source.column(spec["column"]), base, spec["ascending"], part, natural
        )
        lex.append(ranks.astype(np.int32) if len(ranks) and ranks.max() < 2**31 else ranks)
    steps.at(len(keys) / (len(keys) + 1), "sorting")
    return base.take(np.lexsort(lex[::-1]))


def _stable_argsort(np: Any, key: Any, ascending: bool) -> Any:
    """A numeric key's stable order, ties in table order both ways (numpy sorts it
    without the GIL; an object key goes through :func:`_key_order`)."""
    if ascending:
        return np.argsort(key, kind="stable")
    n = len(key)
    return (n - 1) - np.argsort(key[::-1], kind="stable")[::-1]


def _dense_ranks(np: Any, key: Any) -> Any:
    """Dense ranks (0, 1, ..., ties equal) of a numeric key without nulls."""
    order, new = _ascending(np, key, _Steps(None), True, True)
    ranks = np.empty(len(key), dtype=np.int64)
    ranks[order] = np.cumsum(new, dtype=np.int64) - 1
    return ranks


def _grouped(v: Any) -> tuple[int, Any]:
    """A key that orders values of mixed types: numbers, then strings, then the rest
    (in table order)."""
    tp = type(v)
    if issubclass(tp, (int, float)) or _is(tp, "numpy", ("number", "bool_")):
        return (0, v)
    if issubclass(tp, str):
        return (1, v)
    return (2, 0)


def _python_sort(
    source: Any, base: list[int], keys: list[dict[str, Any]], steps: _Steps | None = None
) -> Any:
    """A Python source's sort, values ordered as :func:`_grouped` does, nulls last:
    through numpy (in chunks) when it is imported, else by stable passes."""
    steps = steps or _Steps(None)
    np = _np()
    if np is not None:
        rows = np.asarray(base, dtype=np.intp)
        return _vector_sort(_ValuesSource(source, steps), rows, keys, steps, natural=False)
    order = list(base)
    for spec in reversed(keys):
        values = source.values(spec["column"])
        ascending = spec["ascending"]

        def key(p: int, values: list[Any] = values, ascending: bool = ascending) -> tuple[Any, ...]:
            v = values[p]
            if _is_null(v):
                return (1 if ascending else 0, 0, 0)
            return (0 if ascending else 1, *_grouped(v))

        order.sort(key=key, reverse=not ascending)
    return order


def _early_sort(
    view: Any, state: Any, base: Any, specs: list[dict[str, Any]], request: dict[str, Any]
) -> dict[str, Any] | None:
    """A single number or datetime key on a big view: first commit a generation
    whose FIRST_ROWS rows are in final order (a partition, then those rows
    sorted), said as the task's ``first_rows`` step, then the full sort as the
    next. Cancelled or failed after the first commit, the view goes back to its
    former order (under a new generation). ``None``: not such a sort."""
    np = _np()
    if not view.source.vector or len(specs) != 1 or len(base) < FIRST_ROWS_MIN:
        return None
    spec, whole = specs[0], not state.filtered
    column, ascending = view.source.column(spec["column"]), spec["ascending"]
    if _numeric_values(np, column, base, whole) is None:
        return None
    _step(request, 0.05, "first_rows")
    numeric = None
    found = _sampled_first_rows(np, column, base, ascending, FIRST_ROWS, whole)
    if found is None:
        numeric = _numeric_key(np, column, base, ascending, whole)
        found = _first_rows(np, base, numeric[0], numeric[1], FIRST_ROWS, whole)
    positions, k = found
    early = _State(state.generation + 1, positions, specs, state.filters, state.filtered)
    with _lock:
        if view.state is not state:
            raise ViewChanged(
                "the view changed while this ran; ask again", generation=view.state.generation
            )
        view.state = early
    try:
        _step(request, 0.1, "first_rows", generation=early.generation, sorted_rows=k)
        _step(request, 0.15)
        numeric = numeric or _numeric_key(np, column, base, ascending, whole)
        key, at, strict = numeric
        final = _numeric_order(np, base, key, at, strict, whole)
        new = _State(early.generation + 1, final, specs, state.filters, state.filtered)
        _commit(view, early, new, request)
    except BaseException:
        with _lock:
            if view.state is early:
                view.state = state._replace(generation=early.generation + 1)
        raise
    return {"status": "ok", "generation": new.generation, "row_count": view.row_count(new)}


# -- filtering ---------------------------------------------------------------------------------


def _filter_mask(source: _Source, spec: dict[str, Any]) -> Any:
    if source.vector:
        return source.column(spec["column"]).mask(spec)
    assert isinstance(source, _PythonSource)
    j = spec["column"]
    return _python_mask(source.values(j), spec, source.display(j))


def _positions(values: Sequence[int]) -> Any:
    np = _np()
    if np is not None:
        return np.asarray(values, dtype=np.intp)
    return array.array("q", values)


# -- views ---------------------------------------------------------------------------------


class _State(NamedTuple):
    """One state of a view, replaced whole: positions ``None`` is every row in order.
    (A named tuple: a dataclass needs its module in ``sys.modules``, and a kernel
    procedure is run before it is put there.)"""

    generation: int
    positions: Any
    sort: list[dict[str, Any]]
    filters: tuple[list[dict[str, Any]], str]
    filtered: bool


class _View:
    __slots__ = ("fingerprint", "id", "name", "source", "state")

    def __init__(self, view_id: str, name: str, source: _Source) -> None:
        self.id = view_id
        self.name = name
        self.source = source
        self.state = _State(0, None, [], ([], "and"), False)
        self.fingerprint: Any = None  # of the source's object, for ``check``

    def row_count(self, state: _State) -> int:
        return self.source.length() if state.positions is None else len(state.positions)

    def base(self, state: _State) -> Any:
        """The rows the filter selects, in table order (a new array)."""
        np = _np()
        if state.positions is None or not state.filtered:
            n = self.source.length()
            return np.arange(n, dtype=np.intp) if self.source.vector else list(range(n))
        if not state.sort:
            return state.positions
        if self.source.vector:
            return np.sort(state.positions)
        return sorted(state.positions)

    def ordered(
        self, base: Any, keys: list[dict[str, Any]], filtered: bool, steps: _Steps | None = None
    ) -> Any:
        if not keys:
            return _positions(base) if filtered else None
        if self.source.vector:
            return _vector_sort(self.source, base, keys, steps)
        return _positions(_python_sort(self.source, base, keys, steps))


# -- requests ------------------------------------------------------------------------------


def _whole(value: Any) -> Any:
    """A whole-number float as the int it is (JSON Schema counts ``1.0`` an integer)."""
    return int(value) if type(value) is float and value.is_integer() else value


def _int(request: dict[str, Any], key: str, default: Any, low: int, high: int) -> int:
    value = _whole(request.get(key, default))
    if type(value) is not int or not low <= value <= high:
        raise BadRequest(f"{key} must be an integer from {low} to {high}")
    return value


def _view(request: dict[str, Any]) -> _View:
    view_id = request.get("view")
    with _lock:
        view = _views.get(view_id) if type(view_id) is str else None
    if view is None:
        raise UnknownView(f"no view {_clip(str(view_id), 80)[0]!r}")
    return view


def _column_index(view: _View, value: Any, what: str) -> int:
    count = view.source.column_count()
    value = _whole(value)
    if type(value) is not int or not 0 <= value < count:
        raise BadRequest(f"{what}: no column {value!r} (the table has {count})")
    return value


def _rows(view: _View, state: _State, request: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """A page: formatted values column by column, row labels and row positions."""
    source = view.source
    if source.lazy:
        return _window_rows(view, state, request, max_bytes)
    start = _int(request, "start", 0, 0, 2**62)
    count = _int(request, "count", OPEN_ROWS, 0, MAX_ROWS)
    fmt = _Format(
        _int(request, "max_chars", VALUE_CHARS, 8, MAX_VALUE_CHARS),
        _int(request, "digits", DIGITS, 1, 17),
    )
    wanted = request.get("columns")
    if wanted is None:
        indexes = list(range(min(source.column_count(), PAGE_COLUMNS)))
    elif type(wanted) is list and len(wanted) <= SCHEMA_COLUMNS:
        indexes = [_column_index(view, j, "columns") for j in wanted]
    else:
        raise BadRequest(f"columns must be a list of at most {SCHEMA_COLUMNS} indexes")
    stop = min(start + count, view.row_count(state))
    start = min(start, stop)
    if state.positions is not None:
        positions = state.positions[start:stop]
    elif source.vector:
        positions = _np().arange(start, stop, dtype=_np().intp)
    else:
        positions = range(start, stop)
    answer: dict[str, Any] = {
        "status": "ok",
        "generation": state.generation,
        "start": start,
        "count": stop - start,
        "columns": [],
        "labels": source.labels(positions, fmt),
        "positions": list(positions.tolist() if hasattr(positions, "tolist") else positions),
    }
    used = len(json.dumps(answer))
    if used > max_bytes and stop - start > 1:  # the row labels alone are too big: fewer rows
        return _rows(view, state, {**request, "count": max(1, (stop - start) // 2)}, max_bytes)
    omitted: list[int] = []
    for j in indexes:
        if omitted:
            omitted.append(j)
            continue
        if source.vector:
            values, clipped = source.column(j).format(positions, fmt)
        else:
            assert isinstance(source, _PythonSource)
            values, clipped = source.format(positions, j, fmt)
        entry: dict[str, Any] = {"index": j, "values": values}
        if clipped:
            entry["clipped"] = clipped
        size = len(json.dumps(entry)) + 2
        if used + size > max_bytes:
            omitted.append(j)
            continue
        answer["columns"].append(entry)
        used += size
    if omitted:
        answer["truncated"] = True
        answer["omitted_columns"] = omitted
        if not answer["columns"] and stop - start > 1:  # one column is too big: fewer rows
            request = {**request, "count": max(1, (stop - start) // 2)}
            return _rows(view, state, request, max_bytes)
    return answer


def _open(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    name = request.get("name")
    if type(name) is not str:
        raise BadRequest("name must be a string")
    obj = namespace.get(name, _MISSING)
    if obj is _MISSING:
        raise UnknownVariable(f"no variable {_clip(name, 80)[0]!r}")
    count = _int(request, "rows", OPEN_ROWS, 0, MAX_ROWS)
    max_bytes = _int(request, "max_bytes", MAX_ANSWER_BYTES, 4096, MAX_ANSWER_BYTES)
    source = _source(obj, name)
    with _lock:
        if len(_views) >= MAX_VIEWS:
            raise TooManyViews(f"{MAX_VIEWS} views are open; close one first")
        view = _View(f"v{next(_counter)}", name, source)
        _views[view.id] = view
    view.fingerprint = _fingerprint(source)
    shown = min(source.column_count(), SCHEMA_COLUMNS)
    answer: dict[str, Any] = {
        "status": "ok",
        "view": view.id,
        "generation": 0,
        "kind": source.kind,
        "shape": [source.length(), source.column_count()],
        "columns": _schema(source, shown, max_bytes // 2),
        "row_label_levels": source.label_levels(),
        "features": _view_features(source),
    }
    if len(answer["columns"]) < source.column_count():
        answer["columns_truncated"] = True
    room = max(1024, max_bytes - len(json.dumps(answer)))
    answer["first"] = _rows(view, view.state, {**request, "count": count, "start": 0}, room)
    return answer


def _schema(source: _Source, shown: int, max_bytes: int) -> list[dict[str, Any]]:
    """The first ``shown`` columns' schema, as many as fit in ``max_bytes``."""
    columns, used = [], 0
    for j in range(shown):
        entry = {"index": j, **source.schema(j)}
        used += len(json.dumps(entry)) + 2
        if used > max_bytes:
            break
        columns.append(entry)
    return columns


def _features() -> dict[str, Any]:
    return {
        "rows": {"max_rows": MAX_ROWS, "max_chars": MAX_VALUE_CHARS, "digits": DIGITS},
        "sort": {"max_keys": MAX_SORT_KEYS, "stable": True, "nulls": "last"},
        "filter": {
            "kinds": list(FILTER_KINDS),
            "compare_ops": ["=", "!=", "<", "<=", ">", ">="],
            "combine": ["and", "or"],
            "max_filters": MAX_FILTERS,
            "max_set_values": MAX_SET_VALUES,
        },
        "special_values": SPECIAL_VALUES,
        "profile": _profile_features(),
        "export": _export_features(),
    }


def _sort(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    _refuse_windowed(view)
    keys = request.get("keys")
    if type(keys) is not list or len(keys) > MAX_SORT_KEYS:
        raise BadRequest(f"keys must be a list of at most {MAX_SORT_KEYS} sort keys")
    specs = []
    for i, key in enumerate(keys):
        if type(key) is not dict or type(key.get("ascending", True)) is not bool:
            raise BadSort(f"sort key {i}: {{column, ascending}} expected", key=i)
        try:
            column = _column_index(view, key.get("column"), f"sort key {i}")
        except BadRequest as error:
            raise BadSort(str(error), key=i) from None
        name = _column_name(view.source, column)
        specs.append({"column": column, "ascending": key.get("ascending", True), "name": name})
    state = view.state
    base = view.base(state)
    early = _early_sort(view, state, base, specs, request)
    if early is not None:
        return early
    positions = view.ordered(base, specs, state.filtered, _Steps(request))
    new = _State(state.generation + 1, positions, specs, state.filters, state.filtered)
    _commit(view, state, new, request)
    return {"status": "ok", "generation": new.generation, "row_count": view.row_count(new)}


def _regex_problem(term: str) -> str | None:
    """Why a pattern may not run, or None. Python's ``re`` holds the GIL for a whole
    search, so a pattern that backtracks exponentially (``(a+)+$``) would freeze the
    kernel, the user's cell included: a repeat inside a repeat, a repeat of an
    alternation, backreferences and lookarounds are refused; the rest run in time
    linear in the text for practical purposes."""
    try:
        parsed = _sre_parse().parse(term)
    except re.error as error:
        return f"not a regular expression: {error}"
    except (RecursionError, OverflowError):
        return "the pattern is too deeply nested"
    constants = _sre_constants()
    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT}
    if hasattr(constants, "POSSESSIVE_REPEAT"):
        repeats.add(constants.POSSESSIVE_REPEAT)
    refused = {
        constants.GROUPREF,
        constants.GROUPREF_EXISTS,
        constants.ASSERT,
        constants.ASSERT_NOT,
    }

    def walk(items: Any, in_repeat: bool) -> str | None:
        for op, arg in items:
            if op in refused:
                return "backreferences and lookarounds are not supported"
            if op in repeats:
                if in_repeat:
                    return "a repeat inside a repeat could take exponential time"
                found = walk(arg[2], True)
            elif op is constants.BRANCH:
                if in_repeat:
                    return "a repeated alternation could take exponential time"
                found = next((p for b in arg[1] if (p := walk(b, in_repeat))), None)
            elif op is constants.SUBPATTERN:
                found = walk(arg[-1], in_repeat)
            else:
                found = None
            if found:
                return found
        return None

    return walk(parsed, False)


def _sre_parse() -> Any:
    """The standard library's regular expression parser (``re._parser`` from 3.11)."""
    parser = getattr(re, "_parser", None)
    if parser is None:
        import sre_parse as parser
    return parser


def _sre_constants() -> Any:
    constants = getattr(re, "_constants", None)
    if constants is None:
        import sre_constants as constants
    return constants


class ViewChanged(TableError):
    """Another sort or filter of the view ended first (two subshells at once)."""


def _commit(view: _View, read: _State, new: _State, request: dict[str, Any]) -> None:
    """Make ``new`` the view's state if it is still built on ``read``: a sort or
    filter that finishes after another one started later (a stalled subshell
    replaced by a new one) must not overwrite it under a generation already
    given out."""
    _step(request, 1.0)  # a cancelled task commits nothing
    with _lock:
        if view.state is not read:
            raise ViewChanged(
                "the view changed while this ran; ask again", generation=view.state.generation
            )
        view.state = new


def _checked_filter(view: _View, i: int, spec: Any) -> dict[str, Any]:
    """A filter with its defaults, or ``BadFilter`` naming it."""
    if type(spec) is not dict:
        raise BadFilter(f"filter {i}: an object expected", filter=i)
    kind = spec.get("kind")
    if kind not in FILTER_KINDS:
        raise BadFilter(f"filter {i}: unknown kind {_clip(str(kind), 40)[0]!r}", filter=i)
    try:
        column = _column_index(view, spec.get("column"), f"filter {i}")
    except BadRequest as error:
        raise BadFilter(str(error), filter=i) from None
    checked: dict[str, Any] = {"kind": kind, "column": column}
    checked["name"] = _column_name(view.source, column)
    if kind == "compare":
        if spec.get("op") not in _COMPARE or "value" not in spec:
            raise BadFilter(
                f"filter {i}: compare needs an op of {list(_COMPARE)} and a value", filter=i
            )
        checked.update(op=spec["op"], value=spec["value"])
    elif kind == "between":
        if "low" not in spec or "high" not in spec:
            raise BadFilter(f"filter {i}: between needs low and high", filter=i)
        checked.update(low=spec["low"], high=spec["high"])
    elif kind in _TEXT_KINDS:
        term, case = spec.get("term"), spec.get("case_sensitive", False)
        if type(term) is not str or len(term) > MAX_TERM_CHARS or type(case) is not bool:
            raise BadFilter(f"filter {i}: {kind} needs a term (text) and case_sensitive", filter=i)
        if kind == "regex":
            problem = _regex_problem(term)
            if problem:
                raise BadFilter(f"filter {i}: {problem}", filter=i)
        checked.update(term=term, case_sensitive=case)
    elif kind == "in":
        values = spec.get("values")
        if type(values) is not list or len(values) > MAX_SET_VALUES:
            raise BadFilter(f"filter {i}: in needs values, at most {MAX_SET_VALUES}", filter=i)
        checked.update(values=values)
    return checked


def _filter(request: dict[str, Any]) -> dict[str, Any]:
    np = _np()
    view = _view(request)
    _refuse_windowed(view)
    filters, combine = request.get("filters"), request.get("combine", "and")
    if type(filters) is not list or len(filters) > MAX_FILTERS or combine not in ("and", "or"):
        raise BadRequest(f"filters: a list of at most {MAX_FILTERS}; combine: and or or")
    specs = [_checked_filter(view, i, spec) for i, spec in enumerate(filters)]
    source = view.source
    combined: Any = None
    share = 1 / (len(specs) + 1)
    for i, spec in enumerate(specs):
        _step(request, i * share, "filtering")
        try:
            mask = _filter_mask(source, spec)
        except (ValueError, TypeError, re.error, OverflowError) as error:
            raise BadFilter(f"filter {i}: {type(error).__name__}: {error}", filter=i) from None
        if combined is None:
            combined = mask
        elif source.vector:
            combined = combined & mask if combine == "and" else combined | mask
        else:
            join = all if combine == "and" else any
            combined = [join(pair) for pair in zip(combined, mask, strict=True)]
    state = view.state
    if combined is None:
        base, filtered = view.base(_State(0, None, [], ([], "and"), False)), False
    elif source.vector:
        base, filtered = np.flatnonzero(combined), True
    else:
        base, filtered = [p for p, keep in enumerate(combined) if keep], True
    _step(request, len(specs) * share, "sorting" if state.sort else "filtering")
    steps = _Steps(request, len(specs) * share, share)
    positions = view.ordered(base, state.sort, filtered, steps)
    new = _State(state.generation + 1, positions, state.sort, (specs, combine), filtered)
    _commit(view, state, new, request)
    return {"status": "ok", "generation": new.generation, "row_count": view.row_count(new)}


def _close(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    with _lock:
        _views.pop(view.id, None)
    return {"status": "ok"}


def _page(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    state = view.state
    if request.get("generation") != state.generation:
        return {"status": "stale", "generation": state.generation}
    max_bytes = _int(request, "max_bytes", MAX_ANSWER_BYTES, 4096, MAX_ANSWER_BYTES)
    return _rows(view, state, request, max_bytes)


# -- profiles: a summary of each of some columns of a view ---------------------------------

PROFILE_KINDS = ("nulls", "stats", "quantiles", "histogram", "top")
PROFILE_COLUMNS = 50
#: Rows of a sampled profile (a fixed-seed random sample of the view's positions).
PROFILE_SAMPLE_ROWS = 100_000
PROFILE_SEED = 12_345
MAX_BINS = 100
MAX_TOP = 50
QUANTILES = (0.25, 0.5, 0.75)
#: Python values handled per step (GIL rule: a chunk holds the GIL ~5-20 ms).
CHUNK_VALUES = 25_000
#: Distinct values counted exactly; past it, counts of rare values are dropped and
#: the top values are counted again exactly in a second pass.
MAX_DISTINCT = 100_000


def _profile_features() -> dict[str, Any]:
    return {
        "kinds": list(PROFILE_KINDS),
        "max_columns": PROFILE_COLUMNS,
        "max_bins": MAX_BINS,
        "max_top": MAX_TOP,
        "sample_rows": PROFILE_SAMPLE_ROWS,
        "quantiles": list(QUANTILES),
    }


class _Numbers(NamedTuple):
    """A column as numbers: ``key`` is a numeric numpy array (a datetime's or an
    interval's integer ticks), ``render`` formats key values as the cells are."""

    key: Any
    nulls: Any  # a boolean mask, or None
    kind: str  # float, int, bool, datetime, interval
    render: Callable[[Any], list[Any]]
    spread: Callable[[Any], list[Any]] | None  # a datetime's std, as an interval


class _Categories(NamedTuple):
    codes: Any  # categorical codes, -1 for null
    categories: Any  # a _PandasColumn of the categories


class _Values(NamedTuple):
    """A column as Python values, read ``chunk(start, stop)`` at a time."""

    chunk: Callable[[int, int], list[Any]]
    length: int
    display: str


class _Profile:
    __slots__ = ("bins", "fmt", "kinds", "request", "share", "start", "top")

    def __init__(self, request: dict[str, Any], kinds: set[str], bins: int, top: int) -> None:
        self.request = request
        self.kinds = kinds
        self.bins = bins
        self.top = top
        self.fmt = _Format(VALUE_CHARS, DIGITS)
        self.start = 0.0  # progress at this column's start, and its share of the whole
        self.share = 1.0

    def step(self, fraction: float) -> None:
        _step(self.request, self.start + self.share * min(fraction, 1.0), "profile")


def _float_render(dtype: Any) -> Callable[[Any], list[Any]]:
    digits = min(DIGITS, {2: 3, 4: 7}.get(dtype.itemsize, 17))
    np = _np()
    return lambda a: [_float_text(x, digits) for x in np.asarray(a, dtype=np.float64).tolist()]


def _int_render(a: Any) -> list[Any]:
    return [_int_text(int(x)) for x in _np().asarray(a).tolist()]


def _ticks_render(dtype: Any, fmt: _Format, tz: Any = None) -> Callable[[Any], list[Any]]:
    """Integer ticks as values of a datetime64 or timedelta64 dtype, formatted as the
    cells are (a time zone's through pandas' Timestamps)."""
    np = _np()

    def render(a: Any) -> list[Any]:
        values = np.asarray(a, dtype=np.int64).view(dtype)
        if tz is None:
            return list(_format_array(values, fmt)[0])
        index = sys.modules["pandas"].DatetimeIndex(values).tz_localize("UTC").tz_convert(tz)
        return [_format_value(v, fmt)[0] for v in index]

    return render


def _spread_render(unit: str, fmt: _Format) -> Callable[[Any], list[Any]]:
    """A spread of float ticks of ``unit`` as an interval, to the microsecond at least
    (a standard deviation of days is no whole number of days)."""
    np = _np()
    tick_us = float(np.timedelta64(1, unit) / np.timedelta64(1, "us"))
    fine = _ticks_render(np.dtype("m8[us]"), fmt) if tick_us >= 1 else None
    coarse = _ticks_render(np.dtype(f"m8[{unit}]"), fmt)

    def render(a: Any) -> list[Any]:
        floats = np.asarray(a, dtype=np.float64)
        if fine is not None:
            return fine(np.round(floats * tick_us))
        return coarse(np.round(floats))

    return render


def _array_numbers(values: Any, nulls: Any, fmt: _Format, tz: Any = None) -> _Numbers | None:
    """A numpy array of numbers, booleans, datetimes or intervals as _Numbers."""
    np = _np()
    kind = values.dtype.kind
    if kind == "f":
        return _Numbers(values, nulls, "float", _float_render(values.dtype), None)
    if kind in "iu":
        return _Numbers(values, nulls, "int", _int_render, None)
    if kind == "b":
        return _Numbers(values, nulls, "bool", lambda a: a, None)
    if kind in "mM":
        unit = np.datetime_data(values.dtype)[0]
        key = values.view(np.int64)
        nat = np.isnat(values)
        nulls = nat if nulls is None else nulls | nat
        spans = _ticks_render(np.dtype(f"m8[{unit}]"), fmt)
        spread = _spread_render(unit, fmt)
        if kind == "m":
            return _Numbers(key, nulls, "interval", spans, spread)
        return _Numbers(key, nulls, "datetime", _ticks_render(values.dtype, fmt, tz), spread)
    return None


_NUMBER_KINDS = "fiubmM"


def _chunks_of(values: Any, positions: Any) -> tuple[Callable[[int, int], list[Any]], int]:
    """Python values of an array (numpy or pandas) at ``positions``, a chunk at a time:
    taking from an object array holds the GIL, so it too is done a chunk at a time."""

    def listed(part: Any) -> list[Any]:
        if isinstance(part, _np().ndarray):
            return list(part.tolist())
        return list(part.to_numpy(dtype=object, na_value=None).tolist())

    if positions is None:
        return (lambda a, b: listed(values[a:b])), len(values)
    return (lambda a, b: listed(values.take(positions[a:b]))), len(positions)


def _column_data(source: _Source, j: int, positions: Any, fmt: _Format) -> Any:
    """Column ``j`` at ``positions`` (None: every row) as _Numbers, _Categories or
    _Values. Whole-column arrays are the source's own (no copy) until taken."""
    np = _np()
    if not source.vector:
        assert isinstance(source, _PythonSource)
        rows = range(source.length()) if positions is None else positions

        def chunk(a: int, b: int) -> list[Any]:
            part = rows[a:b]
            part = part.tolist() if hasattr(part, "tolist") else part
            return [source.get(p, j) for p in part]

        return _Values(chunk, len(rows), source.display(j))
    column = source.column(j)
    if isinstance(column, _LibColumn):
        return _library_data(column, positions, fmt)

    def taken(values: Any) -> Any:
        return values if positions is None else values.take(positions)

    if isinstance(column, _ArrayColumn) or (
        isinstance(column, _PandasColumn) and column.numpy and not column.categorical
    ):
        values = column.values if isinstance(column, _ArrayColumn) else column.series.to_numpy()
        if values.dtype.kind in _NUMBER_KINDS:
            return _array_numbers(taken(values), None, fmt)
        display = "object" if values.dtype.kind == "c" else column.display
        return _Values(*_chunks_of(values, positions), display)
    assert isinstance(column, _PandasColumn)
    series = column.series
    if column.categorical:
        return _Categories(taken(series.cat.codes.to_numpy()), column.categories)
    array_ = series.array
    data, mask = getattr(array_, "_data", None), getattr(array_, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and data.shape == mask.shape:
        numbers = _array_numbers(taken(data), taken(mask), fmt)  # Int64, Float64, boolean
        if numbers is not None:
            return numbers
    tz = getattr(column.dtype, "tz", None)
    utc = getattr(array_, "_ndarray", None)  # a tz-aware column's UTC datetime64, no copy
    if tz is not None and isinstance(utc, np.ndarray) and utc.dtype.kind == "M":
        numbers = _array_numbers(taken(utc), None, fmt, tz)
        if numbers is not None:
            return numbers
    if column.display == "number":  # pyarrow and other extension numbers: one column's copy
        part = taken(array_)
        try:
            values = np.asarray(part.to_numpy(dtype="float64", na_value=np.nan))
        except (TypeError, ValueError):
            values = None
        if values is not None:
            return _Numbers(
                values, np.asarray(part.isna()), "float", _float_render(values.dtype), None
            )
    return _Values(*_chunks_of(array_, positions), column.display)


def _library_data(column: _LibColumn, positions: Any, fmt: _Format) -> Any:
    """A polars or pyarrow column as _Numbers (numbers, booleans, dates, datetimes,
    durations: the library's numpy array, nulls masked) or _Values (a chunk of Python
    values at a time)."""
    ops = column.ops
    data = column.data if positions is None else ops.take(column.data, positions)
    nulls = ops.is_null(data) if ops.null_count(data) else None
    if column.category == "numpy":
        numbers = _array_numbers(ops.filled(data, column.display), nulls, fmt)
        if numbers is not None:
            return numbers
    if column.category == "tz":
        zone, unit = column.zone
        ticks = ops.physical(data)
        return _Numbers(
            ticks,
            nulls,
            "datetime",
            _zoned_render(zone, unit, fmt),
            _spread_render(unit, fmt),
        )

    def chunk(a: int, b: int) -> list[Any]:
        return list(ops.to_list(ops.piece(data, a, min(b, ops.length(data)))))

    return _Values(chunk, ops.length(data), column.display)


def _zoned_render(zone: str, unit: str, fmt: _Format) -> Callable[[Any], list[Any]]:
    """Ticks since the epoch (UTC) as datetimes in ``zone``, as the cells show them
    (Python datetimes, as polars and pyarrow give them)."""
    import zoneinfo

    where = zoneinfo.ZoneInfo(zone) if zone not in ("UTC", "utc") else _UTC
    per_us = _TICKS_PER_US[unit]

    def render(a: Any) -> list[Any]:
        out = []
        for tick in _np().asarray(a, dtype="int64").tolist():
            micros = tick // int(per_us) if per_us >= 1 else tick * round(1 / per_us)
            stamp = _EPOCH + datetime.timedelta(microseconds=int(micros))
            out.append(_format_value(stamp.astimezone(where), fmt)[0])
        return out

    return render


def _profile(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    if view.source.lazy:
        raise BadRequest(
            "a profile reads every row, which would compute this lazy frame whole: "
            "collect() or compute() it and open that"
        )
    state = view.state
    generation = request.get("generation")
    if generation is not None and generation != state.generation:
        return {"status": "stale", "generation": state.generation}
    wanted = request.get("columns")
    if type(wanted) is not list or not 0 < len(wanted) <= PROFILE_COLUMNS:
        raise BadRequest(f"columns must be a list of 1 to {PROFILE_COLUMNS} indexes")
    indexes = [_column_index(view, j, "columns") for j in wanted]
    kinds = request.get("kinds", list(PROFILE_KINDS))
    if type(kinds) is not list or any(k not in PROFILE_KINDS for k in kinds):
        raise BadRequest(f"kinds must be a list of {', '.join(PROFILE_KINDS)}")
    sample = request.get("sample", False)
    if type(sample) is not bool:
        raise BadRequest("sample must be true or false")
    profile = _Profile(
        request,
        set(kinds),
        _int(request, "bins", 20, 2, MAX_BINS),
        _int(request, "top", 10, 1, MAX_TOP),
    )
    row_count = view.row_count(state)
    positions, sample_rows = _profile_rows(view, state, sample)
    scale = row_count / sample_rows if sample_rows else 1.0
    columns = []
    for i, j in enumerate(indexes):
        profile.start, profile.share = i / len(indexes), 1 / len(indexes)
        profile.step(0.0)
        columns.append(_profile_column(view.source, j, positions, profile, scale))
    _step(request, 1.0, "profile")
    return {
        "status": "ok",
        "generation": state.generation,
        "row_count": row_count,
        "approximate": sample_rows < row_count,
        "sample_rows": sample_rows,
        "columns": columns,
    }


def _profile_rows(view: _View, state: _State, sample: bool) -> tuple[Any, int]:
    """The source positions profiled (None: every row) and how many they are. The
    order of rows does not change a profile: a sorted, unfiltered view is the whole
    source."""
    rows = view.row_count(state)
    whole = None if state.positions is None or not state.filtered else state.positions
    if not sample or rows <= PROFILE_SAMPLE_ROWS:
        return whole, rows
    np = _np()
    if view.source.vector or np is not None:
        rng = np.random.default_rng(PROFILE_SEED)
        offsets = np.sort(rng.choice(rows, size=PROFILE_SAMPLE_ROWS, replace=False))
        if whole is None:
            return offsets, PROFILE_SAMPLE_ROWS
        return np.asarray(whole).take(offsets), PROFILE_SAMPLE_ROWS
    import random

    chosen = sorted(random.Random(PROFILE_SEED).sample(range(rows), PROFILE_SAMPLE_ROWS))
    return (chosen if whole is None else [whole[k] for k in chosen]), PROFILE_SAMPLE_ROWS


def _profile_column(
    source: _Source, j: int, positions: Any, profile: _Profile, scale: float
) -> dict[str, Any]:
    display = source.schema(j)["display_type"]
    entry: dict[str, Any] = {"index": j, "display_type": display}
    try:
        data = _column_data(source, j, positions, profile.fmt)
        if isinstance(data, _Numbers):
            with _np().errstate(all="ignore"):  # an overflow is a code, never a warning
                entry.update(_profile_numbers(data, profile))
        elif isinstance(data, _Categories):
            entry.update(_profile_categories(data, profile))
        else:
            entry.update(_profile_values(data, profile))
    except Cancelled:
        raise
    except Exception as error:  # an odd column: said in its entry, the others still profiled
        entry["error"] = _describe(error)
        return entry
    if scale != 1.0:
        _scale_counts(entry, scale)
        entry.pop("distinct", None)  # a sample's distinct values are not the view's
        entry.pop("distinct_over", None)
    return entry


def _scale_counts(entry: dict[str, Any], scale: float) -> None:
    for key in ("count", "null_count", "nan_count", "pos_inf_count", "neg_inf_count", "other"):
        if key in entry:
            entry[key] = round(entry[key] * scale)
    if "histogram" in entry:
        entry["histogram"]["counts"] = [round(c * scale) for c in entry["histogram"]["counts"]]
    for item in entry.get("top", ()):
        item["count"] = round(item["count"] * scale)


def _top_of(values: Any, counts: Any, top: int) -> tuple[Any, Any]:
    """The ``top`` most frequent of unique ``values`` (ties: the first), as arrays."""
    np = _np()
    order = np.argsort(-counts, kind="stable")[:top]
    return values[order], counts[order]


def _profile_numbers(data: _Numbers, profile: _Profile) -> dict[str, Any]:
    np = _np()
    kinds, key = profile.kinds, data.key
    n = len(key)
    nulls = data.nulls
    valid = key if nulls is None or not nulls.any() else key[~nulls]
    out: dict[str, Any] = {"count": len(valid), "null_count": n - len(valid)}
    profile.step(0.1)
    if data.kind == "bool":
        trues = int(np.count_nonzero(valid))
        pairs = sorted([("True", trues), ("False", len(valid) - trues)], key=lambda p: -p[1])
        pairs = [p for p in pairs if p[1]]
        out["distinct"] = len(pairs)
        if "top" in kinds:
            out["top"] = [{"value": v, "count": c} for v, c in pairs[: profile.top]]
            out["other"] = 0 if len(pairs) <= profile.top else pairs[-1][1]
        return out
    counted = finite = valid
    if data.kind == "float":
        nan = np.isnan(valid)
        nan_count = int(np.count_nonzero(nan))
        if nan_count:
            counted = finite = valid[~nan]
        inf = np.isinf(counted)
        pos = int(np.count_nonzero(inf & (counted > 0))) if inf.any() else 0
        neg = int(np.count_nonzero(inf)) - pos
        if pos or neg:
            finite = counted[~inf]
        out["count"] = len(counted)
        if "nulls" in kinds:
            out.update(nan_count=nan_count, pos_inf_count=pos, neg_inf_count=neg)
    profile.step(0.2)
    render = data.render
    if "stats" in kinds and len(finite):
        low, high = render(np.array([finite.min(), finite.max()], dtype=finite.dtype))
        stats: dict[str, Any] = {"min": low, "max": high}
        mean = float(finite.mean(dtype=np.float64))
        std = float(finite.std(dtype=np.float64))
        if data.kind in ("float", "int"):
            stats.update(mean=_float_text(mean, DIGITS), std=_float_text(std, DIGITS))
        else:  # datetime, interval: the mean in the column's type, the spread as an interval
            stats["mean"] = render(np.array([round(mean)], dtype=np.int64))[0]
            if data.spread is not None:
                stats["std"] = data.spread(np.array([std]))[0]
        out["stats"] = stats
    profile.step(0.35)
    if "quantiles" in kinds and len(finite):
        method = "linear" if data.kind == "float" else "lower"  # else a value of the column
        found = np.quantile(finite, QUANTILES, method=method)
        texts = render(found.astype(finite.dtype) if method == "lower" else found)
        out["quantiles"] = [{"q": q, "value": t} for q, t in zip(QUANTILES, texts, strict=True)]
    profile.step(0.55)
    if "histogram" in kinds and len(finite):
        out["histogram"] = _histogram(finite, data, profile.bins)
    profile.step(0.7)
    if "top" in kinds and len(counted):
        uniques, counts = np.unique(counted, return_counts=True)
        values, most = _top_of(uniques, counts, profile.top)
        out["distinct"] = len(uniques)
        out["top"] = [
            {"value": v, "count": int(c)}
            for v, c in zip(render(values), most.tolist(), strict=True)
        ]
        out["other"] = len(counted) - int(most.sum())
    return out


def _histogram(finite: Any, data: _Numbers, bins: int) -> dict[str, Any]:
    """Equal-width bins from the least to the greatest finite value (the last bin
    holds its upper edge); integers spanning fewer values than bins: one bin each
    (edges k to k + 1); one value: one bin."""
    np = _np()
    low, high = finite.min(), finite.max()
    if data.kind != "float" and int(high) - int(low) < bins:
        width = int(high) - int(low) + 1
        counts = np.bincount((finite - low).astype(np.intp), minlength=width)
        edges = np.arange(int(low), int(low) + width + 1, dtype=np.int64)
        return {"counts": counts.tolist(), "edges": data.render(edges)}
    lo, hi = float(low), float(high)
    if lo == hi:
        return {"counts": [len(finite)], "edges": data.render(np.array([low, high]))}
    half = math.isinf(hi - lo)  # 1e308 - -1e308: the halves' span is finite
    shifted = np.subtract(finite, low, dtype=np.float64) if not half else finite / 2 - lo / 2
    shifted *= bins / ((hi / 2 - lo / 2) if half else (hi - lo))
    index = shifted.astype(np.intp)
    del shifted
    np.clip(index, 0, bins - 1, out=index)
    counts = np.bincount(index, minlength=bins)
    t = np.arange(bins + 1) / bins
    edges = lo * (1 - t) + hi * t  # no overflow, exact ends
    if data.kind in ("datetime", "interval"):
        ticks = np.round(edges).astype(np.int64)
        ticks[0], ticks[-1] = int(low), int(high)
        texts = data.render(ticks)
    else:
        texts = [_float_text(x, DIGITS) for x in edges.tolist()]
        texts[0], texts[-1] = data.render(np.array([low, high], dtype=finite.dtype))
    return {"counts": counts.tolist(), "edges": texts}


def _profile_categories(data: _Categories, profile: _Profile) -> dict[str, Any]:
    np = _np()
    codes = data.codes
    missing = codes < 0
    null_count = int(np.count_nonzero(missing))
    valid = codes[~missing] if null_count else codes
    out: dict[str, Any] = {"count": len(valid), "null_count": null_count}
    size = len(data.categories.series)
    counts = np.bincount(valid, minlength=size) if len(valid) else np.zeros(size, dtype=np.int64)
    out["distinct"] = int(np.count_nonzero(counts))
    if "top" in profile.kinds and len(valid):
        chosen, most = _top_of(np.arange(size), counts, profile.top)
        keep = most > 0
        chosen, most = chosen[keep], most[keep]
        texts = data.categories.format(chosen, profile.fmt)[0]
        out["top"] = [
            {"value": v, "count": int(c)} for v, c in zip(texts, most.tolist(), strict=True)
        ]
        out["other"] = len(valid) - int(most.sum())
    return out


class _Shown(str):
    """The text standing for a value that cannot be a dict key (a list in a cell)."""

    __slots__ = ()


def _hashable_keys(values: list[Any]) -> list[Any]:
    keys = []
    for v in values:
        try:
            hash(v)
            keys.append(v)
        except TypeError:
            keys.append(_Shown(_brief(v, VALUE_CHARS + 1)))
    return keys


def _count_into(counts: dict[Any, int], values: list[Any]) -> None:
    """Add the occurrences of ``values`` to ``counts`` (in C but the merge)."""
    fresh: dict[Any, int] = {}
    try:
        _count_elements(fresh, values)
    except TypeError:
        fresh = {}
        _count_elements(fresh, _hashable_keys(values))
    if not counts:
        counts.update(fresh)
        return
    get = counts.get
    for value, count in fresh.items():
        counts[value] = get(value, 0) + count


def _not_null(values: list[Any]) -> list[Any]:
    return [v for v in values if type(v) is str or not _is_null(v)]


def _profile_values(data: _Values, profile: _Profile) -> dict[str, Any]:
    """Python values, a chunk at a time: nulls, top values (all of them counted, to
    MAX_DISTINCT distinct ones), string lengths, the least and greatest of ordered
    values; numbers are summarized as numbers."""
    kinds, display, n = profile.kinds, data.display, data.length
    counts: dict[Any, int] = {}
    pruned = False
    count = 0
    low: Any = _MISSING
    high: Any = _MISSING
    ordered = display in ("datetime", "date", "time", "interval")
    lengths: list[int] = []
    numbers: list[Any] = []
    as_numbers = display == "number"
    want_top = ("top" in kinds or display == "boolean") and not as_numbers
    chunks = max(1, -(-n // CHUNK_VALUES))
    for k, a in enumerate(range(0, n, CHUNK_VALUES)):
        values = _not_null(data.chunk(a, a + CHUNK_VALUES))
        count += len(values)
        if want_top:
            _count_into(counts, values)
            if len(counts) > MAX_DISTINCT:
                pruned = True
                counts = _prune(counts)
        if display == "string" and values:
            try:
                sizes = list(map(len, values))
                lengths.extend((min(sizes), max(sizes)))
            except TypeError:
                pass
        if as_numbers:
            numbers.append(_numbers_of(values))
        if ordered and values and "stats" in kinds:
            try:
                least, most = min(values), max(values)
                low = least if low is _MISSING or least < low else low
                high = most if high is _MISSING or most > high else high
            except TypeError:  # values that do not compare: no least or greatest
                ordered = False
        profile.step((k + 1) / chunks * (0.5 if pruned else 0.9))
    out: dict[str, Any] = {"count": count, "null_count": n - count}
    if lengths:
        out["length"] = {"min": min(lengths), "max": max(lengths)}
    if ordered and low is not _MISSING:
        out["stats"] = {
            "min": _format_value(low, profile.fmt)[0],
            "max": _format_value(high, profile.fmt)[0],
        }
    if as_numbers:
        if _np() is not None:
            out.update(_python_numbers(numbers, profile) if numbers else {})
        else:
            out.update(_plain_numbers([v for part in numbers for v in part], profile))
        return out
    if want_top and counts:
        if pruned:
            counts = _recount(data, _top_items(counts, 4 * profile.top), profile)
        else:
            out["distinct"] = len(counts)
        items = _top_items(counts, profile.top)
        out["top"] = [{"value": _format_value(v, profile.fmt)[0], "count": c} for v, c in items]
        out["other"] = count - sum(c for _, c in items)
        if pruned:
            out["distinct_over"] = MAX_DISTINCT
    return out


def _top_items(counts: dict[Any, int], top: int) -> list[tuple[Any, int]]:
    import heapq

    return heapq.nlargest(top, counts.items(), key=operator.itemgetter(1))


def _prune(counts: dict[Any, int]) -> dict[Any, int]:
    """The more frequent values counted (about half, by a sample's median count;
    none counted once when most are): bounded memory for many distinct values."""
    import random

    seen = list(counts.values())
    sample = sorted(random.Random(PROFILE_SEED).sample(seen, min(1001, len(seen))))
    floor = sample[len(sample) // 2]
    return {v: c for v, c in counts.items() if c > floor}


def _recount(data: _Values, candidates: list[tuple[Any, int]], profile: _Profile) -> dict[Any, int]:
    """Exact counts of some values, in a second pass."""
    exact = dict.fromkeys((v for v, _ in candidates), 0)
    n = data.length
    chunks = max(1, -(-n // CHUNK_VALUES))
    for k, a in enumerate(range(0, n, CHUNK_VALUES)):
        fresh: dict[Any, int] = {}
        values = _not_null(data.chunk(a, a + CHUNK_VALUES))
        try:
            _count_elements(fresh, values)
        except TypeError:
            _count_elements(fresh, _hashable_keys(values))
        for value in exact:
            exact[value] += fresh.get(value, 0)
        profile.step(0.5 + 0.5 * (k + 1) / chunks)
    return exact


def _numbers_of(values: list[Any]) -> Any:
    """A chunk of Python numbers as a numpy array (ints kept as ints when they all
    are), or as a list of ints and floats when numpy is not imported."""
    np = _np()
    if np is None:
        return [v if type(v) is int else float(v) for v in values if _is_number(v)]
    if all(type(v) is int for v in values):
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            pass
    floats = []
    for v in values:
        try:
            floats.append(float(v))
        except (TypeError, ValueError, OverflowError):
            continue  # a value that is no number (a mixed column)
    return np.array(floats, dtype=np.float64)


def _is_number(v: Any) -> bool:
    if type(v) in (int, float):
        return True
    try:
        float(v)
    except (TypeError, ValueError, OverflowError):
        return False
    return not issubclass(type(v), (str, bytes))


def _plain_numbers(values: list[Any], profile: _Profile) -> dict[str, Any]:
    """Python numbers summarized without numpy (a Python table in a kernel that
    never imported it): in Python, sorted once."""
    kinds, fmt, bins = profile.kinds, profile.fmt, profile.bins
    ints = all(type(v) is int for v in values)
    out: dict[str, Any] = {}
    finite = values if ints else [x for x in values if math.isfinite(x)]
    if not ints and "nulls" in kinds:
        pos = sum(1 for x in values if x == math.inf)
        out.update(nan_count=0, pos_inf_count=pos, neg_inf_count=len(values) - len(finite) - pos)

    def render(x: Any) -> Any:
        return _format_value(x, fmt)[0]

    ordered = sorted(finite)
    n = len(ordered)
    profile.step(0.5)
    if n:
        try:
            if "stats" in kinds:
                mean = math.fsum(ordered) / n
                std = math.sqrt(math.fsum((x - mean) * (x - mean) for x in ordered) / n)
                out["stats"] = {
                    "min": render(ordered[0]),
                    "max": render(ordered[-1]),
                    "mean": _float_text(mean, DIGITS),
                    "std": _float_text(std, DIGITS),
                }
            if "quantiles" in kinds:
                out["quantiles"] = [
                    {"q": q, "value": render(_plain_quantile(ordered, q, ints))} for q in QUANTILES
                ]
            if "histogram" in kinds:
                out["histogram"] = _plain_histogram(ordered, ints, bins, render)
        except OverflowError:  # ints too big for floats
            pass
    if "top" in kinds and values:
        counts: dict[Any, int] = {}
        _count_into(counts, values)
        items = _top_items(counts, profile.top)
        out["distinct"] = len(counts)
        out["top"] = [{"value": render(v), "count": c} for v, c in items]
        out["other"] = len(values) - sum(c for _, c in items)
    return out


def _plain_quantile(ordered: list[Any], q: float, lower: bool) -> Any:
    at = q * (len(ordered) - 1)
    k = int(at)
    if lower or k + 1 >= len(ordered):
        return ordered[k]
    return ordered[k] + (ordered[k + 1] - ordered[k]) * (at - k)


def _plain_histogram(
    ordered: list[Any], ints: bool, bins: int, render: Callable[[Any], Any]
) -> dict[str, Any]:
    low, high = ordered[0], ordered[-1]
    if ints and high - low < bins:
        counts = [0] * (high - low + 1)
        for x in ordered:
            counts[x - low] += 1
        return {"counts": counts, "edges": [render(e) for e in range(low, high + 2)]}
    if low == high:
        return {"counts": [len(ordered)], "edges": [render(low), render(high)]}
    lo, hi = float(low), float(high)
    scale = bins / (hi / 2 - lo / 2)  # halves: no overflow of 1e308 - -1e308
    counts = [0] * bins
    for x in ordered:
        counts[min(bins - 1, int((x / 2 - lo / 2) * scale))] += 1
    edges = [_float_text(lo * (1 - k / bins) + hi * (k / bins), DIGITS) for k in range(bins + 1)]
    edges[0], edges[-1] = render(low), render(high)
    return {"counts": counts, "edges": edges}


def _python_numbers(parts: list[Any], profile: _Profile) -> dict[str, Any]:
    """Numbers read from Python values, summarized by the numpy path."""
    np = _np()
    ints = all(p.dtype.kind == "i" for p in parts)
    key = np.concatenate([p.astype(np.int64 if ints else np.float64) for p in parts])
    if ints:
        data = _Numbers(key, None, "int", _int_render, None)
    else:
        data = _Numbers(key, None, "float", _float_render(key.dtype), None)
    out = _profile_numbers(data, profile)
    out.pop("null_count", None)
    out.pop("count", None)
    return out


# -- export: rows of a view as CSV, TSV, HTML or JSON text ---------------------------------

EXPORT_FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "html": "text/html",
    "json": "application/json",
}
EXPORT_BYTES = 1024 * 1024
MAX_EXPORT_BYTES = 16 * 1024 * 1024
#: Characters of one exported value that is neither text nor a number (a repr).
EXPORT_VALUE_CHARS = 100_000
#: Values converted and written per step (GIL rule).
EXPORT_CHUNK_VALUES = 3_000
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _export_features() -> dict[str, Any]:
    return {
        "formats": list(EXPORT_FORMATS),
        "max_bytes": MAX_EXPORT_BYTES,
        "default_bytes": EXPORT_BYTES,
        "tsv": "escaped",
    }


def _plain(v: Any) -> Any:
    """A value at full precision as None, bool, int, a float (finite or not) or text."""
    tp = type(v)
    if v is None or tp is str or tp is bool or tp is int:
        return v
    if tp is float:
        return None if v != v else v
    if _is_null(v):
        return None
    np = _np()
    if np is not None and issubclass(tp, np.generic):
        if issubclass(tp, np.datetime64):
            return _plain_time(str(np.datetime_as_string(v)))
        if issubclass(tp, (np.bool_, np.integer, np.floating)):
            return _plain(v.item())
        if issubclass(tp, np.complexfloating):
            return str(v.item())
    if issubclass(tp, str):
        return str.__str__(v)
    if issubclass(tp, bool):
        return bool(v)
    if issubclass(tp, int):
        return int.__index__(v)
    if issubclass(tp, float):
        return _plain(float.__float__(v))
    if issubclass(tp, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "backslashreplace")
    module = _type_module(tp)
    if issubclass(tp, _SHORT) or (type(module) is str and module.startswith("pandas")):
        return str(v)  # datetime, Decimal, pandas' Timestamp (nanoseconds, zone), Period...
    return _brief(v, EXPORT_VALUE_CHARS)


def _plain_array(values: Any) -> list[Any]:
    """A numpy array's values as :func:`_plain` values, whole-array where the dtype allows."""
    np = _np()
    kind = values.dtype.kind
    if kind == "f" and values.dtype.itemsize < 8:  # float32's shortest text: 0.1, not 0.100000001
        shortest = map(float, values.astype(str).tolist())
        return [None if x != x else x for x in shortest]
    if kind == "f":
        return [None if x != x else x for x in values.tolist()]
    if kind in "iubU":
        return list(values.tolist())
    if kind == "M":
        nat = np.isnat(values).tolist()
        texts = np.datetime_as_string(values).tolist()
        return [None if m else _plain_time(t) for t, m in zip(texts, nat, strict=True)]
    if kind == "m":
        nat = np.isnat(values).tolist()
        pandas = sys.modules.get("pandas")
        if pandas is not None:  # "0 days 00:00:05.000000001"
            spans = [str(t) for t in pandas.TimedeltaIndex(values)]
        else:
            unit = np.datetime_data(values.dtype)[0]
            spans = [f"{t} {unit}" for t in values.view(np.int64).tolist()]
        return [None if m else t for t, m in zip(spans, nat, strict=True)]
    return [_plain(x) for x in values.tolist()]


def _plain_time(text: str) -> str:
    """An ISO datetime64 text with a space for its "T" and without a zero fraction."""
    whole, _, fraction = text.replace("T", " ").partition(".")
    return whole if not fraction.strip("0") else text.replace("T", " ")


def _export_column(source: _Source, j: int, positions: Any) -> list[Any]:
    np = _np()
    if not source.vector:
        assert isinstance(source, _PythonSource)
        return [_plain(source.get(p, j)) for p in positions]
    column = source.column(j)
    if isinstance(column, _ArrayColumn):
        return _plain_array(column.values.take(positions))
    if isinstance(column, _LibColumn):  # polars, pyarrow: their Python values
        return [_plain(v) for v in column.ops.to_list(column.ops.take(column.data, positions))]
    assert isinstance(column, _PandasColumn)
    if column.numpy:
        return _plain_array(column.series.to_numpy().take(positions))
    taken = column.series.array.take(positions)
    missing = np.asarray(taken.isna()).tolist()
    return [None if m else _plain(v) for v, m in zip(list(taken), missing, strict=True)]


def _export_labels(source: _Source, positions: Any) -> tuple[list[str], list[list[Any]]]:
    """The names and values of the row label levels (pandas' index) at ``positions``."""
    if not isinstance(source, _PandasSource):
        return [], []
    np = _np()
    index = source.obj.index
    names = [
        _label_text(name) if name is not None else ("index" if index.nlevels == 1 else f"level_{k}")
        for k, name in enumerate(index.names)
    ]
    levels = []
    for k in range(index.nlevels):
        if index.nlevels == 1:
            taken, missing = index.take(positions), None
        else:
            codes = index.codes[k].take(positions)
            missing = (codes < 0).tolist()
            taken = index.levels[k].take(np.where(codes < 0, 0, codes))
        values = [_plain(v) for v in list(taken)]
        if missing is not None:
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        levels.append(values)
    return names, levels


def _text_cell(v: Any) -> str:
    if v is None:
        return ""
    if type(v) is float:
        return repr(v)
    return str(v)


def _json_cell(v: Any) -> Any:
    if type(v) is float and v in (math.inf, -math.inf):
        return repr(v)  # JSON has no infinity: "inf", "-inf"
    return v


class _Writer:
    """One export format: a head, rows and a tail, each as text."""

    def __init__(self, kind: str, headers: bool, names: list[str], index_names: list[str]) -> None:
        self.kind = kind
        self.headers = headers
        self.names = names
        self.index_names = index_names
        import csv
        import html
        import io

        self.escape = html.escape
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\r\n")

    def _csv_line(self, cells: list[Any]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.csv.writerow(cells)
        return self.buffer.getvalue()

    def head(self) -> str:
        labels = self.index_names + self.names
        if self.kind == "csv":
            return self._csv_line(labels) if self.headers else ""
        if self.kind == "tsv":
            return (
                "\t".join(t.translate(_TSV_ESCAPES) for t in labels) + "\n" if self.headers else ""
            )
        if self.kind == "html":
            head = "<table>\n"
            if self.headers:
                cells = "".join(f"<th>{self.escape(t)}</th>" for t in labels)
                head += f"<thead>\n<tr>{cells}</tr>\n</thead>\n"
            return head + "<tbody>\n"
        head = '{"columns": ' + json.dumps(self.names, ensure_ascii=False)
        if self.index_names:
            head += ', "index_names": ' + json.dumps(self.index_names, ensure_ascii=False)
        return head + ', "data": ['

    def row(self, labels: list[Any], cells: list[Any], first: bool) -> tuple[str, str]:
        """A row's text, and for JSON its index entry's."""
        values = labels + cells
        if self.kind == "csv":
            return self._csv_line([_text_cell(v) for v in values]), ""
        if self.kind == "tsv":
            return "\t".join(_text_cell(v).translate(_TSV_ESCAPES) for v in values) + "\n", ""
        if self.kind == "html":
            tds = "".join(f"<td>{self.escape(_text_cell(v))}</td>" for v in values)
            return f"<tr>{tds}</tr>\n", ""
        sep = "" if first else ", "
        row = sep + json.dumps([_json_cell(v) for v in cells], allow_nan=False, ensure_ascii=False)
        index = ""
        if self.index_names:
            label = [_json_cell(v) for v in labels]
            entry = label[0] if len(label) == 1 else label
            index = sep + json.dumps(entry, allow_nan=False, ensure_ascii=False)
        return row, index

    def tail(self, index: list[str]) -> str:
        if self.kind == "html":
            return "</tbody>\n</table>\n"
        if self.kind == "json":
            return "]" + (', "index": [' + "".join(index) + "]" if self.index_names else "") + "}"
        return ""


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _export(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    state = view.state
    generation = request.get("generation")
    if generation is not None and generation != state.generation:
        return {"status": "stale", "generation": state.generation}
    kind = request.get("format")
    if kind not in EXPORT_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    headers, with_index = request.get("headers", True), request.get("index", False)
    if type(headers) is not bool or type(with_index) is not bool:
        raise BadRequest("headers and index must be true or false")
    max_bytes = _int(request, "max_bytes", EXPORT_BYTES, 1, MAX_EXPORT_BYTES)
    source = view.source
    wanted = request.get("columns")
    if wanted is None:
        indexes = list(range(min(source.column_count(), SCHEMA_COLUMNS)))
    elif type(wanted) is list and len(wanted) <= SCHEMA_COLUMNS:
        indexes = [_column_index(view, j, "columns") for j in wanted]
    else:
        raise BadRequest(f"columns must be a list of at most {SCHEMA_COLUMNS} indexes")
    row_count = view.row_count(state)  # None: a lazy frame's, until its last row was read
    span = request.get("rows", {})
    if type(span) is not dict:
        raise BadRequest("rows must be {start, stop}")
    start = _int(span, "start", 0, 0, 2**62)
    stop = _int(span, "stop", 2**62, 0, 2**62)
    stop = stop if row_count is None else min(stop, row_count)
    start = min(start, stop)
    names = [source.schema(j)["name"] for j in indexes]
    shape = source.schema_source if isinstance(source, _WindowSource) else source
    label_names = _export_labels(shape, [])[0] if with_index else []
    writer = _Writer(kind, headers, names, label_names)
    head = writer.head()
    tail_room = _utf8_size(writer.tail([]))
    used = _utf8_size(head) + tail_room
    parts, index_parts = [head], []
    step_rows = max(1, EXPORT_CHUNK_VALUES // max(1, len(indexes) + len(label_names)))
    written, truncated = 0, used > max_bytes
    np = _np()
    for a in range(start, stop, step_rows):
        if truncated:
            break
        _step(request, (a - start) / max(1, stop - start), "export")
        b = min(a + step_rows, stop)
        rows_of = source
        if isinstance(source, _WindowSource):  # these rows computed, as an eager table
            rows_of = source.window(a, b - a)
            got = rows_of.length()
            positions, b = np.arange(got, dtype=np.intp), a + got
        elif state.positions is not None:
            positions = state.positions[a:b]
        elif source.vector:
            positions = np.arange(a, b, dtype=np.intp)
        else:
            positions = range(a, b)
        columns = [_export_column(rows_of, j, positions) for j in indexes]
        labels = _export_labels(rows_of, positions)[1] if with_index else []
        for r in range(b - a):
            text, index = writer.row(
                [level[r] for level in labels], [column[r] for column in columns], written == 0
            )
            size = _utf8_size(text) + _utf8_size(index)
            if used + size > max_bytes:
                truncated = True
                break
            used += size
            parts.append(text)
            index_parts.append(index)
            written += 1
        if b < min(a + step_rows, stop):
            break  # a lazy frame's last rows
    parts.append(writer.tail(index_parts))
    return {
        "status": "ok",
        "generation": state.generation,
        "format": kind,
        "mime": EXPORT_FORMATS[kind],
        "text": "".join(parts),
        "rows": written,
        "truncated": truncated,
    }


# -- check: has a view's variable changed? ---------------------------------------------------
#
# A view keeps a *fingerprint* of its object, taken at open and after each rebuild:
# cheap (about a millisecond on 10M rows x 10 columns, see ``_fingerprint``) and equal
# while the object is unchanged. ``check`` compares each open view's variable with its
# source's object and that fingerprint, and rebuilds the changed ones.

#: Rows sampled by a fingerprint (row 0, the last row and fixed pseudo-random rows).
FINGERPRINT_ROWS = 1000
_SAMPLE_SEED = 0x5EED
_samples: dict[int, list[int]] = {}


def _sample_rows(n: int, k: int = FINGERPRINT_ROWS) -> list[int]:
    """``k`` fixed row positions of a table of ``n`` rows, 0 and ``n - 1`` among them:
    the same for the same ``n``, so two fingerprints sample the same rows."""
    key = n * 4096 + k
    found = _samples.get(key)
    if found is None:
        import random

        if n <= k:
            found = list(range(n))
        else:
            inner = random.Random(_SAMPLE_SEED).sample(range(1, n - 1), k - 2)
            found = [0, *sorted(inner), n - 1]
        if len(_samples) >= 64:
            _samples.clear()
        _samples[key] = found
    return found


def _numpy_part(a: Any, rows: list[int], axis: int = 0, identity: bool = True) -> tuple[Any, ...]:
    """An array's identity (object unless ``identity`` is false: a view made afresh,
    data pointer, shape, strides, dtype) and a hash of its sampled rows (along ``axis``:
    1 for a pandas block, whose rows are its columns). An object array's sample is its
    items' addresses."""
    np = _np()
    taken = a.take(np.asarray(rows, dtype=np.intp), axis=axis) if a.ndim and rows else a
    return (
        id(a) if identity else 0,
        a.__array_interface__["data"][0],
        a.shape,
        a.strides,
        a.dtype.str,
        hash(np.ascontiguousarray(taken).tobytes()),
    )


def _arrow_part(chunked: Any, identity: bool = True) -> tuple[Any, ...]:
    """A pyarrow (chunked) array: immutable, so its identity (unless it is a wrapper
    made afresh on each call, a table's column), length and the addresses of its first
    and last chunks' buffers."""
    chunks = getattr(chunked, "chunks", None)
    chunks = [chunked] if chunks is None else chunks
    ends = [chunks[0], chunks[-1]] if chunks else []
    addresses = tuple(b.address if b is not None else 0 for c in ends for b in c.buffers())
    return (id(chunked) if identity else 0, len(chunked), len(chunks), addresses)


def _extension_part(a: Any, rows: list[int]) -> tuple[Any, ...]:
    """A pandas extension array through its numpy pieces (a masked array's values and
    mask, a categorical's codes, a datetime array's int64s) or its arrow array."""
    np = _np()
    parts: list[Any] = [id(a), _type_name(type(a)), len(a)]
    for attr in ("_ndarray", "_data", "_mask", "_codes"):
        piece = getattr(a, attr, None)
        if isinstance(piece, np.ndarray):
            parts.append(_numpy_part(piece, rows, piece.ndim - 1))
    arrow = getattr(a, "_pa_array", None)
    if arrow is not None:
        parts.append(_arrow_part(arrow))
    return tuple(parts)


def _names_part(names: Any) -> Any:
    try:
        return hash(tuple(names)) if len(names) <= 10 * SCHEMA_COLUMNS else len(names)
    except TypeError:
        return len(names)


def _index_part(index: Any, rows: list[int]) -> tuple[Any, ...]:
    """A pandas index through its data (an edit of a frame may give it a new but equal
    index object): a range's bounds, a multi-index's codes, another's values array."""
    np = _np()
    parts: list[Any] = [_type_name(type(index)), _names_part(index.names)]
    if parts[0] == "RangeIndex":
        return (*parts, index.start, index.stop, index.step)
    if parts[0] == "MultiIndex":
        codes = [_numpy_part(c, rows, 0, False) for c in index.codes]
        return (*parts, *codes, *(_index_part(level, []) for level in index.levels))
    data = getattr(index, "_data", None)
    if isinstance(data, np.ndarray):
        return (*parts, _numpy_part(data, rows, 0, False))
    if data is not None:
        return (*parts, _extension_part(data, rows))
    return (*parts, id(index))


def _pandas_fingerprint(obj: Any) -> tuple[Any, ...]:
    np = _np()
    n = len(obj)
    rows = _sample_rows(n)
    columns = getattr(obj, "columns", None)
    parts: list[Any] = [n, _index_part(obj.index, rows)]
    parts.append(_names_part(columns) if columns is not None else obj.name)
    arrays = getattr(getattr(obj, "_mgr", None), "arrays", None)  # the blocks' values
    if arrays is None:
        arrays = (
            [obj.iloc[:, j].array for j in range(obj.shape[1])] if obj.ndim == 2 else [obj.array]
        )
    for a in arrays:
        if isinstance(a, np.ndarray):
            parts.append(_numpy_part(a, rows, a.ndim - 1))
        else:
            parts.append(_extension_part(a, rows))
    return tuple(parts)


def _python_part(values: Any, rows: list[int], deep: int) -> tuple[Any, ...]:
    """A Python list's identity, length and its sampled items' addresses; for the first
    ``deep`` sampled rows that are dicts or lists, their values' addresses too."""
    if _is(type(values), "numpy", ("ndarray",)):
        return _numpy_part(values, rows)
    items = [values[p] for p in rows if p < len(values)]
    inner = []
    for item in items[:deep]:
        tp = type(item)
        if issubclass(tp, dict):
            inner.append(tuple(map(id, dict.values(item))))
        elif issubclass(tp, list):
            inner.append(tuple(map(id, list.__iter__(item))))
    return (id(values), len(values), hash(tuple(map(id, items))), hash(tuple(inner)))


def _polars_fingerprint(obj: Any) -> tuple[Any, ...]:
    """A polars DataFrame: its shape, names, dtypes, the data addresses of its numeric
    columns without nulls (zero-copy numpy views) and a hash of its sampled rows."""
    parts: list[Any] = [
        obj.height,
        _names_part(obj.columns),
        _names_part([str(t) for t in obj.dtypes]),
    ]
    for j in range(min(obj.width, SCHEMA_COLUMNS)):
        series = obj.to_series(j)
        if series.dtype.is_numeric() and not series.null_count():
            try:
                parts.append(series.to_numpy().__array_interface__["data"][0])
            except Exception:
                parts.append(None)
    rows = _sample_rows(obj.height)
    if rows:
        try:
            sampled = obj[_np().asarray(rows)]
            parts.append(hash(sampled.hash_rows().to_numpy().tobytes()))
        except Exception:  # a dtype polars does not hash (Object)
            parts.append(None)
    return tuple(parts)


def _fingerprint(source: _Source) -> tuple[Any, ...]:
    """A cheap summary of a source's object, equal while the object is unchanged.

    pandas: its length, its index's data, column names, and per block its
    array's identity, data pointer, shape and strides and a hash of the values of
    FINGERPRINT_ROWS sampled rows (row 0, the last row, fixed pseudo-random rows);
    numpy: the same of the array; Python tables: the list's (or each column list's)
    identity, length and its sampled items' addresses, and the values' addresses of
    sampled rows that are dicts or lists; polars: shape, names, dtypes, numeric data
    addresses and a hash of the sampled rows; pyarrow (immutable): identity and
    buffer addresses; a LazyFrame or a dask frame (immutable graphs): identity and
    dask's graph name.

    What it can miss: an in-place edit of a row that is not sampled, in a column whose
    array (block) stays the same object at the same address (``df.iloc[12345, 0] = 1``
    with row 12345 unsampled); an in-place change inside a value of an object column
    (``df.at[5, "lists"].append(1)``; an item's address does not change); a
    pyarrow buffer written through a foreign view. A changed array that happens to get
    the address of the one it replaced (freed first) is caught by its sample, unless
    the sampled values are equal too.
    """
    obj = source.obj
    try:
        if isinstance(source, _PandasSource):
            return _pandas_fingerprint(obj)
        if isinstance(source, _ArraySource):
            return _numpy_part(obj, _sample_rows(int(obj.shape[0])))
        if isinstance(source, _ColumnsSource):
            rows = _sample_rows(
                source.length(), max(16, FINGERPRINT_ROWS // max(1, len(source.lists)))
            )
            keys = _names_part(source.keys)
            values = dict.values(obj)
            return (
                id(obj),
                keys,
                *(_python_part(c, rows, 8) for c in itertools.islice(values, SCHEMA_COLUMNS)),
            )
        if isinstance(source, _PythonSource):
            return _python_part(obj, _sample_rows(list.__len__(obj)), 100)
        if isinstance(source, _LibSource) and source.polars:
            return _polars_fingerprint(obj)
        if isinstance(source, _LibSource):
            columns = obj.columns[:SCHEMA_COLUMNS]
            return (
                id(obj),
                obj.num_rows,
                _names_part(obj.column_names),
                *(_arrow_part(c, False) for c in columns),
            )
        return (id(obj), getattr(obj, "_name", None))
    except Exception as error:  # an odd object: a fingerprint that stays the same for it
        return ("unreadable", type(error).__name__)


def _column_name(source: _Source, j: int) -> str:
    """Column ``j``'s name as ``open`` gives it (sort keys and filters remember it:
    after a change their column is found again by name)."""
    if isinstance(source, _WindowSource):
        source = source.schema_source
    if isinstance(source, _PandasSource):
        if source.series:
            label = source.obj.name if source.obj.name is not None else source.name
        else:
            label = source.obj.columns[j]
        if type(label) is tuple:
            return " / ".join(_label_text(part) for part in label)
        return _label_text(label)
    if isinstance(source, _ArraySource):
        if source.fields:
            return _label_text(source.fields[j])
        return source.name if source.obj.ndim == 1 else str(j)
    if isinstance(source, _LibSource):
        return _label_text(source.names[j])
    if isinstance(source, _PythonSource):
        return source.names[j]
    return str(source.schema(j).get("name"))


def _locate(source: _Source, spec: dict[str, Any], found: dict[str, int]) -> int | None:
    """Where a sort key's or filter's column is in a rebuilt source: at its old
    position if the name is there still, else the first column of that name."""
    name, j = spec.get("name"), spec["column"]
    if name is None:
        return None
    if type(j) is int and j < source.column_count() and _column_name(source, j) == name:
        return j
    if not found:
        for k in range(source.column_count()):
            found.setdefault(_column_name(source, k), k)
        found.setdefault("", -1)  # looked: not again
    at = found.get(str(name))
    return None if at is None or at < 0 else at


def _reapplied(
    view: _View, state: _State, source: _Source, request: dict[str, Any], done: float
) -> tuple[Any, ...]:
    """A new view of ``source`` with the old view's filters and sort keys whose columns
    are still there (by name): (view, kept sort, kept filters, dropped)."""
    np = _np()
    new = _View(view.id, view.name, source)
    found: dict[str, int] = {}
    filters, combine = state.filters
    kept_filters, dropped_filters, combined = [], [], None
    lazy = bool(getattr(source, "lazy", False))
    for i, spec in enumerate(filters):
        _step(request, done, "reapplying filters")
        j = None if lazy else _locate(source, spec, found)
        try:
            if j is None:
                raise BadFilter("its column is gone")
            checked = _checked_filter(new, i, {**spec, "column": j})
            mask = _filter_mask(source, checked)
        except Cancelled:
            raise
        except (TableError, ValueError, TypeError, re.error, OverflowError):
            dropped_filters.append(spec)
            continue
        kept_filters.append(checked)
        if combined is None:
            combined = mask
        elif source.vector:
            combined = combined & mask if combine == "and" else combined | mask
        else:
            join = all if combine == "and" else any
            combined = [join(pair) for pair in zip(combined, mask, strict=True)]
    kept_sort, dropped_sort = [], []
    for spec in state.sort:
        j = None if lazy else _locate(source, spec, found)
        if j is None:
            dropped_sort.append(spec)
        else:
            kept_sort.append({**spec, "column": j, "name": _column_name(source, j)})
    _step(request, done, "reapplying the sort")
    filtered = combined is not None
    if not filtered:
        base = new.base(new.state) if kept_sort else None
    elif source.vector:
        base = np.flatnonzero(combined)
    else:
        base = [p for p, keep in enumerate(combined or []) if keep]
    try:
        positions = None if lazy else new.ordered(base, kept_sort, filtered)
    except (TableError, ValueError, TypeError):
        dropped_sort, kept_sort = dropped_sort + kept_sort, []
        positions = new.ordered(base, [], filtered)
    new.state = _State(
        state.generation + 1, positions, kept_sort, (kept_filters, combine), filtered
    )
    new.fingerprint = _fingerprint(source)
    return new, kept_sort, kept_filters, {"sort": dropped_sort, "filters": dropped_filters}


def _check(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Compare every open view with its variable; close the views of deleted variables
    (and of ones that are no tables any more), rebuild those reassigned or changed in
    place (filters and sort keys kept where their columns still are, by name). A
    cancelled check commits nothing."""
    with _lock:
        views = list(_views.values())
    changes: list[tuple[_View, _State, str, Any]] = []
    for i, view in enumerate(views):
        if i % 16 == 0:
            _step(request, 0.1 * i / max(1, len(views)), "fingerprints")
        obj = namespace.get(view.name, _MISSING)
        if obj is _MISSING:
            changes.append((view, view.state, "deleted", None))
        elif obj is not view.source.obj:
            changes.append((view, view.state, "reassigned", obj))
        elif _fingerprint(view.source) != view.fingerprint:
            changes.append((view, view.state, "mutated", obj))
    room = max(16 * 1024, MAX_ANSWER_BYTES // (2 * max(1, len(changes))))
    built: list[tuple[_View, _State, Any, dict[str, Any]]] = []
    for i, (view, read, reason, obj) in enumerate(changes):
        done = 0.1 + 0.9 * i / len(changes)
        _step(request, done, "rebuilding")
        update: dict[str, Any] = {
            "view": view.id,
            "name": view.name,
            "reason": reason,
            "closed": True,
        }
        if obj is None:
            built.append((view, read, None, update))
            continue
        try:
            source = _source(obj, view.name)
        except Exception:  # no table any more: the view closes
            built.append((view, read, None, update))
            continue
        new, kept_sort, kept_filters, dropped = _reapplied(view, read, source, request, done)
        shown = min(source.column_count(), SCHEMA_COLUMNS)
        update.update(
            closed=False,
            generation=new.state.generation,
            kind=source.kind,
            shape=[source.length(), source.column_count()],
            columns=_schema(source, shown, room),
            row_label_levels=source.label_levels(),
            row_count=new.row_count(new.state),
            sort=kept_sort,
            filters=kept_filters,
            combine=new.state.filters[1],
            dropped=dropped,
            features=_view_features(source),
        )
        if len(update["columns"]) < source.column_count():
            update["columns_truncated"] = True
        built.append((view, read, new, update))
    _step(request, 1.0)
    updates = []
    with _lock:
        for view, read, new, update in built:
            if _views.get(view.id) is not view or view.state is not read:
                continue  # closed, sorted or filtered meanwhile: the next check sees it
            if new is None:
                _views.pop(view.id, None)
            else:
                _views[view.id] = new
            view.state = read._replace()  # a sort still running on the old view commits nothing
            updates.append(update)
    return {"status": "ok", "updates": updates}


#: Requests that may take long: they run on the slow lane, with a ``task`` id.
_SLOW_OPS = ("sort", "filter", "profile", "check")


def handle(namespace: dict[str, Any], request_json: str) -> str:
    """Answer one request (JSON text) on the tables of ``namespace``, as JSON text."""
    started = time.perf_counter()
    task = None
    try:
        try:
            request = json.loads(request_json)
        except (ValueError, TypeError) as error:
            raise BadRequest(f"not JSON: {_describe(error)}") from None
        if type(request) is not dict:
            raise BadRequest("a request is a JSON object")
        op = request.get("op")
        task = _start_task(request) if op in _SLOW_OPS else None
        if op == "open":
            answer = _open(namespace, request)
        elif op == "rows":
            answer = _page(request)
        elif op == "sort":
            answer = _sort(request)
        elif op == "filter":
            answer = _filter(request)
        elif op == "close":
            answer = _close(request)
        elif op == "profile":
            answer = _profile(request)
        elif op == "export":
            answer = _export(request)
        elif op == "progress":
            answer = _progress(request)
        elif op == "cancel":
            answer = _cancel(request)
        elif op == "check":
            answer = _check(namespace, request)
        else:
            raise BadRequest(f"unknown op {_clip(str(op), 40)[0]!r}")
    except TableError as error:
        answer = {"status": "error", "ename": type(error).__name__, "evalue": str(error)}
        answer.update(error.extra)
    except Exception as error:  # a fault of this procedure (or of an odd table): said, not raised
        answer = {"status": "error", "ename": type(error).__name__, "evalue": _describe(error)}
    finally:
        if task is not None:
            with _lock:
                _tasks.pop(task.id, None)
    answer["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    try:
        return json.dumps(answer, allow_nan=False)
    except ValueError as error:  # a NaN somewhere: a fault here, said as one
        fault = {"status": "error", "ename": "ValueError", "evalue": _describe(error)}
        return json.dumps(fault)


def _describe(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:
        text = "<unprintable message>"
    return _clip(f"{type(error).__name__}: {text}", 300)[0]
