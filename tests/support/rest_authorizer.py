"""A Jupyter authorizer for the server of tests/integration/test_rest.py: a request names
what it may not do.

jupyter_server decides permissions through ``ServerApp.authorizer_class``. The
REST tests need refusals of ``read`` and ``execute`` on ``kernels`` from one
server that otherwise allows everything, so this authorizer refuses exactly the
actions a request lists in its ``X-Beaker-Test-Deny`` header (comma separated).
Requests without the header, websockets included, are allowed as usual.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer

DENY_HEADER = "X-Beaker-Test-Deny"


class HeaderDenyAuthorizer(Authorizer):
    """Refuses the actions named by the request's ``X-Beaker-Test-Deny`` header."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        denied = handler.request.headers.get(DENY_HEADER, "")
        return action not in {word.strip() for word in denied.split(",")}
