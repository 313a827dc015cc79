"""A real ipykernel that drops its first ``create_subshell_request`` without a reply.

ipykernel 7 does that to a create that reaches its control thread before its
subshell manager exists (just after start, under load). This kernel does it every
time, so a test can show that the server asks again. Started by jupyter_server
from the kernelspec :func:`install_kernelspec` writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

KERNEL_NAME = "dropping-python3"


class DroppingKernel(IPythonKernel):
    """Fails the first create_subshell_request the way ipykernel's start-up race does."""

    dropped = False

    async def create_subshell_request(self, socket: Any, ident: Any, parent: Any) -> None:
        if not DroppingKernel.dropped:
            DroppingKernel.dropped = True
            raise AssertionError("create_subshell_request dropped on purpose")
        await super().create_subshell_request(socket, ident, parent)


def install_kernelspec(data_dir: Path) -> str:
    """Write this kernel's spec under a Jupyter data directory; its name."""
    return write_kernelspec(
        data_dir, KERNEL_NAME, __name__, "Python 3 (drops its first create_subshell)"
    )


def write_kernelspec(data_dir: Path, name: str, module: str, display_name: str) -> str:
    """A kernelspec that runs ``python -m module`` (a test kernel); its name."""
    spec_dir = data_dir / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", module, "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return name


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=DroppingKernel)
