"""The kernel procedure's sources: the adapter of a variable by its type (a pandas
frame or series, a numpy array, lists of dicts or tuples, a dict of lists), and
``_source()`` which picks it.

Library frames (polars, pyarrow, dask) are adapted in ``library_sources``, which
builds on this module and adds its adapter to ``_LIBRARY_SOURCES`` when loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .columns import _ArrayColumn, _PandasColumn
from .core import (
    NULL,
    SAMPLE_ROWS,
    SCHEMA_COLUMNS,
    NotATable,
    _brief,
    _clip,
    _display_of_values,
    _Format,
    _format_many,
    _is,
    _np,
    _type_mro,
    _type_name,
)

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


#: The adapters of library frames (polars, pyarrow, dask), each ``(obj, name, type)
#: -> source or None``: ``library_sources`` adds its own when it is loaded (after
#: this module, which it builds on).
_LIBRARY_SOURCES: list[Callable[[Any, str, type], _Source | None]] = []


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
    for library_source in _LIBRARY_SOURCES:
        library = library_source(obj, name, tp)
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
