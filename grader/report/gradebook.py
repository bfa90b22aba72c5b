"""gradebook.csv: one row per submission, rebuilt from the per-submission results.json files
(so a resumed or partial rerun still produces the whole gradebook)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.lessons import Lesson
from grader.files import write_text_atomic
from grader.names import for_csv


def gradebook_rows(results: dict[str, dict | None], lessons: list[Lesson]) -> list[dict]:
    """`results` maps each student id to its results.json data (None if there is none, which
    only happens when the grader itself was stopped; the row says so rather than vanish)."""
    rows = []
    for sub_id, data in results.items():
        row = {"id": for_csv(sub_id, name=True)}
        if data is None:
            row.update(status="crashed", reason="no results were written; rerun the grader")
            per_lesson = {}
        else:
            extra = data["extra_data"]
            row.update(status=extra.get("status", ""), reason=for_csv(extra.get("reason", "")))
            per_lesson = extra.get("lessons", {})
        for lesson in lessons:
            row[lesson.id] = format_points(per_lesson.get(lesson.id, {}).get("points", 0.0))
        row["total"] = format_points(data["score"] if data else 0.0)
        row["max"] = format_points(sum(lesson.points for lesson in lessons))
        rows.append(row)
    return rows


def write_gradebook(path: Path, results: dict[str, dict | None], lessons: list[Lesson]) -> None:
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


def format_points(value) -> str:
    """10.0 -> "10", 7.25 -> "7.25" (what a spreadsheet reads back as the same number)."""
    return f"{round(float(value), 4):g}"
