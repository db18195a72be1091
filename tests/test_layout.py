"""The package's layout: the stages as sub-packages, imports running one way, modules in proportion.

Read from the source's own import statements (those inside functions too: an import put off for
start-up time must not close a loop either).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runai_postrender

PACKAGE = Path(runai_postrender.__file__).parent
NAME = "runai_postrender"

# Each sub-package (or top-level module) and the stages below it that it may import. A stage never
# imports one beside it or above it: sizing reads no YAML and knows no writer; documents know no reader.
MAY_IMPORT: dict[str, set[str]] = {
    "support": set(),
    "report": {"support"},
    "documents": {"support"},
    "profiles": {"support"},
    "reading": {"support", "documents"},
    "sizing": {"support", "documents", "profiles"},
    "reporting": {"report", "sizing"},
    "writers": {"support", "documents", "reading", "sizing"},
    "pipeline": {"support", "report", "documents", "profiles", "reading", "sizing", "reporting", "writers"},
    "export": {"support", "report", "documents", "profiles", "pipeline"},
    "recommend": {"support", "report", "profiles"},
    "cli": {"support", "report", "documents", "profiles", "pipeline", "recommend", "export", NAME},
    "__main__": {"cli"},
    "__init__": set(),
}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "builtin_profiles":
            continue
        found[".".join((NAME, *parts))] = path
    return found


def imports_of(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """The package's modules that `module` imports, anywhere in its text."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known and name != module)
    return found


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports_of(path, module, known) for module, path in known.items()}


def test_every_stage_imports_only_the_stages_below_it() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if stage(target) != stage(module) and stage(target) not in MAY_IMPORT[stage(module)]
    ]
    assert wrong == []


def test_no_import_closes_a_circle() -> None:
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_sub_package_init_files_are_empty() -> None:
    """Importing a stage costs nothing beyond the modules a run uses (start-up time)."""
    inits = [path for path in PACKAGE.glob("*/__init__.py") if path.parent.name != "builtin_profiles"]
    assert inits and all(path.read_text() == "" for path in inits)


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_is_over_300_lines(module: str) -> None:
    assert modules()[module].read_text().count("\n") <= 300
