"""One odd variable costs only itself: the zoo of hostile objects in a real kernel.

The zoo runs in a kernel behind a server whose stall limit is short: a stalled
repr costs one preview and one thread, once. The same objects, in this process
where each can count what the preview asked of it: tests/unit/test_preview_zoo.py.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Iterator
from typing import Any

import pytest

from ..support.jupyter_process import JupyterServerProcess
from ..support.kernel_ws import reply_of
from ..support.preview_procedure import MIME, ClassRaises, ShapeRaises
from .conftest import open_ws, serve

# -- in a real kernel, through the server ---------------------------------------------------

STALL_TIMEOUT = 2.0

#: The issue's objects, in the kernel: the classes above (but a proxy that keeps
#: no record of what it was asked).
ZOO = "\n".join(
    [
        "import collections, resource, threading",
        inspect.getsource(ShapeRaises),
        inspect.getsource(ClassRaises),
        "class DeadProxy:",
        "    def __getattr__(self, name):",
        "        raise ConnectionError('the remote end is gone')",
        "shape_raises, class_raises, dead_proxy = ShapeRaises(), ClassRaises(), DeadProxy()",
        "globals()[42] = 'x'",
        "ok = 1",
    ]
)


@pytest.fixture(scope="module")
def stalling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    config = {"BeakerServerApp": {"preview_stall_timeout": STALL_TIMEOUT}}
    yield from serve(tmp_path_factory, "zoo", config=config)


@pytest.fixture
def zoo_kernel(stalling_server: JupyterServerProcess) -> Iterator[str]:
    """A kernel of its own for each test: a stuck thread must not outlive its test."""
    kernel_id = stalling_server.start_kernel()
    yield kernel_id
    stalling_server.shutdown_kernel(kernel_id)


async def _cell(ws, code: str, timeout: float = 30) -> dict[str, Any]:
    """Run ``code`` (it must succeed) and return its preview's content."""
    cell = await ws.send("execute_request", {"code": code, "silent": False})
    preview = await ws.preview_after(cell["header"]["msg_id"], timeout=timeout)
    return preview["content"]


async def _value(ws, expression: str) -> str:
    reply = reply_of(await ws.execute("", user_expressions={"v": expression}))
    result = reply["content"]["user_expressions"]["v"]
    assert result["status"] == "ok", result
    return result["data"]["text/plain"]


async def test_the_zoo_in_a_kernel_beside_ok(stalling_server, zoo_kernel):
    """The issue's objects, and a 200 MB bytes whose preview allocates no copy
    (the kernel's peak memory grows by less than 50 MB; a full repr was 800 MB)."""
    async with open_ws(stalling_server, zoo_kernel) as ws:
        content = await _cell(ws, ZOO)
        peak_before = int(await _value(ws, "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"))
        big = await _cell(ws, "b = bytes(200_000_000)")
        peak_after = int(await _value(ws, "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"))
    variables = content["preview"]["variables"]
    assert variables["ok"]["text/plain"] == "1"
    assert {"shape_raises", "class_raises", "dead_proxy", "ok"} <= set(variables)
    assert variables["shape_raises"][MIME]["error"] == "shape: ValueError: no shape today"
    assert variables["dead_proxy"][MIME]["type"] == "DeadProxy"
    b = big["preview"]["variables"]["b"]
    assert b[MIME]["clipped"] is True and b[MIME]["shape"] == 200_000_000
    assert len(b["text/plain"]) <= 2000
    assert big["preview"]["variables"]["ok"]["text/plain"] == "1"
    # ru_maxrss is in KiB; b itself is ~195,000 KiB and was made before the second figure.
    assert peak_after - peak_before < 200_000 + 50 * 1024


async def test_a_stalled_repr_costs_one_preview_and_one_thread(
    stalling_server, zoo_kernel, tmp_path
):
    """A repr that never returns: the preview is given up after the stall limit,
    the next one marks the variable stalled and shows the rest, and later cells
    get their previews without trying it again, so no more threads get stuck."""
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    stuck = (
        "import threading\n"
        "repr_started, release = threading.Event(), threading.Event()\n"
        "class Stuck:\n"
        "    def __repr__(self):\n"
        "        if not repr_started.is_set():\n"
        "            repr_started.set()\n"
        f"            open({str(fifo)!r}, 'w').write('started')  # until the test reads\n"
        "        release.wait(120)\n"
        "        return 'stuck'\n"
        "stuck = Stuck()\n"
        "ok = 1"
    )
    async with open_ws(stalling_server, zoo_kernel) as ws:
        assert reply_of(await ws.execute(stuck))["content"]["status"] == "ok"
        # The cell's preview is in the repr; no request is sent meanwhile.
        assert await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 30) == "started"
        first = await _cell(ws, "after = 1")
        threads = int(await _value(ws, "threading.active_count()"))
        later = [await _cell(ws, f"after = {i}") for i in range(2, 6)]
        threads_later = int(await _value(ws, "threading.active_count()"))
        subshells = await ws.subshells()
        assert reply_of(await ws.execute("release.set()"))["content"]["status"] == "ok"
    for content in (first, *later):
        variables = content["preview"]["variables"]
        assert variables["ok"]["text/plain"] == "1"
        assert variables["stuck"][MIME]["skipped"] == "stalled"
        assert "not tried again" in variables["stuck"][MIME]["summary"]
    assert [c["preview"]["variables"]["after"]["text/plain"] for c in later] == ["2", "3", "4", "5"]
    assert threads_later == threads
    assert len(subshells) == 2  # the stalled one (until its repr returns) and ours


async def test_a_stalled_repr_that_spins_is_ended(stalling_server, zoo_kernel, tmp_path):
    """A repr looping in Python: given up, then interrupted by the next preview, so
    the kernel does not burn a core while idle, and the stalled subshell goes."""
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    spins = (
        "import threading, time\n"
        "spin_started, spin_ended = threading.Event(), threading.Event()\n"
        "class Spins:\n"
        "    def __repr__(self):\n"
        "        try:\n"
        "            if not spin_started.is_set():\n"
        "                spin_started.set()\n"
        f"                open({str(fifo)!r}, 'w').write('started')\n"
        "            deadline = time.monotonic() + 120\n"
        "            while time.monotonic() < deadline:\n"
        "                pass\n"
        "            return 'spun'\n"
        "        finally:\n"
        "            spin_ended.set()\n"
        "spins = Spins()\n"
        "ok = 1"
    )
    async with open_ws(stalling_server, zoo_kernel) as ws:
        assert reply_of(await ws.execute(spins))["content"]["status"] == "ok"
        assert await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 30) == "started"
        content = await _cell(ws, "after = 1")
        assert await _value(ws, "spin_ended.wait(10)") == "True"
        # The interrupted request returns: the server deletes its subshell.
        deadline = asyncio.get_running_loop().time() + 15
        subshells = await ws.subshells()
        while len(subshells) > 1 and asyncio.get_running_loop().time() < deadline:
            subshells = await ws.subshells()
    variables = content["preview"]["variables"]
    assert variables["spins"][MIME]["skipped"] == "stalled"
    assert variables["ok"]["text/plain"] == "1"
    assert len(subshells) == 1
