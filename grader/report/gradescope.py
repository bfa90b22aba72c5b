"""results.json in Gradescope's autograder schema, one per submission.

Top level: score, max_score, execution_time (seconds, a number), output, tests[]; each test:
name, number, score, max_score, status ("passed"/"failed"), output, visibility, tags (the
lesson id). Everything else the grader needs later (status, seed, per-lesson points, the
submission's fingerprint) goes into `extra_data`, which Gradescope keeps but ignores; the
gradebook and resume read it back from there.
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.results import SubmissionResult, one_line
from grader.names import visible

SCHEMA = "micrograder-results/1"


def results_json(result: SubmissionResult) -> dict:
    tests = []
    for lesson in result.lessons:
        checks = [c for c in result.checks if c.lesson == lesson.lesson.id]
        for number, check in enumerate(checks, start=1):
            output = check.message
            if not check.passed and not output:
                output = f"{check.outcome}" + (f": {lesson.reason}" if lesson.reason else "")
            tests.append({
                "name": f"{lesson.lesson.title}: {check.name}",
                "number": f"{lesson.lesson.order}.{number}",
                "score": _points(check.points),
                "max_score": _points(check.max_points),
                "status": "passed" if check.passed else "failed",
                "output": output,
                "visibility": check.visibility,
                "tags": [lesson.lesson.id],
            })
        if not checks:  # the lesson never ran: one failed test carries its points and reason
            tests.append({
                "name": lesson.lesson.title,
                "number": f"{lesson.lesson.order}",
                "score": 0.0,
                "max_score": _points(lesson.max_points),
                "status": "failed",
                "output": lesson.reason or lesson.status,
                "visibility": "visible",
                "tags": [lesson.lesson.id],
            })
    return {
        "score": _points(result.score),
        "max_score": _points(result.max_score),
        "execution_time": round(result.execution_time, 3),
        "output": _summary(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "schema": SCHEMA,
            "student_id": visible(result.id),  # names are data: never a raw control character
            "status": result.status,
            "reason": one_line(result.reason),
            "seed": result.seed,
            "inputs_key": result.inputs_key,
            "lessons": {
                lesson.lesson.id: {
                    "status": lesson.status,
                    "reason": lesson.reason,
                    "points": _points(lesson.points),
                    "max_points": _points(lesson.max_points),
                    "seconds": round(lesson.seconds, 3),
                    "restricted": lesson.restricted,
                }
                for lesson in result.lessons
            },
            "submission_digest": result.digest,
            "suite_seconds": round(result.suite_seconds, 3),
            "ignored_files": result.ignored,
            "internal_errors": result.internal_errors,
            "notes": _lines(result.notes),
            "intake": result.intake,
            "limits": result.limits,
        },
    }


def read_results(path: Path) -> dict | None:
    """A results.json written by us, or None if missing, unreadable or not ours."""
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
    text = f"{_points(result.score):g} / {_points(result.max_score):g} points ({result.status})"
    reason = one_line(result.reason)
    text = f"{text}: {reason}" if reason else text
    return "\n".join([text, *_lines(result.notes)])


def _lines(notes: list[str]) -> list[str]:
    return [one_line(note, 1000) for note in notes]


def _points(value: float) -> float:
    return round(float(value), 4)
