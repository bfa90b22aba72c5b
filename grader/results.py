"""THE result model: what grading one submission produces, how its points and status are
derived, and its own versioned record on disk.

Built from the runner's JSON (docs/runner-contract.md; lenient: a field of the wrong type costs
one submission its grade, never the run) or, when the runner never got to run, from the reason
it did not. Every reader (resume, the outputs, the gradebook, the console, the exports) takes
these objects; results.json is one formatter of them (grader/report/gradescope.py).

Who derives what, once:
- a lesson's status and reason: the runner (it alone knows a lesson was invalid or timed out);
  `from_runner` only checks them;
- a lesson's points: `LessonResult.points`, from its checks, capped at the lesson's maximum
  (the runner's per-lesson points are for people reading its JSON, never read here);
- the submission's status and reason: `overall_status`.

The record (`to_dict` / `from_dict`, docs/grading.md) is the submission's whole state, staff
notes included, so it lives in the staff-only `<out>/.results/` (grader/names.py). Reading one
is strict: anything not of FORMAT, malformed, or about other lessons raises RecordError, which
callers read as "regrade".
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field, fields

from grader.lessons import Lesson
from grader.names import one_line

FORMAT = "micrograder-result/1"
STATUSES = ("graded", "timeout", "crashed", "invalid")
OUTCOMES = ("passed", "failed", "error", "timeout", "crashed")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class RecordError(ValueError):
    """A result record that is not ours, of another format, or malformed: regrade it."""


def round_points(value) -> float:
    """THE rounding of points everywhere they are shown or written (4 decimals)."""
    return round(float(value), 4)


def format_points(value) -> str:
    """10.0 -> "10", 7.25 -> "7.25" (what a spreadsheet reads back as the same number)."""
    return f"{round_points(value):g}"


@dataclass
class Check:
    id: str
    lesson: str
    name: str
    points: float
    max_points: float
    outcome: str
    message: str
    visibility: str = "visible"
    seconds: float = 0.0
    restricted: bool = False  # its worker held reference code: message in the grader's words
    # data for its picture in feedback.html (docs/runner-contract.md: "figure"), or None
    figure: dict | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_dict(self) -> dict:
        return _plain(self)

    @classmethod
    def from_dict(cls, raw) -> Check:
        check = cls(**_typed(cls, raw))
        if (
            check.outcome not in OUTCOMES
            or check.visibility not in VISIBILITIES
            or not 0.0 <= check.points <= check.max_points
        ):
            raise RecordError(f"check {check.id!r} is malformed")
        return check


@dataclass
class LessonResult:
    lesson: Lesson
    status: str
    reason: str
    checks: list[Check] = field(default_factory=list)  # this lesson's, in the runner's order
    seconds: float = 0.0
    restricted: str = ""  # why its details are held back ('' when they are not)
    # a syntax error's offending line: {file, line, text, column} (the runner's), or None
    excerpt: dict | None = None

    @property
    def points(self) -> float:
        """The one place a lesson's points are derived: its checks, capped at its maximum."""
        return min(sum(check.points for check in self.checks), self.lesson.points)

    @property
    def max_points(self) -> float:
        return self.lesson.points

    def to_dict(self) -> dict:
        return {
            "lesson": self.lesson.id,
            "max_points": self.lesson.points,
            **_plain(self, skip=("lesson", "checks")),
            "checks": [check.to_dict() for check in self.checks],
        }

    @classmethod
    def from_dict(cls, raw, lessons: dict[str, Lesson]) -> LessonResult:
        lesson_id = raw.get("lesson") if isinstance(raw, dict) else None
        lesson = lessons.get(lesson_id) if isinstance(lesson_id, str) else None
        if lesson is None or raw.get("max_points") != lesson.points:
            raise RecordError("a lesson of the record is not one of this course's lessons")
        checks = raw.get("checks")
        if not isinstance(checks, list):
            raise RecordError(f"lesson {lesson.id}: no list of checks")
        result = cls(
            lesson,
            checks=[Check.from_dict(check) for check in checks],
            **_typed(cls, raw, skip=("lesson", "checks")),
        )
        if result.status not in STATUSES or any(c.lesson != lesson.id for c in result.checks):
            raise RecordError(f"lesson {lesson.id} is malformed")
        return result


