"""REST routes under ``<base_url>beaker/api/``, behind Jupyter's auth.

The POST route runs a custom request through the very :class:`RequestFlow` a
websocket request takes (validation, permission, timeout, the busy/idle
broadcast to the kernel's websockets); only the reply goes to the HTTP response
instead of a websocket, together with what the flow published, in order.
"""

from __future__ import annotations

import json
import uuid
from http.client import responses
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import RequestAborted, UnknownMessageType, http_status
from ..messages.flow import AUTH_RESOURCE, RequestFlow, authorizer_for
from ..messages.registry import MessageType
from ..websocket.wire import IncomingRequest, make_header

OPENAPI_PATH = Path(__file__).parent / "openapi.json"

#: A flow aborted by a kernel restart or a server shutdown: try again later.
ABORTED_STATUS = RequestAborted.http_status
#: An error outside any flow's reply (a failure of the route itself).
HANDLER_ERROR_STATUS = 500


class BeakerAPIHandler(APIHandler):
    """Common ground of the routes: the ``kernels`` resource and JSON errors."""

    auth_resource = AUTH_RESOURCE

    def _json_error(self, status: int, reason: str, message: str, **extra: Any) -> None:
        """Finish with a JSON error body a client can branch on (``reason``)."""
        self.set_status(status)
        self._finish_json({"reason": reason, "message": message, **extra})

    def _finish_json(self, body: Any) -> None:
        """JSON out, encoded as the websocket path encodes server-made messages
        (``default=str``), so a value a handler published reaches both alike.

        ASCII JSON: a lone surrogate (a string UTF-8 cannot hold) is an escape.
        A body JSON cannot carry at all (a key that is not text) is a JSON 500.
        """
        try:
            text = json.dumps(body, default=str)
        except (TypeError, ValueError, RecursionError) as error:
            self.set_status(HANDLER_ERROR_STATUS)
            message = f"the answer could not be encoded: {type(error).__name__}: {error}"
            text = json.dumps({"reason": "EncodingError", "message": message})
        self.finish(text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors from Jupyter's own checks (auth, XSRF, origin) in our error shape.

        jupyter_server's ``APIHandler`` leaves ``reason`` null (or out) for them;
        here it is always a string, the HTTP reason phrase when nothing better is
        known, so one schema covers every error body of these routes.
        """
        error = kwargs.get("exc_info", (None, None, None))[1]
        phrase = responses.get(status_code, "Unknown HTTP Error")
        if isinstance(error, web.HTTPError):
            reason, message = error.reason or phrase, error.log_message or phrase
        else:
            reason, message = phrase, "Unhandled error" if error is not None else phrase
        self.log.warning("beaker_server: %s %s: %s", status_code, self.request.path, message)
        self._finish_json({"reason": reason, "message": message})

    def _require_kernel(self, kernel_id: str) -> bool:
        if kernel_id in self.kernel_manager:
            return True
        self._json_error(404, "UnknownKernel", f"no kernel {kernel_id}")
        return False


class MessageTypesHandler(BeakerAPIHandler):
    """``GET /beaker/api/message-types``: every registered custom message type."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        registry = self.settings["beaker_registry"]
        self._finish_json({"message_types": registry.describe()})


class PreviewHandler(BeakerAPIHandler):
    """``GET /beaker/api/kernels/<kernel_id>/preview``: the latest preview, from cache.

    It shows the values of the kernel's variables, so it needs what seeing a
    kernel's output needs in jupyter_server (its websocket): ``execute``.
    """

    @web.authenticated
    @authorized("execute")
    async def get(self, kernel_id: str) -> None:
        if not self._require_kernel(kernel_id):
            return
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        content = session.preview.content
        if content is None:
            live = session.settings.preview.enabled
            state = "pending" if live else "disabled"
            content = {"preview": {}, "meta": {"state": state, "live": live}}
        self._finish_json(content)


class CustomRequestHandler(BeakerAPIHandler):
    """``POST /beaker/api/kernels/<kernel_id>/requests/<name>``: a request without a websocket."""

    @web.authenticated
    @authorized("execute")
    async def post(self, kernel_id: str, name: str) -> None:
        if not self._require_kernel(kernel_id):
            return
        message = self.settings["beaker_registry"].get(name)
        if message is None:
            error = UnknownMessageType(f"no custom message type {name!r}")
            self._json_error(error.http_status, error.ename, str(error))
            return
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        username = self.current_user.username
        request = self._incoming(message, username, session.protocol_version)
        collected = FlowCollector()
        flow = RequestFlow(
            session.flow_side,
            message,
            request,
            username=username,
            reply_to=lambda msg, channel: None,  # the HTTP response carries the reply
            authorize=authorizer_for(self),
            log=self.log,
            observe=collected.observe,
        )
        content = await session.start(flow)
        self._finish_flow(collected.result(request.header["msg_id"]), content)

    def _incoming(self, message: MessageType, username: str, version: str) -> IncomingRequest:
        """The HTTP body as the flow takes a websocket request: raw content bytes,
        sized and parsed by the flow itself, so limits and errors are the same."""
        session_id = f"beaker-rest-{uuid.uuid4().hex}"
        header = make_header(message.request_type, session_id, username, version)
        body = self.request.body
        return IncomingRequest(
            msg_type=message.request_type,
            header=header,
            parent_header={},
            metadata={},
            raw_content=body,
            content_size=len(body),
        )

    def _finish_flow(self, body: dict[str, Any], content: dict[str, Any]) -> None:
        """200 for an ``ok`` reply; else the status its ``ename`` calls for."""
        status = content.get("status")
        if status == "ok":
            self._finish_json(body)
        elif status == "aborted":
            self._json_error(ABORTED_STATUS, "Aborted", "the request was aborted", **body)
        else:
            ename = str(content.get("ename", "Error"))
            code = http_status(ename)
            self._json_error(code, ename, str(content.get("evalue", "")), **body)


class FlowCollector:
    """Observes one flow: its reply, and its iopub messages other than status."""

    def __init__(self) -> None:
        self.reply: dict[str, Any] | None = None
        self.messages: list[dict[str, Any]] = []

    def observe(self, msg: dict[str, Any], channel: str) -> None:
        if channel == "shell":
            self.reply = _summary(msg, channel)
        elif msg["msg_type"] != "status":
            self.messages.append(_summary(msg, channel))

    def result(self, msg_id: str) -> dict[str, Any]:
        """The response body; the flow observes its reply before it returns."""
        return {"msg_id": msg_id, "reply": self.reply, "messages": self.messages}


class OpenAPIHandler(BeakerAPIHandler):
    """``GET /beaker/api/openapi.json``: the OpenAPI 3 description of these routes."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        description = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
        # Paths in the file are relative to the server: tell clients where it is.
        description["servers"] = [
            {"url": url_path_join(self.base_url, "/"), "description": "This Jupyter server."}
        ]
        self._finish_json(description)


def _summary(msg: dict[str, Any], channel: str) -> dict[str, Any]:
    """A flow message as the REST response lists it."""
    return {
        "channel": channel,
        "msg_type": msg["msg_type"],
        "msg_id": msg["header"]["msg_id"],
        "content": msg["content"],
    }


handlers = [
    (r"/beaker/api/message-types", MessageTypesHandler),
    (r"/beaker/api/openapi.json", OpenAPIHandler),
    (r"/beaker/api/kernels/(?P<kernel_id>[^/]+)/preview", PreviewHandler),
    (r"/beaker/api/kernels/(?P<kernel_id>[^/]+)/requests/(?P<name>[^/]+)", CustomRequestHandler),
]
