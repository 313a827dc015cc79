"""Variable preview procedure, run *inside* an IPython kernel.

The server loads this file into the kernel once per kernel start as the module
``_beaker_preview`` in ``sys.modules`` (never in the user's namespace) and then
asks for previews with one expression through ``user_expressions``, on a
subshell when the kernel has them. The answer is one JSON text. It is one file,
longer than the server's modules, because it is sent to the kernel and run there
as one module, with the standard library only.

Cost is bounded and independent of data size:

- each variable is looked at through O(1) attributes (type, ``shape``, ``len``,
  ``nbytes``) and a bounded rendering: a slice of a string or of bytes, the first
  items of a container (never its whole ``repr``), the head of a table, numpy's
  summarizing printer; nothing traverses a container to size it;
- a variable whose identity, type and shape/length did not change since the last
  call is not rendered again: a cell that changes one variable costs one variable;
- caps on the number of items, on characters per item and on payload bytes, and
  a time budget after which what is done is returned, marked partial.

One odd variable costs only itself. Every step on a variable (shape, size,
dtype, rendering, ...) runs in its own guard: a step that raises leaves its field
empty and its error in the metadata, and the other variables are shown. Nothing
is asked of an object that its type does not define (``type(obj)``, never
``obj.__class__``; ``shape`` is looked up on the type and the instance's
``__dict__``, so a ``__getattr__`` is never run). A variable that cost more than
the time budget, or whose step never returned (the server gave the call up), is
*pinned*: it keeps the entry that says so and is not looked at again until its
name is bound to another object. Python cannot stop a slow step from its own
thread, so this is what keeps one slow object from costing every preview.

Only the standard library is imported here (and IPython, to find the kernel);
numpy, pandas and matplotlib are recognized by their module name and used only
when the user already imported them.
"""

from __future__ import annotations

import array
import base64
import collections
import io
import itertools
import json
import math
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import Any

MIME = "application/vnd.beaker.variable+json"
#: The multiplication sign between rows and columns in a table's summary.
TIMES = "\u00d7"
ELLIPSIS = "\u2026"

#: Item groups of the preview, in display order.
GROUPS = ("variables", "tables", "arrays", "figures", "functions", "classes")

#: Items shown of a sequence or set, pairs of a mapping, levels of nesting.
SHOWN_ITEMS = 10
SHOWN_PAIRS = 8
MAX_DEPTH = 3
#: Characters of one string, or of one item inside a container.
ATOM_CHARS = 200
ITEM_CHARS = 100
#: Printing an int is quadratic in its digits: past this many bits, its magnitude only.
INT_BITS_PRINTED = 3000

#: What a step may raise and still cost only itself (``KeyboardInterrupt`` is the
#: user's: it ends the call).
_CAUGHT = (Exception, SystemExit)
_MISSING = object()

_state: dict[str, Any] = {"generation": 0, "cache": {}, "running": None}


class _Superseded(Exception):
    """A later call started while this one was stuck: its answer would be stale."""


class _Interrupted(BaseException):
    """Raised in the thread of a call the server gave up, to end the step it is stuck in.

    A ``BaseException``, so that a step's ``except Exception`` does not swallow it.
    """


class _Call:
    """Where a preview call is, kept in the module so that the next call can read it.

    A call whose step never returns (a ``__repr__`` waiting forever) is given up
    by the server, which runs the next preview on a new subshell while this
    call's thread stays stuck. The next call finds this record unfinished and
    pins the variable it names as stalled: no later preview stalls on it again,
    so no more threads get stuck. ``lock`` guards "on a variable": the next call
    interrupts this one's thread only while it is inside :func:`preview`.
    """

    __slots__ = ("done", "lock", "name", "since", "step", "thread", "value_id", "value_type")

    def __init__(self) -> None:
        self.name: str | None = None
        self.value_id = 0
        self.value_type: type = object
        self.step = ""
        self.since = 0.0
        self.done = False
        self.thread = threading.get_ident()
        self.lock = threading.Lock()

    def at(self, name: str, value: Any) -> None:
        with self.lock:
            self.name, self.value_id, self.value_type = name, id(value), type(value)
            self.since = time.perf_counter()

    def leave(self) -> None:
        with self.lock:
            self.name = None

    def current(self) -> bool:
        return _state["running"] is self


