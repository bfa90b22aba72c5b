"""The course's lessons, read from assignments/<lesson>/lesson.toml.

One definition serves the generator (which regions and notebook belong to a lesson) and the
grader (points, time budget, which student modules a lesson grades)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.paths import ASSIGNMENTS


@dataclass(frozen=True)
class Lesson:
    id: str
    order: int
    title: str
    points: float
    modules: tuple[str, ...]
    time_budget: float
    folder: Path
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class LessonError(ValueError):
    """A lesson definition is missing or malformed (message names the file)."""


def load_lesson(folder: Path) -> Lesson:
    path = folder / "lesson.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LessonError(f"{path}: missing lesson definition") from None
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path}: not valid TOML ({exc})") from None
    try:
        return Lesson(
            id=folder.name,
            order=int(data.pop("order")),
            title=str(data.pop("title")),
            points=float(data.pop("points")),
            modules=tuple(data.pop("modules")),
            time_budget=float(data.pop("time_budget")),
            folder=folder,
            extra=data,
        )
    except KeyError as exc:
        raise LessonError(f"{path}: missing key {exc.args[0]!r}") from None


def load_lessons(root: Path = ASSIGNMENTS) -> list[Lesson]:
    """All lessons, in course order."""
    folders = [p for p in sorted(root.iterdir()) if (p / "lesson.toml").is_file()]
    return sorted((load_lesson(p) for p in folders), key=lambda lesson: lesson.order)


def lesson_by_id(lesson_id: str, root: Path = ASSIGNMENTS) -> Lesson:
    for lesson in load_lessons(root):
        if lesson.id == lesson_id:
            return lesson
    known = ", ".join(lesson.id for lesson in load_lessons(root))
    raise LessonError(f"unknown lesson {lesson_id!r} (known: {known})")
