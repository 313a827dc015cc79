"""The kernel procedure's fingerprints: a cheap summary of a variable's object
(its shape, its arrays' identities, a fixed sample of its rows) kept with a view when it is opened,
so that ``check`` can tell whether the variable changed in place after a cell;
and a column's name as ``open`` gives it (sort keys and filters remember it).

Separate from ``check`` because ``views`` takes a fingerprint at ``open``, and
``check`` (which reopens views) comes after ``views``.
"""

from __future__ import annotations

import itertools
from typing import Any

from .core import SCHEMA_COLUMNS, _is, _np, _type_name
from .library_sources import _LibSource, _WindowSource
from .sources import (
    _ArraySource,
    _ColumnsSource,
    _label_text,
    _PandasSource,
    _PythonSource,
    _Source,
)

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
