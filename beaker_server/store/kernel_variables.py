"""The kernel side of the variable store, reached from the server: a comm to the
procedure ``python_variables.py`` beside this file, installed once per kernel start.

The variable's name travels as comm data and is used in the kernel only as a key
of the namespace, never as code; the value travels as a binary comm buffer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KernelError, KernelUnavailable, PayloadTooLarge
from ..kernel.procedures import install_code

if TYPE_CHECKING:
    from ..kernel.client import InternalKernelClient

MODULE = "_beaker_variables"
PROCEDURE = Path(__file__).with_name("python_variables.py")
#: The comm target the procedure registers.
TARGET = "beaker_server.variables"


async def save(client: InternalKernelClient, name: str, limit: int) -> tuple[dict[str, Any], bytes]:
    """Serialize variable ``name`` in the kernel (at most ``limit`` bytes, else
    :class:`PayloadTooLarge`): the kernel's metadata and the value."""
    answer = await _request(client, {"action": "save", "name": name, "limit": limit}, [])
    buffers = answer.get("buffers") or []
    if len(buffers) != 1:
        raise KernelUnavailable("the kernel sent no value")
    return answer["content"]["data"], bytes(buffers[0])


async def load(client: InternalKernelClient, name: str, value: bytes, fmt: str) -> dict[str, Any]:
    """Deserialize ``value`` in the kernel into variable ``name``: its metadata."""
    answer = await _request(client, {"action": "load", "name": name, "format": fmt}, [value])
    return dict(answer["content"]["data"])


async def _request(
    client: InternalKernelClient, request: dict[str, Any], buffers: list[bytes]
) -> dict[str, Any]:
    """Ask the kernel's variables procedure, installed first once per kernel start.

    Installed before its first use rather than after a comm to a missing
    target: with ipykernel 7 and a busy subshell, that path has been seen to
    lose the kernel's next shell replies. A kernel restart the server did not
    see still ends in no answer, and then the procedure is installed again.
    """
    install = install_code(MODULE, PROCEDURE)
    await client.install(MODULE, install)
    answer = await client.comm_request(TARGET, request, buffers)
    if answer is None:
        client.forget_install(MODULE)
        await client.install(MODULE, install)
        answer = await client.comm_request(TARGET, request, buffers)
    if answer is None:
        raise KernelUnavailable("the kernel has no variables procedure")
    data = answer["content"].get("data", {})
    if data.get("status") != "ok":
        ename, evalue = str(data.get("ename", "Error")), str(data.get("evalue", ""))
        if ename == "PayloadTooLarge":
            raise PayloadTooLarge(evalue)
        raise KernelError(ename, evalue)
    return answer
