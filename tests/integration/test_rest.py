"""The REST routes (README, "REST API") on a real server, every answer checked against openapi.json.

One ``jupyter server`` for the module, configured with an authorizer that
refuses what a request's ``X-Beaker-Test-Deny`` header names (tests/support/rest_authorizer.py)
and a small server-wide payload limit, so each status code a route documents can
be produced by a real request. Every response goes through :class:`Api`, which
fails a test whose response is not in the description or does not match its
schema: the description is checked against the server, not only by itself.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from beaker_server.rest.handlers import handlers as ROUTES

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import KernelWebsocket, kinds, reply_of
from ..support.rest_authorizer import DENY_HEADER
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "beaker_server" / "rest" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
SPEC_URI = "urn:beaker-server:openapi"
REGISTRY: Registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))

#: Server-wide request size limit of this module's server (BeakerServerApp.max_payload_bytes).
MAX_PAYLOAD = 64 * 1024
NO_KERNEL = "00000000-0000-4000-8000-000000000000"

MESSAGE_TYPES = "/beaker/api/message-types"
OPENAPI = "/beaker/api/openapi.json"
PREVIEW = "/beaker/api/kernels/{kernel_id}/preview"
REQUEST = "/beaker/api/kernels/{kernel_id}/requests/{name}"

#: Default: the server's token in an Authorization header.
TOKEN = object()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    """This module's one server: the header-driven authorizer and a 64 KiB payload limit."""
    yield from serve(
        tmp_path_factory,
        "rest",
        config={
            "ServerApp": {"authorizer_class": "tests.support.rest_authorizer.HeaderDenyAuthorizer"},
            "BeakerServerApp": {"max_payload_bytes": MAX_PAYLOAD},
        },
    )


@pytest.fixture
def own_kernel(server: JupyterServerProcess) -> Iterator[str]:
    """A kernel for one test that needs it untouched (fresh) or restarts it."""
    kernel = server.start_kernel()
    yield kernel
    server.shutdown_kernel(kernel)


