"""The kernel procedure's ``find``: the next cell of a view, in the view's order,
whose text as the grid shows it holds a term (README, "Data Explorer").

Cells are read row by row, and in each row the columns in the order asked (the
grid's), from a start cell, forwards or backwards, wrapping once past the end.
Values are formatted as a page formats them, a chunk of rows at a time, so that
``find`` sees what the user sees: ``1.5`` matches a float shown as ``1.5``, and
``NaN`` or ``null`` match the cells shown so. Strings are matched whole (up to
:data:`FIND_CHARS`), not cut to a page's bound.

A slow request (every row of a 10M-row view when nothing matches): it steps
between chunks, so it reports progress and is cancelled at the next chunk, and
its chunks grow only while each takes under :data:`CHUNK_SECONDS`.
"""

from __future__ import annotations

import time
from typing import Any

from .columns import _ArrayColumn, _PandasColumn
from .core import (
    DIGITS,
    MAX_TERM_CHARS,
    NAN,
    NAT,
    NEG_INF,
    NULL,
    POS_INF,
    SCHEMA_COLUMNS,
    BadRequest,
    _Format,
    _step,
)
from .sources import _PythonSource
from .views import (
    _MORE_FEATURES,
    _column_index,
    _int,
    _refuse_windowed,
    _State,
    _View,
    _view,
    _wanted_columns,
)

#: The text the grid shows for each special value's code.
SPECIAL_TEXT = {NULL: "null", NAN: "NaN", NAT: "NaT", POS_INF: "inf", NEG_INF: "-inf"}
#: How much of a value's text is searched (a page shows 200 characters at most 2,000).
FIND_CHARS = 2000
#: Rows a chunk starts with and may grow to.
CHUNK_ROWS, MAX_CHUNK_ROWS = 64, 131_072
#: A chunk grows while it takes less than this (seconds): steps stay frequent.
CHUNK_SECONDS = 0.025
#: What a number or a boolean shows, folded: a term with another character in it
#: cannot be in such a column, which is then not formatted at all.
_NUMBER_CHARS = frozenset("0123456789.e+-") | frozenset("naninfnull")
_BOOLEAN_CHARS = frozenset("truefalse") | frozenset("null")
_FORMAT = _Format(FIND_CHARS, DIGITS)


def _find(request: dict[str, Any]) -> dict[str, Any]:
    view = _view(request)
    _refuse_windowed(view)
    state = view.state
    if request.get("generation") != state.generation:
        return {"status": "stale", "generation": state.generation}
    term, case = request.get("text"), request.get("case_sensitive", False)
    if type(term) is not str or not 0 < len(term) <= MAX_TERM_CHARS:
        raise BadRequest(f"text must be a string of 1 to {MAX_TERM_CHARS} characters")
    if type(case) is not bool:
        raise BadRequest("case_sensitive must be true or false")
    direction = request.get("direction", "next")
    if direction not in ("next", "previous"):
        raise BadRequest("direction must be next or previous")
    columns = _wanted_columns(view, request, SCHEMA_COLUMNS)
    rows = view.row_count(state)
    answer: dict[str, Any] = {"status": "ok", "generation": state.generation, "match": None}
    if rows == 0 or not columns:
        return {**answer, "wrapped": False, "scanned_rows": 0}
    row = min(_int(request, "row", 0, 0, 2**62), rows - 1)
    forward = direction == "next"
    start = columns.index(_start_column(view, request, columns)) if "column" in request else None
    if start is None:
        start = 0 if forward else len(columns) - 1
    folded = term if case else term.casefold()
    scan = _Scan(view, state, folded, case, request)
    searched = [j for j in columns if scan.may_hold(j)]
    order = {j: k for k, j in enumerate(columns)}
    # Column k's cells from the start on, in the first pass: from the start row
    # when k is at or after the start column (going forwards), else the next row.
    first: dict[int, int] = {}
    for j in searched:
        k = order[j]
        first[j] = (row + (k < start)) if forward else (row - (k > start))
    if forward:
        found = scan.forwards(searched, order, first, rows)
        wrapped = found is None
        if wrapped:
            found = scan.forwards(searched, order, {j: 0 for j in searched}, rows, ends=first)
    else:
        found = scan.backwards(searched, order, first)
        wrapped = found is None
        if wrapped:
            last = {j: rows - 1 for j in searched}
            found = scan.backwards(searched, order, last, ends=first)
    if found is not None:
        answer["match"] = {"row": found[0], "column": found[1]}
    return {**answer, "wrapped": wrapped and found is not None, "scanned_rows": scan.scanned}


def _start_column(view: Any, request: dict[str, Any], columns: list[int]) -> int:
    column = _column_index(view, request["column"], "column")
    if column not in columns:
        raise BadRequest(f"column {column} is not one of the columns searched")
    return column


def _may_hold(column: Any, lowered: str) -> bool:
    """Whether ``column`` can show ``lowered`` at all: a column of numpy numbers or
    booleans shows few characters, and a term with others is not looked for there."""
    kind = _shown_kind(column)
    if kind in ("f", "i", "u"):
        return set(lowered) <= _NUMBER_CHARS
    if kind == "b":
        return set(lowered) <= _BOOLEAN_CHARS
    return True


