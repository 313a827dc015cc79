"""The kernel procedure's entry point: ``handle()`` reads a request, dispatches it
by ``op`` to the module that answers it, and says any error as an answer.

Last of the modules because it imports every request; ``__init__.py`` exposes its
``handle`` as the package's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .check import _check
from .core import (
    BadRequest,
    TableError,
    _cancel,
    _clip,
    _describe,
    _lock,
    _progress,
    _start_task,
    _tasks,
)
from .export import _export
from .find import _find
from .profiles import _profile
from .views import _close, _filter, _open, _page, _sort

_SLOW_OPS = ("sort", "filter", "profile", "find", "check")
#: What each op calls: on the user's namespace, or on the views alone.
_ON_NAMESPACE: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "open": _open,
    "check": _check,
}
_OPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "rows": _page,
    "sort": _sort,
    "filter": _filter,
    "close": _close,
    "profile": _profile,
    "export": _export,
    "find": _find,
    "progress": _progress,
    "cancel": _cancel,
}


def handle(namespace: dict[str, Any], request_json: str) -> str:
    """Answer one request (JSON text) on the tables of ``namespace``, as JSON text."""
    started = time.perf_counter()
    task = None
    try:
        try:
            request = json.loads(request_json)
        except (ValueError, TypeError) as error:
            raise BadRequest(f"not JSON: {_describe(error)}") from None
        if type(request) is not dict:
            raise BadRequest("a request is a JSON object")
        op = request.get("op")
        task = _start_task(request) if op in _SLOW_OPS else None
        if op in _ON_NAMESPACE:
            answer = _ON_NAMESPACE[op](namespace, request)
        elif op in _OPS:
            answer = _OPS[op](request)
        else:
            raise BadRequest(f"unknown op {_clip(str(op), 40)[0]!r}")
    except TableError as error:
        answer = {"status": "error", "ename": type(error).__name__, "evalue": str(error)}
        answer.update(error.extra)
    except Exception as error:  # a fault of this procedure (or of an odd table): said, not raised
        answer = {"status": "error", "ename": type(error).__name__, "evalue": _describe(error)}
    finally:
        if task is not None:
            with _lock:
                _tasks.pop(task.id, None)
    answer["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    try:
        return json.dumps(answer, allow_nan=False)
    except ValueError as error:  # a NaN somewhere: a fault here, said as one
        fault = {"status": "error", "ename": "ValueError", "evalue": _describe(error)}
        return json.dumps(fault)
