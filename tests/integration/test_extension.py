"""The extension inside a real jupyter_server process (pytest-jupyter, in process)."""

from __future__ import annotations

import json
import socket

import pytest
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado.httpclient import HTTPClientError

from beaker_server.websocket.connection import BeakerConnectionMixin

from ..support import custom_connection
from ..support.kernel_ws import KernelWebsocket, reply_of


@pytest.fixture
def jp_server_config(request):
    beaker = getattr(request, "param", {})
    config = {
        "ServerApp": {"jpserver_extensions": {"beaker_server": beaker.get("enabled", True)}},
        "BeakerServerApp": {"handler_modules": ["tests.support.sample_handlers"]},
    }
    config["ServerApp"].update(beaker.get("server", {}))
    config["BeakerServerApp"].update(beaker.get("beaker", {}))
    return config


async def _kernel_ws(jp_fetch, jp_ws_fetch) -> tuple[str, KernelWebsocket]:
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({}))
    kernel_id = json.loads(response.body)["id"]
    conn = await jp_ws_fetch(
        "api", "kernels", kernel_id, "channels", subprotocols=["v1.kernel.websocket.jupyter.org"]
    )
    return kernel_id, KernelWebsocket(conn, "v1")


async def _shutdown(jp_fetch, kernel_id: str) -> None:
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")


def _nodelay(app, kernel_id: str) -> int:
    session = app.web_app.settings["beaker_sessions"].get(kernel_id)
    (connection,) = session.connections
    sock = connection.websocket_handler.ws_connection.stream.socket
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_wraps_the_configured_class_and_sets_nodelay(jp_serverapp, jp_fetch, jp_ws_fetch):
    cls = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
    assert issubclass(cls, BeakerConnectionMixin)
    assert issubclass(cls, ZMQChannelsWebsocketConnection)
    kernel_id, ws = await _kernel_ws(jp_fetch, jp_ws_fetch)
    try:
        reply = reply_of(await ws.request("greet_request", {"who": "in-process"}))
        assert reply["content"]["status"] == "ok"
        assert _nodelay(jp_serverapp, kernel_id) == 1
    finally:
        ws.close()
        await _shutdown(jp_fetch, kernel_id)


@pytest.mark.parametrize("jp_server_config", [{"beaker": {"tcp_nodelay": False}}], indirect=True)
async def test_nodelay_can_be_turned_off(jp_serverapp, jp_fetch, jp_ws_fetch):
    kernel_id, ws = await _kernel_ws(jp_fetch, jp_ws_fetch)
    try:
        await ws.execute("1")
        assert _nodelay(jp_serverapp, kernel_id) == 0
    finally:
        ws.close()
        await _shutdown(jp_fetch, kernel_id)


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "server": {
                "kernel_websocket_connection_class": (
                    "tests.support.custom_connection.RecordingConnection"
                )
            }
        }
    ],
    indirect=True,
)
async def test_wraps_another_extensions_class(jp_serverapp, jp_fetch, jp_ws_fetch):
    cls = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
    assert issubclass(cls, custom_connection.RecordingConnection)
    custom_connection.SEEN.clear()
    kernel_id, ws = await _kernel_ws(jp_fetch, jp_ws_fetch)
    try:
        assert (
            reply_of(await ws.request("greet_request", {"who": "x"}))["content"]["status"] == "ok"
        )
        assert custom_connection.SEEN == []  # ours, served before the wrapped class
        assert reply_of(await ws.execute("1"))["content"]["status"] == "ok"
        assert custom_connection.SEEN == ["bytes"]  # everything else still reaches it
    finally:
        ws.close()
        await _shutdown(jp_fetch, kernel_id)


@pytest.mark.parametrize("jp_server_config", [{"enabled": False}], indirect=True)
async def test_disabled_is_stock(jp_serverapp, jp_fetch, jp_ws_fetch):
    cls = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
    assert cls is ZMQChannelsWebsocketConnection
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("beaker", "api", "message-types")
    assert error.value.code == 404


async def test_message_types_route(jp_serverapp, jp_fetch):
    response = await jp_fetch("beaker", "api", "message-types")
    types = {t["name"]: t for t in json.loads(response.body)["message_types"]}
    assert types["evaluate"]["schema"]["required"] == ["expression"]
    assert types["greet"]["docs"].startswith("Print a line")
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("beaker", "api", "message-types", headers={"Authorization": "token wrong"})
    assert error.value.code == 403


async def test_server_stop_aborts_requests_in_flight(jp_serverapp, jp_fetch, jp_ws_fetch):
    kernel_id, ws = await _kernel_ws(jp_fetch, jp_ws_fetch)
    try:
        msg = await ws.send(
            "evaluate_twice_request", {"expression": "__import__('time').sleep(60)"}
        )
        busy = await ws.recv()
        assert busy["msg_type"] == "status"
        extension = jp_serverapp.extension_manager.extension_apps["beaker_server"]
        (app,) = extension
        await app.stop_extension()
        got = await ws.collect(msg["header"]["msg_id"])
        assert reply_of(got)["content"] == {"status": "aborted"}
    finally:
        ws.close()
        await _shutdown(jp_fetch, kernel_id)
