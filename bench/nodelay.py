"""Stock kernel websockets with TCP_NODELAY, for the benchmark's fair comparison.

Stock jupyter_server leaves Nagle's algorithm on for kernel websockets, so a
reply followed by its idle status waits for the client's delayed ACK (~40 ms).
beaker_server sets TCP_NODELAY. To measure what the extension's own processing
costs, the benchmark also runs a stock server whose kernel websockets get
TCP_NODELAY and nothing else: this class, selected with
``ServerApp.kernel_websocket_connection_class =
"bench.nodelay.NodelayZMQChannelsWebsocketConnection"``. Only the benchmark's
server processes import it.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

#: Written to the server log once per websocket, so the benchmark can check it took effect.
LOG_MARKER = "bench: TCP_NODELAY set on a stock kernel websocket"


class NodelayZMQChannelsWebsocketConnection(ZMQChannelsWebsocketConnection):
    """``ZMQChannelsWebsocketConnection`` plus server-side TCP_NODELAY, nothing else."""

    def connect(self) -> Any:
        self.websocket_handler.set_nodelay(True)
        self.log.info(LOG_MARKER)
        return super().connect()
