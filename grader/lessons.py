"""The course's lessons, read from assignments/<lesson>/lesson.toml.

One definition serves the generator (which regions and notebook belong to a lesson) and the
grader (points, time budget, which student modules a lesson grades)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.paths import ASSIGNMENTS


@dataclass(frozen=True)
class LessonPart:
    """One part of a lesson (lesson.toml `[parts.<name>]`): what the student writes, worth
    `points` — the sum of the hidden checks marked `@pytest.mark.part("<name>")` — and the
    public tests (notebook cells) that exercise it, each with its nbgrader points."""
    name: str
    points: float
    public_tests: dict = field(hash=False)  # test name -> points; they add up to `points`
    about: str = ""


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
    parts: tuple[LessonPart, ...] = field(default=(), compare=False, hash=False)

    def public_test_points(self) -> dict[str, float]:
        """{public test: its nbgrader points}, from the parts."""
        return {test: pts for part in self.parts for test, pts in part.public_tests.items()}


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
    if "public_tests" in data:
        raise LessonError(f"{path}: [public_tests] is gone: give each public test to a part "
                          "([parts.<name>] public_tests = [...])")
    try:
        points = float(data.pop("points"))
        return Lesson(
            id=folder.name,
            order=int(data.pop("order")),
            title=str(data.pop("title")),
            points=points,
            modules=tuple(data.pop("modules")),
            time_budget=float(data.pop("time_budget")),
            folder=folder,
            parts=_parts(data.pop("parts", None), points, path),
            extra=data,
        )
    except KeyError as exc:
        raise LessonError(f"{path}: missing key {exc.args[0]!r}") from None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _parts(table, lesson_points: float, path: Path) -> tuple[LessonPart, ...]:
    """The `[parts]` of lesson.toml, checked: every public test in one part, every part with a
    public test, each part's public tests adding up to its points, the parts to the lesson's."""
    if table is None:
        raise LessonError(f"{path}: no [parts] (each part: points and the public tests it holds)")
    if not isinstance(table, dict) or not table:
        raise LessonError(f"{path}: [parts] must hold at least one [parts.<name>] table")
    parts, owner = [], {}
    for name, spec in table.items():
        where = f"{path}: [parts.{name}]"
        if not isinstance(spec, dict):
            raise LessonError(f"{where} must be a table with `points` and `public_tests`")
        unknown = sorted(set(spec) - {"points", "public_tests", "about"})
        if unknown:
            raise LessonError(f"{where}: unknown key(s) {', '.join(unknown)} (points, public_tests, about)")
        points, tests = spec.get("points"), spec.get("public_tests")
        if not _number(points):
            raise LessonError(f"{where}: `points` must be a number >= 0")
        if not tests:
            raise LessonError(f"{where} has no public test (public_tests = [\"test_...\"])")
        if isinstance(tests, list):
            if not all(isinstance(t, str) for t in tests) or len(set(tests)) != len(tests):
                raise LessonError(f"{where}: public_tests must name each test once")
            share = round(points / len(tests), 2)
            if abs(share * len(tests) - points) > 1e-9:
                raise LessonError(f"{where}: {points:g} points do not split evenly among its "
                                  f"{len(tests)} public tests; give each its points "
                                  f"(public_tests = {{ test_a = 1.5, ... }})")
            tests = {test: share for test in tests}
        elif isinstance(tests, dict):
            if not all(_number(v) for v in tests.values()):
                raise LessonError(f"{where}: each public test's points must be a number >= 0")
            if abs(sum(tests.values()) - points) > 1e-9:
                raise LessonError(f"{where}: its public tests' points add up to "
                                  f"{sum(tests.values()):g}, not the part's {points:g}")
        else:
            raise LessonError(f"{where}: public_tests must be a list of test names or a table "
                              "{ test = points }")
        for test in tests:
            if test in owner:
                raise LessonError(f"{path}: public test '{test}' is in two parts, "
                                  f"'{owner[test]}' and '{name}' (put it in one)")
            owner[test] = name
        parts.append(LessonPart(name, float(points), {t: float(v) for t, v in tests.items()},
                                str(spec.get("about", ""))))
    total = sum(part.points for part in parts)
    if abs(total - lesson_points) > 1e-9:
        raise LessonError(f"{path}: the parts' points add up to {total:g}, not the lesson's "
                          f"`points` = {lesson_points:g}")
    return tuple(parts)


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
