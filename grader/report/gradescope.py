"""results.json in Gradescope's autograder schema, one per submission: a pure formatter of the
result model (grader/results.py). Nothing in the grader reads it back (resume and every other
reader use the result record); its content is kept exactly as it was when it was the grader's
state (tests/fixtures/results_golden/).

Top level: score, max_score, execution_time (seconds, a number), output, tests[]; each test:
name, number, score, max_score, status ("passed"/"failed"), output, visibility, tags (the
lesson id). `extra_data`, which Gradescope keeps but ignores, carries what a reader of the file
may want: status, seed, per-lesson points, the submission's fingerprint.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.names import one_line, one_lines, visible
from grader.results import LessonResult, SubmissionResult, round_points

SCHEMA = "micrograder-results/1"


def results_json(result: SubmissionResult) -> dict:
    return {
        "score": round_points(result.score),
        "max_score": round_points(result.max_score),
        "execution_time": round(result.execution_time, 3),
        "output": _summary(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test for lesson in result.lessons for test in lesson_tests(lesson)],
        "extra_data": extra_data(result),
    }


def lesson_tests(lesson: LessonResult) -> list[dict]:
    """A test per check; a lesson that never ran is one failed test with its points and
    reason."""
    meta = lesson.lesson
    tests = []
    for number, check in enumerate(lesson.checks, start=1):
        output = check.message
        if not check.passed and not output:
            output = f"{check.outcome}" + (f": {lesson.reason}" if lesson.reason else "")
        tests.append(
            _test(
                f"{meta.title}: {check.name}",
                f"{meta.order}.{number}",
                check.points,
                check.max_points,
                check.passed,
                output,
                check.visibility,
                meta.id,
            )
        )
    if not lesson.checks:
        tests.append(
            _test(
                meta.title,
                f"{meta.order}",
                0.0,
                lesson.max_points,
                False,
                lesson.reason or lesson.status,
                "visible",
                meta.id,
            )
        )
    return tests


def _test(name, number, score, max_score, passed, output, visibility, lesson_id) -> dict:
    return {
        "name": name,
        "number": number,
        "score": round_points(score),
        "max_score": round_points(max_score),
        "status": "passed" if passed else "failed",
        "output": output,
        "visibility": visibility,
        "tags": [lesson_id],
    }


def extra_data(result: SubmissionResult) -> dict:
    return {
        "schema": SCHEMA,
        "student_id": visible(result.id),  # names are data: never a raw control character
        "status": result.status,
        "reason": one_line(result.reason),
        "seed": result.seed,
        "inputs_key": result.inputs_key,
        "lessons": {lesson.lesson.id: _lesson_extra(lesson) for lesson in result.lessons},
        "submission_digest": result.digest,
        "suite_seconds": round(result.suite_seconds, 3),
        "ignored_files": result.ignored,
        "internal_errors": result.internal_errors,
        "notes": one_lines(result.notes),
        "intake": result.intake,
        "limits": result.limits,
    }


def _lesson_extra(lesson: LessonResult) -> dict:
    return {
        "status": lesson.status,
        "reason": lesson.reason,
        "points": round_points(lesson.points),
        "max_points": round_points(lesson.max_points),
        "seconds": round(lesson.seconds, 3),
        "restricted": lesson.restricted,
    }


def read_results(path: Path) -> dict | None:
    """A results.json written by us, or None if missing, unreadable or not ours. For tests and
    tools that check the file; the grader itself never reads it back."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    extra = data.get("extra_data") if isinstance(data, dict) else None
    if not isinstance(extra, dict) or extra.get("schema") != SCHEMA:
        return None
    if not isinstance(extra.get("lessons"), dict) or not isinstance(data.get("tests"), list):
        return None
    return data


def _summary(result: SubmissionResult) -> str:
    """The text Gradescope shows on top: the score line, then one line per note. Reasons and
    notes quote names a student chose, so each is forced onto one line with nothing hidden:
    a file name holding a newline cannot forge a line such as "100 / 100 points"."""
    text = (
        f"{round_points(result.score):g} / {round_points(result.max_score):g} points "
        f"({result.status})"
    )
    reason = one_line(result.reason)
    text = f"{text}: {reason}" if reason else text
    return "\n".join([text, *one_lines(result.notes)])