# -- checking answers against the description ------------------------------------


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_schema(route: str, method: str, status: int) -> dict[str, Any]:
    """The documented JSON schema of one response, as a reference into the spec.

    Fails when the route does not document the status: an undocumented status
    code is as much a mismatch as a body that fails its schema.
    """
    responses = SPEC["paths"][route][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {route} answered {status}: undocumented"
    pointer = _pointer("paths", route, method, "responses", str(status))
    response = responses[str(status)]
    while "$ref" in response:  # shared responses live under components/responses
        pointer = response["$ref"]
        response = REGISTRY.resolver().lookup(f"{SPEC_URI}{pointer}").contents
    assert "application/json" in response["content"], (route, method, status)
    return {"$ref": f"{SPEC_URI}{pointer}/content/application~1json/schema"}


def check_against_spec(route: str, method: str, status: int, body: Any) -> None:
    validator = OAS31Validator(
        response_schema(route, method, status),
        registry=REGISTRY,
        format_checker=oas31_format_checker,
    )
    validator.validate(body)


@dataclass
class Answer:
    status: int
    body: Any
    response: HTTPResponse


class Api:
    """The beaker routes over real HTTP; every answer is checked against the spec."""

    def __init__(self, server: JupyterServerProcess) -> None:
        self.server = server

    async def call(
        self,
        method: str,
        route: str,
        body: bytes | None = None,
        *,
        token: Any = TOKEN,
        query: str = "",
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> Answer:
        all_headers = dict(headers or {})
        if token is TOKEN:
            all_headers["Authorization"] = f"token {self.server.token}"
        elif token is not None:
            all_headers["Authorization"] = f"token {token}"
        path = route.format(**{k: quote(v, safe="") for k, v in params.items()})
        response = await AsyncHTTPClient().fetch(
            self.server.base_url + path + query,
            method=method,
            body=body if method == "POST" else None,
            headers=all_headers,
            request_timeout=60,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        assert response.code != 599, response.error
        assert response.headers["Content-Type"].startswith("application/json"), response.headers
        parsed = json.loads(response.body)
        check_against_spec(route, method.lower(), response.code, parsed)
        return Answer(response.code, parsed, response)

    async def get(self, route: str, **kw: Any) -> Answer:
        return await self.call("GET", route, **kw)

    async def post(self, kernel_id: str, name: str, payload: Any = None, **kw: Any) -> Answer:
        body = kw.pop("raw", None)
        if body is None:
            body = b"" if payload is None else json.dumps(payload).encode()
        return await self.call("POST", REQUEST, body, kernel_id=kernel_id, name=name, **kw)


@pytest.fixture
def api(server: JupyterServerProcess) -> Api:
    return Api(server)


def flow_error(answer: Answer, status: int, reason: str) -> dict[str, Any]:
    """The reply content of an error a flow produced (body has the flow's fields)."""
    assert answer.status == status, answer.body
    assert answer.body["reason"] == reason, answer.body
    content = answer.body["reply"]["content"]
    if reason != "Aborted":
        assert content["ename"] == reason
        assert answer.body["message"] == content["evalue"]
    return content


def plain_error(answer: Answer, status: int, reason: str) -> None:
    """An error refused before any flow ran: no msg_id, no reply."""
    assert answer.status == status, answer.body
    assert answer.body["reason"] == reason, answer.body
    assert "reply" not in answer.body and "msg_id" not in answer.body


def iopub_outputs(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(msg_type, content) of a flow's iopub messages other than status.

    Consecutive streams of one name are joined: how a kernel chunks its output
    (``print`` writes the text and the newline apart) is not the flow's doing.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for m in messages:
        if m["channel"] != "iopub" or m["msg_type"] == "status":
            continue
        content = m["content"]
        if m["msg_type"] == "stream" and out and out[-1][0] == "stream":
            last = out[-1][1]
            if last["name"] == content["name"]:
                out[-1] = ("stream", {**last, "text": last["text"] + content["text"]})
                continue
        out.append((m["msg_type"], content))
    return out


# -- the description itself ---------------------------------------------------------


def test_description_is_valid_openapi_and_covers_every_route():
    validate_openapi(SPEC)
    served = {re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern) for pattern, _ in ROUTES}
    assert served == set(SPEC["paths"])
    for route, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "403" in operation["responses"], (route, method)  # all behind auth
            for status in operation["responses"]:
                response_schema(route, method, int(status))


def test_wheel_ships_the_description():
    """The handler reads openapi.json at run time: the wheel must carry it."""
    from hatchling.builders.wheel import WheelBuilder

    shipped = {f.distribution_path for f in WheelBuilder(str(ROOT)).recurse_included_files()}
    assert "beaker_server/rest/openapi.json" in shipped


async def test_served_description(api):
    answer = await api.get(OPENAPI)
    assert answer.status == 200
    validate_openapi(answer.body)
    assert answer.body["servers"][0]["url"] == "/"  # this server's base_url
    assert {k: v for k, v in answer.body.items() if k != "servers"} == {
        k: v for k, v in SPEC.items() if k != "servers"
    }


# -- GET routes ---------------------------------------------------------------------


async def test_message_types(api):
    answer = await api.get(MESSAGE_TYPES)
    assert answer.status == 200
    by_name = {m["name"]: m for m in answer.body["message_types"]}
    assert list(by_name) == sorted(by_name)
    assert {"evaluate", "message_types", "preview", "greet", "boom", "slow"} <= set(by_name)
    assert by_name["greet"] == {
        "name": "greet",
        "request_type": "greet_request",
        "response_type": "greet_response",
        "reply_type": "greet_reply",
        "channels": {"request": "shell", "response": "iopub", "reply": "shell"},
        "docs": "Print a line, emit two responses, return a value: the whole seed flow.",
        "schema": {
            "type": "object",
            "properties": {"who": {"type": "string"}},
            "required": ["who"],
        },
        "default": {"who": "world"},
        "permission": "execute",
        "source": "tests.support.sample_handlers:greet",
    }


async def test_preview_pending_then_the_latest(server, api, own_kernel):
    """Served from the cache: pending before any preview, then what clients last got."""
    answer = await api.get(PREVIEW, kernel_id=own_kernel)
    assert answer.status == 200
    assert answer.body == {"preview": {}, "meta": {"state": "pending", "live": True}}
    async with open_ws(server, own_kernel) as ws:
        await ws.execute("rest_preview_x = 41 + 1")
        pushed = await _preview_with(ws, "rest_preview_x")
    answer = await api.get(PREVIEW, kernel_id=own_kernel)
    assert answer.status == 200
    assert answer.body["preview"] == pushed["preview"]
    assert answer.body["meta"]["state"] == "ok"
    entry = answer.body["preview"]["variables"]["rest_preview_x"]
    assert entry["text/plain"] == "42"
    assert entry["application/vnd.beaker.variable+json"]["type"] == "int"


async def _preview_with(ws: KernelWebsocket, name: str) -> dict[str, Any]:
    """The content of the first iopub preview that shows variable ``name``
    (perhaps already received while the execution's idle was awaited)."""
    seen = 0
    while True:
        for msg in ws.received[seen:]:
            variables = msg["content"].get("preview", {}).get("variables", {})
            if msg["msg_type"] == "preview" and name in variables:
                return msg["content"]
        seen = len(ws.received)
        await ws.recv()


async def test_preview_of_an_unknown_kernel(api):
    plain_error(await api.get(PREVIEW, kernel_id=NO_KERNEL), 404, "UnknownKernel")


# -- POST: success, and the same flow as a websocket ------------------------------------


async def test_post_runs_the_whole_flow(api, kernel_id):
    answer = await api.post(kernel_id, "greet", {"who": "ada"})
    assert answer.status == 200
    body = answer.body
    assert [(m["channel"], m["msg_type"]) for m in body["messages"]] == [
        ("iopub", "stream"),
        ("iopub", "greet_response"),
        ("iopub", "greet_response"),
    ]
    assert iopub_outputs(body["messages"]) == [
        ("stream", {"name": "stdout", "text": "hello ada\n"}),
        ("greet_response", {"step": 1}),
        ("greet_response", {"step": 2}),
    ]
    assert body["reply"]["msg_type"] == "greet_reply"
    assert body["reply"]["content"]["status"] == "ok"
    assert body["reply"]["content"]["return"]["greeted"] == "ada"
    ids = [body["msg_id"], body["reply"]["msg_id"], *(m["msg_id"] for m in body["messages"])]
    assert len(set(ids)) == len(ids)


async def test_token_in_the_url_works_too(server, api, kernel_id):
    query = f"?token={server.token}"
    assert (await api.get(MESSAGE_TYPES, token=None, query=query)).status == 200
    answer = await api.post(kernel_id, "greet", {"who": "q"}, token=None, query=query)
    assert answer.status == 200


@pytest.mark.parametrize(
    "name, payload, status",
    [
        ("greet", {"who": "ada"}, 200),
        ("run_code", {"code": "print('from the kernel')"}, 200),
        ("evaluate", {"expression": "[1, {'a': None}]"}, 200),
        ("odd_response", {}, 200),
        ("lookup", {"id": "v1"}, 404),
        ("greet", {"who": 5}, 400),
        ("small", {"blob": "x" * 1000}, 413),
        ("boom", {}, 500),
        ("evaluate", {"expression": "1/0"}, 500),
    ],
)
async def test_post_flow_equals_the_websocket_flow(
    server, api, kernel_id, protocol, name, payload, status
):
    """Same outputs (types and contents, in order) and the same reply content."""
    async with open_ws(server, kernel_id, protocol) as ws:
        on_ws = await ws.request(f"{name}_request", payload)
    answer = await api.post(kernel_id, name, payload)
    assert answer.status == status, answer.body
    assert iopub_outputs(answer.body["messages"]) == iopub_outputs(on_ws)
    rest_reply, ws_reply = answer.body["reply"]["content"], reply_of(on_ws)["content"]
    if protocol == "legacy" and status == 413:
        # Legacy JSON arrives parsed: the server measures it re-encoded compactly,
        # while HTTP bodies and v1 content frames are measured as sent.
        rest_reply, ws_reply = _without_sizes(rest_reply), _without_sizes(ws_reply)
    assert _same_user(rest_reply) == _same_user(ws_reply)
    assert answer.body["reply"]["msg_type"] == reply_of(on_ws)["msg_type"]


def _without_sizes(content: dict[str, Any]) -> dict[str, Any]:
    return {**content, "evalue": re.sub(r"is \d+ bytes", "is N bytes", content["evalue"])}


def _same_user(content: dict[str, Any]) -> dict[str, Any]:
    """greet returns the username: jupyter_server makes a new anonymous user for
    each token-authenticated request that brings no login cookie."""
    value = content.get("return")
    if isinstance(value, dict) and "user" in value:
        assert isinstance(value["user"], str) and value["user"]
        return {**content, "return": {**value, "user": "<user>"}}
    return content


async def test_post_broadcasts_its_flow_to_the_kernels_websockets(server, api, kernel_id, protocol):
    """busy, outputs, idle with the request as parent; the reply only in the HTTP answer."""
    async with open_ws(server, kernel_id, protocol) as ws:
        answer = await api.post(kernel_id, "greet", {"who": "ws"})
        assert answer.status == 200
        seen = await ws.collect(answer.body["msg_id"], reply=False)
    assert kinds(seen) == [
        ("iopub", "status:busy"),
        ("iopub", "stream"),
        ("iopub", "greet_response"),
        ("iopub", "greet_response"),
        ("iopub", "status:idle"),
    ]
    for msg in seen:
        assert msg["parent_header"]["msg_id"] == answer.body["msg_id"]
        assert msg["parent_header"]["msg_type"] == "greet_request"
    outputs = [m for m in seen if m["msg_type"] != "status"]
    assert [m["header"]["msg_id"] for m in outputs] == [
        m["msg_id"] for m in answer.body["messages"]
    ]
    assert iopub_outputs(outputs) == iopub_outputs(answer.body["messages"])


# -- POST: error codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, where",
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b"", "who")],
    ids=["bad-json", "not-an-object", "empty"],
)
async def test_400_bad_json(api, kernel_id, raw, where):
    content = flow_error(await api.post(kernel_id, "greet", raw=raw), 400, "ValidationError")
    assert where in content["evalue"]


