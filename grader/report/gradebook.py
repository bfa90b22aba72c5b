"""gradebook.csv: one row per submission, from the result model (grader/results.py), so a
resumed or partial rerun still produces the whole gradebook from the records on disk."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.files import write_text_atomic
from grader.lessons import Lesson
from grader.names import for_csv, one_line
from grader.results import SubmissionResult, format_points


def gradebook_rows(
    results: dict[str, SubmissionResult | None], lessons: list[Lesson]
) -> list[dict]:
    """`results` maps each student id to its result (None if there is none, which only happens
    when the grader itself was stopped; the row says so rather than vanish)."""
    rows = []
    for sub_id, result in results.items():
        row = {"id": for_csv(sub_id, name=True)}
        if result is None:
            row.update(status="crashed", reason="no results were written; rerun the grader")
        else:
            row.update(status=result.status, reason=for_csv(one_line(result.reason)))
        for lesson in lessons:
            mine = result.lesson(lesson.id) if result else None
            row[lesson.id] = format_points(mine.points if mine else 0.0)
        row["total"] = format_points(result.score if result else 0.0)
        row["max"] = format_points(sum(lesson.points for lesson in lessons))
        rows.append(row)
    return rows


def write_gradebook(
    path: Path, results: dict[str, SubmissionResult | None], lessons: list[Lesson]
) -> None:
    columns = ["id", "status", "reason", *(lesson.id for lesson in lessons), "total", "max"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(gradebook_rows(results, lessons))
    write_text_atomic(path, buffer.getvalue())


def inert(text: str) -> str:
    """Text a spreadsheet shows as text (grader/names.py: for_csv): ids and reasons
    carry names a student chose (folder and file names)."""
    return for_csv(text)
