"""Variable preview procedure, run *inside* an IPython kernel.

The server loads this file into the kernel once per kernel start as the module
``_beaker_preview`` in ``sys.modules`` (never in the user's namespace) and then
asks for previews with one expression through ``user_expressions``, on a
subshell when the kernel has them. The answer is one JSON text.

Cost is bounded and independent of data size:

- each variable is looked at through O(1) attributes (type, ``shape``, ``len``,
  ``nbytes``) and a bounded rendering (``reprlib`` with small limits, the head of
  a table, numpy's summarizing printer); nothing traverses a container to size it;
- a variable whose identity, type and shape/length did not change since the last
  call is not rendered again: a cell that changes one variable costs one variable;
- caps on the number of items, on characters per item and on payload bytes, and
  a time budget after which what is done is returned, marked partial.

Only the standard library is imported here (and IPython, to find the kernel);
numpy, pandas and matplotlib are recognized by their module name and used only
when the user already imported them.
"""

from __future__ import annotations

import base64
import io
import json
import reprlib
import sys
import threading
import time
import types
from typing import Any

MIME = "application/vnd.beaker.variable+json"
#: The multiplication sign between rows and columns in a table's summary.
TIMES = "\u00d7"

#: Item groups of the preview, in display order.
GROUPS = ("variables", "tables", "arrays", "figures", "functions", "classes")

_state: dict[str, Any] = {"generation": 0, "cache": {}}


def _repr_limits(max_chars: int) -> reprlib.Repr:
    limits = reprlib.Repr()
    limits.maxstring = max(20, min(max_chars, 200))
    limits.maxother = max(20, min(max_chars, 200))
    limits.maxlist = limits.maxtuple = limits.maxset = limits.maxfrozenset = 10
    limits.maxdeque = limits.maxarray = 10
    limits.maxdict = 8
    limits.maxlevel = 3
    limits.maxlong = 60
    return limits


def _module_of(obj: Any) -> str:
    return getattr(type(obj), "__module__", "") or ""


def _kind(obj: Any) -> str:
    """The group a value belongs in, found by type without importing anything."""
    module = _module_of(obj)
    name = type(obj).__name__
    if module.startswith("pandas") and name in ("DataFrame", "Series"):
        return "tables"
    if module == "numpy" and name == "ndarray":
        return "arrays"
    if module.startswith("matplotlib") and name == "Figure":
        return "figures"
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return "functions"
    if isinstance(obj, type):
        return "classes"
    return "variables"


