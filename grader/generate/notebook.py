"""Lesson notebooks: jinja2 narrative + code taken from the reference package.

A lesson's narrative is `assignments/<lesson>/notebook.j2`. It is rendered with jinja2 and then
cut into cells at directive lines:

    %% markdown                      a markdown cell (the lines below it)
    %% code                          a plain code cell (worked examples, plots)
    %% setup                         the first code cell: makes the `micrograd` package importable
    %% module <module> <part> ...    the named parts of solutions/micrograd/<module>.py
                                     (see parts.py)
    %% test <test_function>          an autograded cell: that public test from test_<lesson>.py

Cells of a module carry `metadata.micrograder.module`; in notebook order they must hold every part
of the module exactly once, so joining their sources gives back the module (the reference module
in the source notebook, the template module in the student notebook).

nbgrader metadata (schema 3). These grade_ids are stable: grading of notebook submissions and
course staff using nbgrader rely on them.
  <module>-<part>     a module cell: a solution cell when it holds a solution region
                      (e.g. `engine-Value`, `optim-Adam`), else a locked read-only cell
                      (e.g. `engine-header`).
  <lesson>-setup      the locked setup cell.
  <lesson>-<test>     an autograded test cell (e.g. `derivatives-test_worked_example_slope`),
                      points from the lesson.toml part that holds the test (`[parts]`).
Narrative cells get ids `<lesson>-md-<n>` / `<lesson>-code-<n>` (n = cell position).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass

import jinja2
import nbformat
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, ComputeChecksums, LockCells

from grader.generate.errors import GenerateError
from grader.generate.parts import HEADER, Part, split_module
from grader.generate.regions import clear_notebook_solutions, has_solution

TEMPLATE_NAME = "notebook.j2"
# The kernel install.sh installs into the project's environment (`--sys-prefix`): the notebooks
# run with the Python that has micrograder's dependencies, never the user's own `python3` kernel.
KERNEL_NAME = "micrograder"
KERNELSPEC = {"display_name": "Python 3 (micrograder)", "language": "python", "name": KERNEL_NAME}
SETUP_SOURCE = """\
# Run this cell first. It makes the lessons you already finished importable as the `micrograd`
# package, and the self-check's words (words.py: "expected ..., got ...", as the grader says
# it) too: from student_template/ (this notebook in notebooks/, the package one folder up) or
# from an nbgrader assignment folder (the package and tests/ beside this notebook).
import sys

sys.path.insert(0, "..")
sys.path.insert(1, "../tests")
sys.path.insert(0, ".")
sys.path.insert(1, "tests")
# The module cells below are the files of the micrograd package, so their relative imports
# (`from .engine import Value`) mean the package's modules, and this lesson's own modules are
# the cells of this notebook (train.py's `from .data import batches` finds the cells above it).
__package__ = "micrograd"
for _module in {modules}:
    sys.modules[f"micrograd.{{_module}}"] = sys.modules[__name__]
