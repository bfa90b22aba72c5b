"""The course: its lessons, read from assignments/<lesson>/lesson.toml — the one place that says
which lessons there are, in which order, which student modules each grades, what their files are
called and what they are worth.

One definition serves the generator (which regions and notebook belong to a lesson), intake
(which files are modules, which notebook is which lesson) and the grader (points, time budget,
which modules a lesson grades, which worker ops it has). `course()` loads it once per process;
docs/adding-a-lesson.md lists the files a new lesson adds."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from grader.paths import ROOT

GRADER = Path(__file__).resolve().parent
# The worker's request handlers of a lesson (stdlib only, run inside the sandbox).
OPS_FOLDER = GRADER / "sandbox" / "inside"


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

    @property
    def toml(self) -> Path:
        return self.folder / "lesson.toml"

    @property
    def stem(self) -> str:
        """`<NN>_<id>`: the student's files of this lesson sort in course order."""
        return f"{self.order:02d}_{self.id}"

    @property
    def notebook_name(self) -> str:
        """The student notebook, student_template/notebooks/<NN>_<id>.ipynb."""
        return f"{self.stem}.ipynb"

    @property
    def test_name(self) -> str:
        """The public self-check, student_template/tests/test_<NN>_<id>.py."""
        return f"test_{self.stem}.py"

    @property
    def public_tests_file(self) -> Path:
        """assignments/<id>/test_<id>.py: the public tests, copied to `test_name`."""
        return self.folder / f"test_{self.id}.py"

    @property
    def source_notebook_name(self) -> str:
        """The nbgrader source notebook, assignments/<id>/<id>.ipynb."""
        return f"{self.id}.ipynb"

    @property
    def worker_imports(self) -> tuple[str, ...]:
        """Earlier lessons' modules this lesson's worker ops import (lesson.toml)."""
        return tuple(self.extra.get("worker_imports", ()))

    @property
    def ops_module(self) -> Path | None:
        """grader/sandbox/inside/ops_<id>.py, the worker requests `<id>.<name>`, if it has one."""
        path = OPS_FOLDER / f"ops_{self.id}.py"
        return path if path.is_file() else None


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
        raise LessonError(
            f"{path}: [public_tests] is gone: give each public test to a part "
            "([parts.<name>] public_tests = [...])"
        )
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
        part = _part(name, spec, f"{path}: [parts.{name}]")
        for test in part.public_tests:
            if test in owner:
                raise LessonError(
                    f"{path}: public test '{test}' is in two parts, "
                    f"'{owner[test]}' and '{name}' (put it in one)"
                )
            owner[test] = name
        parts.append(part)
    total = sum(part.points for part in parts)
    if abs(total - lesson_points) > 1e-9:
        raise LessonError(
            f"{path}: the parts' points add up to {total:g}, not the lesson's "
            f"`points` = {lesson_points:g}"
        )
    return tuple(parts)


def _part(name: str, spec, where: str) -> LessonPart:
    """One `[parts.<name>]` table, checked."""
    if not isinstance(spec, dict):
        raise LessonError(f"{where} must be a table with `points` and `public_tests`")
    unknown = sorted(set(spec) - {"points", "public_tests", "about"})
    if unknown:
        raise LessonError(
            f"{where}: unknown key(s) {', '.join(unknown)} (points, public_tests, about)"
        )
    points, tests = spec.get("points"), spec.get("public_tests")
    if not _number(points):
        raise LessonError(f"{where}: `points` must be a number >= 0")
    if not tests:
        raise LessonError(f'{where} has no public test (public_tests = ["test_..."])')
    tests = _public_test_points(tests, points, where)
    return LessonPart(
        name, float(points), {t: float(v) for t, v in tests.items()}, str(spec.get("about", ""))
    )


def _public_test_points(tests, points: float, where: str) -> dict:
    """{test: points} of a part: a list shares the part's points evenly, a table gives each."""
    if isinstance(tests, list):
        if not all(isinstance(t, str) for t in tests) or len(set(tests)) != len(tests):
            raise LessonError(f"{where}: public_tests must name each test once")
        share = round(points / len(tests), 2)
        if abs(share * len(tests) - points) > 1e-9:
            raise LessonError(
                f"{where}: {points:g} points do not split evenly among its "
                f"{len(tests)} public tests; give each its points "
                f"(public_tests = {{ test_a = 1.5, ... }})"
            )
        return {test: share for test in tests}
    if isinstance(tests, dict):
        if not all(_number(v) for v in tests.values()):
            raise LessonError(f"{where}: each public test's points must be a number >= 0")
        if abs(sum(tests.values()) - points) > 1e-9:
            raise LessonError(
                f"{where}: its public tests' points add up to "
                f"{sum(tests.values()):g}, not the part's {points:g}"
            )
        return tests
    raise LessonError(
        f"{where}: public_tests must be a list of test names or a table {{ test = points }}"
    )


