"""Lesson isolation: build the `micrograd` package a worker imports for one lesson.

For lesson L the package holds the student's modules for L, the student's extra modules (any
other .py file: they travel with the lesson they serve), an empty __init__.py (the student's is
not graded and may import unfinished work), no module of a later lesson, and of the earlier
lessons' modules ONLY those that are imported — by the student's files, by the worker's requests
for L (lesson.toml's `worker_imports`), or by a module already taken, transitively. Each of those
is the student's own when its lesson earned full marks in this run (`own_earlier`), else the
REFERENCE module, so a bug in the student's engine.py costs points in lesson 2 only.

Reference code is an answer key (design.md): a package holding any reference module makes its
worker *restricted*, and `Assembly.reference` says which. So nothing is taken that is not needed:
lesson 2 needs no reference at all. `whole_stack` assembles the same modules all from the
student (lesson 6's integration check): never restricted.
"""

from __future__ import annotations

import ast
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.lessons import course
from grader.paths import REFERENCE_PACKAGE
from grader.scratch import remove_tree

MANIFEST = "assembly.json"


@dataclass
class Assembly:
    """Where each module of an assembled package came from."""

    student: list[str] = field(default_factory=list)  # file names copied from the submission
    reference: list[str] = field(default_factory=list)  # file names copied from the reference
    ignored: list[str] = field(default_factory=list)  # submission entries not used


def imported_modules(source: bytes, known) -> set[str]:
    """The package modules (names in `known`) that `source` imports: `from .engine import Value`,
    `from micrograd.engine import ...`, `from . import nn`, `import micrograd.optim`, or a string
    naming one (`import_module("micrograd.nn")`, `".nn"`). Generous on purpose: a module taken
    that is not needed costs nothing, one left out fails the student's import. Source that does
    not parse imports nothing (compile errors are reported elsewhere)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            found |= {
                alias.name.split(".")[1]
                for alias in item.names
                if alias.name.startswith("micrograd.")
            }
        elif isinstance(item, ast.ImportFrom):
            module = item.module or ""
            if item.level == 0 and module.startswith("micrograd."):
                found.add(module.split(".")[1])
            elif item.level == 0 and module == "micrograd" or item.level > 0 and not module:
                found |= {alias.name for alias in item.names}
            elif item.level > 0:
                found.add(module.split(".")[0])
        elif (
            isinstance(item, ast.Constant)
            and isinstance(item.value, str)
            and item.value.startswith(("micrograd.", "."))
        ):
            found.add(item.value.removeprefix("micrograd").lstrip(".").split(".")[0])
    return found & set(known)


def split_extras(submission_micrograd: Path, modules=None) -> tuple[list[Path], list[str]]:
    """(the student's extra modules: .py files other than the lesson modules and __init__.py,
    names of the other entries, which are never used)."""
    modules = modules if modules is not None else course().modules
    extras, ignored = [], []
    folder = Path(submission_micrograd)
    used = {f"{m}.py" for m in modules} | {"__init__.py", "__pycache__"}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.name in used:
            continue
        if entry.suffix == ".py" and entry.is_file() and not entry.is_symlink():
            extras.append(entry)
        else:
            ignored.append(entry.name)
    return extras, ignored


def _readable(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def earlier_sources(
    submission_micrograd: Path, lesson, own_earlier=frozenset(), whole_stack: bool = False
) -> dict[str, tuple[Path, bool]]:
    """module name -> (its file, whether that is the reference's) for every earlier lesson's
    module that lesson `lesson` needs, found by following imports from the student's files and
    from the lesson's worker requests. `whole_stack`: every one is the student's (a missing
    file stays missing: the student's stack must stand on its own)."""
    earlier = course().modules_before(lesson)
    own = [submission_micrograd / f"{m}.py" for m in lesson.modules]
    extras = split_extras(submission_micrograd)[0]
    student_files = [p for p in own if _readable(p)] + extras
    wanted = set(lesson.worker_imports)
    for path in student_files:
        wanted |= imported_modules(path.read_bytes(), earlier)
    sources: dict[str, tuple[Path, bool]] = {}
    todo = sorted(wanted & earlier)
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        student = submission_micrograd / f"{name}.py"
        if whole_stack and not _readable(student):
            sources[name] = (student, False)
            continue
        if whole_stack or name in own_earlier and _readable(student):
            sources[name] = (student, False)
        else:
            sources[name] = (REFERENCE_PACKAGE / f"{name}.py", True)
        todo += sorted(imported_modules(sources[name][0].read_bytes(), earlier) - set(sources))
    return sources


def stack_modules(submission_micrograd: Path, lesson_id: str) -> list[str]:
    """The modules the student's whole stack for `lesson_id` consists of: the lesson's own and
    every earlier one they (or the lesson's worker requests) import, in course order."""
    lesson = course().lesson(lesson_id)
    earlier = earlier_sources(Path(submission_micrograd), lesson, whole_stack=True)
    return course().in_order([*earlier, *lesson.modules])


def assemble_package(
    submission_micrograd: Path,
    lesson_id: str,
    dest: Path,
    own_earlier=frozenset(),
    whole_stack: bool = False,
) -> Path:
    """Build dest/micrograd/ for `lesson_id` and return dest (the directory to put on the
    worker's sys.path). `own_earlier`: earlier lessons' modules to take from the student (their
    lesson earned full marks in this run); `whole_stack`: all of them from the student (lesson
    6's integration check). dest/assembly.json records which files came from where."""
    submission_micrograd = Path(submission_micrograd)
    lesson = course().lesson(lesson_id)
    own = set(lesson.modules)
    earlier = earlier_sources(submission_micrograd, lesson, own_earlier, whole_stack)
    package = Path(dest) / "micrograd"
    remove_tree(package)
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    assembly = Assembly()
    for name in sorted(course().modules):
        if name in own:
            source, from_reference = submission_micrograd / f"{name}.py", False
        elif name in earlier:
            source, from_reference = earlier[name]
        else:
            continue
        if _readable(source):
            shutil.copyfile(source, package / source.name)
            (assembly.reference if from_reference else assembly.student).append(source.name)
    extras, assembly.ignored = split_extras(submission_micrograd)
    for entry in extras:
        shutil.copyfile(entry, package / entry.name)
        assembly.student.append(entry.name)
    (Path(dest) / MANIFEST).write_text(json.dumps(assembly.__dict__, indent=1))
    return Path(dest)


def read_assembly(dest: Path) -> Assembly:
    return Assembly(**json.loads((Path(dest) / MANIFEST).read_text()))
