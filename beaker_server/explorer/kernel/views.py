"""The kernel procedure's views and their requests: filtering, a view's state
(``_State``, replaced whole) and ``_View``, the open views (``_views``), and the
requests ``open``, ``rows``, ``sort``, ``filter``, ``close`` with ``_commit`` (a
slow request's new state, refused if the view changed while it ran), the early
first rows of a big sort, and paging a windowed (lazy) source.

``profile`` and ``export`` add their features to ``_MORE_FEATURES`` when loaded:
they come after this module, which they build on.
"""

from __future__ import annotations

import array
import itertools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .columns import _python_mask
from .core import (
    _COMPARE,
    _MISSING,
    _TEXT_KINDS,
    DIGITS,
    FILTER_KINDS,
    MAX_ANSWER_BYTES,
    MAX_FILTERS,
    MAX_ROWS,
    MAX_SET_VALUES,
    MAX_SORT_KEYS,
    MAX_TERM_CHARS,
    MAX_VALUE_CHARS,
    MAX_VIEWS,
    OPEN_ROWS,
    PAGE_COLUMNS,
    SCHEMA_COLUMNS,
    SPECIAL_VALUES,
    VALUE_CHARS,
    BadFilter,
    BadRequest,
    BadSort,
    TableError,
    TooManyViews,
    UnknownVariable,
    UnknownView,
    _clip,
    _Format,
    _lock,
    _np,
    _step,
)
from .fingerprint import _column_name, _fingerprint
from .library_sources import _WindowSource
from .sorting import (
    FIRST_ROWS,
    FIRST_ROWS_MIN,
    _first_rows,
    _numeric_key,
    _numeric_order,
    _numeric_values,
    _python_sort,
    _sampled_first_rows,
    _Steps,
    _vector_sort,
)
from .sources import _PythonSource, _Source, _source

_views: dict[str, _View] = {}
_counter = itertools.count(1)


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
    (A named tuple, not a dataclass: the procedure's classes need nothing of
    ``sys.modules``, where a test's copy of the package is not kept.)"""

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

    def positions_of(self, state: _State, start: int, stop: int) -> Any:
        """The source's row positions of the view's rows ``start`` to ``stop - 1``."""
        if state.positions is not None:
            return state.positions[start:stop]
        if self.source.vector:
            return _np().arange(start, stop, dtype=_np().intp)
        return range(start, stop)

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


def _wanted_columns(view: _View, request: dict[str, Any], default: int) -> list[int]:
    """The column indexes a request names (``columns``), or the first ``default``."""
    wanted = request.get("columns")
    if wanted is None:
        return list(range(min(view.source.column_count(), default)))
    if type(wanted) is list and len(wanted) <= SCHEMA_COLUMNS:
        return [_column_index(view, j, "columns") for j in wanted]
    raise BadRequest(f"columns must be a list of at most {SCHEMA_COLUMNS} indexes")


def _combined(combined: Any, mask: Any, combine: str, vector: bool) -> Any:
    """Filter masks joined with ``and`` / ``or``: numpy arrays, or lists of bools."""
    if combined is None:
        return mask
    if vector:
        return combined & mask if combine == "and" else combined | mask
    join = all if combine == "and" else any
    return [join(pair) for pair in zip(combined, mask, strict=True)]


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
    indexes = _wanted_columns(view, request, PAGE_COLUMNS)
    stop = min(start + count, view.row_count(state))
    start = min(start, stop)
    positions = view.positions_of(state, start, stop)
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


#: The features of requests answered by later modules (``profile``, ``export``),
#: each added by its module when it is loaded, in the order they are loaded.
_MORE_FEATURES: dict[str, Callable[[], dict[str, Any]]] = {}


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
        **{op: features() for op, features in _MORE_FEATURES.items()},
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
    return _changed(view, new)


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


def _changed(view: _View, new: _State) -> dict[str, Any]:
    """The answer of a sort or filter that committed ``new``."""
    return {"status": "ok", "generation": new.generation, "row_count": view.row_count(new)}


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
        combined = _combined(combined, mask, combine, source.vector)
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
    return _changed(view, new)


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
    return _changed(view, new)


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
    """``_features()`` as they hold for this source: a windowed one neither sorts,
    filters nor finds (each would compute all of it)."""
    features = _features()
    lazy = bool(getattr(source, "lazy", False))
    for op in ("sort", "filter", "find"):
        features[op] = {**features[op], "supported": not lazy}
        if lazy:
            features[op]["reason"] = source.refusal  # type: ignore[attr-defined]
    features["row_count"] = "unknown until the last row is paged" if lazy else "known"
    return features
