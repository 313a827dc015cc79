"""A Jupyter server extension for tests: what the burst coalescing of each kernel
websocket is doing, read from inside the server.

``GET /beaker-test/coalesce/<kernel_id>`` answers, for every websocket of the
kernel, the coalescer's state (``corked``: a burst under way;
``bursts``: bursts so far) and, as the kernel's TCP stack reports them, the
websocket TCP socket's TCP_NODELAY and whether it holds partial segments back
(``held``: TCP_CORK set, or Nagle on where there is no cork).
"""

from __future__ import annotations

import json
import socket
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from beaker_server.websocket.coalesce import BURST_OPTION

PATH = "/beaker-test/coalesce"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tests.support.coalesce_probe"}]


def held(sock: socket.socket) -> bool:
    """Whether the socket holds partial segments back now (corked, or Nagle on)."""
    option, during, _ = BURST_OPTION
    return sock.getsockopt(socket.IPPROTO_TCP, option) == during


class CoalesceProbeHandler(APIHandler):
    @web.authenticated
    def get(self, kernel_id: str) -> None:
        sessions = self.settings["beaker_sessions"]
        connections: list[dict[str, Any]] = []
        for connection in sessions.for_kernel(kernel_id).connections:
            coalescer = connection._beaker_coalescer
            sock = connection.websocket_handler.ws_connection.stream.socket
            connections.append(
                {
                    "protocol": connection._beaker_protocol or "legacy",
                    "coalescing": coalescer is not None,
                    "corked": None if coalescer is None else coalescer.corked,
                    "bursts": None if coalescer is None else coalescer.bursts,
                    "tcp_nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
                    "held": held(sock),
                }
            )
        self.finish(json.dumps(connections))


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"].rstrip("/")
    serverapp.web_app.add_handlers(
        ".*$", [(f"{base}{PATH}/(?P<kernel_id>[^/]+)", CoalesceProbeHandler)]
    )
