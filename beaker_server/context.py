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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KernelError, KernelUnavailable, PayloadTooLarge, ValidationError
from .procedures import install_code

if TYPE_CHECKING:
    from .kernel_session import KernelSession
    from .registry import MessageRegistry, MessageType
    from .store import VariableStore

Publish = Callable[[str, dict[str, Any]], None]

_OUTPUT_TYPES = ("stream", "display_data", "update_display_data", "execute_result", "error")

VARIABLES_MODULE = "_beaker_variables"
VARIABLES_PROCEDURE = "python_variables.py"
VARIABLES_TARGET = "beaker_server.variables"


class KernelProxy:
    """The kernel as a handler sees it: run code, evaluate expressions.

    Both go through the server's internal client, so nothing they cause in the
    kernel (status, outputs, history, execution count) reaches the users.
    """

    def __init__(self, session: KernelSession, publish: Publish) -> None:
        self._session = session
        self._publish = publish

    @property
    def kernel_id(self) -> str:
        return self._session.kernel_id

    async def execute(self, code: str, *, stream_output: bool = True) -> dict[str, Any]:
        """Run ``code`` in the kernel; its streams and displays become this request's.

        Returns the ``execute_reply`` content; raises :class:`KernelError` with the
        kernel's ``ename``/``evalue``/``traceback`` when the code raised.
        """
        client = await self._session.kernel_client()
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
        client = await self._session.kernel_client()
        reply = await client.execute("", user_expressions={"value": code})
        if reply.get("status") != "ok":
            raise KernelError(str(reply.get("ename", "Error")), str(reply.get("evalue", "")))
        result = reply.get("user_expressions", {}).get("value", {})
        if result.get("status") != "ok":
            raise KernelError(
                str(result.get("ename", "Error")),
                str(result.get("evalue", "")),
                result.get("traceback", []),
            )
        text = result.get("data", {}).get("text/plain", "")
        return json.loads(ast.literal_eval(text))

    async def save_variable(
        self, name: str, limit: int | None = None
    ) -> tuple[dict[str, Any], bytes]:
        """Serialize the user's variable ``name`` in the kernel; at most ``limit`` bytes
        (by default the server's ``max_variable_bytes``), else :class:`PayloadTooLarge`.

        The name travels as comm data and is used in the kernel only as a key of
        the namespace: it is never part of code. Returns the kernel's metadata
        (``name``, ``type``, ``module``, ``format``, ``bytes``) and the value.
        """
        if limit is None:
            limit = self._session.settings.max_variable_bytes
        request = {"action": "save", "name": name, "limit": limit}
        answer = await self._variables_request(request, [])
        buffers = answer.get("buffers") or []
        if len(buffers) != 1:
            raise KernelUnavailable("the kernel sent no value")
        return answer["content"]["data"], bytes(buffers[0])

    async def load_variable(self, name: str, value: bytes, fmt: str) -> dict[str, Any]:
        """Deserialize ``value`` in the kernel into the user's variable ``name``."""
        request = {"action": "load", "name": name, "format": fmt}
        answer = await self._variables_request(request, [value])
        return dict(answer["content"]["data"])

    async def _variables_request(
        self, request: dict[str, Any], buffers: list[bytes]
    ) -> dict[str, Any]:
        """Ask the kernel's variables procedure, installed first once per kernel start.

        Installed before its first use rather than after a comm to a missing
        target: with ipykernel 7 and a busy subshell, that path has been seen to
        lose the kernel's next shell replies. A kernel restart the server did not
        see still ends in no answer, and then the procedure is installed again.
        """
        client = await self._session.kernel_client()
        install = install_code(VARIABLES_MODULE, VARIABLES_PROCEDURE)
        await client.install(VARIABLES_MODULE, install)
        answer = await client.comm_request(VARIABLES_TARGET, request, buffers)
        if answer is None:
            client.forget_install(VARIABLES_MODULE)
            await client.install(VARIABLES_MODULE, install)
            answer = await client.comm_request(VARIABLES_TARGET, request, buffers)
        if answer is None:
            raise KernelUnavailable("the kernel has no variables procedure")
        data = answer["content"].get("data", {})
        if data.get("status") != "ok":
            ename, evalue = str(data.get("ename", "Error")), str(data.get("evalue", ""))
            if ename == "PayloadTooLarge":
                raise PayloadTooLarge(evalue)
            raise KernelError(ename, evalue)
        return answer

    async def preview(self) -> dict[str, Any]:
        """A fresh variable preview (also broadcast to every client when it changed)."""
        return await self._session.preview.refresh()

    def schedule_preview(self) -> None:
        """Update the clients' previews soon: the handler changed the namespace."""
        self._session.preview.schedule()

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
