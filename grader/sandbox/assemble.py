"""Lesson isolation: build the `micrograd` package a worker imports for one lesson.

For lesson L the package holds the student's modules for L, the REFERENCE modules of earlier
lessons (so a bug in the student's engine.py costs points in lesson 2 only), no module of a
later lesson, the student's extra modules (any other .py file: they travel with the lesson they
serve) and an empty __init__.py (the student's is not graded and may import unfinished work).
lesson_id None assembles the student's whole stack (lesson 6's integration check).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE
from grader.scratch import remove_tree

MANIFEST = "assembly.json"


@dataclass
class Assembly:
    """Where each module of an assembled package came from."""
    student: list[str] = field(default_factory=list)  # file names copied from the submission
    reference: list[str] = field(default_factory=list)  # file names copied from the reference
    ignored: list[str] = field(default_factory=list)  # submission entries not used


def known_modules() -> dict[str, int]:
    """module name -> order of the lesson that grades it."""
    return {m: lesson.order for lesson in load_lessons() for m in lesson.modules}


def split_extras(submission_micrograd: Path, modules=None) -> tuple[list[Path], list[str]]:
    """(the student's extra modules: .py files other than the lesson modules and __init__.py,
    names of the other entries, which are never used)."""
    modules = modules if modules is not None else known_modules()
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


def assemble_package(submission_micrograd: Path, lesson_id: str | None, dest: Path) -> Path:
    """Build dest/micrograd/ for `lesson_id` and return dest (the directory to put on the
    worker's sys.path). dest/assembly.json records which files came from where."""
    submission_micrograd = Path(submission_micrograd)
    modules = known_modules()
    if lesson_id is None:
        order = max(modules.values()) + 1
        own = set(modules)
    else:
        lesson = next(lesson for lesson in load_lessons() if lesson.id == lesson_id)
        order = lesson.order
        own = set(lesson.modules)
    package = Path(dest) / "micrograd"
    remove_tree(package)
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    assembly = Assembly()
    for name, module_order in sorted(modules.items()):
        if name in own:
            source, into = submission_micrograd / f"{name}.py", assembly.student
        elif module_order < order:
            source, into = REFERENCE_PACKAGE / f"{name}.py", assembly.reference
        else:
            continue
        if source.is_file() and not source.is_symlink():
            shutil.copyfile(source, package / source.name)
            into.append(source.name)
    extras, assembly.ignored = split_extras(submission_micrograd, modules)
    for entry in extras:
        shutil.copyfile(entry, package / entry.name)
        assembly.student.append(entry.name)
    (Path(dest) / MANIFEST).write_text(json.dumps(assembly.__dict__, indent=1))
    return Path(dest)


def read_assembly(dest: Path) -> Assembly:
    return Assembly(**json.loads((Path(dest) / MANIFEST).read_text()))
