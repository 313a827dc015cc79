"""The whole flow of one ``greet_request`` (``tests.support.sample_handlers.greet``).

The same flow is checked on a server with local kernels (``test_flow.py``) and
on one whose kernels live in a kernel gateway (``test_gateway.py``).
"""

from __future__ import annotations

from typing import Any

from .kernel_ws import kinds, reply_of

#: What ``greet`` sends for a request, in order: its stdout, its two responses
#: and its reply, between the busy and idle statuses.
GREET_FLOW = [
    ("iopub", "status:busy"),
    ("iopub", "stream"),
    ("iopub", "greet_response"),
    ("iopub", "greet_response"),
    ("shell", "greet_reply"),
    ("iopub", "status:idle"),
]


def assert_greet_flow(
    request: dict[str, Any], got: list[dict[str, Any]], who: str
) -> dict[str, Any]:
    """Check the messages ``got`` for ``request`` (a greet of ``who``); returns the reply.

    pytest does not rewrite the asserts of this module: each says what it saw.
    """
    assert kinds(got) == GREET_FLOW, kinds(got)
    assert got[1]["content"] == {"name": "stdout", "text": f"hello {who}\n"}, got[1]
    assert [m["content"] for m in got[2:4]] == [{"step": 1}, {"step": 2}], got[2:4]
    reply = reply_of(got)
    assert reply["content"] == {
        "status": "ok",
        "return": {"greeted": who, "user": reply["header"]["username"]},
    }, reply
    # JupyterLab's KernelFuture.done needs the reply and the idle to share the request as parent.
    for m in got:
        assert m["parent_header"] == request["header"], (m, request["header"])
    assert reply["header"]["session"].startswith("beaker-server-"), reply["header"]
    assert len({m["header"]["msg_id"] for m in got}) == len(got), got
    return reply