"""
DIRECTIVE = re.compile(r"^%%\s*(\S+)\s*(.*)$")


@dataclass(frozen=True)
class CellSpec:
    kind: str  # markdown | code | setup | module | test
    args: tuple[str, ...]
    body: str
    line: int  # line in the rendered template, for error messages


def render_template(lesson, context: dict) -> str:
    path = lesson.folder / TEMPLATE_NAME
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(lesson.folder), str(lesson.folder.parent)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        return env.get_template(TEMPLATE_NAME).render(**context)
    except jinja2.TemplateNotFound:
        raise GenerateError(f"{path}: missing notebook template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise GenerateError(
            f"{exc.filename or path}:{exc.lineno}: template error: {exc.message}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise GenerateError(f"{path}: template error: {exc.message}") from None


def parse_cells(text: str, where: str) -> list[CellSpec]:
    specs: list[CellSpec] = []
    kind, args, body, start = None, (), [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = DIRECTIVE.match(line)
        if match:
            if kind is not None:
                specs.append(CellSpec(kind, args, "\n".join(body).strip("\n"), start))
            kind, args, body, start = match.group(1), tuple(match.group(2).split()), [], number
        elif kind is None and line.strip():
            raise GenerateError(f"{where}:{number}: text before the first '%% <cell>' line")
        else:
            body.append(line)
    if kind is not None:
        specs.append(CellSpec(kind, args, "\n".join(body).strip("\n"), start))
    for spec in specs:
        expected_args = {"markdown": 0, "code": 0, "setup": 0, "test": 1}.get(spec.kind)
        if spec.kind not in ("markdown", "code", "setup", "module", "test"):
            raise GenerateError(f"{where}:{spec.line}: unknown cell kind '%% {spec.kind}'")
        if spec.kind == "module" and len(spec.args) < 2:
            raise GenerateError(f"{where}:{spec.line}: write '%% module <module> <part> ...'")
        if expected_args is not None and len(spec.args) != expected_args:
            raise GenerateError(
                f"{where}:{spec.line}: '%% {spec.kind}' takes {expected_args} argument(s)"
            )
        if spec.kind in ("setup", "module", "test") and spec.body.strip():
            raise GenerateError(
                f"{where}:{spec.line}: '%% {spec.kind}' cells are generated; "
                "remove the text below it"
            )
        if spec.kind in ("markdown", "code") and not spec.body.strip():
            raise GenerateError(f"{where}:{spec.line}: empty '%% {spec.kind}' cell")
    return specs


def public_tests(test_text: str, where: str) -> tuple[list[str], dict[str, str]]:
    """(import lines that are not from micrograd, {test name: source}) of a public test file."""
    parts = split_module(test_text, where)
    tree = ast.parse(test_text)
    imports = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
            )
            tops = {n.split(".")[0] for n in names}
            if tops & {"grader", "micrograder"}:
                raise GenerateError(
                    f"{where}:{node.lineno}: public tests must not import the grader"
                )
            if "micrograd" not in tops:
                imports.append(ast.get_source_segment(test_text, node))
    tests = {}
    for part in parts:
        if part.name == HEADER:
            continue
        if not part.name.startswith("test_"):
            raise GenerateError(
                f"{where}: '{part.name}' is not a test; public test files hold "
                "only test_* functions"
            )
        tests[part.name] = part.text.rstrip() + "\n"
    return imports, tests


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = int(points) if points == int(points) else points
    return meta


def public_test_points(lesson, tests) -> dict[str, float]:
    """{public test: nbgrader points} in the order of the test file, from lesson.toml's parts:
    every public test in exactly one part, every test a part names defined."""
    toml = lesson.toml
    points = lesson.public_test_points()
    for part in lesson.parts:
        for name in part.public_tests:
            if name not in tests:
                raise GenerateError(
                    f"{toml}: [parts.{part.name}] names public test '{name}', "
                    f"which {lesson.public_tests_file.name} does not define"
                )
    for name in tests:
        if name not in points:
            raise GenerateError(
                f"{toml}: public test '{name}' is in no part (add it to the "
                "public_tests of one [parts.<name>])"
            )
    return {name: points[name] for name in tests}


def source_notebook(
    lesson, specs, modules: dict[str, list[Part]], test_imports, tests, where
) -> nbformat.NotebookNode:
    """The nbgrader source notebook (with solutions, without outputs)."""
    points = public_test_points(lesson, tests)
    cells = []
    placed: dict[str, list[str]] = {m: [] for m in modules}
    placed_tests: list[str] = []
    for position, spec in enumerate(specs):
        if spec.kind == "setup" and any(c.cell_type == "code" for c in cells):
            raise GenerateError(f"{where}:{spec.line}: '%% setup' must be the first code cell")
        if spec.kind == "module":
            cell = _module_cell(spec, modules, where)
            placed[spec.args[0]].extend(spec.args[1:])
        elif spec.kind == "test":
            cell = _test_cell(lesson, spec, tests, points, where)
            placed_tests.append(spec.args[0])
        else:
            cell = _plain_cell(lesson, spec, position, test_imports)
        cells.append(cell)
    _check_placement(specs, modules, placed, tests, placed_tests, where)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
        "micrograder": {"lesson": lesson.id},
    }
    _check_metadata(nb, where)
    return nb


def _plain_cell(lesson, spec: CellSpec, position: int, test_imports):
    """A narrative cell (markdown, code) or the locked setup cell."""
    if spec.kind == "markdown":
        return nbformat.v4.new_markdown_cell(spec.body, id=f"{lesson.id}-md-{position}")
    if spec.kind == "code":
        return nbformat.v4.new_code_cell(spec.body, id=f"{lesson.id}-code-{position}")
    source = SETUP_SOURCE.format(modules=list(lesson.modules)) + (
        "\n" + "\n".join(test_imports) + "\n" if test_imports else ""
    )
    cell = nbformat.v4.new_code_cell(source, id=f"{lesson.id}-setup")
    cell.metadata["nbgrader"] = _nbgrader(f"{lesson.id}-setup", locked=True)
    return cell


def _module_cell(spec: CellSpec, modules: dict[str, list[Part]], where):
    """The named parts of a module: a solution cell when they hold a solution region."""
    module, names = spec.args[0], spec.args[1:]
    if module not in modules:
        raise GenerateError(
            f"{where}:{spec.line}: module '{module}' is not one of this "
            f"lesson's modules {sorted(modules)}"
        )
    by_name = {p.name: p for p in modules[module]}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise GenerateError(
            f"{where}:{spec.line}: {module}.py has no part "
            f"{', '.join(missing)} (parts: {', '.join(by_name)})"
        )
    source = "".join(by_name[n].text for n in names)
    grade_id = f"{module}-{names[0]}"
    cell = nbformat.v4.new_code_cell(source, id=grade_id)
    cell.metadata["micrograder"] = {"module": module}
    if has_solution(source):
        cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
    else:
        cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def _test_cell(lesson, spec: CellSpec, tests: dict[str, str], points: dict[str, float], where):
    """An autograded cell: the public test's source, then a call to it."""
    name = spec.args[0]
    if name not in tests:
        raise GenerateError(
            f"{where}:{spec.line}: no public test '{name}' in {lesson.public_tests_file.name}"
        )
    grade_id = f"{lesson.id}-{name}"
    cell = nbformat.v4.new_code_cell(tests[name] + f"\n\n{name}()\n", id=grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points[name])
    return cell


