"""beaker_server: custom kernel messages and a live variable preview for Jupyter.

Importing this package is cheap and has no server dependency beyond the
registry, so kernels can import :mod:`beaker_server.kernel_helpers` and handler
packages can import :func:`custom_message` without loading Jupyter Server.
"""

from __future__ import annotations

from typing import Any

from .messages.registry import MessageType, custom_message, kernel_hook, response_hook

__version__ = "0.1.0"

__all__ = ["MessageType", "__version__", "custom_message", "kernel_hook", "response_hook"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import BeakerServerApp

    return [{"module": "beaker_server", "app": BeakerServerApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "beaker-server"}]