@pytest.mark.parametrize("payload", [{"who": 5}, {"name": "who?"}], ids=["type", "required"])
async def test_400_schema(api, kernel_id, payload):
    content = flow_error(await api.post(kernel_id, "greet", payload), 400, "ValidationError")
    assert "who" in content["evalue"]


async def test_404_unknown_kernel_and_message_type(api, kernel_id):
    plain_error(await api.post(NO_KERNEL, "greet", {"who": "x"}), 404, "UnknownKernel")
    plain_error(await api.post(kernel_id, "nosuch", {}), 404, "UnknownMessageType")
    # Jupyter's own request types are never served by the extension.
    plain_error(await api.post(kernel_id, "execute", {"code": "1"}), 404, "UnknownMessageType")


async def test_404_from_the_handler(api, kernel_id):
    """A handler's NotFound is a 404 too, with the flow's fields (it ran)."""
    content = flow_error(await api.post(kernel_id, "lookup", {"id": "v9"}), 404, "NotFound")
    assert content["evalue"] == "nothing has id 'v9'"


async def test_values_json_has_no_type_for_are_written_as_text(api, kernel_id):
    """As on a websocket: a handler's response with a datetime or a set still arrives."""
    answer = await api.post(kernel_id, "odd_response", {})
    assert answer.status == 200
    assert iopub_outputs(answer.body["messages"]) == [
        ("odd_response_response", {"when": "2020-01-02 00:00:00+00:00", "ids": "{3}"})
    ]


