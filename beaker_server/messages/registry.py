"""The handler registry: which custom message types this server answers.

A custom message type ``N`` is declared with :func:`custom_message` on an async
function. The decorator only marks the function; a :class:`MessageRegistry` is
built per server from the package's own module, from modules named in config and
from installed packages (entry-point group ``beaker_server.handlers``). Keeping
declaration and collection apart means importing a handler module has no global
side effect, and two servers in one process never see each other's handlers.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

ENTRY_POINT_GROUP = "beaker_server.handlers"

#: Request types of the Jupyter messaging spec: never taken over by a handler.
STANDARD_NAMES = frozenset(
    {
        "execute",
        "inspect",
        "complete",
        "history",
        "is_complete",
        "comm_info",
        "kernel_info",
        "shutdown",
        "interrupt",
        "debug",
        "input",
        "connect",
        "object_info",
        "create_subshell",
        "delete_subshell",
        "list_subshell",
        "usage",
    }
)

#: An async function of a :class:`~beaker_server.context.RequestContext` (typed
#: loosely here: the context module imports this one, never the other way round).
Handler = Callable[[Any], Awaitable[Any]]
ResponseHook = Callable[[dict[str, Any], str], "bool | None"]

_MESSAGE_MARK = "__beaker_message__"
_HOOK_MARK = "__beaker_response_hook__"
_KERNEL_HOOK_MARK = "__beaker_kernel_hook__"
#: What a kernel hook may follow (see :func:`kernel_hook`).
KERNEL_EVENTS = ("cell_done", "restarted")
#: ``async fn(kernel)``, with the kernel as a handler sees it (``messages/context.KernelProxy``).
KernelHook = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class MessageType:
    """A registered custom message type and everything needed to serve it."""

    name: str
    handler: Handler
    docs: str = ""
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    default: dict[str, Any] = field(default_factory=dict)
    #: Seconds the handler may run; ``None`` takes the server's configured limit.
    timeout: float | None = None
    #: Largest request content in bytes; ``None`` takes the server's limit.
    max_payload_bytes: int | None = None
    #: The action on the ``kernels`` resource the user needs (Jupyter authorizer).
    permission: str = "execute"

    @property
    def request_type(self) -> str:
        return f"{self.name}_request"

    @property
    def response_type(self) -> str:
        return f"{self.name}_response"

    @property
    def reply_type(self) -> str:
        return f"{self.name}_reply"

    @property
    def source(self) -> str:
        """Where the handler is defined, as ``module:qualname``."""
        return f"{self.handler.__module__}:{self.handler.__qualname__}"

    def describe(self) -> dict[str, Any]:
        """The JSON description served to front-ends and tools."""
        return {
            "name": self.name,
            "request_type": self.request_type,
            "response_type": self.response_type,
            "reply_type": self.reply_type,
            "channels": {"request": "shell", "response": "iopub", "reply": "shell"},
            "docs": self.docs,
            "schema": self.schema,
            "default": self.default,
            "permission": self.permission,
            "source": self.source,
        }


def object_schema(required: Iterable[str] = (), **properties: Any) -> dict[str, Any]:
    """The JSON schema of a request's content: an object of these properties
    (each a schema), the ``required`` ones present, no others."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def validate_name(name: str) -> None:
    """Refuse names that are not identifiers or that shadow Jupyter's own types."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"custom message name must be a Python identifier, not {name!r}")
    if name in STANDARD_NAMES:
        raise ValueError(f"{name!r} is a standard Jupyter message type and cannot be handled")


def custom_message(
    name: str | None = None,
    *,
    schema: dict[str, Any] | None = None,
    default: dict[str, Any] | None = None,
    docs: str | None = None,
    timeout: float | None = None,
    max_payload_bytes: int | None = None,
    permission: str = "execute",
) -> Callable[[Handler], Handler]:
    """Declare an async function as the server handler of ``N_request``.

    ``name`` defaults to the function's name; ``docs`` to its docstring. The
    ``schema`` (JSON Schema) is checked when the decorator runs, so a broken
    schema fails at import, not at the first request.
    """

    def decorate(fn: Handler) -> Handler:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"custom message handler {fn.__qualname__} must be an async function")
        message_name = fn.__name__ if name is None else name
        validate_name(message_name)
        message_schema = schema if schema is not None else {"type": "object"}
        _check_schema(message_schema)
        message = MessageType(
            name=message_name,
            handler=fn,
            docs=inspect.cleandoc(docs if docs is not None else (fn.__doc__ or "")),
            schema=message_schema,
            default=dict(default or {}),
            timeout=timeout,
            max_payload_bytes=max_payload_bytes,
            permission=permission,
        )
        setattr(fn, _MESSAGE_MARK, message)
        return fn

    return decorate


def response_hook(name: str) -> Callable[[ResponseHook], ResponseHook]:
    """Declare ``fn(message, kernel_id)`` as a hook on kernel-published ``N_response``.

    Hooks run on the server's event loop in the path of the message, so they are
    synchronous and must be quick (start a task for slow work). Returning
    ``False`` drops the message; anything else forwards it to the clients.
    """
    validate_name(name)

    def decorate(fn: ResponseHook) -> ResponseHook:
        if inspect.iscoroutinefunction(fn):
            raise TypeError(f"response hook {fn.__qualname__} must be a plain function")
        setattr(fn, _HOOK_MARK, name)
        return fn

    return decorate


def kernel_hook(event: str) -> Callable[[KernelHook], KernelHook]:
    """Declare ``async fn(kernel)`` to run on each kernel after ``event``:

    - ``cell_done``: a user's execution ended (whoever sent it) and none other
      runs. Runs are coalesced per kernel: one at a time, and one more when cells
      ended meanwhile.
    - ``restarted``: the kernel restarted or died; ``kernel.state`` still holds
      what the hooks and handlers kept for the old process (it is emptied after).

    ``kernel`` is what a handler's ``ctx.kernel`` is, with no request: what it
    publishes goes to every client with no parent (``kernel.broadcast``). A
    failing hook is logged; it stops neither the other hooks nor the kernel's.
    """
    if event not in KERNEL_EVENTS:
        raise ValueError(f"kernel hooks follow one of {KERNEL_EVENTS}, not {event!r}")

    def decorate(fn: KernelHook) -> KernelHook:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"kernel hook {fn.__qualname__} must be an async function")
        setattr(fn, _KERNEL_HOOK_MARK, event)
        return fn

    return decorate


def _check_schema(schema: dict[str, Any]) -> None:
    from jsonschema.validators import validator_for

    validator_for(schema).check_schema(schema)


class MessageRegistry:
    """The custom message types and response hooks one server answers."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger(__name__)
        self._by_request_type: dict[str, MessageType] = {}
        self._hooks: dict[str, list[ResponseHook]] = {}
        self._kernel_hooks: dict[str, list[KernelHook]] = {event: [] for event in KERNEL_EVENTS}
        self._validators: dict[str, Any] = {}
        self._refresh_markers()

    # -- building ---------------------------------------------------------

    def add(self, message: MessageType) -> None:
        """Register one message type; a second, different handler for a name is an error."""
        existing = self._by_request_type.get(message.request_type)
        if existing is not None and existing.handler is not message.handler:
            raise ValueError(
                f"custom message {message.name!r} is defined twice: "
                f"{existing.source} and {message.source}"
            )
        self._by_request_type[message.request_type] = message
        self._refresh_markers()

    def add_hook(self, name: str, hook: ResponseHook) -> None:
        hooks = self._hooks.setdefault(f"{name}_response", [])
        if hook not in hooks:
            hooks.append(hook)
        self._refresh_markers()

    def add_kernel_hook(self, event: str, hook: KernelHook) -> None:
        hooks = self._kernel_hooks[event]
        if hook not in hooks:
            hooks.append(hook)

    def _add_marked(self, value: Any) -> int:
        """Register ``value`` if it is a declared handler or hook; how many (0 or 1)."""
        message = getattr(value, _MESSAGE_MARK, None)
        if isinstance(message, MessageType):
            self.add(message)
            return 1
        hook_name = getattr(value, _HOOK_MARK, None)
        if isinstance(hook_name, str):
            self.add_hook(hook_name, value)
            return 1
        event = getattr(value, _KERNEL_HOOK_MARK, None)
        if isinstance(event, str):
            self.add_kernel_hook(event, value)
            return 1
        return 0

    def add_module(self, module: ModuleType | str) -> int:
        """Register every handler and hook declared in a module; returns how many."""
        if isinstance(module, str):
            module = importlib.import_module(module)
        return sum(self._add_marked(value) for value in list(vars(module).values()))

    def add_object(self, obj: Any) -> int:
        """Register what an entry point names: a module, a handler or a hook."""
        if isinstance(obj, ModuleType):
            return self.add_module(obj)
        if self._add_marked(obj):
            return 1
        raise TypeError(f"{obj!r} declares no custom message handler or response hook")

    def load(self, modules: Iterable[str], use_entry_points: bool = True) -> None:
        """Collect handlers from config modules and installed packages.

        A module or package that fails to load is logged and skipped: one broken
        third-party package must not take the server's other handlers down.
        """
        sources: list[tuple[str, Callable[[], Any]]] = [
            (name, functools.partial(importlib.import_module, name)) for name in modules
        ]
        if use_entry_points:
            sources += [
                (f"entry point {ep.name} = {ep.value}", ep.load)
                for ep in entry_points(group=ENTRY_POINT_GROUP)
            ]
        for label, load in sources:
            try:
                count = self.add_object(load())
            except Exception:
                self.log.exception("beaker_server: could not load handlers from %s", label)
            else:
                self.log.debug("beaker_server: %d handlers from %s", count, label)

    def _refresh_markers(self) -> None:
        """Precompute the byte patterns the hot path searches for."""
        self.request_names = frozenset(m.name for m in self._by_request_type.values())
        self.request_names_bytes = frozenset(n.encode() for n in self.request_names)
        self.request_markers_bytes = tuple(f'"{t}"'.encode() for t in self._by_request_type)
        self.hook_markers = tuple(f'"{t}"' for t in self._hooks)
        self.hook_markers_bytes = tuple(m.encode() for m in self.hook_markers)

    # -- lookup -----------------------------------------------------------

    def for_request_type(self, msg_type: str) -> MessageType | None:
        return self._by_request_type.get(msg_type)

    def get(self, name: str) -> MessageType | None:
        return self._by_request_type.get(f"{name}_request")

    def hooks_for(self, msg_type: str) -> list[ResponseHook]:
        return self._hooks.get(msg_type, [])

    def kernel_hooks_for(self, event: str) -> list[KernelHook]:
        return self._kernel_hooks.get(event, [])

    def __iter__(self) -> Iterator[MessageType]:
        return iter(sorted(self._by_request_type.values(), key=lambda m: m.name))

    def __len__(self) -> int:
        return len(self._by_request_type)

    def describe(self) -> list[dict[str, Any]]:
        return [message.describe() for message in self]

    def validator(self, message: MessageType) -> Any:
        """The (cached) JSON Schema validator of a message type's payload."""
        validator = self._validators.get(message.name)
        if validator is None:
            from jsonschema.validators import validator_for

            validator = validator_for(message.schema)(message.schema)
            self._validators[message.name] = validator
        return validator