class _Steps:
    """The steps on one variable, each in its own guard, timed against the budget.

    A step that raises costs that step only: its field stays empty and its error
    is kept for the metadata. Once the variable has cost more than the budget,
    the steps left are not started (a running one cannot be stopped).
    """

    def __init__(self, call: _Call, name: str, value: Any, budget: float) -> None:
        call.at(name, value)
        self.call = call
        self.budget = budget
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self.errors: list[tuple[str, str]] = []
        #: The step during which the variable went over the budget.
        self.over: str | None = None

    def run(self, step: str, fn: Callable[..., Any], *args: Any, default: Any = None) -> Any:
        if self.over is not None:
            return default
        self.call.step = step
        try:
            result = fn(*args)
        except _CAUGHT as error:
            self.errors.append((step, _describe(error)))
            result = default
        if not self.call.current():
            raise _Superseded(f"stuck in the {step} of {self.call.name!r} until a later call")
        self.elapsed = time.perf_counter() - self.started
        if self.elapsed > self.budget:
            self.over = step
        return result

    def failed(self, step: str) -> str | None:
        return next((error for failed, error in self.errors if failed == step), None)


def _describe(error: BaseException) -> str:
    """``Type: message`` of an error, even one whose ``__str__`` fails."""
    try:
        text = str(error)
    except _CAUGHT:
        text = "<unprintable message>"
    name = type(error).__name__
    return _clip(f"{name}: {text}" if text else name, 300)


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + ELLIPSIS


# -- looking at types without asking the object ---------------------------------------

_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_name = type.__dict__["__name__"].__get__
_type_module = type.__dict__["__module__"].__get__


def _mro(tp: type) -> tuple[type, ...]:
    """``tp.__mro__`` through ``type``'s own descriptor: a metaclass cannot fake it."""
    mro: tuple[type, ...] = _type_mro(tp)
    return mro


def _module_name(tp: type) -> str:
    module = _type_module(tp)
    return module if type(module) is str else ""


def _defined(tp: type, module_prefix: str, names: tuple[str, ...]) -> bool:
    """Whether ``tp`` is, or derives from, a class ``names`` of a module ``module_prefix*``."""
    return any(
        _type_name(klass) in names and _module_name(klass).startswith(module_prefix)
        for klass in _mro(tp)
    )


def _static_attribute(obj: Any, name: str) -> Any:
    """``obj.<name>`` found the way Python finds it, but without ``__getattr__``.

    A data descriptor of the type (a property) wins over the instance's
    ``__dict__``, which wins over anything else of the type; a descriptor is
    called directly, so an ``AttributeError`` in it does not fall back to
    ``__getattr__``. Returns :data:`_MISSING` when Python would have had to ask
    ``__getattr__``.
    """
    tp = type(obj)
    found = _MISSING
    for klass in _mro(tp):
        namespace = _type_dict(klass)
        if name in namespace:
            found = namespace[name]
            break
    kind = type(found)
    if found is not _MISSING and hasattr(kind, "__get__") and hasattr(kind, "__set__"):
        return kind.__get__(found, obj, tp)
    instance = _instance_dict(obj)
    if instance is not None and name in instance:
        return instance[name]
    if found is not _MISSING and hasattr(kind, "__get__"):
        return kind.__get__(found, obj, tp)
    return found


def _instance_dict(obj: Any) -> dict[str, Any] | None:
    """The instance's ``__dict__`` if it is the ordinary one (no user code run)."""
    for klass in _mro(type(obj)):
        slot = _type_dict(klass).get("__dict__")
        if slot is not None:
            if type(slot) is types.GetSetDescriptorType:
                found = slot.__get__(obj, type(obj))
                return found if type(found) is dict else None
            return None
    return None


# -- kind, shape, size, dtype ------------------------------------------------------------

#: Exact types that are always plain variables without a shape: no MRO walk for them.
_SCALARS = frozenset((int, float, bool, complex, type(None)))
_PLAIN = _SCALARS | {str, bytes, bytearray, list, tuple, dict, set, frozenset, range}
_ROUTINES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
#: Types whose own ``__len__`` is O(1) and runs no user code, also for a subclass.
_SIZED = (
    str,
    bytes,
    bytearray,
    list,
    tuple,
    dict,
    set,
    frozenset,
    range,
    collections.deque,
    array.array,
    memoryview,
)


