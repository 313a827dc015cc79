"""A kernel websocket connection class "from another extension", for wrapping tests."""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

SEEN: list[str] = []


class RecordingConnection(ZMQChannelsWebsocketConnection):
    """Records the size of every message it is asked to forward to the kernel."""

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        SEEN.append(type(incoming_msg).__name__)
        super().handle_incoming_message(incoming_msg)
