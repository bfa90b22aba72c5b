"""What grading one submission produces, and how its status is derived.

Built from the runner's JSON (grader/suites/runner.py: SuiteRun.results) or, when the runner never got to
run, from the reason it did not. The report layer turns it into results.json / feedback.html.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from grader.lessons import Lesson
from grader.names import printable

STATUSES = ("graded", "timeout", "crashed", "invalid")
OUTCOMES = ("passed", "failed", "error", "timeout", "crashed")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


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

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass
class LessonResult:
    lesson: Lesson
    status: str
    reason: str
    points: float
    seconds: float = 0.0
    restricted: str = ""  # why its details are held back ('' when they are not)

    @property
    def max_points(self) -> float:
        return self.lesson.points


@dataclass
class SubmissionResult:
    id: str
    seed: int
    status: str
    reason: str
    lessons: list[LessonResult]
    checks: list[Check]
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
    def score(self) -> float:
        return sum(lesson.points for lesson in self.lessons)

    @property
    def max_score(self) -> float:
        return sum(lesson.max_points for lesson in self.lessons)


def one_line(text: str, limit: int | None = None) -> str:
    """One line of free text, whole unless a `limit` is asked for: whitespace runs (newlines
    too) become one space and every other control character is shown escaped, so a name inside
    it cannot forge lines or escapes. Reasons stay whole: feedback.html wraps them, and the
    gradebook's cell needs no bound (a reason is the grader's words about at most six lessons,
    each bounded where it is made)."""
    text = printable(" ".join(str(text).split()))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def from_runner(sub_id: str, data: dict, lessons: list[Lesson], *, seed: int,
                execution_time: float, digest: str = "") -> SubmissionResult:
    """Read the runner's JSON. It is trusted, but a field of the wrong type must cost one
    submission its grade (as `crashed`), never the whole run: so parse defensively."""
    wanted = {lesson.id for lesson in lessons}
    checks = [c for c in (_check(raw) for raw in data.get("checks", [])) if c and c.lesson in wanted]
    reported = data.get("lessons") if isinstance(data.get("lessons"), dict) else {}
    results = []
    for lesson in lessons:
        info = reported.get(lesson.id)
        mine = [c for c in checks if c.lesson == lesson.id]
        points = min(sum(c.points for c in mine), lesson.points)
        if not isinstance(info, dict) or info.get("status") not in STATUSES:
            results.append(LessonResult(lesson, "crashed", "the suite runner reported nothing "
                                        "for this lesson", points))
            continue
        restricted = info.get("restricted") if isinstance(info.get("restricted"), str) else ""
        results.append(LessonResult(lesson, info["status"], one_line(info.get("reason") or ""),
                                    points, _number(info.get("seconds")), restricted))
    status, reason = overall_status(results)
    internal = _strings(data.get("internal_errors"))
    if internal:  # the student is not to blame; the teacher must see it in the gradebook
        reason = one_line(f"{reason}; " if reason else "") + one_line(
            f"grader error in {len(internal)} check(s): {internal[0]}")
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    return SubmissionResult(sub_id, seed, status, reason, results, checks, execution_time,
                            digest, limits, suite_seconds=_number(data.get("seconds")),
                            ignored=_strings(data.get("ignored")), internal_errors=internal,
                            staff_notes=_strings(data.get("staff_notes")),
                            inputs_key=str(data.get("inputs_key") or ""))


def without_runner(sub_id: str, status: str, reason: str, lessons: list[Lesson], *, seed: int,
                   execution_time: float = 0.0, digest: str = "") -> SubmissionResult:
    """A submission that produced no check results: every lesson scores 0 with the reason."""
    reason = one_line(reason)
    results = [LessonResult(lesson, status, reason, 0.0) for lesson in lessons]
    return SubmissionResult(sub_id, seed, status, reason, results, [], execution_time, digest)


def overall_status(lessons: list[LessonResult]) -> tuple[str, str]:
    """Worst lesson status wins (timeout, then crashed); `invalid` only when no lesson was
    gradable. The reason names every lesson that was not graded normally."""
    troubled = [lesson for lesson in lessons if lesson.status != "graded"]
    reason = one_line("; ".join(f"{lesson.lesson.id}: {lesson.status}"
                                + (f" ({lesson.reason})" if lesson.reason else "")
                                for lesson in troubled))
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
    return Check(id=str(raw.get("id", "")), lesson=raw["lesson"],
                 name=str(raw.get("name") or raw.get("id") or "check"),
                 points=points if outcome == "passed" or points < max_points else 0.0,
                 max_points=max_points, outcome=outcome,
                 message=str(raw.get("message") or ""), visibility=visibility,
                 seconds=_number(raw.get("seconds")), restricted=raw.get("restricted") is True)


def _strings(value) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    value = float(value)
    return value if math.isfinite(value) else 0.0
