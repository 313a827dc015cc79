"""Kernel procedures: files of the kernel's language that the server runs in it.

A procedure is installed once per kernel start as a module in the kernel's
``sys.modules`` (never in the user's namespace) by one expression, sent through
the server's own client so that no user sees it. Later calls reach it by module
name, or through what it registered on import (a comm target, say).
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
