"""nbgrader course folders, read as they are: `<course>/submitted/<student>/<assignment>/*.ipynb`.

`micrograder grade <course>` grades `<course>/submitted/` (one submission per student folder;
the notebooks inside are recognised by their grade_ids, whatever the assignment is called).
The export to nbgrader's grades.csv reads submission times from `timestamp.txt`, which
nbgrader's `collect`/`submit` write next to each submitted assignment, and students' names
and due dates from the course's gradebook.db through nbgrader's own API.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass
from pathlib import Path

SUBMITTED = "submitted"
# nbgrader's own files next to submitted/ say "this is an nbgrader course". Folder names never
# do: a class folder may hold students called `submitted`, `source` or `release`.
COURSE_MARKERS = ("nbgrader_config.py", "gradebook.db")
GRADEBOOK_DB = "gradebook.db"


def submitted_dir(path: Path) -> Path | None:
    """`path/submitted` when `path` is an nbgrader course folder, else None."""
    path = Path(path)
    submitted = path / SUBMITTED
    if (
        submitted.is_dir()
        and not submitted.is_symlink()
        and any(_regular(path / marker) for marker in COURSE_MARKERS)
    ):
        return submitted
    return None


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def submission_timestamp(course: Path, student: str, assignment: str) -> str:
    """The submission time nbgrader recorded, '' if there is none."""
    stamp = Path(course) / SUBMITTED / student / assignment / "timestamp.txt"
    try:
        return stamp.read_text(encoding="utf-8").strip()[:64]
    except (OSError, UnicodeDecodeError):
        return ""


@dataclass(frozen=True)
class CourseInfo:
    """What the course's gradebook.db knows: students and assignments' due dates."""

    students: dict[str, dict]  # id -> {last_name, first_name, email}
    duedates: dict[str, str]  # assignment name -> due date ('' if none)


def course_info(course: Path) -> CourseInfo:
    """Read gradebook.db with nbgrader's API (empty when the course has none)."""
    db = Path(course) / GRADEBOOK_DB
    if not db.is_file():
        return CourseInfo({}, {})
    from nbgrader.api import Gradebook  # imported lazily: it pulls in SQLAlchemy

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with Gradebook(f"sqlite:///{db.resolve()}") as gradebook:
        students = {
            s.id: {
                "last_name": s.last_name or "",
                "first_name": s.first_name or "",
                "email": s.email or "",
            }
            for s in gradebook.students
        }
        duedates = {a.name: str(a.duedate) if a.duedate else "" for a in gradebook.assignments}
    return CourseInfo(students, duedates)


def lesson_assignments(course: Path) -> dict[str, str]:
    """lesson id -> the course assignment that holds its notebook: a folder of source/,
    release/ or any student's submitted/ folder whose notebook is recognised as the lesson (an
    assignment named like the lesson wins). Lessons the course does not hold are left out."""
    from grader.intake import notebooks

    course = Path(course)
    templates = notebooks.load_templates()
    folders = [course / "source", course / "release"]
    if (course / SUBMITTED).is_dir():
        folders += sorted(p for p in (course / SUBMITTED).iterdir() if p.is_dir())
    found: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for assignment in sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()):
            try:
                paths = notebooks.find_notebooks(assignment)
            except Exception:  # too large or unreadable: no lesson is recognised from it
                continue
            for path in paths:
                try:
                    lesson = notebooks.identify_lesson(
                        notebooks.read_notebook(path, path.name), templates
                    )[0]
                except Exception:  # a stray or odd notebook names no assignment, nothing more
                    continue
                if lesson and (lesson not in found or assignment.name == lesson):
                    found[lesson] = assignment.name
    return found
