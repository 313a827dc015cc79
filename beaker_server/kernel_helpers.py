"""Helpers for code running *inside* an ipykernel: publish custom messages.

Usable from a notebook cell or from a library loaded in the kernel::

    from beaker_server.kernel_helpers import publish_response
    publish_response("save_var", {"id": "…"})

The message goes out on the kernel's iopub channel with the current request as
parent, so front-ends attribute it to the cell that produced it. The server lets
response hooks registered for ``save_var`` see it, then forwards it to every
client of the kernel. This module imports nothing from Jupyter Server.
"""

from __future__ import annotations

from typing import Any


def _kernel() -> Any:
    from IPython import get_ipython

    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        raise RuntimeError("beaker_server.kernel_helpers works only inside an ipykernel")
    return kernel


def publish(
    msg_type: str,
    content: dict[str, Any],
    *,
    metadata: dict[str, Any] | None = None,
    buffers: list[bytes] | None = None,
) -> None:
    """Publish any message type on iopub, parented to the current request."""
    kernel = _kernel()
    topic = kernel._topic(msg_type) if hasattr(kernel, "_topic") else None
    kernel.session.send(
        kernel.iopub_socket,
        msg_type,
        content,
        parent=kernel.get_parent(),
        ident=topic,
        metadata=metadata,
        buffers=buffers,
    )


def publish_response(name: str, content: dict[str, Any], **kwargs: Any) -> None:
    """Publish ``<name>_response``: the kernel-to-front-end custom message."""
    if not name.isidentifier():
        raise ValueError(f"custom message name must be an identifier, not {name!r}")
    publish(f"{name}_response", content, **kwargs)
