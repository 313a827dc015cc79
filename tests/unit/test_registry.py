"""Declaring handlers and collecting them: decorator rules, modules, entry points."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from beaker_server import custom_message, response_hook
from beaker_server.registry import MessageRegistry


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
