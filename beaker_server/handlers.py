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


handlers = [
    (r"/beaker/api/message-types", MessageTypesHandler),
]
