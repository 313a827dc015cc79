"""The kernel procedure's library sources: polars, pyarrow and dask frames, read
through their own APIs without importing anything (the variable's type says the
library is imported), in chunks; a lazy or partitioned frame is paged through a
computed window.

Separate because it is the biggest adapter family and the only one that talks to
three libraries; it registers ``_library_source`` in ``sources._LIBRARY_SOURCES``.
"""

from __future__ import annotations

import datetime
import operator
import sys
import time
from collections.abc import Callable
from typing import Any

from .columns import _ArrayColumn, _coerce, _Column, _comparisons, _python_mask
from .core import (
    _COMPARE,
    _TEXT_KINDS,
    NAT,
    NULL,
    SAMPLE_ROWS,
    BadRequest,
    _describe,
    _display_of_values,
    _Format,
    _format_array,
    _format_many,
    _is,
    _np,
    _type_name,
)
from .sources import _LIBRARY_SOURCES, _label_text, _PandasSource, _Source

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


_LIBRARY_SOURCES.append(_library_source)
