"""Installing a kernel procedure (beaker_server/kernel/procedures.py): one expression
that leaves a module in ``sys.modules`` and no name in the namespace it runs in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import beaker_server
from beaker_server.kernel.procedures import install_code, install_package_code, procedure_source

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


PACKAGE = {
    "first.py": "from __future__ import annotations\nVALUE = 1\n",
    "second.py": "from .first import VALUE\n\ndef answer():\n    return VALUE + 1\n",
    "__init__.py": "from .second import answer\n",
}

IN_A_FRESH_INTERPRETER = """
import json, sys
finders = list(sys.meta_path)
namespace = {}
eval(sys.stdin.read(), namespace)
package = sys.modules["_beaker_test_package"]
second = sys.modules["_beaker_test_package.second"]
print(json.dumps({
    "names": sorted(namespace),
    "answer": package.answer(),
    "modules": sorted(m for m in sys.modules if m.startswith("_beaker_test_package")),
    "package": [second.__name__, second.__package__, package.__package__, package.__path__],
    "attribute": package.second is second,
    "finders": sys.meta_path == finders,
}))
"""


@pytest.fixture
def package(tmp_path: Path):
    """A package of this test's own (in import order, ``__init__.py`` last)."""
    for name, source in PACKAGE.items():
        (tmp_path / name).write_text(source)
    return tuple(tmp_path / name for name in PACKAGE)


def test_a_package_is_installed_by_one_expression_in_a_fresh_interpreter(package):
    """Its relative imports find the modules before it in ``sys.modules``, with no
    finder added and no file on a path: as in a kernel."""
    code = install_package_code("_beaker_test_package", package)
    compile(code, "<install>", "eval")
    done = subprocess.run(
        [sys.executable, "-I", "-c", IN_A_FRESH_INTERPRETER],
        input=code,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    seen = json.loads(done.stdout)
    assert seen["names"] == ["__builtins__"] and seen["answer"] == 2
    assert seen["modules"] == [
        "_beaker_test_package",
        "_beaker_test_package.first",
        "_beaker_test_package.second",
    ]
    assert seen["package"] == [
        "_beaker_test_package.second",
        "_beaker_test_package",
        "_beaker_test_package",
        [],
    ]
    assert seen["attribute"] and seen["finders"]


def test_a_second_install_replaces_every_module(package):
    names = ["_beaker_test_again", "_beaker_test_again.first", "_beaker_test_again.second"]
    try:
        eval(install_package_code("_beaker_test_again", package), {})
        first = [sys.modules[name] for name in names]
        first[2].VALUE = 41  # second.py's own binding of it
        assert sys.modules["_beaker_test_again"].answer() == 42
        eval(install_package_code("_beaker_test_again", package), {})
        assert all(sys.modules[name] is not old for name, old in zip(names, first, strict=True))
        assert sys.modules["_beaker_test_again"].answer() == 2
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_a_package_needs_its_init_last(package):
    with pytest.raises(ValueError, match="__init__"):
        install_package_code("_beaker_test_no_init", package[:-1])