async def test_413_payload_too_large(api, kernel_id):
    """The server-wide limit (config) and a message type's own limit."""
    big = {"who": "x" * MAX_PAYLOAD}
    flow_error(await api.post(kernel_id, "greet", big), 413, "PayloadTooLarge")
    flow_error(await api.post(kernel_id, "small", {"blob": "x" * 1000}), 413, "PayloadTooLarge")
    answer = await api.post(kernel_id, "small", {"a": 1})
    assert answer.status == 200 and answer.body["reply"]["content"]["return"] == 1


async def test_504_handler_timeout(api, kernel_id):
    content = flow_error(await api.post(kernel_id, "slow", {}), 504, "HandlerTimeout")
    assert "0.5 s" in content["evalue"]


async def test_500_handler_raises(api, kernel_id):
    content = flow_error(await api.post(kernel_id, "boom", {}), 500, "ValueError")
    assert content["evalue"] == "boom went the handler"
    assert any("boom went the handler" in line for line in content["traceback"])
    flow_error(
        await api.post(kernel_id, "evaluate", {"expression": "1/0"}), 500, "ZeroDivisionError"
    )


async def test_503_when_the_kernel_restarts_during_the_request(server, api, own_kernel):
    """A request in flight when its kernel restarts ends aborted: try again later."""
    async with open_ws(server, own_kernel) as ws:
        posting = asyncio.ensure_future(api.post(own_kernel, "wait_forever", {}))
        await _rest_output(ws, "waiting\n")  # the handler is running now
        await server.arest("POST", f"/api/kernels/{own_kernel}/restart")
        answer = await posting
    content = flow_error(answer, 503, "Aborted")
    assert content == {"status": "aborted"}
    assert iopub_outputs(answer.body["messages"]) == [
        ("stream", {"name": "stdout", "text": "waiting\n"})
    ]


