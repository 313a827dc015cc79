"""REST routes under ``<base_url>beaker/api/``, behind Jupyter's auth.

The POST route runs a custom request through the very :class:`RequestFlow` a
websocket request takes (validation, permission, timeout, the busy/idle
broadcast to the kernel's websockets); only the reply goes to the HTTP response
instead of a websocket, together with what the flow published, in order.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from .flow import RequestFlow
from .wire import PROTOCOL_VERSION, IncomingRequest, make_header

AUTH_RESOURCE = "kernels"
OPENAPI_PATH = Path(__file__).parent / "openapi.json"

#: HTTP status of a finished flow, by the ``ename`` of its error reply.
STATUS_BY_ENAME = {
    "ValidationError": 400,
    "Forbidden": 403,
    "NotFound": 404,
    "UnknownMessageType": 404,
    "PayloadTooLarge": 413,
    "HandlerTimeout": 504,
    "KernelUnavailable": 503,
}
#: A flow aborted by a kernel restart or a server shutdown: try again later.
ABORTED_STATUS = 503
#: Any other error reply: the handler (or the code it ran in the kernel) raised.
HANDLER_ERROR_STATUS = 500


class BeakerAPIHandler(APIHandler):
    """Common ground of the routes: the ``kernels`` resource and JSON errors."""

    auth_resource = AUTH_RESOURCE

    def _json_error(self, status: int, reason: str, message: str, **extra: Any) -> None:
        """Finish with a JSON error body a client can branch on (``reason``)."""
        self.set_status(status)
        self.finish(json.dumps({"reason": reason, "message": message, **extra}))

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
        self.finish(json.dumps({"message_types": registry.describe()}))


class PreviewHandler(BeakerAPIHandler):
    """``GET /beaker/api/kernels/<kernel_id>/preview``: the latest preview, from cache."""

    @web.authenticated
    @authorized
    async def get(self, kernel_id: str) -> None:
        if not self._require_kernel(kernel_id):
            return
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        content = session.preview.content
        if content is None:
            content = {"preview": {}, "meta": {"state": "pending"}}
        self.finish(json.dumps(content))


class RequestHandler(BeakerAPIHandler):
    """``POST /beaker/api/kernels/<kernel_id>/requests/<name>``: a request without a websocket."""

    @web.authenticated
    @authorized("execute")
    async def post(self, kernel_id: str, name: str) -> None:
        if not self._require_kernel(kernel_id):
            return
        registry = self.settings["beaker_registry"]
        message = registry.get(name)
        if message is None:
            self._json_error(404, "UnknownMessageType", f"no custom message type {name!r}")
            return
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        username = self.current_user.username
        header = make_header(
            message.request_type, f"beaker-rest-{uuid.uuid4().hex}", username, PROTOCOL_VERSION
        )
        request = IncomingRequest(
            msg_type=message.request_type,
            header=header,
            parent_header={},
            metadata={},
            raw_content=self.request.body,
            content_size=len(self.request.body),
        )
        messages: list[dict[str, Any]] = []
        reply: dict[str, Any] = {}

        def observe(msg: dict[str, Any], channel: str) -> None:
            if channel == "shell":
                reply.update(msg)
            elif msg["msg_type"] != "status":
                messages.append(_summary(msg, channel))

        flow = RequestFlow(
            session,
            message,
            request,
            username=username,
            reply_to=lambda msg, channel: None,
            authorize=self._authorize,
            log=self.log,
            observe=observe,
        )
        content = await session.start(flow)
        self._finish_flow(header["msg_id"], content, messages, reply)

    async def _authorize(self, action: str) -> bool:
        return bool(
            await ensure_async(
                self.authorizer.is_authorized(self, self.current_user, action, AUTH_RESOURCE)
            )
        )

    def _finish_flow(
        self,
        msg_id: str,
        content: dict[str, Any],
        messages: list[dict[str, Any]],
        reply: dict[str, Any],
    ) -> None:
        body: dict[str, Any] = {
            "msg_id": msg_id,
            "reply": _summary(reply, "shell") if reply else {"content": content},
            "messages": messages,
        }
        status = content.get("status")
        if status == "ok":
            self.finish(json.dumps(body))
        elif status == "aborted":
            self._json_error(ABORTED_STATUS, "Aborted", "the request was aborted", **body)
        else:
            ename = str(content.get("ename", "Error"))
            code = STATUS_BY_ENAME.get(ename, HANDLER_ERROR_STATUS)
            self._json_error(code, ename, str(content.get("evalue", "")), **body)


class OpenAPIHandler(BeakerAPIHandler):
    """``GET /beaker/api/openapi.json``: the OpenAPI 3 description of these routes."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(OPENAPI_PATH.read_bytes())


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
    (r"/beaker/api/kernels/(?P<kernel_id>[^/]+)/requests/(?P<name>[^/]+)", RequestHandler),
]
