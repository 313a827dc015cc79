"""A real ipykernel whose iopub port is reached through a TCP relay in which each
new subscriber waits longer than the one before (``STEP`` seconds more each).

As over a slow link to a kernel, a later connection's subscription reaches the
kernel well after an earlier one's: the server's own client, which connects just
after a websocket's channels, then hears the kernel ``STEP`` seconds after that
websocket does. Started by jupyter_server from the kernelspec
:func:`install_kernelspec` writes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import socket
import sys
import threading
from pathlib import Path

from ipykernel.kernelapp import IPKernelApp

from .dropping_kernel import write_kernelspec

KERNEL_NAME = "slow-iopub-python3"
#: Seconds each iopub connection waits more than the one before it.
STEP = 0.3


def install_kernelspec(data_dir: Path) -> str:
    return write_kernelspec(
        data_dir, KERNEL_NAME, __name__, "Python 3 (later iopub subscribers wait longer)"
    )


def _free_port(ip: str) -> int:
    with socket.socket() as probe:
        probe.bind((ip, 0))
        return int(probe.getsockname()[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _relay(ip: str, public: int, private: int) -> None:
    accepted = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        delay, accepted = STEP * accepted, accepted + 1
        await asyncio.sleep(delay)
        while True:  # the kernel binds its port a moment after this relay listens
            try:
                up_reader, up_writer = await asyncio.open_connection(ip, private)
                break
            except OSError:
                await asyncio.sleep(0.02)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(serve, ip, public)
    async with server:
        await server.serve_forever()


def main() -> None:
    index = sys.argv.index("-f") + 1
    outer = Path(sys.argv[index])
    info = json.loads(outer.read_text())
    ip, public = info["ip"], info["iopub_port"]
    info["iopub_port"] = private = _free_port(ip)
    inner = outer.with_name(f"{outer.stem}-behind-relay.json")
    inner.write_text(json.dumps(info))
    atexit.register(inner.unlink, missing_ok=True)
    relay = threading.Thread(
        target=asyncio.run, args=(_relay(ip, public, private),), name="iopub-relay", daemon=True
    )
    relay.start()
    sys.argv[index] = str(inner)
    IPKernelApp.launch_instance()


if __name__ == "__main__":
    main()
