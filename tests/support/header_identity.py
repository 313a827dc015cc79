"""An identity provider for tests that need several users on one server.

Requests still need the server's token; the user name then comes from the
``X-Test-User`` header (``owner`` without one). A subclass of jupyter_server's provider, so
beaker_server's ``store_scope = "auto"`` keeps one store per user with it.
"""

from __future__ import annotations

from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import IdentityProvider, User

USER_HEADER = "X-Test-User"


class HeaderIdentityProvider(IdentityProvider):
    async def get_user(self, handler) -> User | None:  # type: ignore[override]
        user = await ensure_async(super().get_user(handler))
        if user is None:
            return None
        name = handler.request.headers.get(USER_HEADER) or "owner"
        return User(username=name, name=name)
