"""The package's modules import each other one way: no cycle, also not through
imports made only for type checking (README, "Where things are")."""

from __future__ import annotations

import ast
from pathlib import Path

import beaker_server

PACKAGE = Path(beaker_server.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of the package ``path`` imports, wherever the import stands
    (module level, a function, an ``if TYPE_CHECKING:`` block)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return (found & modules) - {name}


def _graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "labextension" not in p.parts]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_the_package() -> None:
    graph = _graph()
    assert "beaker_server.messages.flow" in graph["beaker_server.kernel.session"]
    # Under TYPE_CHECKING only:
    assert "beaker_server.kernel.client" in graph["beaker_server.messages.context"]


def test_no_module_imports_back_what_imports_it() -> None:
    assert _cycles(_graph()) == []


def test_a_cycle_through_type_checking_imports_is_found() -> None:
    """The check itself: two modules that import each other, one of them only
    for type checking, are a cycle."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _cycles(graph) == [["a", "b"]]


def test_the_kernel_procedure_package_imports_only_itself() -> None:
    """``explorer/kernel/`` is kernel-side code, sent to the kernel as text: its
    modules import one another (and the standard library), nothing of the server,
    and no server module imports them."""
    graph = _graph()
    kernel = {name for name in graph if name.startswith("beaker_server.explorer.kernel")}
    assert "beaker_server.explorer.kernel.views" in kernel and len(kernel) > 10
    assert "beaker_server.explorer.kernel.core" in graph["beaker_server.explorer.kernel.views"]
    for name in kernel:
        assert graph[name] <= kernel, name
    for name in set(graph) - kernel:
        assert not graph[name] & kernel, name
