"""The kernel procedure's profiles: a summary of each of some columns of a view
(nulls, stats, quantiles, histogram, top values), exact or on a sample, in
chunks with a step between them.

Separate because it is a request of its own with its own bounds; it adds its
features to ``views._MORE_FEATURES``.
"""

from __future__ import annotations

import datetime
import math
import operator
import sys
from collections import _count_elements  # type: ignore[attr-defined]
from collections.abc import Callable
from typing import Any, NamedTuple

from .columns import _ArrayColumn, _is_null, _PandasColumn
from .core import (
    _MISSING,
    DIGITS,
    VALUE_CHARS,
    BadRequest,
    Cancelled,
    _brief,
    _describe,
    _float_text,
    _Format,
    _format_array,
    _format_value,
    _int_text,
    _np,
    _step,
)
from .library_sources import _EPOCH, _TICKS_PER_US, _UTC, _LibColumn
from .sources import _PythonSource, _Source
from .views import _MORE_FEATURES, _column_index, _int, _State, _View, _view

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


_MORE_FEATURES["profile"] = _profile_features
