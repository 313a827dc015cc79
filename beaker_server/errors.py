"""Typed errors that become ``N_reply`` error contents.

Every failure of a custom request is reported to the requester as a reply with
``status: error`` and an ``ename`` a program can branch on. The classes here carry
that ``ename``, and the HTTP status the REST route answers with (README, "REST
API"); anything else a handler raises is reported under its own class name, the
way a kernel reports an exception in an ``execute_reply``, and is a 500.
"""

from __future__ import annotations

from typing import Any


class BeakerError(Exception):
    """Base of the errors the server reports under a stable ``ename``: here each
    class's own name; a subclass elsewhere keeps its parent's unless it sets one
    or declares its own ``http_status``."""

    ename = "BeakerError"
    #: The HTTP status of a REST request that ends in this error.
    http_status = 500

    def __init_subclass__(cls, http_status: int | None = None, **kwargs: Any) -> None:
        """Here, and wherever a subclass declares its own ``http_status``, the class
        reports under its own name (unless it sets ``ename``): the REST route finds
        the status by that name."""
        super().__init_subclass__(**kwargs)
        own_status = http_status is not None
        if "ename" not in cls.__dict__ and (own_status or cls.__module__ == __name__):
            cls.ename = cls.__name__
        if http_status is not None:
            cls.http_status = http_status

    def reply_content(self, traceback: list[str] | None = None) -> dict[str, Any]:
        """The ``N_reply`` content that reports this error."""
        return {
            "status": "error",
            "ename": self.ename,
            "evalue": str(self),
            "traceback": traceback or [],
        }


class ValidationError(BeakerError, http_status=400):
    """The request could not be parsed or its payload fails the handler's schema."""


class PayloadTooLarge(BeakerError, http_status=413):
    """The request's content is over the configured size limit."""


class HandlerTimeout(BeakerError, http_status=504):
    """The handler did not finish within its time limit."""


class Forbidden(BeakerError, http_status=403):
    """The user is not allowed to run this message type."""


class UnknownMessageType(BeakerError, http_status=404):
    """No handler is registered for the requested name."""


class NotFound(BeakerError, http_status=404):
    """The thing the request names does not exist (a stored variable id, say)."""


class KernelUnavailable(BeakerError, http_status=503):
    """The kernel is gone, restarting, or did not answer the server's own request."""


class EncodingError(BeakerError):
    """The reply could not be encoded for the requester's websocket (a value JSON
    cannot carry): this error reply goes in its place, so there is still one."""


class RequestAborted(BeakerError, http_status=503):
    """The request was cancelled: kernel restart or death, or server shutdown.

    Reported as ``{"status": "aborted"}``, the way Jupyter reports requests a
    kernel drops from its queue.
    """

    def reply_content(self, traceback: list[str] | None = None) -> dict[str, Any]:
        return {"status": "aborted"}


class KernelError(BeakerError):
    """Code the server ran in the kernel raised; carries the kernel's own error."""

    def __init__(self, ename: str, evalue: str, traceback: list[str] | None = None) -> None:
        super().__init__(evalue)
        self.ename = ename
        self.kernel_traceback = list(traceback or [])

    def reply_content(self, traceback: list[str] | None = None) -> dict[str, Any]:
        return {
            "status": "error",
            "ename": self.ename,
            "evalue": str(self),
            "traceback": self.kernel_traceback,
        }


def http_status(ename: str) -> int:
    """The HTTP status for an error reply's ``ename``: that of the error class that
    reports under it (third-party subclasses too), else 500. A kernel's own
    exception (:class:`KernelError`) keeps its name and is a 500."""
    pending: list[type[BeakerError]] = [BeakerError]
    while pending:
        cls = pending.pop()
        if cls is not KernelError and cls.ename == ename:
            return cls.http_status
        pending.extend(cls.__subclasses__())
    return BeakerError.http_status
