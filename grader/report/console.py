"""What `micrograder grade` / `validate` show in the terminal: a rich progress bar on stderr
while grading, then summary tables on stdout, all from the result model (grader/results.py)."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.lessons import Lesson
from grader.names import for_terminal
from grader.results import STATUSES, SubmissionResult, format_points, round_points

Results = dict[str, SubmissionResult | None]  # student id -> result (None: none was written)


@contextmanager
def progress_bar(total: int, console: Console):
    """Yields an `on_done(id, result, skipped)` callback for grade_all. The bar is drawn only
    on a terminal, so logs and CI output stay clean."""
    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    lock = threading.Lock()
    with progress:
        task = progress.add_task("grading", total=total, last="")

        def on_done(sub_id: str, result: SubmissionResult | None, skipped: bool) -> None:
            with lock:
                status = "skipped" if skipped else (result.status if result else "?")
                progress.update(
                    task,
                    advance=1,
                    last=f"{for_terminal(sub_id, name=True)}: {for_terminal(status)}",
                )

        yield on_done


def lesson_table(results: Results, lessons: list[Lesson]) -> Table:
    """Per lesson: mean points, max, how many submissions got full marks."""
    table = Table(title="Per-lesson summary")
    for name, justify in (
        ("lesson", "left"),
        ("mean", "right"),
        ("max", "right"),
        ("full marks", "right"),
    ):
        table.add_column(name, justify=justify)
    count = len(results)
    for lesson in lessons:
        points = [_lesson_points(result, lesson.id) for result in results.values()]
        full = sum(1 for p in points if p >= lesson.points - 1e-9)
        table.add_row(
            lesson.id,
            format_points(sum(points) / count if count else 0),
            format_points(lesson.points),
            f"{full}/{count}",
        )
    totals = [result.score if result else 0.0 for result in results.values()]
    full = sum(
        1
        for result in results.values()
        if result and round_points(result.score) >= result.max_score - 1e-9
    )
    table.add_row(
        "total",
        format_points(sum(totals) / count if count else 0),
        format_points(sum(lesson.points for lesson in lessons)),
        f"{full}/{count}",
        style="bold",
    )
    return table


def status_line(results: Results, skipped: int) -> str:
    counts = Counter(result.status if result else "crashed" for result in results.values())
    parts = [f"{status} {counts[status]}" for status in STATUSES if counts[status]]
    line = ", ".join(parts) or "no submissions"
    return line + (f" ({skipped} unchanged, not regraded)" if skipped else "")


def problem_table(results: Results) -> Table | None:
    """Submissions that were not simply graded, or were graded with a remark, and why."""
    rows = [
        (sub_id, result)
        for sub_id, result in results.items()
        if result is None or result.status != "graded" or result.reason
    ]
    if not rows:
        return None
    table = Table(title="Submissions with problems")
    table.add_column("id")
    table.add_column("status")
    table.add_column("reason", overflow="fold")
    for sub_id, result in rows:
        status, reason = (
            (result.status, result.reason) if result else ("crashed", "no results were written")
        )
        # ids and reasons are names a student chose: never markup, never a terminal escape
        table.add_row(for_terminal(sub_id, name=True), for_terminal(status), for_terminal(reason))
    return table


def _lesson_points(result: SubmissionResult | None, lesson_id: str) -> float:
    mine = result.lesson(lesson_id) if result else None
    return round_points(mine.points) if mine else 0.0  # as shown: 29.99999 is full marks