def _kind(obj: Any) -> str:
    """The group a value belongs in, found by type without importing anything."""
    tp = type(obj)
    if tp in _PLAIN:
        return "variables"
    if issubclass(tp, types.ModuleType):
        return "modules"
    if issubclass(tp, _ROUTINES):
        return "functions"
    if issubclass(tp, type):
        return "classes"
    if _defined(tp, "pandas", ("DataFrame", "Series")):
        return "tables"
    if _defined(tp, "numpy", ("ndarray",)):
        return "arrays"
    if _defined(tp, "matplotlib", ("Figure",)):
        return "figures"
    return "variables"


def _kind_or_variable(obj: Any) -> str:
    try:
        return _kind(obj)
    except _CAUGHT:  # the steps of the entry say what is wrong with it
        return "variables"


def _shape(obj: Any, kind: str) -> Any:
    """Shape or length, from O(1) attributes only; ``None`` when there is none."""
    tp = type(obj)
    if tp in _SCALARS:
        return None
    if kind in ("arrays", "tables"):
        return [int(n) for n in obj.shape]
    for base in _SIZED:
        if issubclass(tp, base):
            return base.__len__(obj)
    if issubclass(tp, (Mapping, Sequence, Set)):  # the class's own __len__: user code
        return _length(len(obj))
    return _as_shape(_static_attribute(obj, "shape"))


def _length(n: Any) -> int | None:
    return int(n) if issubclass(type(n), int) else None


def _as_shape(shape: Any) -> list[int] | None:
    """A ``shape`` that is a tuple of ints (torch.Size, polars, ...), else none."""
    if not issubclass(type(shape), tuple) or len(shape) > 64:
        return None
    if not all(issubclass(type(n), int) for n in shape):
        return None
    return [int(n) for n in shape]


def _size(obj: Any, kind: str) -> int | None:
    """Bytes held, without traversing: nbytes for arrays, shallow size otherwise."""
    if kind == "arrays":
        return int(obj.nbytes)
    if kind == "tables":
        usage = obj.memory_usage(index=True, deep=False)
        return int(usage.sum()) if hasattr(usage, "sum") else int(usage)
    return sys.getsizeof(obj)


def _dtype(obj: Any, kind: str) -> str | None:
    if kind == "arrays" or (kind == "tables" and obj.ndim == 1):
        return str(obj.dtype)
    if kind == "tables":
        dtypes = obj.dtypes
        shown = [f"{col}: {dtypes.iloc[i]}" for i, col in enumerate(list(obj.columns[:8]))]
        more = len(obj.columns) - len(shown)
        return ", ".join(shown) + (f", {ELLIPSIS} ({more} more)" if more > 0 else "")
    return None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _table_summary(obj: Any) -> str:
    """A table's size in words: rows by columns for a frame, values and dtype for a series.

    O(1): lengths and the dtype, never the data. The head shown is only five
    rows; the size of what it is the head of goes in the summary and under it.
    """
    if obj.ndim == 2:
        return f"{_count(len(obj), 'row')} {TIMES} {_count(len(obj.columns), 'column')}"
    summary = f"{_count(len(obj), 'value')}, {obj.dtype}"
    return summary if obj.name is None else f"{summary}, name {_clip(str(obj.name), 40)}"


# -- bounded rendering ---------------------------------------------------------------------

#: Exact or derived types whose repr is short whatever their value.
_ATOMS = (type(None), bool, float, complex, range, type(Ellipsis), type(NotImplemented))


def _text(obj: Any, room: int, depth: int = 0) -> tuple[str, bool]:
    """A repr of ``obj`` in about ``room`` characters, and whether it shows only part.

    Never the full ``repr`` of a value whose size is not known to be small: a
    string or bytes is sliced first, a container shows its first items (found
    through its base type's own iteration where it has one, so a subclass's
    code is not run), an int past :data:`INT_BITS_PRINTED` bits its magnitude.
    Anything else is its own ``repr``, clipped (the caller times it).
    """
    tp = type(obj)
    if issubclass(tp, _ATOMS):
        return _cut(repr(obj), room)
    if issubclass(tp, int):
        return _int_text(obj, room)
    if issubclass(tp, str):
        return _quoted(repr(str.__getitem__(obj, slice(0, room))), str.__len__(obj) > room, room)
    if issubclass(tp, (bytes, bytearray)):
        return _bytes_text(obj, tp, room)
    if issubclass(tp, memoryview):
        return _memoryview_text(obj, room)
    if issubclass(tp, collections.UserString):
        return _text(obj.data, room, depth)
    for base, render in _CONTAINERS:
        if issubclass(tp, base):
            if depth >= MAX_DEPTH:
                return f"<{_type_name(tp)} {ELLIPSIS}>", True
            return render(obj, tp, room, depth)
    return _cut(repr(obj), room)