@dataclass(frozen=True)
class Course:
    """The lessons in course order (orders unique, each module in one lesson, every module in
    the reference package), and what follows from them."""

    root: Path
    lessons: tuple[Lesson, ...]

    def __iter__(self):
        return iter(self.lessons)

    def __len__(self) -> int:
        return len(self.lessons)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)

    @property
    def reference_package(self) -> Path:
        return self.root / "solutions" / "micrograd"

    @cached_property
    def modules(self) -> tuple[str, ...]:
        """Every graded module (engine, nn, ...), in course order."""
        return tuple(module for lesson in self.lessons for module in lesson.modules)

    @cached_property
    def module_files(self) -> frozenset[str]:
        """File names of the graded modules: engine.py, nn.py, ..."""
        return frozenset(f"{module}.py" for module in self.modules)

    @cached_property
    def owners(self) -> dict[str, Lesson]:
        """module -> the lesson that grades it."""
        return {module: lesson for lesson in self.lessons for module in lesson.modules}

    @cached_property
    def points(self) -> dict[str, float]:
        """lesson id -> its points."""
        return {lesson.id: lesson.points for lesson in self.lessons}

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise LessonError(f"unknown lesson {lesson_id!r} (known: {', '.join(self.ids)})")

    def select(self, lesson_ids) -> tuple[Lesson, ...]:
        """The named lessons in course order (every lesson when none is named)."""
        chosen = {self.lesson(lesson_id).id for lesson_id in lesson_ids}
        return tuple(lesson for lesson in self.lessons if not chosen or lesson.id in chosen)

    def modules_before(self, lesson: Lesson) -> set[str]:
        """The modules of the lessons that come before `lesson`."""
        return {m for m, owner in self.owners.items() if owner.order < lesson.order}

    def in_order(self, modules) -> list[str]:
        """`modules` (graded module names) sorted by the order of the lesson that grades them."""
        return sorted(modules, key=lambda m: (self.owners[m].order, m))


def _check_course(lessons: list[Lesson], reference: Path) -> None:
    """What a course must hold before anything uses it; each error names the lesson.toml."""
    order_of, owner = {}, {}
    for lesson in lessons:
        if lesson.order in order_of:
            other = order_of[lesson.order]
            raise LessonError(
                f"{lesson.toml}: order {lesson.order} is also the order of lesson "
                f"'{other.id}' ({other.toml}); give each lesson its own order"
            )
        order_of[lesson.order] = lesson
        for module in lesson.modules:
            if module in owner:
                raise LessonError(
                    f"{lesson.toml}: module '{module}' already belongs to lesson "
                    f"'{owner[module].id}'; list each module in one lesson only"
                )
            if not (reference / f"{module}.py").is_file():
                raise LessonError(
                    f"{lesson.toml}: no reference module {reference / module}.py; "
                    "write it (with ### BEGIN/END SOLUTION regions) or remove "
                    f"'{module}' from `modules`"
                )
            owner[module] = lesson
    for lesson in lessons:
        for module in lesson.worker_imports:
            if module not in owner or owner[module].order >= lesson.order:
                raise LessonError(
                    f"{lesson.toml}: worker_imports names '{module}', which is no "
                    "module of an earlier lesson; list only earlier lessons' modules"
                )


def read_course(root: Path = ROOT) -> Course:
    """The course under `root` (assignments/, solutions/micrograd/), read from disk now."""
    folder = root / "assignments"
    found = (
        [p for p in sorted(folder.iterdir()) if (p / "lesson.toml").is_file()]
        if folder.is_dir()
        else []
    )
    if not found:
        raise LessonError(f"{folder}: no lessons (add assignments/<lesson>/lesson.toml)")
    lessons = sorted((load_lesson(p) for p in found), key=lambda lesson: lesson.order)
    _check_course(lessons, root / "solutions" / "micrograd")
    return Course(root, tuple(lessons))


@cache
def _cached_course(root: Path) -> Course:
    return read_course(root)


def course(root: Path = ROOT) -> Course:
    """The course under `root`, read once per process (the generator, which must see edits,
    uses read_course)."""
    return _cached_course(Path(root).resolve())


def load_lessons() -> list[Lesson]:
    """All lessons of this course, in course order."""
    return list(course().lessons)


def lesson_by_id(lesson_id: str) -> Lesson:
    return course().lesson(lesson_id)
