"""The activity recorder in front of jupyter_server's activity watcher.

jupyter_server's own activity tests run with the extension on in
tests/integration/test_upstream.py; these check the recorder's own decisions, on real
messages from jupyter_client's Session and a real MappingKernelManager's rules
(``untracked_message_types``), without starting a kernel.
"""

from __future__ import annotations

from typing import Any

import pytest
import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

from beaker_server.kernel.activity import ActivityRecorder

pytestmark = pytest.mark.timeout(10)

MARKER = b"beaker-server-ours"


@pytest.fixture
def session() -> Session:
    return Session(key=b"secret")


@pytest.fixture
def recorder() -> tuple[ActivityRecorder, list[list[Any]], Any]:
    """A recorder in front of a callback that keeps what it was handed."""
    handed: list[list[Any]] = []
    manager = MappingKernelManager()
    kernel = KernelManager()
    kernel.execution_state = "idle"
    kernel.last_activity = None
    recorder = ActivityRecorder(handed.append, MARKER, manager, "k1", kernel)
    return recorder, handed, kernel


def frames(session: Session, msg_type: str, parent_type: str | None, parent_session="u") -> list:
    parent = session.msg(parent_type, {}) if parent_type else {}
    if parent:
        parent["header"]["session"] = parent_session
    msg = session.msg(msg_type, {"execution_state": "busy"}, parent=parent)
    return session.serialize(msg, ident=[msg_type.encode()])


def test_status_messages_go_to_jupyter_servers_callback(session, recorder):
    record, handed, _ = recorder
    status = frames(session, "status", "execute_request")
    record(status)
    assert handed == [status]


def test_other_messages_move_last_activity_without_it(session, recorder):
    record, handed, kernel = recorder
    record(frames(session, "stream", "execute_request"))
    assert handed == []
    assert kernel.last_activity is not None


def test_untracked_types_leave_last_activity_unless_the_kernel_is_busy(session, recorder):
    record, handed, kernel = recorder
    untracked = next(iter(record.manager.untracked_message_types))
    record(frames(session, untracked, untracked))
    assert kernel.last_activity is None and handed == []
    kernel.execution_state = "busy"
    record(frames(session, untracked, untracked))
    assert kernel.last_activity is not None


def test_the_servers_own_messages_reach_nobody(session, recorder):
    record, handed, kernel = recorder
    record(frames(session, "status", "execute_request", parent_session=MARKER.decode()))
    record(frames(session, "stream", "execute_request", parent_session=MARKER.decode()))
    assert handed == [] and kernel.last_activity is None


def test_what_it_cannot_read_goes_to_jupyter_servers_callback(session, recorder):
    record, handed, _ = recorder
    odd = frames(session, "stream", "execute_request")
    delimiter = odd.index(b"<IDS|MSG>")
    odd[delimiter + 2] = b'{"msg_type" : 5}'  # not a string: not ours to judge
    record(odd)
    no_delimiter = [b"stream", b"{}"]
    record(no_delimiter)
    assert handed == [odd, no_delimiter]


def test_messages_queued_behind_one_are_taken_in_the_same_turn(session):
    """The watcher's stream hands over one message a loop turn; the recorder
    takes up to BATCH, in order, and leaves the rest for the next turn."""
    context = zmq.Context()
    push, pull = context.socket(zmq.PUSH), context.socket(zmq.PULL)
    try:
        pull.bind("inproc://activity-test")
        push.connect("inproc://activity-test")
        handed: list[list[Any]] = []
        kernel = KernelManager()
        kernel.execution_state = "idle"
        record = ActivityRecorder(
            handed.append, MARKER, MappingKernelManager(), "k1", kernel, socket=pull
        )
        statuses = [frames(session, "status", "execute_request") for _ in range(100)]
        for status in statuses:
            push.send_multipart(status)
        record(pull.recv_multipart())
        assert handed == statuses[: ActivityRecorder.BATCH]
        record(pull.recv_multipart())
        assert handed == statuses
    finally:
        push.close(linger=0)
        pull.close(linger=0)
        context.term()
