"""Fakes for the unit tests of the request flow and of the preview's state machine.

Only the kernel side is faked: the classes under test (``RequestFlow``,
``KernelPreview``) and what they build on (``MessageRegistry``, ``KernelProxy``,
``RequestContext``) are the real ones.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import itertools
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from beaker_server.preview.kernel_preview import MIME, PROCEDURE, PROCEDURE_MODULE

#: Bound on every wait for something a fake reports (seconds).
WAIT = 2.0

_ids = itertools.count(1)


def header(msg_type: str, **extra: Any) -> dict[str, Any]:
    """A message header as a client would send it."""
    msg_id = f"{msg_type}-{next(_ids)}"
    return {"msg_id": msg_id, "msg_type": msg_type, "session": "user-session", **extra}


class Recorder:
    """Every message the code under test sends, in one ordered list, and an
    awaitable for the next one."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], str]] = []
        self._changed = asyncio.Event()

    def record(self, msg: dict[str, Any], channel: str) -> None:
        self.sent.append((msg, channel))
        self._changed.set()

    async def until(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        """Wait (bounded) until ``predicate()`` holds; checked after each message."""

        async def wait() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    def types(self) -> list[tuple[str, str]]:
        """(msg_type, channel) of each message; a status as ``status:<state>``."""
        out = []
        for msg, channel in self.sent:
            kind = msg["msg_type"]
            if kind == "status":
                kind = f"status:{msg['content']['execution_state']}"
            out.append((kind, channel))
        return out


def make_message_factory(session: str = "server-session") -> Callable[..., dict[str, Any]]:
    """``make_message(msg_type, content, parent_header, username=...)`` as the
    kernel session builds it (``beaker_server.websocket.wire.make_message``'s shape)."""

    def make_message(
        msg_type: str,
        content: dict[str, Any],
        parent_header: dict[str, Any],
        username: str = "beaker_server",
    ) -> dict[str, Any]:
        msg_id = f"server-{next(_ids)}"
        return {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "session": session,
                "username": username,
            },
            "msg_id": msg_id,
            "msg_type": msg_type,
            "parent_header": parent_header,
            "metadata": {},
            "content": content,
            "buffers": [],
        }

    return make_message


# -- the preview's kernel ------------------------------------------------------------


