"""What `micrograder grade` / `validate` show in the terminal: a rich progress bar on stderr
while grading, then summary tables on stdout."""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.results import STATUSES
from grader.lessons import Lesson
from grader.report.gradebook import format_points
from grader.names import for_terminal


@contextmanager
def progress_bar(total: int, console: Console):
    """Yields an `on_done(id, results, skipped)` callback for grade_all. The bar is drawn only
    on a terminal, so logs and CI output stay clean."""
    progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[last]}"),
                        console=console, disable=not console.is_terminal, transient=True)
    lock = threading.Lock()
    with progress:
        task = progress.add_task("grading", total=total, last="")

        def on_done(sub_id: str, results: dict | None, skipped: bool) -> None:
            with lock:
                status = "skipped" if skipped else (results or {}).get(
                    "extra_data", {}).get("status", "?")
                progress.update(task, advance=1,
                                last=f"{for_terminal(sub_id, name=True)}: {for_terminal(status)}")

        yield on_done


def lesson_table(results: dict[str, dict | None], lessons: list[Lesson]) -> Table:
    """Per lesson: mean points, max, how many submissions got full marks."""
    table = Table(title="Per-lesson summary")
    for name, justify in (("lesson", "left"), ("mean", "right"), ("max", "right"),
                          ("full marks", "right")):
        table.add_column(name, justify=justify)
    count = len(results)
    for lesson in lessons:
        points = [_lesson_points(data, lesson.id) for data in results.values()]
        full = sum(1 for p in points if p >= lesson.points - 1e-9)
        table.add_row(lesson.id, format_points(sum(points) / count if count else 0),
                      format_points(lesson.points), f"{full}/{count}")
    totals = [data["score"] if data else 0.0 for data in results.values()]
    table.add_row("total", format_points(sum(totals) / count if count else 0),
                  format_points(sum(lesson.points for lesson in lessons)),
                  f"{sum(1 for data in results.values() if data and data['score'] >= data['max_score'] - 1e-9)}/{count}",
                  style="bold")
    return table


def status_line(results: dict[str, dict | None], skipped: int) -> str:
    counts = Counter((data or {}).get("extra_data", {}).get("status", "crashed")
                     for data in results.values())
    parts = [f"{status} {counts[status]}" for status in STATUSES if counts[status]]
    line = ", ".join(parts) or "no submissions"
    return line + (f" ({skipped} unchanged, not regraded)" if skipped else "")


def problem_table(results: dict[str, dict | None]) -> Table | None:
    """Submissions that were not simply graded, or were graded with a remark, and why."""
    rows = [(sub_id, (data or {}).get("extra_data", {})) for sub_id, data in results.items()]
    rows = [(sub_id, extra) for sub_id, extra in rows
            if extra.get("status") != "graded" or extra.get("reason")]
    if not rows:
        return None
    table = Table(title="Submissions with problems")
    table.add_column("id")
    table.add_column("status")
    table.add_column("reason", overflow="fold")
    for sub_id, extra in rows:
        # ids and reasons are names a student chose: never markup, never a terminal escape
        table.add_row(for_terminal(sub_id, name=True), for_terminal(extra.get("status", "crashed")),
                      for_terminal(extra.get("reason", "no results were written")))
    return table


def _lesson_points(data: dict | None, lesson_id: str) -> float:
    if not data:
        return 0.0
    return float(data["extra_data"]["lessons"].get(lesson_id, {}).get("points", 0.0))
