"""The class report: `<out>/checks.csv` (a row per submission per check) and `<out>/report.html`
(where the class struggles), both rebuilt from the result model (grader/results.py) at the end
of every run, resume included.

The page is the same bytes for the same results: it holds no clock time (a resumed run's page
equals the first run's), only numbers from the results, figures drawn deterministically
(grader/report/figures/plots.py) and rows in gradebook order with ties broken by name.

What it quotes is what a student may see anyway: a failed check's message only when the check
is not `hidden` (feedback.html's rule), so a hidden check appears by name and points only, and a
restricted check's message is already in the grader's own words (design.md, "The trust
boundary"). Staff notes and runner logs never reach it. Names are data: the template escapes
(autoescape, the `visible` filter) and every CSV cell goes through `names.for_csv`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.files import write_text_atomic
from grader.lessons import Lesson
from grader.names import for_csv
from grader.report.console import Results  # student id -> result, in gradebook order
from grader.report.feedback import environment
from grader.results import STATUSES, Check, SubmissionResult, format_points

CHECK_COLUMNS = ["id", "lesson", "check", "points", "max", "outcome"]
MOST_FAILED = 10  # checks listed in "most often failed"
SLOWEST = 5  # submissions listed in "slowest"
SAMPLES = 3  # distinct messages quoted per failed check


def check_rows(results: Results) -> list[dict]:
    """checks.csv's rows: per submission (gradebook order), its checks in the runner's order."""
    return [
        {
            "id": for_csv(sub_id, name=True),
            "lesson": check.lesson,
            "check": for_csv(check.id),
            "points": format_points(check.points),
            "max": format_points(check.max_points),
            "outcome": check.outcome,
        }
        for sub_id, result in results.items()
        if result is not None
        for check in result.checks
    ]


def write_checks_csv(path: Path, results: Results) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CHECK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(check_rows(results))
    write_text_atomic(path, buffer.getvalue())


@dataclass
class FailedCheck:
    """One check across the class: how many submissions failed it, and what they were told."""

    check: Check  # the first failure seen (its name, lesson, points and visibility)
    failed: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.check.visibility == "hidden"

    def add(self, check: Check) -> None:
        self.failed += 1
        shown = not self.hidden and check.message and check.message not in self.messages
        if shown and len(self.messages) < SAMPLES:
            self.messages.append(check.message)


def most_failed(results: Results, limit: int = MOST_FAILED) -> list[FailedCheck]:
    """The checks failed by the most submissions (ties: by check id)."""
    failures: dict[str, FailedCheck] = {}
    for result in graded(results):
        for check in result.checks:
            if not check.passed:
                failures.setdefault(check.id, FailedCheck(check)).add(check)
    ranked = sorted(failures.values(), key=lambda f: (-f.failed, f.check.id))
    return ranked[:limit]


def graded(results: Results) -> list[SubmissionResult]:
    """The submissions that have a result (None: the grader was stopped before writing one)."""
    return [result for result in results.values() if result is not None]


def status_counts(results: Results) -> list[tuple[str, int]]:
    """(status, how many) for every status, plus the submissions without any result."""
    counts = Counter(result.status for result in graded(results))
    rows = [(status, counts[status]) for status in STATUSES]
    missing = len(results) - len(graded(results))
    return rows + ([("no result", missing)] if missing else [])


def lesson_summaries(results: Results, lessons: list[Lesson]) -> list[dict]:
    """Per lesson: its score histogram, mean points and grading time (seconds its suite took)."""
    # matplotlib (~40 MB) is loaded when the first report is drawn, not when the grader starts:
    # the grading process's peak memory is then that of its largest intake or of the figures,
    # not their sum (docs/grading.md, "Limits")
    from grader.report.figures.plots import histogram_svg

    summaries = []
    for lesson in lessons:
        mine = [r.lesson(lesson.id) for r in graded(results)]
        mine = [part for part in mine if part is not None]
        points = [part.points for part in mine]
        seconds = [part.seconds for part in mine]
        what = f"points in lesson {lesson.order} ({lesson.id})"
        summaries.append(
            {
                "lesson": lesson,
                "histogram": histogram_svg(points, lesson.points, what),
                "mean": format_points(sum(points) / len(points)) if points else "–",
                "full": sum(1 for part in mine if part.points >= lesson.points - 1e-9),
                "count": len(mine),
                "total_seconds": f"{sum(seconds):.1f}",
                "mean_seconds": f"{sum(seconds) / len(seconds):.2f}" if seconds else "–",
                "max_seconds": f"{max(seconds):.2f}" if seconds else "–",
            }
        )
    return summaries


def slowest(results: Results, limit: int = SLOWEST) -> list[SubmissionResult]:
    """The submissions that took longest to grade (ties: by id)."""
    return sorted(graded(results), key=lambda r: (-r.execution_time, r.id))[:limit]


def render_report(results: Results, lessons: list[Lesson]) -> str:
    seeds = sorted({result.seed for result in graded(results)})
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            count=len(results),
            seeds=seeds,
            lessons=lesson_summaries(results, lessons),
            statuses=status_counts(results),
            failed=most_failed(results),
            slowest=slowest(results),
            max_score=sum(lesson.points for lesson in lessons),
        )
    )


def write_report(path: Path, results: Results, lessons: list[Lesson]) -> None:
    write_text_atomic(path, render_report(results, lessons))
