"""Installing a kernel procedure (beaker_server/kernel/procedures.py): one expression
that leaves a module in ``sys.modules`` and no name in the namespace it runs in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import beaker_server
from beaker_server.kernel.procedures import install_code, procedure_source

PREVIEW = Path(beaker_server.__file__).parent / "preview" / "python_preview.py"

SOURCE = """\
calls = []

def setup(value):
    calls.append(value)
    return value
"""


@pytest.fixture
def procedure(tmp_path: Path):
    """A procedure file of this test's own, and its module's name, removed after."""
    path = tmp_path / "procedure.py"
    path.write_text(SOURCE)
    name = f"_beaker_test_{tmp_path.name}"
    yield name, path
    sys.modules.pop(name, None)


def test_the_module_is_installed_and_no_name_is_left(procedure):
    name, path = procedure
    namespace: dict = {}
    eval(install_code(name, path), namespace)
    assert set(namespace) == {"__builtins__"}
    module = sys.modules[name]
    assert module.__name__ == name
    assert module.setup(3) == 3 and module.calls == [3]


def test_then_runs_on_the_new_module_right_after(procedure):
    name, path = procedure
    eval(install_code(name, path, then="setup('installed')"), {})
    assert sys.modules[name].calls == ["installed"]


def test_the_code_is_one_expression():
    code = install_code("_beaker_preview", PREVIEW)
    compile(code, "<install>", "eval")  # a SyntaxError if it were statements
    assert "'<_beaker_preview>'" in code  # tracebacks in the kernel name the procedure


def test_sources_are_read_once_as_utf8():
    first = procedure_source(PREVIEW)
    assert first is procedure_source(PREVIEW)
    assert first == PREVIEW.read_text(encoding="utf-8")
