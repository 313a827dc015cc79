"""Saving and loading variables, run *inside* an IPython kernel.

The server loads this file into the kernel as the module ``_beaker_variables``
(in ``sys.modules``, never in the user's namespace), which registers the comm
target ``beaker_server.variables``. The server then opens a comm to that target
for every save or load:

- ``{"action": "save", "name": "df", "limit": 104857600}`` → one comm message
  ``{"status": "ok", "name", "type", "module", "format", "bytes"}`` with the
  pickled value as its one binary buffer;
- ``{"action": "load", "name": "df", "format": "pickle"}`` with the pickled value
  as the comm_open's buffer → ``{"status": "ok", "name", "type", "bytes"}``.

Failures answer ``{"status": "error", "ename", "evalue"}``. The answer is a
``comm_msg`` sent on the shell channel to the requester alone (the server), as a
reply would be: on iopub every client of the kernel would receive a copy of the
value before the server drops it. Only a kernel whose shell stream cannot be
found answers on iopub, through the comm. The variable name
travels as data and is only ever used as a key of the user's namespace: it is
never spliced into code. Pickling writes into a bounded buffer that stops as soon
as the size limit is passed, so a value too large to save costs at most the
limit in memory, never a full copy.
"""

from __future__ import annotations

import keyword
import pickle
from typing import Any

TARGET = "beaker_server.variables"
FORMAT = "pickle"


class TooLarge(Exception):
    """The serialized value would pass the configured limit."""


class BoundedBuffer:
    """A write-only file for ``pickle`` that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.size += view.nbytes
        if self.size > self.limit:
            raise TooLarge(f"more than {self.limit} bytes serialized")
        self.parts.append(view.tobytes())
        return view.nbytes

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def check_name(name: Any) -> str:
    """The server validates names too; checked again here, where they are used."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a variable name: {name!r}")
    if name.startswith("__") and name.endswith("__"):
        raise ValueError(f"reserved name: {name!r}")
    return name


def type_of(value: Any) -> tuple[str, str]:
    kind = type(value)
    return kind.__qualname__, getattr(kind, "__module__", "") or ""


def save(user_ns: dict[str, Any], name: Any, limit: int) -> tuple[dict[str, Any], bytes]:
    """Pickle ``user_ns[name]``; :class:`TooLarge` above ``limit`` bytes."""
    name = check_name(name)
    if name not in user_ns:
        raise NameError(f"name {name!r} is not defined")
    value = user_ns[name]
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int) and nbytes > limit:  # an array says its size for free
        raise TooLarge(f"{name} holds {nbytes} bytes of data")
    buffer = BoundedBuffer(limit)
    pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    data = buffer.getvalue()
    type_name, module = type_of(value)
    meta = {"name": name, "type": type_name, "module": module, "format": FORMAT}
    return {**meta, "bytes": len(data)}, data


def load(user_ns: dict[str, Any], name: Any, data: Any, fmt: str | None) -> dict[str, Any]:
    """Unpickle ``data`` into ``user_ns[name]``."""
    name = check_name(name)
    if fmt != FORMAT:
        raise ValueError(f"unknown format {fmt!r}")
    value = pickle.loads(data)
    user_ns[name] = value
    type_name, module = type_of(value)
    return {"name": name, "type": type_name, "module": module, "bytes": memoryview(data).nbytes}


def _shell_stream(kernel: Any, parent: dict[str, Any]) -> Any:
    """Where the kernel sends the replies of the request being handled, or None.

    ipykernel 7 with subshells replies through a socket per subshell (the main
    shell's is ``None``), ipykernel 6 through ``shell_stream``.
    """
    if getattr(kernel, "_supports_kernel_subshells", False):
        subshell_id = parent.get("header", {}).get("subshell_id")
        manager = kernel.shell_channel_thread.manager
        return manager.get_subshell_to_shell_channel_socket(subshell_id)
    return getattr(kernel, "shell_stream", None)


def _send_to_requester(comm: Any, content: dict[str, Any], buffers: list[Any]) -> None:
    """The answer, to the requester alone (see the module's docstring)."""
    kernel = comm.kernel
    try:
        parent = kernel.get_parent("shell")
        ident = kernel._parent_ident["shell"]
        stream = _shell_stream(kernel, parent)
    except Exception:
        stream = None
    if stream is None:
        comm.send(content, buffers=buffers)
        return
    msg = {"comm_id": comm.comm_id, "data": content}
    kernel.session.send(stream, "comm_msg", msg, parent=parent, ident=ident, buffers=buffers)


def _answer(comm: Any, msg: dict[str, Any], user_ns: dict[str, Any]) -> None:
    request = msg.get("content", {}).get("data", {}) or {}
    buffers = msg.get("buffers") or []
    try:
        action, name = request.get("action"), request.get("name")
        if action == "save":
            meta, data = save(user_ns, name, int(request["limit"]))
            answer, answer_buffers = {"status": "ok", **meta}, [data]
        elif action == "load":
            if len(buffers) != 1:
                raise ValueError("load needs the value as exactly one buffer")
            meta = load(user_ns, name, buffers[0], request.get("format"))
            answer, answer_buffers = {"status": "ok", **meta}, []
        else:
            raise ValueError(f"unknown action {action!r}")
    except TooLarge as error:
        answer, answer_buffers = {"status": "error", "ename": "PayloadTooLarge"}, []
        answer["evalue"] = str(error)
    except Exception as error:
        answer = {"status": "error", "ename": type(error).__name__, "evalue": str(error)}
        answer_buffers = []
    try:
        _send_to_requester(comm, answer, answer_buffers)
    finally:
        comm.close()


def register() -> None:
    """Register the comm target with the running kernel (again after a reload)."""
    from IPython import get_ipython

    shell = get_ipython()
    shell.kernel.comm_manager.register_target(
        TARGET, lambda comm, msg: _answer(comm, msg, shell.user_ns)
    )


register()
