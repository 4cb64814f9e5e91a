"""The shape of the house (DESIGN.md): packages of rooms, each room small and documented, no import circle.

Imports are read from the source (every `import` / `from ... import`, at any depth, `TYPE_CHECKING`
blocks included), so a circle hidden inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("benchmarks", "searchers", "harness", "reports")
MAX_ROOM_MODULES = (
    11  # about ten modules per room (its __init__ not counted); benchmarks/datasets: one reader per dataset
)
# What the roots of the two large packages may hold besides their rooms.
ROOT_FILES = {
    "harness": {"__init__.py", "api.py"},
    "benchmarks": {"__init__.py", "errors.py", "allow_list_pickle.py", "safe_files.py"},  # torch-free bases
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def imported(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports (a `from package import name` of a submodule counts as that module)."""
    found = set()
    this = module_name(path)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != this:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph = {name: imported(path, set(mods)) for name, path in mods.items()}
    # A package's __init__ runs before any of its modules: importing `a.b` imports `a` too, which is not
    # a dependency of the importer on `a`'s contents. Drop edges to packages whose __init__ imports nothing.
    empty = {name for name, path in mods.items() if path.name == "__init__.py" and not graph[name]}
    return {name: {t for t in targets if t not in empty} for name, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_project_is_part_of_an_import_circle():
    assert cycles(import_graph()) == []


def test_the_top_level_packages_import_only_downwards():
    """benchmarks <- searchers <- harness, reports; reports never imports harness, benchmarks nothing above it."""
    order = {"benchmarks": 0, "searchers": 1, "reports": 2, "harness": 3}
    allowed_sideways = {("reports", "harness"): False}
    for source, targets in import_graph().items():
        for target in targets:
            a, b = source.split(".")[0], target.split(".")[0]
            assert order[b] <= order[a] and allowed_sideways.get((a, b), True), f"{source} imports {target}"


@pytest.mark.parametrize("package", ["harness", "benchmarks"])
def test_a_package_root_holds_its_rooms_and_a_few_entry_files(package):
    root = REPO / package
    assert {p.name for p in root.glob("*.py")} == ROOT_FILES[package]
    for room in (p for p in root.iterdir() if p.is_dir() and p.name != "__pycache__"):
        init = room / "__init__.py"
        if not init.exists():  # a data folder (benchmarks/data), not a room
            assert not list(room.glob("*.py")), f"{room} holds modules but no __init__.py"
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and doc.splitlines()[0].strip(), f"{room.name}/__init__.py needs a docstring saying what it holds"
        count = len([p for p in room.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")])
        assert count <= MAX_ROOM_MODULES, f"{package}/{room.name} holds {count} modules"
