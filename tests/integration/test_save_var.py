"""``save_var`` and friends on a real server, kernel and SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ..support.header_identity import USER_HEADER
from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import kinds, reply_of
from .conftest import open_ws, serve

pytestmark = pytest.mark.timeout(120)

#: A small cap, so the size test does not need a large value.
MAX_VARIABLE_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    yield from serve(
        tmp_path_factory,
        "store",
        config={"BeakerServerApp": {"max_variable_bytes": MAX_VARIABLE_BYTES}},
    )


async def _run(ws, code: str) -> None:
    reply = reply_of(await ws.execute(code))
    assert reply["content"]["status"] == "ok", reply["content"]


async def _value(ws, expression: str) -> object:
    reply = reply_of(await ws.request("evaluate_request", {"expression": expression}))
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply["content"]["return"]


async def test_save_var_follows_the_seeds_order(server, kernel_id, protocol):
    async with open_ws(server, kernel_id, protocol) as ws:
        await _run(ws, "df = {'a': [1, 2, 3]}")
        msg = await ws.send("save_var_request", {"name": "df"})
        got = await ws.collect(msg["header"]["msg_id"])
    assert kinds(got) == [
        ("iopub", "status:busy"),
        ("iopub", "stream"),
        ("iopub", "save_var_response"),
        ("shell", "save_var_reply"),
        ("iopub", "status:idle"),
    ]
    response = got[2]["content"]
    reply = got[3]["content"]
    assert reply["status"] == "ok"
    assert response == {
        "id": reply["return"]["id"],
        "name": "df",
        "type": "dict",
        "bytes": reply["return"]["bytes"],
    }
    assert response["bytes"] > 0
    assert got[1]["content"]["name"] == "stdout"
    assert response["id"] in got[1]["content"]["text"]
    assert reply["return"]["kernel_id"] == kernel_id
    assert {m["parent_header"]["msg_id"] for m in got} == {msg["header"]["msg_id"]}


async def test_saved_values_round_trip_into_another_kernel(server, kernel_id):
    values = {
        "n": "42",
        "d": "{'k': [1, 2.5, None], 't': (1, 'x')}",
        "arr": "__import__('numpy').arange(12).reshape(3, 4)",
        "frame": "__import__('pandas').DataFrame({'a': range(5), 'b': list('vwxyz')})",
    }
    async with open_ws(server, kernel_id) as ws:
        await _run(ws, "\n".join(f"{name} = {code}" for name, code in values.items()))
        ids = {}
        for name in values:
            reply = reply_of(await ws.request("save_var_request", {"name": name}))
            assert reply["content"]["status"] == "ok", reply["content"]
            ids[name] = reply["content"]["return"]["id"]
    other = server.start_kernel()
    try:
        async with open_ws(server, other) as ws:
            for name, id_ in ids.items():
                reply = reply_of(await ws.request("load_var_request", {"id": id_}))
                assert reply["content"]["status"] == "ok", reply["content"]
                assert reply["content"]["return"]["name"] == name
            assert await _value(ws, "n") == 42
            assert await _value(ws, "d == {'k': [1, 2.5, None], 't': (1, 'x')}") is True
            assert await _value(ws, "arr.tolist()") == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
            assert await _value(ws, "frame.to_dict('list')") == {
                "a": [0, 1, 2, 3, 4],
                "b": ["v", "w", "x", "y", "z"],
            }
            reply = reply_of(
                await ws.request("load_var_request", {"id": ids["n"], "name": "renamed"})
            )
            assert reply["content"]["return"]["name"] == "renamed"
            assert await _value(ws, "renamed") == 42
    finally:
        server.shutdown_kernel(other)


async def test_list_and_delete(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        await _run(ws, "listed = 'abc'")
        saved = reply_of(await ws.request("save_var_request", {"name": "listed"}))
        id_ = saved["content"]["return"]["id"]
        listing = reply_of(await ws.request("list_vars_request", {}))["content"]["return"]
        assert listing["vars"][0]["id"] == id_  # newest first
        assert listing["vars"][0]["name"] == "listed"
        assert listing["vars"][0]["type"] == "str"
        deleted = reply_of(await ws.request("delete_var_request", {"id": id_}))
        assert deleted["content"] == {"status": "ok", "return": {"id": id_, "deleted": True}}
        listing = reply_of(await ws.request("list_vars_request", {}))["content"]["return"]
        assert id_ not in [v["id"] for v in listing["vars"]]
        again = reply_of(await ws.request("delete_var_request", {"id": id_}))
        assert again["content"]["ename"] == "NotFound"
        missing = reply_of(await ws.request("load_var_request", {"id": id_}))
        assert missing["content"]["ename"] == "NotFound"


async def _replies(ws, sent) -> dict[str, dict]:
    """Reply contents of the requests sent on ``ws``, read by one reader."""
    waiting = {m["header"]["msg_id"] for w, m in sent if w is ws}
    replies = {}
    while waiting - replies.keys():
        msg = await ws.recv()
        if msg["channel"] == "shell" and msg["parent_header"].get("msg_id") in waiting:
            replies[msg["parent_header"]["msg_id"]] = msg["content"]
    return replies


async def test_concurrent_saves_from_two_websockets_lose_nothing(server, kernel_id):
    async with open_ws(server, kernel_id) as a, open_ws(server, kernel_id, "legacy") as b:
        await _run(a, "\n".join(f"c{i} = {i}" for i in range(20)))
        sent = []
        for i in range(20):
            ws = a if i % 2 == 0 else b
            sent.append((ws, await ws.send("save_var_request", {"name": f"c{i}"})))
        replies = await asyncio.gather(_replies(a, sent), _replies(b, sent))
        ids = [(replies[0] | replies[1])[m["header"]["msg_id"]]["return"]["id"] for _, m in sent]
        listing = reply_of(await a.request("list_vars_request", {}))["content"]["return"]
        stored = {v["id"]: v["name"] for v in listing["vars"]}
        assert len(set(ids)) == 20
        assert all(stored[id_] == f"c{i}" for i, id_ in enumerate(ids))
        for i, id_ in enumerate(ids):
            reply = reply_of(await b.request("load_var_request", {"id": id_, "name": "back"}))
            assert reply["content"]["status"] == "ok"
            assert await _value(b, "back") == i


@pytest.mark.parametrize(
    "name",
    [
        "x; import os",
        "__import__('os')",
        "x]; open('PWNED', 'w')#",
        "a.b",
        "for",
        "__builtins__",
        "",
    ],
)
async def test_injection_attempts_are_rejected_before_the_kernel(server, kernel_id, name):
    marker = Path(server.workdir) / "PWNED"
    async with open_ws(server, kernel_id) as ws:
        count = reply_of(await ws.execute("1"))["content"]["execution_count"]
        for msg_type, content in (
            ("save_var_request", {"name": name}),
            ("load_var_request", {"id": "0" * 32, "name": name}),
        ):
            got = await ws.request(msg_type, content)
            assert reply_of(got)["content"]["ename"] == "ValidationError", content
            assert [k for k in kinds(got) if k[0] == "iopub"] == [
                ("iopub", "status:busy"),
                ("iopub", "status:idle"),
            ]
        assert reply_of(await ws.execute("1"))["content"]["execution_count"] == count + 1
    assert not marker.exists()


async def test_size_cap_and_clear_errors(server, kernel_id):
    async with open_ws(server, kernel_id) as ws:
        await _run(ws, f"big = b'x' * {MAX_VARIABLE_BYTES + 1}\nnot_picklable = (i for i in [])")
        reply = reply_of(await ws.request("save_var_request", {"name": "big"}))
        assert reply["content"]["ename"] == "PayloadTooLarge"
        reply = reply_of(await ws.request("save_var_request", {"name": "nowhere"}))
        assert reply["content"]["ename"] == "NameError"
        reply = reply_of(await ws.request("save_var_request", {"name": "not_picklable"}))
        assert reply["content"]["ename"] == "TypeError"
        assert "generator" in reply["content"]["evalue"]
        listing = reply_of(await ws.request("list_vars_request", {}))["content"]["return"]
        assert not {"big", "nowhere", "not_picklable"} & {v["name"] for v in listing["vars"]}


async def test_values_survive_a_server_restart(tmp_path):
    first = JupyterServerProcess(tmp_path).start()
    try:
        kernel = first.start_kernel()
        async with open_ws(first, kernel) as ws:
            await _run(ws, "kept = {'survives': True}")
            reply = reply_of(await ws.request("save_var_request", {"name": "kept"}))
            id_ = reply["content"]["return"]["id"]
        first.shutdown_kernel(kernel)
    finally:
        first.stop()
    second = JupyterServerProcess(tmp_path).start()
    try:
        kernel = second.start_kernel()
        async with open_ws(second, kernel) as ws:
            reply = reply_of(await ws.request("load_var_request", {"id": id_}))
            assert reply["content"]["status"] == "ok", reply["content"]
            assert await _value(ws, "kept") == {"survives": True}
        second.shutdown_kernel(kernel)
    finally:
        second.stop()


async def test_one_user_cannot_see_anothers_values(tmp_path):
    """With named users (any identity provider but jupyter_server's anonymous ones)."""
    server = JupyterServerProcess(
        tmp_path,
        config={
            "ServerApp": {
                "identity_provider_class": "tests.support.header_identity.HeaderIdentityProvider"
            }
        },
    ).start()
    try:
        kernel = server.start_kernel()
        as_alice = {USER_HEADER: "alice"}
        as_bob = {USER_HEADER: "bob"}
        async with (
            open_ws(server, kernel, headers=as_alice) as alice,
            open_ws(server, kernel, headers=as_bob) as bob,
        ):
            await _run(alice, "secret = 'alice only'")
            saved = reply_of(await alice.request("save_var_request", {"name": "secret"}))
            id_ = saved["content"]["return"]["id"]
            mine = reply_of(await alice.request("list_vars_request", {}))["content"]["return"]
            assert [(v["id"], v["user"]) for v in mine["vars"]] == [(id_, "alice")]
            theirs = reply_of(await bob.request("list_vars_request", {}))["content"]["return"]
            assert theirs == {"vars": []}
            for msg_type in ("load_var_request", "delete_var_request"):
                reply = reply_of(await bob.request(msg_type, {"id": id_}))
                assert reply["content"]["ename"] == "NotFound"
            reply = reply_of(await alice.request("load_var_request", {"id": id_, "name": "mine"}))
            assert reply["content"]["status"] == "ok"
        server.shutdown_kernel(kernel)
    finally:
        server.stop()
