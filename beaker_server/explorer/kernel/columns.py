"""The kernel procedure's columns of numpy and pandas sources: whole-column numpy
operations (values at positions, filter masks, sort keys), and the Python
predicates filters use on values one at a time.

Separate from ``sources`` because a source only holds its columns: the column
types carry the numpy/pandas work, and library columns build on ``_Column``.
"""

from __future__ import annotations

import datetime
import json
import operator
import re
import sys
from collections.abc import Callable
from typing import Any

from .core import (
    _COMPARE,
    _NUMPY_DISPLAY,
    _TEXT_KINDS,
    NAN,
    NAT,
    NULL,
    SAMPLE_ROWS,
    _display_of_values,
    _Format,
    _format_array,
    _format_many,
    _np,
    _numpy_display,
    _type_name,
)

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
            # A tz-aware column's UTC datetime64 array, without Series.values (which
            # warns in pandas 3, and a warning in the kernel reaches a cell's output).
            values = getattr(array_, "_ndarray", None)
            if not isinstance(values, np.ndarray):
                values = self.series.to_numpy() if self.series.dt.tz is None else None
            if values is None:
                values = self.series.dt.tz_convert(None).to_numpy()
            if isinstance(values, np.ndarray) and values.dtype.kind in "Mm":
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