def load_procedure() -> ModuleType:
    """A fresh copy of the kernel procedure (``python_preview.py``), with its own
    state (generation, cache), as one kernel start has; not put in ``sys.modules``."""
    spec = importlib.util.spec_from_file_location(f"{PROCEDURE_MODULE}_fake", PROCEDURE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def preview_call_arguments(expression: str) -> dict[str, Any]:
    """The keyword arguments of the preview call ``KernelPreview`` sends in
    ``user_expressions`` (``since``, ``max_items``, ...), checked to be a call of
    the installed procedure's ``preview``."""
    call = ast.parse(expression, mode="eval").body
    assert isinstance(call, ast.Call), expression
    assert isinstance(call.func, ast.Attribute) and call.func.attr == "preview", expression
    assert PROCEDURE_MODULE in ast.unparse(call.func.value), expression
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


def bundle(name: str, text: str, *, kind: str = "int", changed: bool = False) -> dict[str, Any]:
    """A variable's entry as the procedure renders it (``_entry``)."""
    return {
        "text/plain": text,
        MIME: {
            "type": kind,
            "module": "builtins",
            "shape": None,
            "dtype": None,
            "bytes": 28,
            "summary": text,
            "changed": changed,
        },
    }


def answer(
    *,
    generation: int,
    names: list[str],
    entries: dict[str, dict[str, Any]] | None = None,
    changed: list[str] | None = None,
    removed: list[str] | None = None,
    full: bool = False,
    partial: bool = False,
    total: int | None = None,
) -> dict[str, Any]:
    """One answer of the procedure's ``preview()`` (its JSON, parsed): the keys
    ``_preview`` returns, for the scripted answers a test needs (a partial one)."""
    shown = [["variables", name] for name in names]
    total = len(names) if total is None else total
    return {
        "generation": generation,
        "full": full,
        "names": shown,
        "entries": entries or {},
        "changed": changed or [],
        "removed": removed or [],
        "total": total,
        "omitted": total - len(names),
        "partial": partial,
        "truncated": False,
        "elapsed_ms": 1.0,
    }


def execute_reply(answer_json: str) -> dict[str, Any]:
    """The ``execute_reply`` content of an empty execute whose ``user_expressions``
    evaluated the procedure: IPython puts the returned string's repr in text/plain."""
    return {
        "status": "ok",
        "execution_count": 0,
        "user_expressions": {
            "p": {"status": "ok", "data": {"text/plain": repr(answer_json)}, "metadata": {}}
        },
    }


class FakePreviewKernel:
    """A ``PreviewKernel`` (what ``KernelPreview`` uses of the server's client).

    ``execute`` answers what the kernel would: by default the real procedure
    (a fresh copy of ``python_preview.py``) run on :attr:`ns` with the arguments
    of the call it was sent; or, when :attr:`script` is set, ``script(arguments)``
    (a dict in the procedure's answer format). :attr:`gate`, when set, holds each
    ask until it is set; :attr:`stall` makes the next asks never return. Every
    call is recorded in :attr:`calls`.
    """

    def __init__(self, *, subshell_id: str | None = "preview-subshell") -> None:
        self.subshell_id = subshell_id
        self.ns: dict[str, Any] = {}
        self.procedure = load_procedure()
        self.script: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.gate: asyncio.Event | None = None
        self.stall = 0
        #: ("install", name, code, on_subshell, subshell_id) or
        #: ("ask", arguments, on_subshell, until_idle, subshell_id)
        self.calls: list[tuple[Any, ...]] = []
        #: Every answer given, parsed.
        self.answers: list[dict[str, Any]] = []
        self.renewed = 0
        #: The loop time of each ask.
        self.asked_at: list[float] = []
        self._asked = asyncio.Event()
        self._renewed = asyncio.Event()

    # -- what the test looks at ---------------------------------------------------

    @property
    def asks(self) -> list[dict[str, Any]]:
        """The arguments of each preview asked, in order."""
        return [call[1] for call in self.calls if call[0] == "ask"]

    async def until_asks(self, count: int, timeout: float = WAIT) -> None:
        async def wait() -> None:
            while len(self.asks) < count:
                self._asked.clear()
                await self._asked.wait()

        await asyncio.wait_for(wait(), timeout)

    async def until_renewed(self, timeout: float = WAIT) -> None:
        await asyncio.wait_for(self._renewed.wait(), timeout)

    def restart(self) -> None:
        """A new kernel process: empty namespace, the procedure not loaded yet."""
        self.ns = {}
        self.procedure = load_procedure()

    # -- PreviewKernel ----------------------------------------------------------------

    async def install(self, name: str, code: str, *, on_subshell: bool = False) -> None:
        self.calls.append(("install", name, code, on_subshell, self.subshell_id))

    async def execute(self, code: str, **options: Any) -> dict[str, Any]:
        """The kernel's answer to the preview's ask (``PreviewKernel.execute``)."""
        user_expressions = options.get("user_expressions")
        on_subshell = options.get("on_subshell", False)
        until_idle = options.get("until_idle", False)
        assert code == "", code
        assert user_expressions is not None and set(user_expressions) == {"p"}
        arguments = preview_call_arguments(user_expressions["p"])
        self.calls.append(("ask", arguments, on_subshell, until_idle, self.subshell_id))
        self.asked_at.append(asyncio.get_running_loop().time())
        self._asked.set()
        if self.stall:
            self.stall -= 1
            await asyncio.get_running_loop().create_future()  # until cancelled
        if self.gate is not None:
            await self.gate.wait()
        if self.script is not None:
            text = json.dumps(self.script(arguments))
        else:
            text = self.procedure.preview(self.ns, {}, **arguments)
        self.answers.append(json.loads(text))
        return execute_reply(text)

    async def renew_subshell(self) -> None:
        self.renewed += 1
        self.subshell_id = f"preview-subshell-{self.renewed + 1}"
        self._renewed.set()
