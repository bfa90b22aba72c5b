"""The package boundaries of grader/, read from the source (every import statement, also the
ones inside functions): the code that runs inside the sandbox imports nothing but the standard
library, no two parts of the grader import each other (directly or round a longer loop), and
each layer imports only the layers below it (docs/architecture.md)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from grader.paths import ROOT

GRADER = ROOT / "grader"
INSIDE = "grader.sandbox.inside"
# Who may import whom, bottom to top. A part imports only parts of a LOWER layer or its own.
LAYERS = [
    {"grader", "grader.paths", "grader.names", "grader.files", "grader.scratch"},
    {"grader.lessons", INSIDE},
    {"grader.reference", "grader.results"},
    {"grader.sandbox"},
    {"grader.suites", "grader.intake", "grader.generate"},
    {"grader.report"},
    {"grader.grading"},
    {"grader.cli"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The architectural part a module belongs to: the sandbox's inside, a subpackage of
    grader, or a top-level module of grader."""
    if module == INSIDE or module.startswith(INSIDE + "."):
        return INSIDE
    return ".".join(module.split(".")[:2])


def imports(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                found.add(f"{prefix}.{node.module}" if node.module else prefix)
            else:
                found.add(node.module)
    return found


def grader_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(GRADER.rglob("*.py"))}


def part_graph() -> dict[str, set[str]]:
    """part -> the other parts of grader it imports."""
    graph: dict[str, set[str]] = {}
    for module, path in grader_modules().items():
        mine = part_of(module)
        graph.setdefault(mine, set())
        for imported in imports(path):
            if imported == "grader" or not imported.startswith("grader."):
                continue
            theirs = part_of(imported)
            if theirs != mine:
                graph[mine].add(theirs)
    return graph


def test_inside_the_sandbox_only_the_standard_library():
    """The worker's folder is the only grader code mounted into the sandbox: it can import
    nothing else of the grader (it is not there) and no third-party package."""
    offenders = []
    for module, path in grader_modules().items():
        if part_of(module) != INSIDE:
            continue
        for imported in imports(path):
            top = imported.split(".")[0]
            ours = imported.startswith(INSIDE) or imported.startswith("_micrograder_harness")
            if not ours and top not in sys.stdlib_module_names and top != "micrograd":
                offenders.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycle_between_parts():
    graph = part_graph()
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]))
            elif len(trail) < len(graph):
                visit(nxt, trail + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


def test_each_part_imports_only_lower_layers():
    layer_of = {part: n for n, parts in enumerate(LAYERS) for part in parts}
    graph = part_graph()
    unplaced = sorted(set(graph) - set(layer_of))
    assert not unplaced, f"parts with no layer in LAYERS (add them): {unplaced}"
    upward = [
        f"{part} (layer {layer_of[part]}) imports {other} (layer {layer_of[other]})"
        for part, others in graph.items()
        for other in others
        if layer_of[other] >= layer_of[part]
    ]
    assert not upward, "\n".join(sorted(upward))


def test_the_reader_resolves_relative_imports():
    """The checks above are only as good as the import reader: a relative import inside the
    sandbox's folder must be seen as that folder's module."""
    found = imports(GRADER / "sandbox" / "inside" / "ops_value.py")
    assert f"{INSIDE}" in found or f"{INSIDE}.specs" in found
