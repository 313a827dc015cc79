"""Kernel procedures: files of the kernel's language that the server runs in it.

A procedure is installed once per kernel start as a module in the kernel's
``sys.modules`` (never in the user's namespace) by one expression, sent through
the server's own client so that no user sees it. Later calls reach it by module
name, or through what it registered on import (a comm target, say).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROCEDURES_DIR = Path(__file__).parent / "kernel_procedures"


@cache
def procedure_source(filename: str) -> str:
    return (PROCEDURES_DIR / filename).read_text(encoding="utf-8")


def install_code(module_name: str, filename: str, then: str | None = None) -> str:
    """One expression that runs ``filename`` as module ``module_name``, leaving no names.

    ``then``, a call on the module such as ``"setup(1)"``, runs right after.
    """
    source = procedure_source(filename)
    after = f", m.{then}" if then else ""
    return (
        f"(lambda m: (exec(compile({source!r}, '<{module_name}>', 'exec'), m.__dict__), "
        f"__import__('sys').modules.__setitem__({module_name!r}, m){after}))"
        f"(__import__('types').ModuleType({module_name!r}))"
    )
