"""Kernel procedures: files of the kernel's language that the server runs in it.

A procedure is installed once per kernel start as a module in the kernel's
``sys.modules`` (never in the user's namespace) by one expression, sent through
the server's own client so that no user sees it. Later calls reach it by module
name, or through what it registered on import (a comm target, say). A procedure
too long for one file is a package of modules that import each other with
relative imports (:func:`install_package_code`).
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import KernelError


@cache
def procedure_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def install_code(module_name: str, path: Path, then: str | None = None) -> str:
    """One expression that runs the file at ``path`` as module ``module_name``,
    leaving no names. Each feature keeps its procedure beside its server side.

    ``then``, a call on the module such as ``"setup(1)"``, runs right after.
    """
    source = procedure_source(path)
    after = f", m.{then}" if then else ""
    return (
        f"(lambda m: (exec(compile({source!r}, '<{module_name}>', 'exec'), m.__dict__), "
        f"__import__('sys').modules.__setitem__({module_name!r}, m){after}))"
        f"(__import__('types').ModuleType({module_name!r}))"
    )


@cache
def install_package_code(package_name: str, files: tuple[Path, ...]) -> str:
    """One expression that runs the files of a package as package ``package_name``
    in ``sys.modules``, leaving no names.

    (Made once per package: every call of a procedure names its install.)

    ``files`` are in the order their modules import each other (each imports only
    earlier ones), ``__init__.py`` last: module ``<package_name>.<stem>`` of each is
    put in ``sys.modules`` *before* its code runs, so its relative imports (``from
    .core import x``) find the modules before it there, with no finder or file in
    the kernel; then it is an attribute of the package. ``__init__.py`` runs as the
    package module itself (what it imports is what the package exposes). A second
    install replaces every module.
    """
    parts = []
    init = None
    for path in files:
        if path.name == "__init__.py":
            init = procedure_source(path)
        else:
            parts.append((path.stem, procedure_source(path)))
    if init is None:
        raise ValueError(f"the package {package_name} needs its __init__.py, last")
    name = package_name
    module = (
        "(lambda m: (m.__dict__.update(__package__=n), s.modules.__setitem__(m.__name__, m), "
        "exec(compile(c, '<' + m.__name__ + '>', 'exec'), m.__dict__), setattr(p, k, m)))"
        "(t.ModuleType(n + '.' + k))"
    )
    return (
        "(lambda s, t, p, n: (p.__dict__.update(__path__=[], __package__=n), "
        f"s.modules.__setitem__(n, p), [{module} for k, c in {tuple(parts)!r}], "
        f"exec(compile({init!r}, '<{name}>', 'exec'), p.__dict__)))"
        f"(__import__('sys'), __import__('types'), __import__('types').ModuleType({name!r}), "
        f"{name!r})"
    )


def json_answer(reply: dict[str, Any], key: str) -> Any:
    """The value of the JSON text that user expression ``key`` of an
    ``execute_reply`` evaluated to (how a procedure answers); the kernel's error
    as :class:`KernelError`."""
    if reply.get("status") != "ok":
        raise KernelError(str(reply.get("ename", "Error")), str(reply.get("evalue", "")))
    result = reply.get("user_expressions", {}).get(key, {})
    if result.get("status") != "ok":
        raise KernelError(
            str(result.get("ename", "Error")),
            str(result.get("evalue", "")),
            result.get("traceback", []),
        )
    try:
        text = ast.literal_eval(result.get("data", {}).get("text/plain", "''"))
        if not isinstance(text, str):
            raise TypeError(f"the kernel answered {type(text).__name__}, not JSON text")
        return json.loads(text)
    except (ValueError, SyntaxError, TypeError) as error:  # a custom formatter, say
        raise KernelError(type(error).__name__, f"unreadable answer: {error}") from None
