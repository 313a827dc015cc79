"""The kernel procedure's export: rows of a view as CSV, TSV, HTML or JSON text,
bounded in bytes, in chunks.

Separate because it is a request of its own with its own formatting (plain
values, not display text); it adds its features to ``views._MORE_FEATURES``.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from .columns import _ArrayColumn, _is_null, _PandasColumn
from .core import _SHORT, SCHEMA_COLUMNS, BadRequest, _brief, _np, _step, _type_module
from .library_sources import _LibColumn, _WindowSource
from .sources import _label_text, _PandasSource, _PythonSource, _Source
from .views import _MORE_FEATURES, _int, _view, _wanted_columns

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
    indexes = _wanted_columns(view, request, SCHEMA_COLUMNS)
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
        else:
            positions = view.positions_of(state, a, b)
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


_MORE_FEATURES["export"] = _export_features
