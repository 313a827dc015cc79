"""What a custom message handler gets: the request, the kernel and ways to answer.

A handler never builds Jupyter messages itself. It calls :meth:`RequestContext.respond`,
:meth:`~RequestContext.stdout` or :meth:`~RequestContext.display`, and the context
publishes them on iopub with the request as parent to every websocket of the
kernel, which is what Jupyter front-ends expect of a request's outputs.
"""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import KernelError, KernelUnavailable, ValidationError
from ..kernel.procedures import install_code, install_package_code, json_answer
from ..preview.kernel_preview import install_procedure
from ..settings import BeakerSettings
from ..store import kernel_variables

if TYPE_CHECKING:
    from ..kernel.client import InternalKernelClient
    from ..store.variable_store import VariableStore
    from .registry import MessageRegistry, MessageType

#: Publishes a message of the request's on iopub (type, content).
Publish = Callable[[str, dict[str, Any]], None]


class PreviewControl(Protocol):
    """The kernel's live preview, as a handler may drive it."""

    async def refresh(self) -> dict[str, Any]: ...

    def schedule(self) -> None: ...


_OUTPUT_TYPES = ("stream", "display_data", "update_display_data", "execute_result", "error")


class KernelProxy:
    """The kernel as a handler sees it: run code, evaluate expressions.

    Both go through the server's internal client, so nothing they cause in the
    kernel (status, outputs, history, execution count) reaches the users.
    """

    def __init__(
        self,
        kernel_id: str,
        client: Callable[[], Awaitable[InternalKernelClient]],
        publish: Publish,
        *,
        preview: PreviewControl,
        max_variable_bytes: int,
        state: dict[str, Any] | None = None,
        broadcast: Publish | None = None,
        client_sessions: Callable[[], set[str]] | None = None,
        settings: BeakerSettings | None = None,
    ) -> None:
        self.kernel_id = kernel_id
        self.settings = settings if settings is not None else BeakerSettings()
        """The server's configured settings (README, "Configuration")."""
        self._client = client
        self._publish = publish
        self._preview = preview
        self._max_variable_bytes = max_variable_bytes
        #: What handlers and kernel hooks keep about this kernel process (by their
        #: own keys); a new, empty one after a restart.
        self.state: dict[str, Any] = {} if state is None else state
        self._broadcast = broadcast or publish
        self._client_sessions = client_sessions or set

    def client_sessions(self) -> set[str]:
        """The session ids of the websockets connected to the kernel now: a request
        whose header's ``session`` is not among them came over REST, or from a
        client that has gone."""
        return self._client_sessions()

    def broadcast(self, msg_type: str, content: dict[str, Any]) -> None:
        """Publish a message on iopub to every client of the kernel, with no parent
        (news of the kernel's, not of one request's)."""
        self._broadcast(msg_type, content)

    async def execute(self, code: str, *, stream_output: bool = True) -> dict[str, Any]:
        """Run ``code`` in the kernel; its streams and displays become this request's.

        Returns the ``execute_reply`` content; raises :class:`KernelError` with the
        kernel's ``ename``/``evalue``/``traceback`` when the code raised.
        """
        client = await self._client()
        on_output = self._forward_output if stream_output else None
        reply = await client.execute(code, on_output=on_output)
        if reply.get("status") == "error":
            raise KernelError(
                str(reply.get("ename", "Error")),
                str(reply.get("evalue", "")),
                reply.get("traceback", []),
            )
        return reply

    async def evaluate(self, expression: str) -> Any:
        """Evaluate a Python expression in the kernel and return its JSON value.

        The expression must be one expression (checked before anything is sent),
        so wrapping it for serialization cannot change what runs. A value that is
        not JSON raises :class:`KernelError` (``TypeError``) rather than being
        silently turned into text.
        """
        _check_expression(expression)
        # On its own lines, so a trailing comment cannot swallow the closing paren.
        code = f"__import__('json').dumps((\n{expression}\n), allow_nan=False)"
        client = await self._client()
        reply = await client.execute("", user_expressions={"value": code})
        return json_answer(reply, "value")

    async def call_procedure(
        self,
        module: str,
        path: Path | tuple[Path, ...],
        function: str,
        request: dict[str, Any],
        *,
        lane: str | None = None,
    ) -> Any:
        """Call ``function(user_ns, request_json)`` of the kernel procedure in the
        file at ``path`` (installed once per kernel start as module ``module``) on
        the server's subshell, beside a user's running cell; its JSON answer. A
        tuple of files is a package's (``install_package_code``), installed as
        package ``module``.

        ``lane`` (a name of the handler's choosing, at most four per kernel) runs
        it on a subshell of that lane's own, so that a slow call holds up neither
        previews nor quick calls (they run beside it, sharing the GIL: slow work
        must give it away often). Calls on one lane run in order.

        The request travels as a string literal of JSON text: what it holds (a
        variable name, a filter) is data in the kernel, never code. Needs a kernel
        with subshells (ipykernel >= 7): without, :class:`KernelUnavailable`, as
        the user's cells would queue behind it or it behind them.
        """
        if not (module.replace(".", "_").isidentifier() and function.isidentifier()):
            raise ValueError(f"not a procedure's module and function: {module!r}, {function!r}")
        client = await self._client()
        if not client.subshell_id:
            raise KernelUnavailable("this needs a kernel with subshells (ipykernel 7 or later)")
        # Its execute on the subshell must not switch a running cell's input() off.
        await install_procedure(client, client.session_id)
        if isinstance(path, tuple):
            code = install_package_code(module, path)
        else:
            code = install_code(module, path)
        await client.install(module, code, on_subshell=True)
        if lane is not None:
            await client.ensure_lane(lane)
        call = (
            f"__import__('sys').modules[{module!r}].{function}("
            f"__import__('IPython').get_ipython().user_ns, {json.dumps(request)!r})"
        )
        reply = await client.execute(
            "", user_expressions={"value": call}, on_subshell=True, lane=lane
        )
        return json_answer(reply, "value")

    async def give_up_lane(self, lane: str) -> None:
        """A call on ``lane`` was given up and may still run: the lane's next call
        gets a new subshell instead of queuing behind it."""
        (await self._client()).retire_lane(lane)

    async def save_variable(
        self, name: str, limit: int | None = None
    ) -> tuple[dict[str, Any], bytes]:
        """Serialize the user's variable ``name`` in the kernel; at most ``limit`` bytes
        (by default the server's ``max_variable_bytes``), else :class:`PayloadTooLarge`.

        Returns the kernel's metadata (``name``, ``type``, ``module``, ``format``,
        ``bytes``) and the value; see :mod:`beaker_server.store.kernel_variables`.
        """
        limit = self._max_variable_bytes if limit is None else limit
        return await kernel_variables.save(await self._client(), name, limit)

    async def load_variable(self, name: str, value: bytes, fmt: str) -> dict[str, Any]:
        """Deserialize ``value`` in the kernel into the user's variable ``name``."""
        return await kernel_variables.load(await self._client(), name, value, fmt)

    async def preview(self) -> dict[str, Any]:
        """A fresh variable preview (also broadcast to every client when it changed)."""
        return await self._preview.refresh()

    def schedule_preview(self) -> None:
        """Update the clients' previews soon: the handler changed the namespace."""
        self._preview.schedule()

    def _forward_output(self, msg: dict[str, Any]) -> None:
        msg_type = msg["header"]["msg_type"]
        if msg_type in _OUTPUT_TYPES:
            self._publish(msg_type, msg["content"])


def _check_expression(expression: str) -> None:
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationError("expression must be a non-empty string")
    try:
        ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ValidationError(f"not a single Python expression: {error.msg}") from error


@dataclass
class RequestContext:
    """Everything a handler may use while serving one ``N_request``."""

    message: MessageType
    header: dict[str, Any]
    content: dict[str, Any]
    username: str
    kernel: KernelProxy
    registry: MessageRegistry
    log: logging.Logger
    _publish: Publish
    #: The saved-variables store (``save_var`` and friends; handlers may use it too).
    store: VariableStore | None = None

    @property
    def name(self) -> str:
        return self.message.name

    def respond(self, content: dict[str, Any]) -> None:
        """Publish an ``N_response`` on iopub to every client of the kernel."""
        self._publish(self.message.response_type, content)

    def stdout(self, text: str) -> None:
        self._publish("stream", {"name": "stdout", "text": text})

    def stderr(self, text: str) -> None:
        self._publish("stream", {"name": "stderr", "text": text})

    def display(self, data: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
        """Publish rich output (a MIME bundle) as ``display_data``."""
        self._publish("display_data", {"data": data, "metadata": metadata or {}, "transient": {}})