@dataclass
class SubmissionResult:
    id: str
    seed: int
    status: str
    reason: str
    lessons: list[LessonResult]
    execution_time: float
    digest: str = ""
    limits: dict = field(default_factory=dict)
    runner_log: str = ""  # the runner's own output when it failed (for the teacher only)
    suite_seconds: float = 0.0  # time the runner spent in the suites (the rest is overhead)
    ignored: list[str] = field(default_factory=list)  # submission files never imported
    internal_errors: list[str] = field(default_factory=list)  # grader bugs hit by checks
    notes: list[str] = field(default_factory=list)  # how the submission was read (notebooks)
    staff_notes: list[str] = field(default_factory=list)  # restricted checks' real messages
    inputs_key: str = ""  # the per-submission part of the inputs' seed
    intake: dict = field(default_factory=dict)  # preparation: seconds, staged_mb

    @property
    def checks(self) -> list[Check]:
        return [check for lesson in self.lessons for check in lesson.checks]

    @property
    def score(self) -> float:
        return sum(lesson.points for lesson in self.lessons)

    @property
    def max_score(self) -> float:
        return sum(lesson.max_points for lesson in self.lessons)

    def lesson(self, lesson_id: str) -> LessonResult | None:
        return next((lesson for lesson in self.lessons if lesson.lesson.id == lesson_id), None)

    def to_dict(self) -> dict:
        """The record: FORMAT first, then everything (JSON types only)."""
        return {
            "format": FORMAT,
            **_plain(self, skip=("lessons",)),
            "lessons": [lesson.to_dict() for lesson in self.lessons],
        }

    @classmethod
    def from_dict(cls, raw, lessons: list[Lesson]) -> SubmissionResult:
        """The record `raw` back, its lessons resolved among `lessons`. Raises RecordError for
        anything else, never another exception (a corrupt file must not crash a run)."""
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise RecordError(f"not a {FORMAT} record")
        by_id = {lesson.id: lesson for lesson in lessons}
        if not isinstance(raw.get("lessons"), list):
            raise RecordError("the record has no list of lessons")
        parts = [LessonResult.from_dict(lesson, by_id) for lesson in raw["lessons"]]
        result = cls(lessons=parts, **_typed(cls, raw, skip=("lessons",)))
        if result.status not in STATUSES:
            raise RecordError(f"status {result.status!r} is not one of {STATUSES}")
        return result


