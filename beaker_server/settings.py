"""The server's settings as its parts get them: frozen slices of
``BeakerServerApp``'s configuration (README, "Configuration").

Each default is written once, here (the preview's beside the preview); the
application's traits take their defaults from these classes and validate what a
user configures, so a slice built from them is always in range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .preview.kernel_preview import PreviewSettings


@dataclass(frozen=True)
class FlowLimits:
    """The server's limits a request's flow applies (``messages/flow``)."""

    handler_timeout: float = 60.0
    max_payload_bytes: int = 4 * 1024 * 1024
    #: jupyter_server's ``allow_tracebacks``: error replies carry the traceback.
    allow_tracebacks: bool = True


@dataclass(frozen=True)
class BeakerSettings:
    """The configured limits, read once at load time."""

    tcp_nodelay: bool = True
    kernel_connect_timeout: float = 30.0
    zmq_receive_hwm: int = 100_000
    kernel_iopub_wait: float = 2.0
    #: Largest serialized value ``save_var`` stores, in bytes.
    max_variable_bytes: int = 100 * 1024 * 1024
    #: Seconds a Data Explorer view opened over a websocket outlives its client's
    #: last websocket (a reloaded page makes a new client; a dropped connection
    #: that comes back in time keeps its views).
    explorer_orphan_grace: float = 60.0
    flow: FlowLimits = field(default_factory=FlowLimits)
    preview: PreviewSettings = field(default_factory=PreviewSettings)
