"""Imports run one way: expr -> engine -> results, options -> usecases -> api -> render -> cli.

Every module of the package is read with ``ast`` (imports inside functions included), so a
new module is covered as soon as it exists. A module's layer is its package's rank below.
The result records sit below the use cases that build them and the renderers that read them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "diffcli"

#: Each layer may import its own and lower ranks only. Modules at the top of the package not
#: named here (``errors``, ``catalog``, ``_version``) are leaves every layer may import.
RANKS = {
    "errors": 0,
    "catalog": 0,
    "children": 0,
    "_version": 0,
    "expr": 1,
    "engine": 2,
    "results": 3,
    "options": 3,
    "usecases": 4,
    "api": 5,
    "render": 6,
    "terminal": 6,
    "commands": 7,
    "cli": 7,
    "shell": 7,
    "__main__": 8,
    "__init__": 8,
}
#: Third-party modules each layer may not import (the engine knows nothing of terminals, and
#: only the output layer draws figures).
FORBIDDEN = {
    "expr": {"click", "rich", "sympy", "matplotlib"},
    "engine": {"click", "rich", "matplotlib"},
    "usecases": {"click", "rich", "matplotlib"},
    "results": {"click", "rich", "matplotlib"},
    "options": {"click", "rich", "numpy", "sympy", "matplotlib"},
    "api": {"click", "rich", "matplotlib"},
    "commands": {"matplotlib"},
    "cli": {"matplotlib"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Every module the module ``name`` at ``path`` imports, absolute, wherever in the file
    the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # ``from . import analytic`` imports a module, not a name
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m in MODULES or not m.startswith("diffcli")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = {_module_name(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {_module_name(path): _imports(path, _module_name(path)) for path in PACKAGE.rglob("*.py")}


def test_every_layer_is_ranked() -> None:
    assert {_layer(module) for module in GRAPH} <= set(RANKS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_one_way(module: str) -> None:
    layer = _layer(module)
    against = sorted(
        imported
        for imported in GRAPH[module]
        if imported.startswith("diffcli.")
        and imported != "diffcli"
        and RANKS[_layer(imported)] > RANKS[layer]
    )
    assert against == [], f"{module} imports a higher layer"
    refused = sorted(
        imported
        for imported in GRAPH[module]
        if imported.split(".")[0] in FORBIDDEN.get(layer, set())
    )
    assert refused == [], f"{module} imports what its layer may not"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets, each as the modules along it."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(edges[module]):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycles() -> None:
    edges = {
        module: {m for m in imported if m in GRAPH and m != module}
        for module, imported in GRAPH.items()
    }
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The walk reads imports inside functions: an engine module importing the CLI is seen."""
    source = tmp_path / "bad.py"
    source.write_text(
        "def f():\n    from ..cli import main\n    from . import kinks\n    import rich\n"
    )
    assert _imports(source, "diffcli.engine.bad") == {
        "diffcli.cli",
        "diffcli.engine",
        "diffcli.engine.kinks",
        "rich",
    }
    assert RANKS[_layer("diffcli.cli")] > RANKS["engine"]