def read_record(text: str, lessons: list[Lesson]) -> SubmissionResult:
    """A record's JSON text back as a SubmissionResult; RecordError for anything else."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RecordError(f"not JSON ({type(exc).__name__})") from None
    return SubmissionResult.from_dict(raw, lessons)


# ---------------------------------------------------------------- from the runner


def from_runner(
    sub_id: str,
    data: dict,
    lessons: list[Lesson],
    *,
    seed: int,
    execution_time: float,
    digest: str = "",
) -> SubmissionResult:
    """Read the runner's JSON. It is trusted, but a field of the wrong type must cost one
    submission its grade (as `crashed`), never the whole run: so parse defensively."""
    wanted = {lesson.id for lesson in lessons}
    checks = [c for c in map(_check, data.get("checks", [])) if c and c.lesson in wanted]
    reported = data.get("lessons") if isinstance(data.get("lessons"), dict) else {}
    results = [
        _lesson(lesson, reported.get(lesson.id), checks_of(checks, lesson.id)) for lesson in lessons
    ]
    status, reason = overall_status(results)
    internal = _strings(data.get("internal_errors"))
    if internal:  # the student is not to blame; the teacher must see it in the gradebook
        reason = one_line(f"{reason}; " if reason else "") + one_line(
            f"grader error in {len(internal)} check(s): {internal[0]}"
        )
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    return SubmissionResult(
        sub_id,
        seed,
        status,
        reason,
        results,
        execution_time,
        digest,
        limits,
        suite_seconds=_number(data.get("seconds")),
        ignored=_strings(data.get("ignored")),
        internal_errors=internal,
        staff_notes=_strings(data.get("staff_notes")),
        inputs_key=str(data.get("inputs_key") or ""),
    )


def checks_of(checks: list[Check], lesson_id: str) -> list[Check]:
    """THE filter "the checks of this lesson" (a LessonResult holds its own as `.checks`)."""
    return [check for check in checks if check.lesson == lesson_id]


def _lesson(lesson: Lesson, info, checks: list[Check]) -> LessonResult:
    """One lesson as the runner reported it (status and reason are the runner's)."""
    if not isinstance(info, dict) or info.get("status") not in STATUSES:
        return LessonResult(
            lesson, "crashed", "the suite runner reported nothing for this lesson", checks
        )
    restricted = info.get("restricted") if isinstance(info.get("restricted"), str) else ""
    return LessonResult(
        lesson,
        info["status"],
        one_line(info.get("reason") or ""),
        checks,
        _number(info.get("seconds")),
        restricted,
        _excerpt(info.get("excerpt")),
    )


def _excerpt(raw) -> dict | None:
    """The runner's excerpt of a syntax error, if it has the expected fields and types."""
    types = {"file": str, "line": int, "text": str, "column": int}
    if not isinstance(raw, dict) or any(type(raw.get(k)) is not t for k, t in types.items()):
        return None
    return {k: raw[k] for k in types}


def without_runner(
    sub_id: str,
    status: str,
    reason: str,
    lessons: list[Lesson],
    *,
    seed: int,
    execution_time: float = 0.0,
    digest: str = "",
) -> SubmissionResult:
    """A submission that produced no check results: every lesson scores 0 with the reason."""
    reason = one_line(reason)
    results = [LessonResult(lesson, status, reason) for lesson in lessons]
    return SubmissionResult(sub_id, seed, status, reason, results, execution_time, digest)


def overall_status(lessons: list[LessonResult]) -> tuple[str, str]:
    """Worst lesson status wins (timeout, then crashed); `invalid` only when no lesson was
    gradable. The reason names every lesson that was not graded normally."""
    troubled = [lesson for lesson in lessons if lesson.status != "graded"]
    reason = one_line(
        "; ".join(
            f"{lesson.lesson.id}: {lesson.status}"
            + (f" ({lesson.reason})" if lesson.reason else "")
            for lesson in troubled
        )
    )
    if lessons and all(lesson.status == "invalid" for lesson in lessons):
        reasons = list(dict.fromkeys(lesson.reason for lesson in lessons))
        return "invalid", one_line("; ".join(reasons) if len(reasons) == 1 else reason)
    for status in ("timeout", "crashed"):
        if any(lesson.status == status for lesson in lessons):
            return status, reason
    return "graded", reason


def _check(raw) -> Check | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("lesson"), str):
        return None
    outcome = raw.get("outcome") if raw.get("outcome") in OUTCOMES else "error"
    max_points = max(_number(raw.get("max_points")), 0.0)
    points = min(max(_number(raw.get("points")), 0.0), max_points)
    visibility = raw.get("visibility") if raw.get("visibility") in VISIBILITIES else "visible"
    return Check(
        id=str(raw.get("id", "")),
        lesson=raw["lesson"],
        name=str(raw.get("name") or raw.get("id") or "check"),
        points=points if outcome == "passed" or points < max_points else 0.0,
        max_points=max_points,
        outcome=outcome,
        message=str(raw.get("message") or ""),
        visibility=visibility,
        seconds=_number(raw.get("seconds")),
        restricted=raw.get("restricted") is True,
        figure=raw.get("figure") if isinstance(raw.get("figure"), dict) else None,
    )


def _strings(value) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    value = float(value)
    return value if math.isfinite(value) else 0.0


# ---------------------------------------------------------------- the record's plain fields


def _plain(obj, skip=()) -> dict:
    """A dataclass's fields of JSON types, copied (lists and dicts are not shared)."""
    copies = {"list[str]": list, "dict": dict, "dict | None": copy.deepcopy}
    return {
        f.name: copies.get(f.type, lambda v: v)(getattr(obj, f.name))
        for f in fields(obj)
        if f.name not in skip
    }


def _typed(cls, raw, skip=()) -> dict:
    """The fields of `cls` (but `skip`) from `raw`, each of its declared type, else
    RecordError. The annotations are strings (`from __future__ import annotations`)."""
    if not isinstance(raw, dict):
        raise RecordError(f"a {cls.__name__} is not an object")
    return {
        f.name: _value(raw.get(f.name), f.type, f.name) for f in fields(cls) if f.name not in skip
    }


def _value(value, kind: str, name: str):
    ok = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: (
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        ),
        "bool": lambda v: isinstance(v, bool),
        "dict": lambda v: isinstance(v, dict),
        "dict | None": lambda v: v is None or isinstance(v, dict),  # absent in older records
        "list[str]": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    }
    if not ok[kind](value):
        raise RecordError(f"{name}: not a {kind}")
    return float(value) if kind == "float" else value