def _shown_kind(column: Any) -> str:
    """The numpy kind a column's page is formatted from ("" when not one of numpy's)."""
    if isinstance(column, _ArrayColumn):
        return str(column.values.dtype.kind)
    if isinstance(column, _PandasColumn):
        return "" if column.categorical else str(getattr(column.dtype, "kind", ""))
    if getattr(column, "category", None) == "numpy":  # a polars or Arrow column of numbers
        return {"number": "f", "boolean": "b"}.get(column.display, "")
    return ""


class _Scan:
    """Chunks of a view's rows, formatted column by column and searched."""

    __slots__ = (
        "case",
        "chunk",
        "columns",
        "folded",
        "request",
        "scanned",
        "source",
        "state",
        "total",
        "view",
    )

    def __init__(
        self, view: _View, state: _State, folded: str, case: bool, request: dict[str, Any]
    ) -> None:
        self.view = view
        self.state = state
        self.source = view.source
        self.folded = folded
        self.case = case
        self.request = request
        self.chunk = CHUNK_ROWS
        self.scanned = 0
        self.total = max(1, view.row_count(state))
        self.columns: dict[int, Any] = {}  # a vector source's columns, made once

    def may_hold(self, j: int) -> bool:
        if not self.source.vector:
            return True
        return _may_hold(self._column(j), self.folded.lower())

    def _column(self, j: int) -> Any:
        column = self.columns.get(j)
        if column is None:
            column = self.columns[j] = self.source.column(j)
        return column

    def forwards(
        self,
        columns: list[int],
        order: dict[int, int],
        first: dict[int, int],
        rows: int,
        ends: dict[int, int] | None = None,
    ) -> tuple[int, int] | None:
        """The first cell in row-major order with column j's rows from ``first[j]``
        up to (not including) ``ends[j]`` (default: the last row)."""
        stop = rows if ends is None else min(rows, max(ends.values(), default=0))
        at = min(first.values(), default=stop)
        while at < stop:
            size = self.chunk
            began = time.perf_counter()
            chunk_stop = min(stop, at + size)
            best: tuple[int, int, int] | None = None  # row, order, column
            for j in columns:
                lo = max(at, first[j])
                hi = chunk_stop if ends is None else min(chunk_stop, ends[j])
                if best is not None:  # columns come in order: a later one counts on an earlier row
                    hi = min(hi, best[0])
                if lo >= hi:
                    continue
                hit = self._first(j, lo, hi, reverse=False)
                if hit is not None and (best is None or (hit, order[j]) < best[:2]):
                    best = (hit, order[j], j)
            self._advance(chunk_stop - at, began)
            if best is not None:
                return best[0], best[2]
            at = chunk_stop
        return None

    def backwards(
        self,
        columns: list[int],
        order: dict[int, int],
        first: dict[int, int],
        ends: dict[int, int] | None = None,
    ) -> tuple[int, int] | None:
        """The last cell in row-major order with column j's rows from ``first[j]``
        down to (not including) ``ends[j]`` (default: row 0)."""
        stop = -1 if ends is None else max(-1, min(ends.values(), default=-1))
        at = max(first.values(), default=stop)
        while at > stop:
            size = self.chunk
            began = time.perf_counter()
            chunk_stop = max(stop, at - size)
            best: tuple[int, int, int] | None = None  # row, order, column
            for j in columns:
                hi = min(at, first[j])
                lo = chunk_stop if ends is None else max(chunk_stop, ends[j])
                if best is not None:  # columns come in order: a later one counts from best's row
                    lo = max(lo, best[0] - 1)
                if hi <= lo:
                    continue
                hit = self._first(j, lo + 1, hi + 1, reverse=True)
                if hit is not None and (best is None or (hit, order[j]) > best[:2]):
                    best = (hit, order[j], j)
            self._advance(at - chunk_stop, began)
            if best is not None:
                return best[0], best[2]
            at = chunk_stop
        return None

    def _advance(self, rows: int, began: float) -> None:
        self.scanned += rows
        if time.perf_counter() - began < CHUNK_SECONDS and self.chunk < MAX_CHUNK_ROWS:
            self.chunk *= 2
        _step(self.request, min(0.99, self.scanned / self.total), "finding")

    def _first(self, j: int, lo: int, hi: int, reverse: bool) -> int | None:
        """The first (or, ``reverse``, the last) row of ``lo..hi-1`` whose cell in
        column ``j`` holds the term."""
        source = self.source
        positions = self.view.positions_of(self.state, lo, hi)
        if source.vector:
            values, _ = self._column(j).format(positions, _FORMAT)
        else:
            assert isinstance(source, _PythonSource)
            values, _ = source.format(positions, j, _FORMAT)
        term, case = self.folded, self.case
        offsets = range(len(values) - 1, -1, -1) if reverse else range(len(values))
        for i in offsets:
            text = values[i]
            if type(text) is not str:
                text = SPECIAL_TEXT.get(text, "")
            if term in (text if case else text.casefold()):
                return lo + i
        return None


def _find_features() -> dict[str, Any]:
    return {"max_chars": FIND_CHARS, "directions": ["next", "previous"], "case_sensitive": True}


_MORE_FEATURES["find"] = _find_features
