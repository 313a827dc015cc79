"""The Jupyter Server extension: configuration, wiring and shutdown."""

from __future__ import annotations

from pathlib import Path

from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from traitlets import Bool, Enum, Float, Int, List, Unicode

from .kernel.session import KERNEL_ACTIONS_SCHEMA
from .kernel.sessions import KernelSessions
from .kernel.transport import set_receive_hwm
from .messages.registry import MessageRegistry
from .preview.kernel_preview import PreviewSettings
from .rest.handlers import handlers
from .settings import BeakerSettings, FlowLimits
from .store.variable_store import VariableStore
from .websocket.connection import wrap_connection_class

#: The one owner of the saved variables on a server whose users share its secret.
SHARED_OWNER = "*"


class BeakerServerApp(ExtensionApp):
    """Custom kernel messages served in the kernel websocket path."""

    name = "beaker_server"
    load_other_extensions = True

    handler_modules = List(
        Unicode(),
        default_value=[],
        help="Modules whose @custom_message handlers and @response_hook hooks to load.",
    ).tag(config=True)

    load_entry_points = Bool(
        True,
        help="Load handlers from installed packages (entry-point group beaker_server.handlers).",
    ).tag(config=True)

    tcp_nodelay = Bool(
        BeakerSettings.tcp_nodelay,
        help="Set TCP_NODELAY on kernel websockets. Stock leaves Nagle on, which holds "
        "a reply's idle status for the client's delayed ACK (~40 ms a request).",
    ).tag(config=True)

    tcp_coalesce = Bool(
        True,
        help="With tcp_nodelay: while more kernel messages are queued behind the one just "
        "written (a burst), cork the websocket's socket (TCP_CORK; Nagle where there is "
        "none), and uncork it (which sends at once) when the queue is empty. A flood then "
        "takes few TCP segments; a lone reply or status still leaves at once.",
    ).tag(config=True)

    handler_timeout = Float(
        FlowLimits.handler_timeout,
        min=0.001,
        help="Seconds a custom message handler may run before a HandlerTimeout reply.",
    ).tag(config=True)

    max_payload_bytes = Int(
        FlowLimits.max_payload_bytes,
        min=1,
        help="Largest custom request content, in bytes (PayloadTooLarge above).",
    ).tag(config=True)

    zmq_receive_hwm = Int(
        BeakerSettings.zmq_receive_hwm,
        min=0,
        help="Messages a server socket to a kernel (each websocket's iopub, the activity "
        "watcher's, the server's own client) may queue when the server falls behind the "
        "kernel. ZMQ's default, 1,000 here and 1,000 in the kernel, silently drops iopub "
        "messages past that (0: no limit).",
    ).tag(config=True)

    kernel_iopub_wait = Float(
        BeakerSettings.kernel_iopub_wait,
        min=0.0,
        help="Seconds an ipykernel's iopub socket waits for a subscriber (the server's "
        "sockets, any other client) whose queue is full, instead of dropping what it has "
        "not taken. One still full after that has the message dropped, as ZMQ does, and "
        "is not waited for again until it has drained half its queue, so a stuck client "
        "cannot stall every output (0: the kernel as it is).",
    ).tag(config=True)

    kernel_connect_timeout = Float(
        BeakerSettings.kernel_connect_timeout,
        min=0.001,
        help="Seconds to wait for a kernel to answer the server's own client.",
    ).tag(config=True)

    preview_enabled = Bool(
        PreviewSettings.enabled, help="Push a live variable preview to clients."
    ).tag(config=True)
    preview_max_items = Int(
        PreviewSettings.max_items, min=0, help="Most variables in a preview."
    ).tag(config=True)
    preview_max_chars = Int(
        PreviewSettings.max_chars, min=1, help="Most characters of text per variable."
    ).tag(config=True)
    preview_max_bytes = Int(
        PreviewSettings.max_bytes, min=1, help="Most bytes of preview payload."
    ).tag(config=True)
    preview_time_budget = Float(
        PreviewSettings.time_budget,
        min=0.001,
        help="Seconds the kernel may spend on a preview; a partial one is sent after.",
    ).tag(config=True)
    preview_include_functions = Bool(
        PreviewSettings.include_functions, help="List functions and classes too."
    ).tag(config=True)
    preview_stall_timeout = Float(
        PreviewSettings.stall_timeout,
        min=0.001,
        help="Seconds a preview on the kernel's subshell may take before the server gives "
        "it up and reconnects with a fresh subshell (a variable whose repr never returns, "
        "say). Previews on kernels without subshells wait for the user's cells instead.",
    ).tag(config=True)

    store_path = Unicode(
        "",
        help="SQLite file of the variable store (save_var). Empty: "
        "<jupyter data dir>/beaker_server/variables.sqlite.",
    ).tag(config=True)

    max_variable_bytes = Int(
        BeakerSettings.max_variable_bytes,
        min=1,
        help="Largest serialized value save_var stores, in bytes (PayloadTooLarge above).",
    ).tag(config=True)

    explorer_orphan_grace = Float(
        BeakerSettings.explorer_orphan_grace,
        min=0.0,
        help="Seconds a Data Explorer view opened over a websocket outlives its client's "
        "last websocket before the kernel lets it go (a reloaded page); views opened over "
        "REST live until they are closed.",
    ).tag(config=True)

    store_scope = Enum(
        ["auto", "user", "server"],
        "auto",
        help="Who sees whose saved variables. 'user': one store per user name. 'server': "
        "one store for everyone who can log in. 'auto': 'server' with jupyter_server's own "
        "token/password identity providers (their users are anonymous, randomly named per "
        "browser, and all hold the same secret), 'user' with any other (JupyterHub, ...).",
    ).tag(config=True)

    registry: MessageRegistry
    sessions: KernelSessions
    store: VariableStore

    @property
    def _server(self) -> ServerApp:
        """The server this extension is loaded in (set before any of its hooks run)."""
        server = self.serverapp
        assert server is not None
        return server

    def initialize_settings(self) -> None:
        self.registry = MessageRegistry(self.log)
        self.registry.add_module("beaker_server.messages.builtin_handlers")
        self.registry.add_module("beaker_server.store.handlers")
        self.registry.add_module("beaker_server.explorer.handlers")
        self.store = VariableStore(self._store_file(), shared_owner=self._shared_store_owner())
        self.registry.load(self.handler_modules, use_entry_points=self.load_entry_points)
        kernel_manager = self._server.kernel_manager
        self.sessions = KernelSessions(
            kernel_manager,
            self.registry,
            BeakerSettings(
                tcp_nodelay=self.tcp_nodelay,
                kernel_connect_timeout=self.kernel_connect_timeout,
                zmq_receive_hwm=self.zmq_receive_hwm,
                kernel_iopub_wait=self.kernel_iopub_wait,
                max_variable_bytes=self.max_variable_bytes,
                explorer_orphan_grace=self.explorer_orphan_grace,
                flow=FlowLimits(
                    handler_timeout=self.handler_timeout,
                    max_payload_bytes=self.max_payload_bytes,
                    allow_tracebacks=getattr(kernel_manager, "allow_tracebacks", True),
                ),
                preview=PreviewSettings(
                    enabled=self.preview_enabled,
                    max_items=self.preview_max_items,
                    max_chars=self.preview_max_chars,
                    max_bytes=self.preview_max_bytes,
                    time_budget=self.preview_time_budget,
                    include_functions=self.preview_include_functions,
                    stall_timeout=self.preview_stall_timeout,
                ),
            ),
            self.log,
            self.store,
        )
        # Sockets made from now on (kernels started later, each websocket's streams).
        if not self._server.gateway_config.gateway_enabled:
            set_receive_hwm(kernel_manager, self.zmq_receive_hwm, create=True)
        configured = (
            self.settings.get("kernel_websocket_connection_class") or ZMQChannelsWebsocketConnection
        )
        # Set on self.settings: ExtensionApp copies them over the web app's settings.
        self.settings["kernel_websocket_connection_class"] = wrap_connection_class(
            configured, self.sessions, coalesce=self.tcp_coalesce
        )
        self.settings["beaker_registry"] = self.registry
        self.settings["beaker_sessions"] = self.sessions
        events = self._server.event_logger
        assert events is not None  # ServerApp makes one before extensions load
        events.add_listener(
            schema_id=KERNEL_ACTIONS_SCHEMA, listener=self.sessions.on_kernel_action
        )
        self.log.info(
            "beaker_server: %d custom message types, wrapping %s, variable store %s",
            len(self.registry),
            configured.__name__,
            self.store.path,
        )

    def _shared_store_owner(self) -> str | None:
        scope = self.store_scope
        if scope == "auto":
            provider = type(self._server.identity_provider)
            anonymous = provider in (
                IdentityProvider,
                PasswordIdentityProvider,
                LegacyIdentityProvider,
            )
            scope = "server" if anonymous else "user"
        return SHARED_OWNER if scope == "server" else None

    def _store_file(self) -> Path:
        if self.store_path:
            return Path(self.store_path).expanduser()
        return Path(self._server.data_dir) / "beaker_server" / "variables.sqlite"

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers)

    async def stop_extension(self) -> None:
        await self.sessions.close_all()
        await self.store.close()
