"""What `generate` produces: stubs by nbgrader's rule, notebooks that are the modules, valid
nbgrader metadata, and nothing of the reference or the hidden suites in the template."""

import ast
import json
import re
import sys

import nbformat
import pytest

from grader.generate.notebook import module_source
from grader.generate.regions import BEGIN, solution_lines
from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS, REFERENCE_PACKAGE, ROOT, STUDENT_TEMPLATE

LESSONS = load_lessons()
TEMPLATE_FILES = sorted(
    p for p in STUDENT_TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
)


def template_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in TEMPLATE_FILES)


def _regions(text):
    return sum(BEGIN in line for line in text.splitlines())


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_template_modules_are_stubbed_at_every_region(lesson):
    for module in lesson.modules:
        reference = (REFERENCE_PACKAGE / f"{module}.py").read_text()
        stub = (STUDENT_TEMPLATE / "micrograd" / f"{module}.py").read_text()
        assert "SOLUTION" not in stub
        assert stub.count("raise NotImplementedError()") == _regions(reference) + reference.count(
            "raise NotImplementedError()"
        )
        # every stub sits at the indentation of the region it replaces
        begins = [
            line[: len(line) - len(line.lstrip())]
            for line in reference.splitlines()
            if BEGIN in line
        ]
        stubs = [
            line[: len(line) - len(line.lstrip())]
            for line in stub.splitlines()
            if line.strip() == "# YOUR CODE HERE"
        ]
        assert stubs == begins
        ast.parse(stub)  # still a valid module, so every public test can import it


