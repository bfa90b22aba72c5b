"""A fixed SubmissionResult (built from runner JSON, as grading builds it) for the golden copy
of results.json: tests/fixtures/results_golden/ holds what the formatter wrote for it before
the result model got its own record, so the file a student or Gradescope reads stays the same
byte for byte."""

from __future__ import annotations

from grader.lessons import load_lessons
from grader.results import from_runner, without_runner

LESSONS = load_lessons()


def runner_data() -> dict:
    checks, lessons = [], {}
    for lesson in LESSONS:
        for i, share in enumerate((0.5, 0.3, 0.2)):
            failed = (lesson.id, i) in {("value", 0), ("nn", 2), ("training", 1)}
            checks.append(
                {
                    "id": f"{lesson.id}/t{i}",
                    "lesson": lesson.id,
                    "name": f"{lesson.id} check {i} <b>&\x1b",
                    "points": 0.0 if failed else lesson.points * share,
                    "max_points": lesson.points * share,
                    "outcome": "failed" if failed else "passed",
                    "message": "wrong sign\nat x=0.3" if lesson.id == "value" and failed else "",
                    "visibility": "hidden" if i == 2 else "visible",
                    "seconds": 0.1 * i,
                    "restricted": lesson.id == "nn",
                }
            )
        lessons[lesson.id] = {
            "status": "graded",
            "reason": "",
            "seconds": 0.2345,
            "restricted": "ran on the course's engine" if lesson.id == "nn" else "",
        }
    lessons["losses"] = {"status": "timeout", "reason": "1 check(s) ran out of time"}
    return {
        "seed": 7,
        "inputs_key": "k3y",
        "checks": checks,
        "lessons": lessons,
        "limits": {"request_timeout": 5},
        "ignored": ["../stray.py"],
        "internal_errors": ["value/t1: KeyError"],
        "staff_notes": ["nn/t2: secret"],
        "seconds": 3.14159,
    }


def graded():
    result = from_runner(
        "al\x1bice", runner_data(), LESSONS, seed=7, execution_time=1.23456, digest="abc"
    )
    result.notes = ["read 01_derivatives.ipynb", "line one\nline two"]
    result.intake = {"seconds": 0.5, "staged_mb": 0.25}
    return result


def never_ran():
    return without_runner(
        "bob",
        "invalid",
        "no micrograd/ folder\nanywhere",
        LESSONS,
        seed=3,
        execution_time=0.5,
        digest="",
    )


CASES = {"graded": graded, "never_ran": never_ran}
