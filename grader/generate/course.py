"""Build everything `micrograder generate` owns, compare it with the tree, write it.

`build(root)` returns {relative path: bytes} for:
  student_template/micrograd/<module>.py   the reference with solution regions stubbed
  student_template/micrograd/__init__.py   imports nothing
  student_template/notebooks/<NN>_<lesson>.ipynb   the nbgrader release (student) notebook
  student_template/tests/test_<NN>_<lesson>.py     the lesson's public self-check, copied
  student_template/tests/conftest.py, pytest.ini, README.md, save_notebook.py
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
from grader.lessons import LessonError, load_lessons
from grader.paths import ROOT

STUDENT_FILES = Path(__file__).with_name("student")
TEMPLATE = "student_template"
# Made by running things (pytest, Jupyter); never owned, never compared.
SCRATCH = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
PACKAGE_INIT = '"""The micrograd package you build during the course (this file is not graded)."""\n'


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GenerateError(f"{path}: missing") from None


def student_test_name(lesson) -> str:
    return f"test_{lesson.order:02d}_{lesson.id}.py"


def student_notebook_name(lesson) -> str:
    return f"{lesson.order:02d}_{lesson.id}.ipynb"


def build(root: Path = ROOT) -> dict[str, bytes]:
    package = root / "solutions" / "micrograd"
    try:
        lessons = load_lessons(root / "assignments")
    except LessonError as exc:
        raise GenerateError(str(exc)) from None
    if not lessons:
        raise GenerateError(f"{root / 'assignments'}: no lessons (assignments/<lesson>/lesson.toml)")
    out: dict[str, bytes] = {}

    lesson_modules = {}
    for lesson in lessons:
        for module in lesson.modules:
            if module in lesson_modules:
                raise GenerateError(f"{lesson.folder / 'lesson.toml'}: module '{module}' already belongs to lesson '{lesson_modules[module]}'")
            lesson_modules[module] = lesson.id

    # The package: lesson modules stubbed, helper modules (no regions) given whole.
    texts = {}
    for path in sorted(package.glob("*.py")):
        if path.name == "__init__.py":
            continue
        text = texts[path.stem] = _read(path)
        if path.stem in lesson_modules:
            if not has_solution(text):
                raise GenerateError(f"{path}: no '### BEGIN SOLUTION' region, but lesson '{lesson_modules[path.stem]}' lists it")
            text = clear_solutions(text, str(path))
        elif has_solution(text):
            raise GenerateError(f"{path}: has solution regions but no lesson lists module '{path.stem}' in lesson.toml")
        out[f"{TEMPLATE}/micrograd/{path.name}"] = text.encode("utf-8")
    for module, lesson_id in lesson_modules.items():
        if module not in texts:
            raise GenerateError(f"{root / 'assignments' / lesson_id / 'lesson.toml'}: no reference module {package / (module + '.py')}")
    out[f"{TEMPLATE}/micrograd/__init__.py"] = PACKAGE_INIT.encode("utf-8")

    # Notebooks and public tests, lesson by lesson.
    for lesson in lessons:
        template_path = lesson.folder / nbmod.TEMPLATE_NAME
        test_path = lesson.folder / f"test_{lesson.id}.py"
        test_text = _read(test_path)
        test_imports, tests = nbmod.public_tests(test_text, str(test_path))
        if not tests:
            raise GenerateError(f"{test_path}: no test_* functions")
        modules = {m: split_module(texts[m], str(package / f"{m}.py")) for m in lesson.modules}
        context = {"lesson": lesson, "lessons": lessons, "parts": lesson.parts,
                   "points": nbmod.public_test_points(lesson, tests)}
        specs = nbmod.parse_cells(nbmod.render_template(lesson, context), str(template_path))
        source = nbmod.source_notebook(lesson, specs, modules, test_imports, tests, str(template_path))
        student = nbmod.student_notebook(source, str(template_path))
        out[f"assignments/{lesson.id}/{lesson.id}.ipynb"] = nbmod.notebook_bytes(source)
        out[f"{TEMPLATE}/notebooks/{student_notebook_name(lesson)}"] = nbmod.notebook_bytes(student)
        out[f"{TEMPLATE}/tests/{student_test_name(lesson)}"] = test_text.encode("utf-8")

    # The student's self-check harness and README.
    out[f"{TEMPLATE}/tests/conftest.py"] = _read(STUDENT_FILES / "conftest.py").encode("utf-8")
    out[f"{TEMPLATE}/pytest.ini"] = _read(STUDENT_FILES / "pytest.ini").encode("utf-8")
    out[f"{TEMPLATE}/save_notebook.py"] = _read(STUDENT_FILES / "save_notebook.py").encode("utf-8")
    readme = jinja2.Template(_read(STUDENT_FILES / "README.md.j2"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    out[f"{TEMPLATE}/README.md"] = readme.render(
        lessons=lessons, notebook_name=student_notebook_name, test_name=student_test_name).encode("utf-8")
    return dict(sorted(out.items()))


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