async def _rest_output(ws: KernelWebsocket, text: str) -> None:
    """Wait until a websocket shows a stream of a REST request (its parent's session)."""
    while True:
        msg = await ws.recv()
        parent = msg["parent_header"]
        if (
            msg["msg_type"] == "stream"
            and parent.get("session", "").startswith("beaker-rest-")
            and msg["content"]["text"] == text
        ):
            return


# -- 403: the authorizer, tokens, XSRF --------------------------------------------------


@pytest.mark.parametrize(
    "route, deny",
    [(MESSAGE_TYPES, "read"), (OPENAPI, "read")],
)
async def test_403_when_the_authorizer_refuses_read(api, kernel_id, route, deny):
    params = {"kernel_id": kernel_id} if "{kernel_id}" in route else {}
    refused = await api.get(route, headers={DENY_HEADER: deny}, **params)
    plain_error(refused, 403, "Forbidden")
    allowed = await api.get(route, headers={DENY_HEADER: "execute"}, **params)
    assert allowed.status == 200  # GET needs read, not execute


async def test_the_preview_needs_execute_as_kernel_output_does(api, kernel_id):
    """Variable values are kernel output: a user who may only read kernels (list
    them, see their state) may not see them, as stock's websocket needs execute."""
    refused = await api.get(PREVIEW, headers={DENY_HEADER: "execute"}, kernel_id=kernel_id)
    plain_error(refused, 403, "Forbidden")
    allowed = await api.get(PREVIEW, headers={DENY_HEADER: "read"}, kernel_id=kernel_id)
    assert allowed.status == 200


async def test_403_when_the_authorizer_refuses_execute(server, api, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        refused = await api.post(kernel_id, "greet", {"who": "x"}, headers={DENY_HEADER: "execute"})
        await _nothing_ran(ws)
    plain_error(refused, 403, "Forbidden")
    assert "execute" in refused.body["message"]
    allowed = await api.post(kernel_id, "greet", {"who": "x"}, headers={DENY_HEADER: "read"})
    assert allowed.status == 200  # greet needs execute only


async def test_403_when_the_authorizer_refuses_the_message_types_permission(api, kernel_id):
    """The route's execute is granted, message_types' own read is not: the flow says no."""
    refused = await api.post(kernel_id, "message_types", {}, headers={DENY_HEADER: "read"})
    content = flow_error(refused, 403, "Forbidden")
    assert "read" in content["evalue"]
    assert (await api.post(kernel_id, "message_types", {})).status == 200


ALL_ROUTES = [
    ("GET", MESSAGE_TYPES, {}),
    ("GET", OPENAPI, {}),
    ("GET", PREVIEW, {"kernel_id": "KERNEL"}),
    ("GET", PREVIEW, {"kernel_id": NO_KERNEL}),
    ("POST", REQUEST, {"kernel_id": "KERNEL", "name": "greet"}),
    ("POST", REQUEST, {"kernel_id": "KERNEL", "name": "nosuch"}),
    ("POST", REQUEST, {"kernel_id": NO_KERNEL, "name": "greet"}),
]


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["no-token", "wrong-token"])
@pytest.mark.parametrize(
    "method, route, params", ALL_ROUTES, ids=[f"{m} {r} {p}" for m, r, p in ALL_ROUTES]
)
async def test_403_without_a_valid_token_on_every_route(
    server, api, kernel_id, token, method, route, params
):
    """Auth comes first: not even whether a kernel or a type exists is told."""
    params = {k: kernel_id if v == "KERNEL" else v for k, v in params.items()}
    body = json.dumps({"who": "intruder"}).encode() if method == "POST" else None
    async with open_ws(server, kernel_id) as ws:
        answer = await api.call(method, route, body, token=token, **params)
        await _nothing_ran(ws)
    plain_error(answer, 403, "Forbidden")
    query = "?token=wrong-token" if token else ""
    answer = await api.call(method, route, body, token=None, query=query, **params)
    plain_error(answer, 403, "Forbidden")


