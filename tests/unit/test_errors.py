"""The typed errors (beaker_server/errors.py): the ``N_reply`` content each
one becomes, and the HTTP status of a REST request that ends in it.

A program branches on ``ename``, so the names are the API (README: "Exactly one
reply, always"); the replies the server sends for them are checked end to end in
tests/integration/test_errors.py.
"""

from __future__ import annotations

import json

import pytest

from beaker_server import errors
from beaker_server.errors import BeakerError, KernelError, RequestAborted

#: The typed errors and the ``ename`` a client sees for each.
TYPED = {
    errors.ValidationError: "ValidationError",
    errors.PayloadTooLarge: "PayloadTooLarge",
    errors.HandlerTimeout: "HandlerTimeout",
    errors.Forbidden: "Forbidden",
    errors.UnknownMessageType: "UnknownMessageType",
    errors.NotFound: "NotFound",
    errors.KernelUnavailable: "KernelUnavailable",
    errors.EncodingError: "EncodingError",
}


@pytest.mark.parametrize(("cls", "ename"), TYPED.items(), ids=TYPED.values())
def test_a_typed_error_is_an_error_reply_under_its_name(cls, ename):
    error = cls("what went wrong")
    assert isinstance(error, BeakerError)
    assert error.reply_content() == {
        "status": "error",
        "ename": ename,
        "evalue": "what went wrong",
        "traceback": [],
    }


def test_a_reply_carries_the_traceback_it_is_given():
    content = errors.HandlerTimeout("after 30 s").reply_content(["line 1", "line 2"])
    assert content["traceback"] == ["line 1", "line 2"]
    json.dumps(content)


def test_every_ename_is_its_own():
    names = [cls.ename for cls in TYPED]
    assert len(set(names)) == len(names)
    assert BeakerError("x").reply_content()["ename"] == "BeakerError"


def test_an_aborted_request_is_reported_as_jupyter_reports_aborts():
    error = RequestAborted("kernel restarted")
    assert error.reply_content() == {"status": "aborted"}
    assert error.reply_content(["ignored"]) == {"status": "aborted"}
    assert isinstance(error, BeakerError)


def test_a_kernel_error_reports_the_kernels_own_exception():
    traceback = ["Traceback...", "NameError: name 'x' is not defined"]
    error = KernelError("NameError", "name 'x' is not defined", traceback)
    traceback.append("added later")
    assert error.ename == "NameError"
    assert str(error) == "name 'x' is not defined"
    assert error.reply_content(["the server's own traceback"]) == {
        "status": "error",
        "ename": "NameError",
        "evalue": "name 'x' is not defined",
        "traceback": ["Traceback...", "NameError: name 'x' is not defined"],
    }
    assert KernelError("ValueError", "bad").reply_content()["traceback"] == []


#: The HTTP status a REST request answers with for each (README, "REST API").
HTTP_STATUS = {
    "ValidationError": 400,
    "Forbidden": 403,
    "UnknownMessageType": 404,
    "NotFound": 404,
    "PayloadTooLarge": 413,
    "KernelUnavailable": 503,
    "HandlerTimeout": 504,
    "EncodingError": 500,
}


@pytest.mark.parametrize(("ename", "status"), HTTP_STATUS.items(), ids=HTTP_STATUS.keys())
def test_each_typed_error_has_its_http_status(ename, status):
    (cls,) = [cls for cls, name in TYPED.items() if name == ename]
    assert cls.http_status == status
    assert errors.http_status(ename) == status


def test_anything_else_is_a_500_and_an_abort_a_503():
    assert errors.http_status("ZeroDivisionError") == 500
    assert errors.http_status("BeakerError") == 500
    assert RequestAborted.http_status == 503


def test_a_handler_packages_error_says_its_own_http_status() -> None:
    """A subclass outside the package keeps its parent's ``ename`` unless it sets
    one, and the REST route answers with the status it declares."""
    from beaker_server.errors import BeakerError, NotFound, http_status

    class Gone(BeakerError, http_status=410):
        pass

    class Expired(NotFound, http_status=410):
        pass

    class MissingThing(NotFound):
        pass

    assert (Gone.ename, http_status("Gone")) == ("Gone", 410)
    assert (Expired.ename, http_status("Expired")) == ("Expired", 410)
    assert MissingThing.ename == "NotFound"
    assert http_status("NotFound") == 404
