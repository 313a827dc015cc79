"""The kernel procedure's sorting: a view's row positions ordered by its sort keys,
stable with missing values last, without holding the GIL for long (numpy sorts
with it released; object keys are converted or bucketed in chunks, a step
between them).

Separate because it is the slow path the GIL rule is about; it knows sources and
columns, never views (``views`` commits what it computes).
"""

from __future__ import annotations

import bisect
import operator
import sys
import time
from typing import Any

from .columns import _is_null, _PandasColumn
from .core import _is, _np, _step, _type_module

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
