"""The handler API's public import path: ``from beaker_server.context import
RequestContext`` (README, "Handler API"). It lives in :mod:`.messages.context`."""

from __future__ import annotations

from .messages.context import KernelProxy, RequestContext

__all__ = ["KernelProxy", "RequestContext"]