def _cut(text: str, room: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= room else (_clip(text, room), True)


def _quoted(text: str, more: bool, room: int) -> tuple[str, bool]:
    """A quoted repr (``'…'``, ``b'…'``) clipped inside its quotes."""
    if not more and len(text) <= room:
        return text, False
    quote = text[-1]
    return text[: max(2, min(len(text) - 1, room - 2))] + ELLIPSIS + quote, True


def _int_text(obj: int, room: int) -> tuple[str, bool]:
    bits = int.bit_length(obj)
    if bits <= INT_BITS_PRINTED:
        text = repr(obj)
        if len(text) <= 60:
            return _cut(text, room)
        return text[:28] + ELLIPSIS + text[-28:], True
    exponent = math.log10(abs(int(obj)))
    sign = "-" if obj < 0 else ""
    digits = int(exponent) + 1
    return f"{sign}{10 ** (exponent % 1):.6f}e+{int(exponent)} (an int of {digits:,} digits)", True


def _bytes_text(obj: Any, tp: type, room: int) -> tuple[str, bool]:
    base = bytes if issubclass(tp, bytes) else bytearray
    head = bytes(base.__getitem__(obj, slice(0, room)))
    text, clipped = _quoted(repr(head), base.__len__(obj) > room, room)
    return (text if tp is bytes else f"{_type_name(tp)}({text})"), clipped


def _memoryview_text(view: memoryview, room: int) -> tuple[str, bool]:
    try:
        ndim, fmt, shape = view.ndim, view.format, view.shape
    except ValueError:  # released
        return "<released memoryview>", False
    if ndim != 1:
        return f"<memoryview format {fmt!r}, shape {shape}>", bool(view.nbytes)
    inner, clipped = _items_text(_each(view[:SHOWN_ITEMS].tolist(), 0), len(view), room)
    return f"<memoryview format {fmt!r}: [{inner}]>", clipped


def _items_text(
    texts: Iterable[tuple[str, bool]], total: int | None, room: int, limit: int = SHOWN_ITEMS
) -> tuple[str, bool]:
    """The first ``limit`` texts, comma-separated, while ``room`` lasts; ``…`` if more.

    ``texts`` is lazy: items past the limit are never rendered (nor iterated).
    """
    parts: list[str] = []
    used, clipped, full = 0, False, False
    for text, cut in itertools.islice(texts, limit):
        if parts and used + len(text) > room:
            full = True
            break
        parts.append(text)
        used += len(text) + 2
        clipped = clipped or cut
    more = full or total is None or total > len(parts)
    if more:
        parts.append(ELLIPSIS)
    return ", ".join(parts), clipped or more


def _each(items: Iterable[Any], depth: int) -> Iterable[tuple[str, bool]]:
    return (_item_text(item, depth) for item in items)


def _item_text(item: Any, depth: int) -> tuple[str, bool]:
    """One item of a container: its own failure is shown in its place."""
    try:
        return _text(item, ITEM_CHARS, depth + 1)
    except _CAUGHT as error:
        return f"<{_type_name(type(item))}: {_describe(error)}>", True


def _pairs(pairs: Iterable[tuple[Any, Any]], depth: int) -> Iterable[tuple[str, bool]]:
    for key, value in pairs:
        (key_text, key_cut), (value_text, value_cut) = (
            _item_text(key, depth),
            _item_text(value, depth),
        )
        yield f"{key_text}: {value_text}", key_cut or value_cut


def _dict_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    pairs = obj.items() if issubclass(tp, collections.OrderedDict) else dict.items(obj)
    inner, clipped = _items_text(_pairs(pairs, depth), dict.__len__(obj), room, SHOWN_PAIRS)
    if tp is dict:
        return "{" + inner + "}", clipped
    if issubclass(tp, collections.defaultdict):
        # The descriptor of the C type, not the instance's attribute (which a subclass may fake).
        descriptor: Any = vars(collections.defaultdict)["default_factory"]
        factory, _ = _item_text(descriptor.__get__(obj), depth)
        return f"{_type_name(tp)}({factory}, {{{inner}}})", clipped
    return f"{_type_name(tp)}({{{inner}}})", clipped


def _list_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    inner, clipped = _items_text(_each(list.__iter__(obj), depth), list.__len__(obj), room)
    return ("[" + inner + "]" if tp is list else f"{_type_name(tp)}([{inner}])"), clipped


def _tuple_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    length = tuple.__len__(obj)
    fields: Any = _static_attribute(obj, "_fields") if tp is not tuple else None
    if issubclass(type(fields), tuple) and all(type(f) is str for f in fields):  # namedtuple
        named = (
            (f"{name}={text}", cut)
            for name, (text, cut) in zip(fields, _each(tuple.__iter__(obj), depth), strict=False)
        )
        inner, clipped = _items_text(named, length, room)
        return f"{_type_name(tp)}({inner})", clipped
    inner, clipped = _items_text(_each(tuple.__iter__(obj), depth), length, room)
    return "(" + inner + ("," if length == 1 else "") + ")", clipped


def _set_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    base = set if issubclass(tp, set) else frozenset
    length = base.__len__(obj)
    if length == 0:
        return f"{_type_name(tp)}()", False
    inner, clipped = _items_text(_each(base.__iter__(obj), depth), length, room)
    return ("{" + inner + "}" if tp is set else f"{_type_name(tp)}({{{inner}}})"), clipped


def _deque_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    deque = collections.deque
    items = _each(deque.__iter__(obj), depth)
    inner, clipped = _items_text(items, deque.__len__(obj), room)
    maxlen = deque.maxlen.__get__(obj)
    bound = "" if maxlen is None else f", maxlen={maxlen}"
    return f"{_type_name(tp)}([{inner}]{bound})", clipped


def _array_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    typecode = array.array.typecode.__get__(obj)
    length = array.array.__len__(obj)
    if length == 0:
        return f"{_type_name(tp)}({typecode!r})", False
    inner, clipped = _items_text(_each(array.array.__iter__(obj), depth), length, room)
    return f"{_type_name(tp)}({typecode!r}, [{inner}])", clipped


def _mapping_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    """Any other mapping: its own ``items()`` (user code, timed with the rendering)."""
    pairs = _pairs(obj.items(), depth)
    inner, clipped = _items_text(pairs, _length_or_none(obj), room, SHOWN_PAIRS)
    return f"{_type_name(tp)}({{{inner}}})", clipped


def _collection_text(obj: Any, tp: type, room: int, depth: int) -> tuple[str, bool]:
    """Any other sequence or set: its own iteration, stopped after the items shown."""
    inner, clipped = _items_text(_each(iter(obj), depth), _length_or_none(obj), room)
    brackets = "{}" if issubclass(tp, Set) else "[]"
    return f"{_type_name(tp)}({brackets[0]}{inner}{brackets[1]})", clipped


def _length_or_none(obj: Any) -> int | None:
    try:
        return _length(len(obj))
    except _CAUGHT:
        return None


_Renderer = Callable[[Any, type, int, int], tuple[str, bool]]
#: Containers by base type, most specific first: a dict subclass is a Mapping too.
_CONTAINERS: tuple[tuple[Any, _Renderer], ...] = (
    (dict, _dict_text),
    (list, _list_text),
    (tuple, _tuple_text),
    ((set, frozenset), _set_text),
    (collections.deque, _deque_text),
    (array.array, _array_text),
    (Mapping, _mapping_text),
    ((Sequence, Set), _collection_text),
)


def _render(obj: Any, kind: str, max_chars: int) -> tuple[dict[str, Any], bool]:
    """The MIME bundle of one value (without the metadata entry), and whether it is a part."""
    if kind == "tables":
        # A series as a one-column frame: Series.to_string cannot cap cell widths.
        head = obj.iloc[:5, :20] if obj.ndim == 2 else obj.iloc[:5].to_frame()
        footer = f"[{_table_summary(obj)}]"
        text = _clip(head.to_string(max_colwidth=40), max(1, max_chars - len(footer) - 1))
        bundle = {"text/plain": f"{text}\n{footer}"}
        if obj.ndim == 2:
            html = _clip(head.to_html(max_cols=20), 20 * max_chars)
            bundle["text/html"] = f"{html}\n<p>{footer[1:-1]}</p>"
        return bundle, len(obj) > 5 or (obj.ndim == 2 and len(obj.columns) > 20)
    if kind == "arrays":
        numpy = sys.modules["numpy"]
        text = numpy.array2string(obj, threshold=20, edgeitems=3, max_line_width=100)
        return {"text/plain": _clip(text, max_chars)}, obj.size > 20 or len(text) > max_chars
    if kind == "figures":
        buffer = io.BytesIO()
        obj.savefig(buffer, format="png", dpi=40)
        text, clipped = _text(obj, max_chars)
        return {
            "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "text/plain": text,
        }, clipped
    text, clipped = _text(obj, max(20, min(max_chars, ATOM_CHARS)) if _is_atom(obj) else max_chars)
    return {"text/plain": _clip(text, max_chars)}, clipped or len(text) > max_chars


def _is_atom(obj: Any) -> bool:
    """Strings and bytes show :data:`ATOM_CHARS` at most, as they did with reprlib."""
    return issubclass(type(obj), (str, bytes, bytearray))


# -- one variable -----------------------------------------------------------------------


def _visible_names(
    ns: dict[Any, Any], hidden: dict[str, Any], include_functions: bool
) -> list[tuple[str, Any, str]]:
    """User variables: no private names, modules, IPython's own, or our helpers.

    Only string keys are names (``globals()[42] = 'x'`` is possible, but no
    variable): other keys are left out.
    """
    missing = object()
    names = []
    for name, value in ns.items():
        if type(name) is not str or name.startswith("_") or hidden.get(name, missing) is value:
            continue
        kind = _kind_or_variable(value)
        if kind == "modules" or (kind in ("functions", "classes") and not include_functions):
            continue
        names.append((name, value, kind))
    names.sort(key=lambda item: item[0].lower())
    return names


def _look(
    name: str,
    value: Any,
    kind: str,
    cached: dict[str, Any] | None,
    call: _Call,
    options: dict[str, Any],
) -> tuple[dict[str, Any], bool]:
    """The cache record of one variable, and whether it changed since the last call.

    A pinned record (over budget, stalled) stands for as long as the name holds
    the same object: nothing of the object is looked at, not even its shape.
    """
    tp = type(value)
    if cached is not None and "pinned" in cached:
        if _same(cached["pinned"], (id(value), tp)):
            return cached, cached.pop("fresh", False)
        cached = None
    steps = _Steps(call, name, value, options["time_budget"])
    shape = steps.run("shape", _shape, value, kind)
    key = (id(value), tp, tuple(shape) if type(shape) is list else shape)
    if cached is not None and _same(cached["key"], key) and steps.over is None:
        return cached, False
    bundle = _entry(value, kind, shape, steps, options)
    record: dict[str, Any] = {"key": key, "kind": kind, "bundle": bundle}
    if bundle[MIME].get("skipped") in ("over budget", "stalled"):
        record["pinned"] = (id(value), tp)
    record["bytes"] = len(json.dumps(bundle, default=str))
    return record, True


def _same(key: tuple[Any, ...] | None, other: tuple[Any, ...]) -> bool:
    """Keys ``(id, type, shape...)`` equal, types by identity: ``==`` on two classes
    would ask their metaclass."""
    if key is None or key[0] != other[0] or key[1] is not other[1]:
        return False
    return key[2:] == other[2:]  # shapes: None, ints, tuples of ints


def _entry(
    value: Any, kind: str, shape: Any, steps: _Steps, options: dict[str, Any]
) -> dict[str, Any]:
    """Bundle plus the metadata entry the panel shows in its columns."""
    tp = type(value)
    meta: dict[str, Any] = {
        "type": _type_name(tp),  # type's own descriptors: no user code, no failure
        "module": _module_name(tp),
        "shape": shape,
        "dtype": steps.run("dtype", _dtype, value, kind),
        "bytes": steps.run("size", _size, value, kind),
    }
    rendered = steps.run("rendering", _render, value, kind, options["max_chars"])
    summary = None
    if kind == "tables" and rendered is not None:
        summary = steps.run("summary", lambda: _clip(_table_summary(value), 120))
    if rendered is None:
        bundle: dict[str, Any] = {}
    else:
        bundle, clipped = rendered
        if clipped:
            meta["clipped"] = True
    if steps.errors:
        meta["error"] = _clip("; ".join(f"{step}: {error}" for step, error in steps.errors), 500)
    if steps.over is not None:
        meta["skipped"] = "over budget"
        meta["message"] = (
            f"over the time budget: {steps.elapsed:.2f} s (budget {steps.budget:g} s), "
            f"in its {steps.over}; not looked at again until the name is reassigned"
        )
    elif rendered is None:
        meta["skipped"] = "error"
        meta["message"] = f"could not be previewed: {steps.failed('rendering')}"
    if "text/plain" not in bundle:
        bundle["text/plain"] = f"<{meta['type']}: {meta['message']}>"
    meta["summary"] = summary or _clip(bundle["text/plain"].split("\n", 1)[0], 120)
    meta["changed"] = False
    bundle[MIME] = meta
    return bundle


def _pin_stalled(previous: _Call) -> None:
    """The variable an unfinished call is stuck on: never tried again while unchanged."""
    name = previous.name
    assert name is not None  # the caller checked: the call was on a variable
    cache: dict[str, Any] = _state["cache"]
    kind = cache.get(name, {}).get("kind", "variables")
    stuck_for = time.perf_counter() - previous.since
    try:
        type_name, module = _type_name(previous.value_type), _module_name(previous.value_type)
    except _CAUGHT:
        type_name, module = "?", ""
    message = (
        f"stalled: its {previous.step} had not returned after {stuck_for:.1f} s, when the "
        "preview was given up; not tried again until the name is reassigned"
    )
    text = f"<{type_name}: {message}>"
    meta = {
        "type": type_name,
        "module": module,
        "shape": None,
        "dtype": None,
        "bytes": None,
        "summary": _clip(text, 120),
        "skipped": "stalled",
        "message": message,
        "changed": False,
    }
    bundle = {"text/plain": text, MIME: meta}
    cache[name] = {
        "key": None,
        "kind": kind,
        "bundle": bundle,
        "bytes": len(json.dumps(bundle)),
        "pinned": (previous.value_id, previous.value_type),
        "fresh": True,
    }


def _begin() -> _Call:
    """Register a new call; an earlier one still unfinished is stuck, so pin its variable.

    The server runs one preview at a time per kernel: a call that starts while
    another has not returned means the server gave the other up (its stall
    limit) and moved to a new subshell. That call's thread is still inside the
    step it recorded: it is interrupted (:func:`_interrupt`), and if the step
    returns anyway, it ends at :class:`_Superseded` without touching the state.
    """
    previous: _Call | None = _state["running"]
    call = _Call()
    _state["running"] = call
    if previous is not None and not previous.done:
        with previous.lock:  # the stuck thread cannot leave its variable meanwhile
            if previous.name is not None:
                _pin_stalled(previous)
                _interrupt(previous.thread)
    return call


def _interrupt(thread: int) -> None:
    """Raise :class:`_Interrupted` in a stuck call's thread (CPython only).

    A step looping in Python code ends at once: a stuck ``__repr__`` that spins
    no longer burns a core for the rest of the kernel's life, and its subshell
    is freed (and deleted by the server). A step waiting in C code (a lock, a
    socket, ``time.sleep``) gets the exception only when the wait returns.
    Called with the call's lock held while it is on a variable, so the
    exception lands inside :func:`preview`, whose caller (``user_expressions``)
    turns it into an error answer that nobody waits for any more.
    """
    try:
        import ctypes

        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
        set_async_exc(ctypes.c_ulong(thread), ctypes.py_object(_Interrupted))
    except Exception:  # not CPython: the thread stays until its step returns
        pass


def preview(
    ns: dict[str, Any],
    hidden: dict[str, Any] | None = None,
    *,
    since: int = -1,
    max_items: int = 200,
    max_chars: int = 2000,
    max_bytes: int = 512 * 1024,
    time_budget: float = 0.25,
    include_functions: bool = False,
) -> str:
    """The preview of ``ns`` as JSON text.

    ``since`` is the generation the caller already holds: entries that did not
    change since then are named but not sent again. A caller with a different
    generation (say, a restarted server) gets every entry.
    """
    started = time.perf_counter()
    call = _begin()
    try:
        options = {"time_budget": time_budget, "max_chars": max_chars}
        return _preview(
            ns, hidden or {}, call, started, since, max_items, max_bytes, options, include_functions
        )
    finally:
        call.done = True


def _preview(
    ns: dict[str, Any],
    hidden: dict[str, Any],
    call: _Call,
    started: float,
    since: int,
    max_items: int,
    max_bytes: int,
    options: dict[str, Any],
    include_functions: bool,
) -> str:
    deadline = started + options["time_budget"]
    snapshot = dict(ns)  # one C-level copy: safe while the main thread runs a cell
    visible = _visible_names(snapshot, hidden, include_functions)
    cache: dict[str, Any] = _state["cache"]
    full = since != _state["generation"]
    names, entries, changed = [], {}, []
    payload_bytes, partial, truncated = 0, False, False
    for index, (name, value, kind) in enumerate(visible[:max_items]):
        if time.perf_counter() > deadline:
            partial = True
            break
        cached, is_changed = _look(name, value, kind, cache.get(name), call, options)
        call.leave()
        if is_changed:
            cache[name] = cached
            changed.append(name)
        if payload_bytes + cached["bytes"] > max_bytes and index > 0:
            truncated = True
            break
        payload_bytes += cached["bytes"]
        names.append([cached["kind"], name])
        if full or is_changed:
            bundle = cached["bundle"]
            entries[name] = {**bundle, MIME: {**bundle[MIME], "changed": is_changed}}
    shown = {name for _, name in names}
    removed = [name for name in list(cache) if name not in snapshot]
    for name in removed:
        del cache[name]
    if changed or removed or full:
        _state["generation"] += 1
    return json.dumps(
        {
            "generation": _state["generation"],
            "full": full,
            "names": names,
            "entries": entries,
            "changed": [n for n in changed if n in shown],
            "removed": removed,
            "total": len(visible),
            "omitted": len(visible) - len(names),
            "partial": partial,
            "truncated": truncated,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
        },
        default=str,
    )


def setup(session: str) -> None:
    """What the server needs of the kernel once per procedure load (see below)."""
    guard_stdin(session)


def guard_stdin(session: str) -> bool:
    """Keep the requests of client session ``session`` off the kernel's ``input()``.

    ipykernel (7.x) forwards ``input()`` to the front-end per execute request
    through kernel-wide state (``_allow_stdin``, ``builtins.input``), set when an
    execute starts and put back when it ends. A preview runs on a subshell, so
    when it starts while a user's cell runs on the main shell, it switches that
    cell's ``input()`` off (``StdinNotImplementedError``) and leaves its own
    ``builtins.input`` behind. The server's requests never read input: for them,
    both steps are skipped. Called once per procedure load; returns whether the
    kernel has the hooks (another kernel or version is left as it is).
    """
    try:
        from IPython import get_ipython

        kernel = get_ipython().kernel
    except Exception:  # not in an IPython kernel
        return False
    forward = kernel.__dict__.get("_forward_input")
    sessions = getattr(forward, "beaker_sessions", None)
    if sessions is not None:  # guarded by an earlier load (a restarted server)
        sessions.add(session)
        return True
    original_forward = getattr(kernel, "_forward_input", None)
    original_restore = getattr(kernel, "_restore_input", None)
    if original_forward is None or original_restore is None or not hasattr(kernel, "get_parent"):
        return False
    sessions = {session}
    skipped = threading.local()

    def ours() -> bool:
        try:
            return kernel.get_parent("shell").get("header", {}).get("session") in sessions
        except Exception:
            return False

    def forward_input(*args: Any, **kwargs: Any) -> Any:
        if ours():
            skipped.request = True
            return None
        return original_forward(*args, **kwargs)

    def restore_input() -> Any:
        if getattr(skipped, "request", False):
            skipped.request = False
            return None
        return original_restore()

    forward_input.beaker_sessions = sessions  # type: ignore[attr-defined]
    kernel._forward_input = forward_input
    kernel._restore_input = restore_input
    return True