async def _nothing_ran(ws: KernelWebsocket) -> None:
    """No flow output reached the kernel's websocket before a marker request's idle."""
    marker = await ws.send("kernel_info_request")
    await ws.collect(marker["header"]["msg_id"])
    ran = [m for m in ws.received if m["msg_type"] in ("stream", "greet_response")]
    assert ran == [], ran


async def test_cookie_authenticated_post_needs_the_xsrf_token(server, api, kernel_id):
    """As jupyter_server's own API: a login cookie alone does not allow a POST."""
    login = await _login_cookie(api)
    xsrf = await _xsrf_cookie(server)
    cookie = {"Cookie": login}
    # GET needs no XSRF token: the cookie authenticates.
    assert (await api.get(MESSAGE_TYPES, token=None, headers=cookie)).status == 200
    refused = await api.post(kernel_id, "greet", {"who": "c"}, token=None, headers=cookie)
    plain_error(refused, 403, "Forbidden")
    assert "_xsrf" in refused.body["message"]
    own = await _post_raw(server, f"/api/kernels/{kernel_id}/interrupt", cookie)
    assert own.code == refused.status  # jupyter_server's own API refuses it alike
    with_xsrf = {"Cookie": f"{login}; _xsrf={xsrf}", "X-XSRFToken": xsrf}
    allowed = await api.post(kernel_id, "greet", {"who": "c"}, token=None, headers=with_xsrf)
    assert allowed.status == 200
    assert (await _post_raw(server, f"/api/kernels/{kernel_id}/interrupt", with_xsrf)).code == 204


@pytest.mark.parametrize("route", [MESSAGE_TYPES, OPENAPI, PREVIEW])
async def test_cookie_authenticated_cross_origin_get_is_refused(api, kernel_id, route):
    """jupyter_server's origin check: a page elsewhere cannot read with the user's cookie."""
    login = await _login_cookie(api)
    params = {"kernel_id": kernel_id} if "{kernel_id}" in route else {}
    foreign = {"Cookie": login, "Origin": "http://elsewhere.example"}
    plain_error(await api.get(route, token=None, headers=foreign, **params), 404, "Not Found")
    same = {"Cookie": login, "Origin": api.server.base_url}
    assert (await api.get(route, token=None, headers=same, **params)).status == 200


async def _login_cookie(api: Api) -> str:
    """The login cookie a token-authenticated request leaves, as ``name=value``."""
    answer = await api.get(MESSAGE_TYPES)
    return _cookie(answer.response, lambda name: name.startswith("username-"))


async def _xsrf_cookie(server: JupyterServerProcess) -> str:
    """The ``_xsrf`` cookie value the login page sets, as a browser gets it."""
    response = await AsyncHTTPClient().fetch(
        server.base_url + "/login", request_timeout=60, raise_error=False
    )
    return _cookie(response, lambda name: name == "_xsrf").split("=", 1)[1]


def _cookie(response: HTTPResponse, wanted: Any) -> str:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    (name,) = [name for name in jar if wanted(name)]
    return f"{name}={jar[name].value}"


async def _post_raw(server: JupyterServerProcess, path: str, headers: dict) -> HTTPResponse:
    return await AsyncHTTPClient().fetch(
        server.base_url + path,
        method="POST",
        body=b"",
        headers=headers,
        request_timeout=60,
        raise_error=False,
    )
