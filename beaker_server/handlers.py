"""REST routes under ``<base_url>beaker/api/``, behind Jupyter's auth."""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

AUTH_RESOURCE = "kernels"


class MessageTypesHandler(APIHandler):
    """``GET /beaker/api/message-types``: every registered custom message type."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    async def get(self) -> None:
        registry = self.settings["beaker_registry"]
        self.finish(json.dumps({"message_types": registry.describe()}))


class PreviewHandler(APIHandler):
    """``GET /beaker/api/kernels/<kernel_id>/preview``: the latest preview, from cache."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    async def get(self, kernel_id: str) -> None:
        if kernel_id not in self.kernel_manager:
            raise web.HTTPError(404, f"no kernel {kernel_id}")
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        content = session.preview.content
        if content is None:
            content = {"preview": {}, "meta": {"state": "pending"}}
        self.finish(json.dumps(content))


handlers = [
    (r"/beaker/api/message-types", MessageTypesHandler),
    (r"/beaker/api/kernels/(?P<kernel_id>[^/]+)/preview", PreviewHandler),
]
