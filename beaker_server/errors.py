"""Typed errors that become ``N_reply`` error contents.

Every failure of a custom request is reported to the requester as a reply with
``status: error`` and an ``ename`` a program can branch on. The classes here carry
that ``ename``; anything else a handler raises is reported under its own class
name, the way a kernel reports an exception in an ``execute_reply``.
"""

from __future__ import annotations

from typing import Any


class BeakerError(Exception):
    """Base of the errors the server reports under a stable ``ename``."""

    ename = "BeakerError"

    def reply_content(self, traceback: list[str] | None = None) -> dict[str, Any]:
        """The ``N_reply`` content that reports this error."""
        return {
            "status": "error",
            "ename": self.ename,
            "evalue": str(self),
            "traceback": traceback or [],
        }


class ValidationError(BeakerError):
    """The request could not be parsed or its payload fails the handler's schema."""

    ename = "ValidationError"


class PayloadTooLarge(BeakerError):
    """The request's content is over the configured size limit."""

    ename = "PayloadTooLarge"


class HandlerTimeout(BeakerError):
    """The handler did not finish within its time limit."""

    ename = "HandlerTimeout"


class Forbidden(BeakerError):
    """The user is not allowed to run this message type."""

    ename = "Forbidden"


class UnknownMessageType(BeakerError):
    """No handler is registered for the requested name."""

    ename = "UnknownMessageType"


class NotFound(BeakerError):
    """The thing the request names does not exist (a stored variable id, say)."""

    ename = "NotFound"


class KernelUnavailable(BeakerError):
    """The kernel is gone, restarting, or did not answer the server's own request."""

    ename = "KernelUnavailable"


class EncodingError(BeakerError):
    """The reply could not be encoded for the requester's websocket (a value JSON
    cannot carry): this error reply goes in its place, so there is still one."""

    ename = "EncodingError"


class RequestAborted(BeakerError):
    """The request was cancelled: kernel restart or death, or server shutdown.

    Reported as ``{"status": "aborted"}``, the way Jupyter reports requests a
    kernel drops from its queue.
    """

    ename = "RequestAborted"

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
