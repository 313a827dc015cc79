"""One custom request from start to reply (README, "What it does").

busy (iopub, every client) → handler outputs (iopub, every client) → ``N_reply``
(shell, the requester only) → idle (iopub, every client). The reply is sent
exactly once whatever happens in between: success, a typed error, a timeout, an
exception in the handler, or an abort because the kernel restarted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import best_match
from jupyter_core.utils import ensure_async

from ..errors import (
    BeakerError,
    EncodingError,
    Forbidden,
    HandlerTimeout,
    PayloadTooLarge,
    RequestAborted,
    ValidationError,
)
from ..settings import FlowLimits
from ..websocket.wire import EncodeError, IncomingRequest
from .context import KernelProxy, Publish, RequestContext

if TYPE_CHECKING:
    from ..store.variable_store import VariableStore
    from .registry import MessageRegistry, MessageType

#: Sends a server-made message to the one client that made the request.
ReplyTo = Callable[[dict[str, Any], str], None]
#: Asks Jupyter's authorizer whether the user may do an action on ``kernels``.
Authorize = Callable[[str], Awaitable[bool]]
#: The Jupyter resource custom requests are authorized on.
AUTH_RESOURCE = "kernels"


def authorizer_for(handler: Any) -> Authorize:
    """Jupyter's authorizer, asked for the user of a tornado ``handler`` (the
    websocket's or the REST route's), on :data:`AUTH_RESOURCE`."""

    async def authorize(action: str) -> bool:
        allowed = handler.authorizer.is_authorized(
            handler, handler.current_user, action, AUTH_RESOURCE
        )
        return bool(await ensure_async(allowed))

    return authorize


#: Sees every message of the flow (iopub and the reply) in order, e.g. for REST.
Observe = Callable[[dict[str, Any], str], None]
#: Makes a server message: type, content, parent header, username.
MakeMessage = Callable[[str, dict[str, Any], dict[str, Any], str], dict[str, Any]]


@dataclass(frozen=True)
class KernelSide:
    """What a flow uses of its kernel, handed in by the kernel's session once for
    all its flows: the flow never reaches back into the session."""

    registry: MessageRegistry
    limits: FlowLimits
    make_message: MakeMessage
    #: Sends a server message on iopub to every websocket of the kernel.
    broadcast: Callable[[dict[str, Any]], None]
    #: The handler's view of the kernel, publishing its outputs with ``Publish``.
    kernel_proxy: Callable[[Publish], KernelProxy]
    #: Whether the kernel manager is stopping the kernel (to restart it or for good).
    kernel_stopping: Callable[[], bool]
    store: VariableStore | None = None


@dataclass(eq=False)  # each flow is its own (a key of the session's flows in flight)
class RequestFlow:
    """Serves one registered ``N_request`` for one kernel."""

    kernel: KernelSide
    message: MessageType
    request: IncomingRequest
    _: KW_ONLY
    username: str
    reply_to: ReplyTo
    authorize: Authorize
    log: logging.Logger
    observe: Observe | None = None
    _handler_task: asyncio.Task[Any] | None = field(default=None, init=False, repr=False)
    _abort_reason: str | None = field(default=None, init=False, repr=False)

    @property
    def msg_id(self) -> str:
        return str(self.request.header.get("msg_id", ""))

    # -- the flow ---------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        """Run the whole flow and return the reply content that was sent."""
        self._status("busy")
        try:
            content = self._reply(await self._serve())
        finally:
            self._status("idle")
        return content

    def _status(self, state: str) -> None:
        """Busy and idle always go out: JupyterLab's future waits for the idle."""
        try:
            self._publish("status", {"execution_state": state})
        except EncodeError as error:
            self.log.warning("beaker_server: %s status not sent: %s", state, error)

    def _reply(self, content: dict[str, Any]) -> dict[str, Any]:
        """Send the reply; one JSON cannot carry is replaced by an ``EncodingError``
        reply that it can: the requester always gets exactly one."""
        try:
            self._send_reply(content)
            return content
        except EncodeError as error:
            reason = short_error(error)
            self.log.warning("beaker_server: %s; an EncodingError reply goes instead", reason)
            content = EncodingError(f"the reply could not be sent: {reason}").reply_content()
        except Exception:
            self.log.exception("beaker_server: could not deliver %s", self.message.reply_type)
            return content
        try:
            self._send_reply(content)
        except Exception:
            self.log.exception("beaker_server: could not deliver %s", self.message.reply_type)
        return content

    def _send_reply(self, content: dict[str, Any]) -> None:
        reply = self.kernel.make_message(
            self.message.reply_type, content, self.request.header, self.username
        )
        self.reply_to(reply, "shell")
        self._observe(reply, "shell")

    def abort(self, reason: str) -> None:
        """End the request with an ``aborted`` reply (kernel restart, shutdown)."""
        self._abort_reason = reason
        if self._handler_task is not None and not self._handler_task.done():
            self._handler_task.cancel()

    async def _serve(self) -> dict[str, Any]:
        try:
            payload = self._payload()
            if not await self.authorize(self.message.permission):
                raise Forbidden(
                    f"user {self.username!r} may not {self.message.permission} "
                    f"{self.message.name!r} on kernels"
                )
            if self._abort_reason is not None:
                raise RequestAborted(self._abort_reason)
            result = await self._run_handler(payload)
            return {"status": "ok", "return": _json_value(result)}
        except BeakerError as error:
            return error.reply_content()
        except Exception as error:
            self.log.info(
                "beaker_server: %s handler raised %s", self.message.name, type(error).__name__
            )
            return {
                "status": "error",
                "ename": type(error).__name__,
                "evalue": str(error),
                "traceback": self._traceback(error),
            }

    async def _run_handler(self, payload: dict[str, Any]) -> Any:
        context = RequestContext(
            message=self.message,
            header=self.request.header,
            content=payload,
            username=self.username,
            kernel=self.kernel.kernel_proxy(self._publish),
            registry=self.kernel.registry,
            log=self.log,
            _publish=self._publish,
            store=self.kernel.store,
        )
        timeout = self.message.timeout or self.kernel.limits.handler_timeout
        task = self._handler_task = asyncio.ensure_future(self.message.handler(context))
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout)
        finally:
            if not task.done():
                task.cancel()
        if not done:
            raise HandlerTimeout(f"{self.message.name} did not finish within {timeout:g} s")
        if task.cancelled():
            raise RequestAborted(self._abort_reason or "request cancelled")
        if task.exception() is not None and self.kernel.kernel_stopping():
            # A restart interrupts the kernel first: the handler's KeyboardInterrupt
            # may arrive before the restart is reported, and means aborted.
            raise RequestAborted(self._abort_reason or "the kernel is restarting or stopping")
        return task.result()

    # -- pieces -----------------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        """Size check on the raw bytes first, then parse, then the schema."""
        if self.request.problem is not None:
            raise ValidationError(self.request.problem)
        limit = self.message.max_payload_bytes or self.kernel.limits.max_payload_bytes
        if self.request.content_size > limit:
            raise PayloadTooLarge(
                f"{self.message.request_type} content is {self.request.content_size} bytes; "
                f"the limit is {limit}"
            )
        try:
            payload = self.request.content()
        except ValueError as error:
            raise ValidationError(f"content is not valid JSON: {error}") from error
        if not isinstance(payload, dict):
            raise ValidationError("content must be a JSON object")
        problem = best_match(self.kernel.registry.validator(self.message).iter_errors(payload))
        if problem is not None:
            where = "/".join(str(p) for p in problem.absolute_path) or "(content)"
            raise ValidationError(f"{where}: {problem.message}")
        return payload

    def _publish(self, msg_type: str, content: dict[str, Any]) -> None:
        msg = self.kernel.make_message(msg_type, content, self.request.header, self.username)
        self.kernel.broadcast(msg)
        self._observe(msg, "iopub")

    def _observe(self, msg: dict[str, Any], channel: str) -> None:
        if self.observe is None:
            return
        try:
            self.observe(msg, channel)
        except Exception:
            self.log.exception("beaker_server: flow observer failed on %s", msg["msg_type"])

    def _traceback(self, error: BaseException) -> list[str]:
        if not self.kernel.limits.allow_tracebacks:
            return []
        return traceback.format_exception(type(error), error, error.__traceback__)


def short_error(error: BaseException, limit: int = 200) -> str:
    """An error's text for one log line: bounded, whatever it quotes."""
    text = str(error)
    return text if len(text) <= limit else text[:limit] + "..."


def _json_value(value: Any) -> Any:
    """Check that a handler's return value can travel as JSON."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"handler returned a value that is not JSON: {error}") from error
    return value