def test_template_package_init_imports_nothing_and_viz_is_given_whole():
    init = ast.parse((STUDENT_TEMPLATE / "micrograd/__init__.py").read_text())
    assert not [n for n in init.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert (STUDENT_TEMPLATE / "micrograd/viz.py").read_bytes() == (
        REFERENCE_PACKAGE / "viz.py"
    ).read_bytes()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_notebook_module_cells_join_to_the_modules(lesson):
    source = nbformat.read(ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb", as_version=4)
    student = nbformat.read(STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name, as_version=4)
    for module in lesson.modules:
        assert module_source(source, module) == (REFERENCE_PACKAGE / f"{module}.py").read_text()
        assert (
            module_source(student, module)
            == (STUDENT_TEMPLATE / "micrograd" / f"{module}.py").read_text()
        )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_notebook_nbgrader_metadata(lesson):
    nb = nbformat.read(ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert 'sys.path.insert(0, "..")' in code[0].source
    assert all(not c.outputs and c.execution_count is None for c in code)
    meta = {c.id: c.metadata.get("nbgrader") for c in nb.cells}
    graded = {gid: m for gid, m in meta.items() if m}
    for gid, m in graded.items():
        assert m["schema_version"] == 3 and m["grade_id"] == gid
    solutions = [m for m in graded.values() if m["solution"]]
    assert solutions and all(not m["grade"] and not m["locked"] for m in solutions)
    tests = [m for m in graded.values() if m["grade"]]
    assert sum(m["points"] for m in tests) == lesson.points
    assert len(tests) == sum(len(part.public_tests) for part in lesson.parts)
    for cell in nb.cells:
        module = cell.metadata.get("micrograder", {}).get("module")
        if module:  # module cells: solution cells exactly when they hold a region
            assert cell.metadata.nbgrader["solution"] == (BEGIN in cell.source)
            assert cell.metadata.nbgrader["grade_id"].startswith(f"{module}-")
    assert "BEGIN HIDDEN TESTS" not in json.dumps(nb)


def test_grade_ids_are_stable_names():
    ids = set()
    for lesson in LESSONS:
        nb = nbformat.read(ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb", as_version=4)
        ids |= {c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata}
    assert {
        "engine-Value",
        "optim-Adam",
        "derivatives-header",
        "nn-MLP",
        "data-make_moons",
        "train-train",
        "value-test_tanh_neuron",
    } <= ids


def test_student_notebooks_have_no_solutions_and_checksums():
    for lesson in LESSONS:
        nb = nbformat.read(STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name, as_version=4)
        assert "SOLUTION" not in json.dumps(nb)
        for cell in nb.cells:
            if "nbgrader" in cell.metadata:
                assert cell.metadata.nbgrader["checksum"]
            if cell.metadata.get("nbgrader", {}).get("solution"):
                assert "raise NotImplementedError()" in cell.source


def _significant(line: str) -> bool:
    """Solution lines that are not trivial: long enough to be someone's code, not a comment.
    (Short lines such as `optimizer.step()` rightly appear in the narrative.)"""
    return len(line) >= 24 and not line.startswith("#")


def test_no_reference_solution_line_in_the_template():
    text = template_text()
    given = "\n".join(
        p.read_text() for p in REFERENCE_PACKAGE.glob("*.py") if BEGIN not in p.read_text()
    )
    leaked = []
    for path in sorted(REFERENCE_PACKAGE.glob("*.py")):
        for line in solution_lines(path.read_text()):
            if _significant(line) and line in text and line not in given:
                leaked.append(f"{path.name}: {line}")
    assert leaked == []
    # the check itself can fail: a solution line would be found if it were there
    assert any(
        _significant(line) for line in solution_lines((REFERENCE_PACKAGE / "engine.py").read_text())
    )


def test_no_hidden_suite_text_in_the_template():
    text = template_text()
    # Lesson assembly lives beside the suites but holds no check (it shares an ast idiom,
    # `isinstance(node, ast.Import)`, with the template's own conftest).
    suite_files = sorted(
        p for p in (ROOT / "grader" / "suites").rglob("*.py") if p.name != "assemble.py"
    )
    assert suite_files
    leaked = []
    for path in suite_files:
        for line in path.read_text().splitlines():
            line = line.strip()
            if (
                len(line) >= 30
                and not line.startswith(("import ", "from ", "#", '"""'))
                and line in text
            ):
                leaked.append(f"{path.name}: {line}")
    assert leaked == []
    assert not list(STUDENT_TEMPLATE.rglob("*suite*"))


def test_template_python_needs_only_the_stdlib_and_pytest():
    # words: the template's own tests/words.py (the checks' words, copied by generate)
    allowed = set(sys.stdlib_module_names) | {"pytest", "micrograd", "words"}
    for path in STUDENT_TEMPLATE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            assert {n.split(".")[0] for n in names} <= allowed, f"{path}: imports {names}"


def test_the_template_words_are_the_graders_words():
    """tests/words.py is a byte copy of the module the hidden suites and the feedback word
    their verdicts with (no second copy of the logic), and its public API is what the public
    tests use."""
    copy = STUDENT_TEMPLATE / "tests" / "words.py"
    assert copy.read_bytes() == (ROOT / "grader/sandbox/inside/words.py").read_bytes()
    names = {
        alias.name
        for path in (STUDENT_TEMPLATE / "tests").glob("test_*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ImportFrom) and node.module == "words"
        for alias in node.names
    }
    assert {"expect_close", "expect_grads", "build_graph"} <= names


def test_the_notebook_package_workflow_is_told_the_same_way_everywhere():
    """README.md ("Students"), the template README and lesson 1's notebook carry the same
    paragraph on moving code between notebook and package, both commands included."""
    workflow = (ROOT / "grader/generate/student/workflow.md").read_text(encoding="utf-8").strip()
    assert "python save_notebook.py --into-notebook notebooks/" in workflow
    first = min(LESSONS, key=lambda lesson: lesson.order)
    notebook = nbformat.read(STUDENT_TEMPLATE / "notebooks" / first.notebook_name, 4)
    texts = {
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        "template README": (STUDENT_TEMPLATE / "README.md").read_text(encoding="utf-8"),
        "lesson 1": "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown"),
    }
    for where, text in texts.items():
        assert workflow in text, where
        assert "copy your code into the package file" not in text, where


def test_student_pytest_ini_puts_the_package_on_the_path():
    ini = (STUDENT_TEMPLATE / "pytest.ini").read_text()
    assert re.search(r"^pythonpath\s*=\s*\.$", ini, re.M)


def test_the_standard_library_rule_is_stated_in_the_readme_and_lesson_1():
    """design.md: the grading environment is the student's, the standard library only; the
    README and lesson 1's notebook say so (and name numpy, the usual culprit)."""
    first = min(LESSONS, key=lambda lesson: lesson.order)
    notebook = nbformat.read(STUDENT_TEMPLATE / "notebooks" / first.notebook_name, 4)
    texts = {
        "README.md": (STUDENT_TEMPLATE / "README.md").read_text(encoding="utf-8"),
        "lesson 1": "\n".join(
            cell.source for cell in notebook.cells if cell.cell_type == "markdown"
        ),
    }
    for where, text in texts.items():
        assert "Standard library only" in text and "numpy" in text, where