def _shape(obj: Any) -> Any:
    """Shape or length, from O(1) attributes only."""
    shape = getattr(obj, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return list(shape)
    if isinstance(obj, (str, bytes, list, tuple, dict, set, frozenset, range)):
        return len(obj)
    return None


def _size(obj: Any, kind: str) -> int | None:
    """Bytes held, without traversing: nbytes for arrays, shallow size otherwise."""
    try:
        if kind == "arrays":
            return int(obj.nbytes)
        if kind == "tables":
            usage = obj.memory_usage(index=True, deep=False)
            return int(usage.sum()) if hasattr(usage, "sum") else int(usage)
        return sys.getsizeof(obj)
    except Exception:
        return None


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + "…"


def _dtype(obj: Any, kind: str) -> str | None:
    if kind == "arrays" or (kind == "tables" and hasattr(obj, "dtype")):
        return str(obj.dtype)
    if kind == "tables":
        dtypes = obj.dtypes
        shown = [f"{col}: {dtypes.iloc[i]}" for i, col in enumerate(list(obj.columns[:8]))]
        more = len(obj.columns) - len(shown)
        return ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")
    return None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _table_summary(obj: Any) -> str:
    """A table's size in words: rows by columns for a frame, values and dtype for a series.

    O(1): lengths and the dtype, never the data. The head shown is only five
    rows; the size of what it is the head of goes in the summary and under it.
    """
    if obj.ndim == 2:
        return f"{_count(len(obj), 'row')} {TIMES} {_count(len(obj.columns), 'column')}"
    summary = f"{_count(len(obj), 'value')}, {obj.dtype}"
    return summary if obj.name is None else f"{summary}, name {_clip(str(obj.name), 40)}"


def _render(obj: Any, kind: str, max_chars: int, limits: reprlib.Repr) -> dict[str, Any]:
    """The MIME bundle of one value (without the metadata entry)."""
    if kind == "tables":
        # A series as a one-column frame: Series.to_string cannot cap cell widths.
        head = obj.iloc[:5, :20] if obj.ndim == 2 else obj.iloc[:5].to_frame()
        footer = f"[{_table_summary(obj)}]"
        text = _clip(head.to_string(max_colwidth=40), max(1, max_chars - len(footer) - 1))
        bundle = {"text/plain": f"{text}\n{footer}"}
        if obj.ndim == 2:
            html = _clip(head.to_html(max_cols=20), 20 * max_chars)
            bundle["text/html"] = f"{html}\n<p>{footer[1:-1]}</p>"
        return bundle
    if kind == "arrays":
        numpy = sys.modules["numpy"]
        text = numpy.array2string(obj, threshold=20, edgeitems=3, max_line_width=100)
        return {"text/plain": _clip(text, max_chars)}
    if kind == "figures":
        buffer = io.BytesIO()
        obj.savefig(buffer, format="png", dpi=40)
        return {
            "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "text/plain": _clip(repr(obj), max_chars),
        }
    return {"text/plain": _clip(limits.repr(obj), max_chars)}


def _visible_names(ns: dict[str, Any], hidden: dict[str, Any], include_functions: bool) -> list:
    """User variables: no private names, modules, IPython's own, or our helpers."""
    missing = object()
    names = []
    for name, value in ns.items():
        if name.startswith("_") or hidden.get(name, missing) is value:
            continue
        if isinstance(value, types.ModuleType):
            continue
        kind = _kind(value)
        if kind in ("functions", "classes") and not include_functions:
            continue
        names.append((name, value, kind))
    names.sort(key=lambda item: item[0].lower())
    return names


def preview(
    ns: dict[str, Any],
    hidden: dict[str, Any] | None = None,
    *,
    since: int = -1,
    max_items: int = 200,
    max_chars: int = 2000,
    max_bytes: int = 512 * 1024,
    time_budget: float = 0.25,
    include_functions: bool = False,
) -> str:
    """The preview of ``ns`` as JSON text.

    ``since`` is the generation the caller already holds: entries that did not
    change since then are named but not sent again. A caller with a different
    generation (say, a restarted server) gets every entry.
    """
    started = time.perf_counter()
    deadline = started + time_budget
    snapshot = dict(ns)  # one C-level copy: safe while the main thread runs a cell
    visible = _visible_names(snapshot, hidden or {}, include_functions)
    cache: dict[str, Any] = _state["cache"]
    full = since != _state["generation"]
    limits = _repr_limits(max_chars)
    names, entries, changed = [], {}, []
    payload_bytes, partial, truncated = 0, False, False
    for index, (name, value, kind) in enumerate(visible[:max_items]):
        if time.perf_counter() > deadline:
            partial = True
            break
        key = (id(value), type(value), json.dumps(_shape(value)))
        cached = cache.get(name)
        is_changed = cached is None or cached["key"] != key
        if is_changed:
            cached = {"key": key, "kind": kind, "bundle": _entry(value, kind, max_chars, limits)}
            cached["bytes"] = len(json.dumps(cached["bundle"], default=str))
            cache[name] = cached
            changed.append(name)
        if payload_bytes + cached["bytes"] > max_bytes and index > 0:
            truncated = True
            break
        payload_bytes += cached["bytes"]
        names.append([cached["kind"], name])
        if full or is_changed:
            bundle = cached["bundle"]
            entries[name] = {**bundle, MIME: {**bundle[MIME], "changed": is_changed}}
    shown = {name for _, name in names}
    removed = [name for name in list(cache) if name not in snapshot]
    for name in removed:
        del cache[name]
    if changed or removed or full:
        _state["generation"] += 1
    return json.dumps(
        {
            "generation": _state["generation"],
            "full": full,
            "names": names,
            "entries": entries,
            "changed": [n for n in changed if n in shown],
            "removed": removed,
            "total": len(visible),
            "omitted": len(visible) - len(names),
            "partial": partial,
            "truncated": truncated,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
        },
        default=str,
    )


def _entry(value: Any, kind: str, max_chars: int, limits: reprlib.Repr) -> dict[str, Any]:
    """Bundle plus the metadata entry the panel shows in its columns."""
    try:
        bundle = _render(value, kind, max_chars, limits)
    except Exception as error:  # a broken __repr__ must not break the preview
        bundle = {"text/plain": f"<unrepresentable {type(value).__name__}: {error!r}>"[:200]}
    bundle[MIME] = {
        "type": type(value).__name__,
        "module": _module_of(value),
        "shape": _shape(value),
        "dtype": _dtype_safe(value, kind),
        "bytes": _size(value, kind),
        "summary": _summary(value, kind, bundle),
        "changed": False,
    }
    return bundle


def _summary(value: Any, kind: str, bundle: dict[str, Any]) -> str:
    """The short value the panel's table shows: a table's size, else the first line."""
    if kind == "tables":
        try:
            return _clip(_table_summary(value), 120)
        except Exception:
            pass
    return _clip(bundle.get("text/plain", "").split("\n", 1)[0], 120)


def _dtype_safe(value: Any, kind: str) -> str | None:
    try:
        return _dtype(value, kind)
    except Exception:
        return None


def guard_stdin(session: str) -> bool:
    """Keep the requests of client session ``session`` off the kernel's ``input()``.

    ipykernel (7.x) forwards ``input()`` to the front-end per execute request
    through kernel-wide state (``_allow_stdin``, ``builtins.input``), set when an
    execute starts and put back when it ends. A preview runs on a subshell, so
    when it starts while a user's cell runs on the main shell, it switches that
    cell's ``input()`` off (``StdinNotImplementedError``) and leaves its own
    ``builtins.input`` behind. The server's requests never read input: for them,
    both steps are skipped. Called once per procedure load; returns whether the
    kernel has the hooks (another kernel or version is left as it is).
    """
    try:
        from IPython import get_ipython

        kernel = get_ipython().kernel
    except Exception:  # not in an IPython kernel
        return False
    forward = kernel.__dict__.get("_forward_input")
    sessions = getattr(forward, "beaker_sessions", None)
    if sessions is not None:  # guarded by an earlier load (a restarted server)
        sessions.add(session)
        return True
    original_forward = getattr(kernel, "_forward_input", None)
    original_restore = getattr(kernel, "_restore_input", None)
    if original_forward is None or original_restore is None or not hasattr(kernel, "get_parent"):
        return False
    sessions = {session}
    skipped = threading.local()

    def ours() -> bool:
        try:
            return kernel.get_parent("shell").get("header", {}).get("session") in sessions
        except Exception:
            return False

    def forward_input(*args: Any, **kwargs: Any) -> Any:
        if ours():
            skipped.request = True
            return None
        return original_forward(*args, **kwargs)

    def restore_input() -> Any:
        if getattr(skipped, "request", False):
            skipped.request = False
            return None
        return original_restore()

    forward_input.beaker_sessions = sessions  # type: ignore[attr-defined]
    kernel._forward_input = forward_input
    kernel._restore_input = restore_input
    return True
