"""A Jupyter server extension for tests: the iopub subscriptions of the server's
own kernel client, read from inside the server.

``GET /beaker-test/client/<kernel_id>`` answers ``{"connected": bool,
"full_subscription": bool, "status_topic": bool}``: whether the client
receives every iopub message of the kernel, and whether it receives the
kernel's status topic.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

PATH = "/beaker-test/client"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tests.support.client_probe"}]


class ClientProbeHandler(APIHandler):
    @web.authenticated
    def get(self, kernel_id: str) -> None:
        session = self.settings["beaker_sessions"].for_kernel(kernel_id)
        client = session._client
        self.finish(
            json.dumps(
                {
                    "connected": client is not None and client.watching_statuses,
                    "full_subscription": client is not None and client._iopub.on,
                    "status_topic": client is not None and client._iopub.status_topic_on,
                }
            )
        )


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"].rstrip("/")
    serverapp.web_app.add_handlers(
        ".*$", [(f"{base}{PATH}/(?P<kernel_id>[^/]+)", ClientProbeHandler)]
    )