def _check_placement(specs, modules, placed, tests, placed_tests, where) -> None:
    """One setup cell; every part of every module once, in order; every public test once."""
    if not any(spec.kind == "setup" for spec in specs):
        raise GenerateError(f"{where}: no '%% setup' cell (the first code cell must be '%% setup')")
    for module, parts in modules.items():
        if placed[module] != [p.name for p in parts]:
            raise GenerateError(
                f"{where}: the module cells of {module}.py must hold its parts once each, in "
                f"order: expected {' '.join(p.name for p in parts)}, got "
                f"{' '.join(placed[module]) or 'none'}"
            )
    if sorted(placed_tests) != sorted(tests) or len(set(placed_tests)) != len(placed_tests):
        raise GenerateError(
            f"{where}: place every public test exactly once (tests: "
            f"{', '.join(tests)}; placed: {', '.join(placed_tests)})"
        )


def student_notebook(source: nbformat.NotebookNode, where: str) -> nbformat.NotebookNode:
    """The release version, made by nbgrader's own preprocessors (no database needed)."""
    nb = clear_notebook_solutions(copy.deepcopy(source), where)
    for preprocessor in (ClearOutput(), LockCells(), ComputeChecksums()):
        nb, _ = preprocessor.preprocess(nb, {})
    _check_metadata(nb, where)
    return nb


def _check_metadata(nb, where):
    try:
        CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
        nbformat.validate(nb)
    except Exception as exc:  # nbgrader's and nbformat's ValidationError
        first_line = str(exc).splitlines()[0]
        raise GenerateError(f"{where}: invalid notebook metadata ({first_line})") from None


def notebook_bytes(nb) -> bytes:
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def module_source(nb, module: str) -> str:
    """Join the cells of `module`, in notebook order (gives back the module file)."""
    return "".join(
        c.source
        for c in nb.cells
        if c.get("metadata", {}).get("micrograder", {}).get("module") == module
    )
