"""Build everything `micrograder generate` owns, compare it with the tree, write it.

`build(root)` returns {relative path: bytes} for:
  student_template/micrograd/<module>.py   the reference with solution regions stubbed
  student_template/micrograd/__init__.py   imports nothing
  student_template/notebooks/<NN>_<lesson>.ipynb   the nbgrader release (student) notebook
  student_template/tests/test_<NN>_<lesson>.py     the lesson's public self-check, copied
  student_template/tests/conftest.py, pytest.ini, README.md, save_notebook.py
  student_template/tests/words.py          the grader's words (grader/sandbox/inside/words.py)
  assignments/<lesson>/<lesson>.ipynb      the nbgrader source notebook (with solutions)
Everything is a pure function of the inputs (sorted keys, fixed cell ids, no timestamps), so
building twice gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import jinja2

from grader.generate import notebook as nbmod
from grader.generate.errors import GenerateError
from grader.generate.parts import split_module
from grader.generate.regions import clear_solutions, has_solution
from grader.lessons import Course, Lesson, LessonError, read_course
from grader.paths import ROOT

STUDENT_FILES = Path(__file__).with_name("student")
# How a student moves code between notebook and package: one text for the template README and
# the lesson notebooks (`{{ workflow }}`); README.md's "Students" quotes it.
WORKFLOW = STUDENT_FILES / "workflow.md"
# The checks' words, copied whole: the public tests word their failures as the grader does.
WORDS = Path(__file__).parents[1] / "sandbox" / "inside" / "words.py"
TEMPLATE = "student_template"
# Made by running things (pytest, Jupyter); never owned, never compared.
SCRATCH = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
PACKAGE_INIT = (
    '"""The micrograd package you build during the course (this file is not graded)."""\n'
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GenerateError(f"{path}: missing") from None


def _course(root: Path) -> Course:
    try:
        return read_course(root)
    except LessonError as exc:
        raise GenerateError(str(exc)) from None


def build(root: Path = ROOT) -> dict[str, bytes]:
    course = _course(root)
    texts = reference_texts(course)
    out = template_package(course, texts)
    for lesson in course:
        out.update(lesson_files(course, lesson, texts))
    out.update(student_harness(course))
    return dict(sorted(out.items()))


def reference_texts(course: Course) -> dict[str, str]:
    """module name -> text of every reference module but __init__.py (lesson and helper ones)."""
    return {
        path.stem: _read(path)
        for path in sorted(course.reference_package.glob("*.py"))
        if path.name != "__init__.py"
    }


def template_package(course: Course, texts: dict[str, str]) -> dict[str, bytes]:
    """student_template/micrograd/: lesson modules stubbed, helper modules (no regions) whole."""
    out = {}
    for module, text in texts.items():
        path = course.reference_package / f"{module}.py"
        if module in course.owners:
            if not has_solution(text):
                raise GenerateError(
                    f"{path}: no '### BEGIN SOLUTION' region, but lesson "
                    f"'{course.owners[module].id}' lists it"
                )
            text = clear_solutions(text, str(path))
        elif has_solution(text):
            raise GenerateError(
                f"{path}: has solution regions but no lesson lists module '{module}' in lesson.toml"
            )
        out[f"{TEMPLATE}/micrograd/{path.name}"] = text.encode("utf-8")
    out[f"{TEMPLATE}/micrograd/__init__.py"] = PACKAGE_INIT.encode("utf-8")
    return out


def lesson_files(course: Course, lesson: Lesson, texts: dict[str, str]) -> dict[str, bytes]:
    """A lesson's source notebook, student notebook and public self-check."""
    template_path = str(lesson.folder / nbmod.TEMPLATE_NAME)
    test_text = _read(lesson.public_tests_file)
    test_imports, tests = nbmod.public_tests(test_text, str(lesson.public_tests_file))
    if not tests:
        raise GenerateError(f"{lesson.public_tests_file}: no test_* functions")
    modules = {
        m: split_module(texts[m], str(course.reference_package / f"{m}.py")) for m in lesson.modules
    }
    context = {
        "lesson": lesson,
        "lessons": course.lessons,
        "parts": lesson.parts,
        "points": nbmod.public_test_points(lesson, tests),
        "workflow": _read(WORKFLOW).rstrip("\n"),
    }
    specs = nbmod.parse_cells(nbmod.render_template(lesson, context), template_path)
    source = nbmod.source_notebook(lesson, specs, modules, test_imports, tests, template_path)
    student = nbmod.student_notebook(source, template_path)
    return {
        f"assignments/{lesson.id}/{lesson.source_notebook_name}": nbmod.notebook_bytes(source),
        f"{TEMPLATE}/notebooks/{lesson.notebook_name}": nbmod.notebook_bytes(student),
        f"{TEMPLATE}/tests/{lesson.test_name}": test_text.encode("utf-8"),
    }


def student_harness(course: Course) -> dict[str, bytes]:
    """The student's self-check harness (conftest, pytest.ini, the words), save_notebook.py
    and README."""
    out = {
        f"{TEMPLATE}/{folder}{name}": _read(STUDENT_FILES / name).encode("utf-8")
        for folder, name in (
            ("tests/", "conftest.py"),
            ("", "pytest.ini"),
            ("", "save_notebook.py"),
        )
    }
    out[f"{TEMPLATE}/tests/{WORDS.name}"] = _read(WORDS).encode("utf-8")
    readme = jinja2.Template(
        _read(STUDENT_FILES / "README.md.j2"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    workflow = _read(WORKFLOW).rstrip("\n")
    out[f"{TEMPLATE}/README.md"] = readme.render(lessons=course.lessons, workflow=workflow).encode(
        "utf-8"
    )
    return out


def owned_files(root: Path = ROOT) -> set[str]:
    """Files on disk that the generator owns: all of student_template/, assignments/*/*.ipynb."""
    found = set()
    template = root / TEMPLATE
    if template.is_dir():
        for path in template.rglob("*"):
            rel = path.relative_to(root)
            if path.is_file() and not SCRATCH.intersection(rel.parts):
                found.add(rel.as_posix())
    for path in (root / "assignments").glob("*/*.ipynb"):
        found.add(path.relative_to(root).as_posix())
    return found


def differences(root: Path = ROOT, built: dict[str, bytes] | None = None) -> list[str]:
    """'stale: <path>', 'missing: <path>', 'extra: <path>' for every file that is not as built."""
    built = build(root) if built is None else built
    on_disk = owned_files(root)
    problems = []
    for rel in sorted(set(built) | on_disk):
        if rel not in on_disk:
            problems.append(f"missing: {rel}")
        elif rel not in built:
            problems.append(f"extra: {rel}")
        elif (root / rel).read_bytes() != built[rel]:
            problems.append(f"stale: {rel}")
    return problems


def write(root: Path = ROOT) -> list[str]:
    """Bring the tree in line with build(); return what changed (empty when nothing did)."""
    built = build(root)
    changes = differences(root, built)
    for change in changes:
        kind, rel = change.split(": ", 1)
        path = root / rel
        if kind == "extra":
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(built[rel])
    template = root / TEMPLATE
    if template.is_dir():  # drop folders emptied by removing stale files
        for folder in sorted((p for p in template.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return changes


def check(root: Path = ROOT) -> list[str]:
    """Like write() but touches nothing: the list of differences (empty = up to date)."""
    return differences(root)
