"""Publishing from inside a kernel (beaker_server/kernel_helpers.py), on a stand-in kernel."""

from __future__ import annotations

from typing import Any

import pytest

from beaker_server import kernel_helpers
from beaker_server.kernel_helpers import publish, publish_response


class Session:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, str, dict, dict[str, Any]]] = []

    def send(self, socket: Any, msg_type: str, content: dict, **kwargs: Any) -> None:
        self.sent.append((socket, msg_type, content, kwargs))


class Kernel:
    """What the helpers use of an ipykernel: session, iopub socket, parent, topics."""

    iopub_socket = "iopub"

    def __init__(self) -> None:
        self.session = Session()

    def get_parent(self) -> dict:
        return {"header": {"msg_id": "the-cell"}}

    def _topic(self, msg_type: str) -> bytes:
        return f"kernel.abc.{msg_type}".encode()


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> Kernel:
    kernel = Kernel()
    monkeypatch.setattr(kernel_helpers, "_kernel", lambda: kernel)
    return kernel


def test_a_response_goes_on_iopub_parented_to_the_current_request(kernel):
    publish_response("save_var", {"id": "x1"}, buffers=[b"raw"])
    ((socket, msg_type, content, options),) = kernel.session.sent
    assert (socket, msg_type, content) == ("iopub", "save_var_response", {"id": "x1"})
    assert options == {
        "parent": {"header": {"msg_id": "the-cell"}},
        "ident": b"kernel.abc.save_var_response",
        "metadata": None,
        "buffers": [b"raw"],
    }


def test_a_kernel_without_topics_publishes_without_one(kernel, monkeypatch):
    monkeypatch.delattr(Kernel, "_topic")
    publish("display_data", {"data": {}}, metadata={"m": 1})
    ((_, _, _, options),) = kernel.session.sent
    assert options["ident"] is None and options["metadata"] == {"m": 1}


@pytest.mark.parametrize("name", ["not a name", "a-b", "", "x.y"])
def test_a_bad_name_is_refused_before_anything_is_sent(kernel, name):
    with pytest.raises(ValueError, match="must be an identifier"):
        publish_response(name, {})
    assert kernel.session.sent == []


def test_outside_a_kernel_it_says_so():
    with pytest.raises(RuntimeError, match="only inside an ipykernel"):
        publish_response("save_var", {})
