"""An nbgrader course's source/ folder: one assignment per lesson, complete (docs/nbgrader.md).

`micrograder generate --nbgrader-course DIR --policy own|released` writes, for every lesson:

  source/<lesson>/<lesson>.ipynb         the source notebook (assignments/<lesson>/<lesson>.ipynb)
  source/<lesson>/tests/words.py         the self-check's words, which the test cells import
  source/<lesson>/micrograd/__init__.py  the package the notebook imports earlier lessons from,
  source/<lesson>/micrograd/<helper>.py  with the modules no lesson owns (viz.py)
  source/<lesson>/save_notebook.py       notebook -> micrograd/<module>.py, the student's tool

and, by the course's policy for what a lesson needs from the lessons before it:
  own       the student's own earlier modules travel with the submission: the student puts them
            into the assignment's micrograd/ folder (`python save_notebook.py
            ../<earlier>/<earlier>.ipynb`) and submits it along. The source holds none of them,
            so nbgrader's autograde (which copies source files over the submission) keeps them.
  released  the reference modules of every earlier lesson are support files: nbgrader releases
            them with the assignment (the course publishes a lesson's solution once its
            deadline has passed) and autograde grades every student with them.
Never a lesson's own modules: its solution stays in the notebook's solution cells, which
nbgrader clears in the release. Files are bytes built from the tree (generate's build()).
"""

from __future__ import annotations

from pathlib import Path

from grader.generate.course import TEMPLATE, WORDS, build, reference_texts
from grader.generate.errors import GenerateError
from grader.lessons import Course, Lesson, read_course
from grader.paths import ROOT

POLICIES = ("own", "released")
SOURCE = "source"
PACKAGE = "micrograd"
CONFIG = "nbgrader_config.py"
# A course folder needs a config: nbgrader finds the course by it. Written only when missing.
CONFIG_TEXT = """\
c = get_config()
c.CourseDirectory.course_id = "micrograd"
"""


def assignment_files(
    course: Course, lesson: Lesson, policy: str, built: dict[str, bytes]
) -> dict[str, bytes]:
    """{path inside source/<lesson>/: bytes} of one lesson's nbgrader assignment."""
    if policy not in POLICIES:
        raise GenerateError(f"unknown policy '{policy}' (one of: {', '.join(POLICIES)})")
    out = {
        lesson.source_notebook_name: built[
            f"assignments/{lesson.id}/{lesson.source_notebook_name}"
        ],
        f"tests/{WORDS.name}": built[f"{TEMPLATE}/tests/{WORDS.name}"],
        f"{PACKAGE}/__init__.py": built[f"{TEMPLATE}/{PACKAGE}/__init__.py"],
        "save_notebook.py": built[f"{TEMPLATE}/save_notebook.py"],
    }
    texts = reference_texts(course)
    for module, text in texts.items():
        if module not in course.owners:  # a helper: no solution in it
            out[f"{PACKAGE}/{module}.py"] = text.encode("utf-8")
    if policy == "released":
        for module in course.in_order(course.modules_before(lesson)):
            out[f"{PACKAGE}/{module}.py"] = texts[module].encode("utf-8")
    return out


def course_files(policy: str, root: Path = ROOT) -> dict[str, bytes]:
    """{path inside the course folder: bytes} of every lesson's source/ assignment."""
    built = build(root)  # first: it words a broken course as a GenerateError
    course = read_course(root)
    return {
        f"{SOURCE}/{lesson.id}/{path}": data
        for lesson in course
        for path, data in assignment_files(course, lesson, policy, built).items()
    }


def write_course(dest: Path, policy: str, root: Path = ROOT) -> list[str]:
    """Write the source/ assignments into the course folder `dest`; return what changed.

    A package module left from another policy (a reference module in source/<lesson>/micrograd/)
    is removed: autograde would otherwise copy it over the student's own."""
    dest = Path(dest)
    files = course_files(policy, root)
    changed = []
    for lesson_package in sorted((dest / SOURCE).glob(f"*/{PACKAGE}/*.py")):
        rel = lesson_package.relative_to(dest).as_posix()
        if rel not in files:
            lesson_package.unlink()
            changed.append(f"removed: {rel}")
    for rel, data in files.items():
        path = dest / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        changed.append(f"{'updated' if path.exists() else 'wrote'}: {rel}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if not (dest / CONFIG).exists():
        (dest / CONFIG).write_text(CONFIG_TEXT, encoding="utf-8")
        changed.append(f"wrote: {CONFIG}")
    return changed
