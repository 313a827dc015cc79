"""The kernel procedure's check: has a view's variable changed (after a cell)? A
reassigned or changed one is rebuilt, its sort and filters kept where their
columns still are (by name); the view of a deleted variable, or of one that is no
table any more, is closed.

Separate because it is the one request that goes over every view; it builds on
``views`` and ``fingerprint``.
"""

from __future__ import annotations

import re
from typing import Any

from .core import (
    _MISSING,
    MAX_ANSWER_BYTES,
    SCHEMA_COLUMNS,
    BadFilter,
    Cancelled,
    TableError,
    _lock,
    _np,
    _step,
)
from .fingerprint import _column_name, _fingerprint
from .sources import _Source, _source
from .views import (
    _checked_filter,
    _combined,
    _filter_mask,
    _schema,
    _State,
    _View,
    _view_features,
    _views,
)


def _locate(source: _Source, spec: dict[str, Any], found: dict[str, int]) -> int | None:
    """Where a sort key's or filter's column is in a rebuilt source: at its old
    position if the name is there still, else the first column of that name."""
    name, j = spec.get("name"), spec["column"]
    if name is None:
        return None
    if type(j) is int and j < source.column_count() and _column_name(source, j) == name:
        return j
    if not found:
        for k in range(source.column_count()):
            found.setdefault(_column_name(source, k), k)
        found.setdefault("", -1)  # looked: not again
    at = found.get(str(name))
    return None if at is None or at < 0 else at


def _reapplied(
    view: _View, state: _State, source: _Source, request: dict[str, Any], done: float
) -> tuple[Any, ...]:
    """A new view of ``source`` with the old view's filters and sort keys whose columns
    are still there (by name): (view, kept sort, kept filters, dropped)."""
    np = _np()
    new = _View(view.id, view.name, source)
    found: dict[str, int] = {}
    filters, combine = state.filters
    kept_filters, dropped_filters, combined = [], [], None
    lazy = bool(getattr(source, "lazy", False))
    for i, spec in enumerate(filters):
        _step(request, done, "reapplying filters")
        j = None if lazy else _locate(source, spec, found)
        try:
            if j is None:
                raise BadFilter("its column is gone")
            checked = _checked_filter(new, i, {**spec, "column": j})
            mask = _filter_mask(source, checked)
        except Cancelled:
            raise
        except (TableError, ValueError, TypeError, re.error, OverflowError):
            dropped_filters.append(spec)
            continue
        kept_filters.append(checked)
        combined = _combined(combined, mask, combine, source.vector)
    kept_sort, dropped_sort = [], []
    for spec in state.sort:
        j = None if lazy else _locate(source, spec, found)
        if j is None:
            dropped_sort.append(spec)
        else:
            kept_sort.append({**spec, "column": j, "name": _column_name(source, j)})
    _step(request, done, "reapplying the sort")
    filtered = combined is not None
    if not filtered:
        base = new.base(new.state) if kept_sort else None
    elif source.vector:
        base = np.flatnonzero(combined)
    else:
        base = [p for p, keep in enumerate(combined or []) if keep]
    try:
        positions = None if lazy else new.ordered(base, kept_sort, filtered)
    except (TableError, ValueError, TypeError):
        dropped_sort, kept_sort = dropped_sort + kept_sort, []
        positions = new.ordered(base, [], filtered)
    new.state = _State(
        state.generation + 1, positions, kept_sort, (kept_filters, combine), filtered
    )
    new.fingerprint = _fingerprint(source)
    return new, kept_sort, kept_filters, {"sort": dropped_sort, "filters": dropped_filters}


def _check(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Compare every open view with its variable; close the views of deleted variables
    (and of ones that are no tables any more), rebuild those reassigned or changed in
    place (filters and sort keys kept where their columns still are, by name). A
    cancelled check commits nothing."""
    with _lock:
        views = list(_views.values())
    changes: list[tuple[_View, _State, str, Any]] = []
    for i, view in enumerate(views):
        if i % 16 == 0:
            _step(request, 0.1 * i / max(1, len(views)), "fingerprints")
        obj = namespace.get(view.name, _MISSING)
        if obj is _MISSING:
            changes.append((view, view.state, "deleted", None))
        elif obj is not view.source.obj:
            changes.append((view, view.state, "reassigned", obj))
        elif _fingerprint(view.source) != view.fingerprint:
            changes.append((view, view.state, "mutated", obj))
    room = max(16 * 1024, MAX_ANSWER_BYTES // (2 * max(1, len(changes))))
    built: list[tuple[_View, _State, Any, dict[str, Any]]] = []
    for i, (view, read, reason, obj) in enumerate(changes):
        done = 0.1 + 0.9 * i / len(changes)
        _step(request, done, "rebuilding")
        update: dict[str, Any] = {
            "view": view.id,
            "name": view.name,
            "reason": reason,
            "closed": True,
        }
        if obj is None:
            built.append((view, read, None, update))
            continue
        try:
            source = _source(obj, view.name)
        except Exception:  # no table any more: the view closes
            built.append((view, read, None, update))
            continue
        new, kept_sort, kept_filters, dropped = _reapplied(view, read, source, request, done)
        shown = min(source.column_count(), SCHEMA_COLUMNS)
        update.update(
            closed=False,
            generation=new.state.generation,
            kind=source.kind,
            shape=[source.length(), source.column_count()],
            columns=_schema(source, shown, room),
            row_label_levels=source.label_levels(),
            row_count=new.row_count(new.state),
            sort=kept_sort,
            filters=kept_filters,
            combine=new.state.filters[1],
            dropped=dropped,
            features=_view_features(source),
        )
        if len(update["columns"]) < source.column_count():
            update["columns_truncated"] = True
        built.append((view, read, new, update))
    _step(request, 1.0)
    updates = []
    with _lock:
        for view, read, new, update in built:
            if _views.get(view.id) is not view or view.state is not read:
                continue  # closed, sorted or filtered meanwhile: the next check sees it
            if new is None:
                _views.pop(view.id, None)
            else:
                _views[view.id] = new
            view.state = read._replace()  # a sort still running on the old view commits nothing
            updates.append(update)
    return {"status": "ok", "updates": updates}


#: Requests that may take long: they run on the slow lane, with a ``task`` id.
