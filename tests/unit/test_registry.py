"""Declaring handlers and collecting them: decorator rules, modules, entry points."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from beaker_server import custom_message, response_hook
from beaker_server.messages.registry import MessageRegistry, validate_name


def test_decorator_takes_name_docs_and_schema_from_the_function():
    @custom_message(schema={"type": "object", "properties": {"n": {"type": "integer"}}})
    async def count_things(ctx):
        """Counts things.

        More text."""

    registry = MessageRegistry()
    registry.add_object(count_things)
    message = registry.get("count_things")
    assert message.request_type == "count_things_request"
    assert message.docs == "Counts things.\n\nMore text."
    assert message.describe()["source"].endswith("count_things")


@pytest.mark.parametrize("name", ["execute", "kernel_info", "not-an-identifier", "1x", ""])
def test_bad_or_standard_names_are_refused(name):
    with pytest.raises(ValueError):

        @custom_message(name)
        async def handler(ctx): ...


def test_sync_handlers_and_broken_schemas_fail_at_declaration():
    with pytest.raises(TypeError):

        @custom_message("sync_one")
        def handler(ctx): ...

    from jsonschema.exceptions import SchemaError

    with pytest.raises(SchemaError):

        @custom_message("bad_schema", schema={"type": "no-such-type"})
        async def other(ctx): ...


def test_two_handlers_for_one_name_conflict():
    @custom_message("twice")
    async def one(ctx): ...

    @custom_message("twice")
    async def two(ctx): ...

    registry = MessageRegistry()
    registry.add_object(one)
    registry.add_object(one)  # the same handler again is fine
    with pytest.raises(ValueError, match="defined twice"):
        registry.add_object(two)


def test_hooks_must_be_plain_functions():
    with pytest.raises(TypeError):

        @response_hook("x")
        async def hook(message, kernel_id): ...


def test_entry_points_of_installed_packages_are_loaded(tmp_path: Path, monkeypatch, caplog):
    """A third-party package adds message types through the entry-point group."""
    (tmp_path / "thirdparty_handlers.py").write_text(
        textwrap.dedent(
            """
            from beaker_server import custom_message

            @custom_message(default={"a": 1})
            async def third_party(ctx):
                "From another package."
                return 1
            """
        )
    )
    (tmp_path / "broken_handlers.py").write_text("raise ImportError('broken on purpose')\n")
    dist = tmp_path / "thirdparty-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[beaker_server.handlers]\nthird = thirdparty_handlers\nbroken = broken_handlers\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = MessageRegistry()
    registry.load(["tests.support.sample_handlers"])
    assert registry.get("third_party").default == {"a": 1}
    assert registry.get("greet") is not None
    assert registry.get("evaluate") is not None  # this package's own entry point
    assert "broken_handlers" in caplog.text  # logged and skipped, the rest loaded
    sys.modules.pop("thirdparty_handlers", None)


def test_markers_follow_the_registry():
    registry = MessageRegistry()
    registry.add_module("tests.support.sample_handlers")
    assert b'"greet_request"' in registry.request_markers_bytes
    assert b'"kpub_response"' in registry.hook_markers_bytes


# -- names -------------------------------------------------------------------------------

#: The request types of the Jupyter messaging spec: shell, control (with ipykernel's
#: subshells), stdin, and the deprecated ones.
JUPYTER_TYPES = [
    *("execute", "inspect", "complete", "history", "is_complete", "comm_info", "kernel_info"),
    *("shutdown", "interrupt", "debug", "usage"),
    *("create_subshell", "delete_subshell", "list_subshell"),
    *("input", "connect", "object_info"),
]


@pytest.mark.parametrize("name", JUPYTER_TYPES)
def test_no_jupyter_request_type_can_be_taken_over(name):
    with pytest.raises(ValueError, match="standard Jupyter message type"):
        validate_name(name)
    with pytest.raises(ValueError):
        response_hook(name)


@pytest.mark.parametrize("name", [None, 3, "a b", "a-b", "é-x", "x.y", "2fast"])
def test_names_must_be_identifiers(name):
    with pytest.raises(ValueError, match="must be a Python identifier"):
        validate_name(name)


@pytest.mark.parametrize("name", ["greet", "save_var", "_private", "execute2", "variable_é"])
def test_identifiers_that_are_not_jupyters_are_names(name):
    validate_name(name)  # no error


def test_a_hook_with_a_bad_name_fails_at_declaration():
    with pytest.raises(ValueError):
        response_hook("not a name")


# -- what a declaration says -------------------------------------------------------------


def test_declaration_defaults():
    @custom_message()
    async def plain(ctx):
        pass

    message = plain.__beaker_message__
    assert message.name == "plain"
    assert message.schema == {"type": "object"}
    assert (message.default, message.docs) == ({}, "")
    assert (message.timeout, message.max_payload_bytes, message.permission) == (
        None,
        None,
        "execute",
    )
    assert (message.request_type, message.response_type, message.reply_type) == (
        "plain_request",
        "plain_response",
        "plain_reply",
    )


def test_declaration_options_are_kept_and_the_default_copied():
    default = {"name": "df"}

    @custom_message(
        "described",
        default=default,
        docs="  Given docs.\n    Second line.",
        timeout=2.5,
        max_payload_bytes=1024,
        permission="read",
    )
    async def handler(ctx):
        """Not these docs."""

    default["name"] = "changed after declaring"
    message = handler.__beaker_message__
    assert message.name == "described"
    assert message.default == {"name": "df"}
    assert message.docs == "Given docs.\nSecond line."
    assert (message.timeout, message.max_payload_bytes, message.permission) == (2.5, 1024, "read")


def test_describe_is_what_the_rest_api_serves():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}

    @custom_message("described", schema=schema, default={"n": 1})
    async def handler(ctx):
        """Describes."""

    description = handler.__beaker_message__.describe()
    assert description == {
        "name": "described",
        "request_type": "described_request",
        "response_type": "described_response",
        "reply_type": "described_reply",
        "channels": {"request": "shell", "response": "iopub", "reply": "shell"},
        "docs": "Describes.",
        "schema": schema,
        "default": {"n": 1},
        "permission": "execute",
        "source": f"{__name__}:test_describe_is_what_the_rest_api_serves.<locals>.handler",
    }
    json.dumps(description)  # JSON as it is


def test_declaring_registers_nothing_anywhere():
    @custom_message("declared_only")
    async def handler(ctx): ...

    assert MessageRegistry().get("declared_only") is None


# -- a registry ------------------------------------------------------------------------


def handlers_module() -> ModuleType:
    """A module as a handler package writes it: two handlers, a hook, other names."""
    module = ModuleType("fake_handlers")

    @custom_message("zeta")
    async def zeta(ctx): ...

    @custom_message("alpha", schema={"type": "object", "required": ["x"]})
    async def alpha(ctx): ...

    @response_hook("alpha")
    def on_alpha(message, kernel_id):
        return None

    async def not_declared(ctx): ...

    module.__dict__.update(
        zeta=zeta, alpha=alpha, on_alpha=on_alpha, not_declared=not_declared, CONSTANT=1
    )
    return module


def test_a_module_gives_its_handlers_and_hooks_only():
    registry = MessageRegistry()
    assert registry.add_module(handlers_module()) == 3
    assert len(registry) == 2
    assert [m.name for m in registry] == ["alpha", "zeta"]  # sorted by name
    assert registry.for_request_type("alpha_request") is registry.get("alpha")
    assert registry.for_request_type("alpha") is None
    assert registry.get("not_declared") is None
    (hook,) = registry.hooks_for("alpha_response")
    assert hook.__name__ == "on_alpha"
    assert registry.hooks_for("zeta_response") == []
    assert [d["name"] for d in registry.describe()] == ["alpha", "zeta"]


def test_markers_are_what_the_hot_path_searches_for():
    registry = MessageRegistry()
    assert registry.request_names == frozenset()
    assert registry.request_markers_bytes == registry.hook_markers == ()
    registry.add_module(handlers_module())
    assert registry.request_names == {"alpha", "zeta"}
    assert registry.request_names_bytes == {b"alpha", b"zeta"}
    assert set(registry.request_markers_bytes) == {b'"alpha_request"', b'"zeta_request"'}
    assert registry.hook_markers == ('"alpha_response"',)
    assert registry.hook_markers_bytes == (b'"alpha_response"',)


def test_a_hook_added_twice_runs_once():
    registry = MessageRegistry()

    @response_hook("twice")
    def hook(message, kernel_id):
        return None

    registry.add_object(hook)
    registry.add_object(hook)
    assert registry.hooks_for("twice_response") == [hook]


def test_an_object_that_declares_nothing_is_refused():
    async def undeclared(ctx): ...

    with pytest.raises(TypeError, match="declares no custom message handler"):
        MessageRegistry().add_object(undeclared)


def test_the_validator_checks_the_schema_and_is_made_once():
    registry = MessageRegistry()
    registry.add_module(handlers_module())
    alpha = registry.get("alpha")
    validator = registry.validator(alpha)
    assert validator is registry.validator(alpha)
    assert validator.is_valid({"x": 1})
    assert not validator.is_valid({"y": 1})


def test_a_module_that_fails_to_import_is_logged_and_skipped(caplog):
    registry = MessageRegistry()
    registry.load(["no_such_module_here", "tests.support.sample_handlers"], use_entry_points=False)
    assert registry.get("greet") is not None
    assert "could not load handlers from no_such_module_here" in caplog.text


def test_without_entry_points_only_the_named_modules_count():
    registry = MessageRegistry()
    registry.load([], use_entry_points=False)
    assert len(registry) == 0
    registry.load([])  # this package's own handlers come through its entry point
    assert {"evaluate", "message_types", "preview"} <= registry.request_names
