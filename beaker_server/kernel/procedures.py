"""Kernel procedures: files of the kernel's language that the server runs in it.

A procedure is installed once per kernel start as a module in the kernel's
``sys.modules`` (never in the user's namespace) by one expression, sent through
the server's own client so that no user sees it. Later calls reach it by module
name, or through what it registered on import (a comm target, say).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def procedure_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


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
