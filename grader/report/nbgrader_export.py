"""grades.csv in the columns of nbgrader's own `nbgrader export` (its CsvExportPlugin):
assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score — one row per student per assignment (= lesson),
assignments in course order, students sorted, as nbgrader writes them.

Scores come from a `micrograder grade` output folder (its result records, <out>/.results/) or
from its gradebook.csv. With `course` (an nbgrader course folder): each lesson is exported under the
name of the course assignment that holds its notebook (in source/, release/ or submitted/) and
lessons the course has no assignment for are left out; names, emails and due dates come from
its gradebook.db, times from submitted/<student>/<assignment>/timestamp.txt; students of the
course who submitted nothing get a row with 0 points, as in nbgrader.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader import names
from grader.files import write_text_atomic
from grader.intake import nbgrader_course
from grader.lessons import Lesson, load_lessons
from grader.names import for_csv, from_csv, visible
from grader.results import RecordError, SubmissionResult, read_record, round_points

COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]
GRADEBOOK = "gradebook.csv"


class ExportError(Exception):
    """The input cannot be exported; the message says what to pass instead."""


@dataclass(frozen=True)
class Scores:
    points: dict[str, dict[str, float]]  # student id -> lesson id -> points
    lessons: list[str]  # lesson ids that were graded, course order unknown here


def export_grades(
    source: Path, lessons: list[Lesson], *, to: Path | None = None, course: Path | None = None
) -> str:
    """`micrograder export nbgrader`: write grades.csv for `lessons` from `source` (an --out
    folder or its gradebook.csv) to `to` (default: grades.csv in the folder / next to the
    gradebook) and return the line to show. Raises ExportError with what to do instead."""
    source = Path(source)
    to = Path(to) if to else (source if source.is_dir() else source.parent) / "grades.csv"
    try:
        rows = grades_rows(read_scores(source), lessons, course)
        write_grades_csv(to, rows)
    except OSError as exc:
        raise ExportError(f"cannot write {to} ({exc.strerror or exc}); pass --to") from None
    students = len({row["student_id"] for row in rows})
    return f"wrote {to}: {len(rows)} rows ({students} students)"


def read_scores(source: Path) -> Scores:
    """Per-student lesson points from a grading output folder (its result records) or its
    gradebook.csv."""
    source = Path(source)
    if source.is_dir():
        points, lessons = {}, []
        for result in read_records(source):
            sub_id = visible(result.id)  # as the gradebook names it
            points[sub_id] = {
                lesson.lesson.id: round_points(lesson.points) for lesson in result.lessons
            }
            lessons += [lesson for lesson in points[sub_id] if lesson not in lessons]
        if points:
            return Scores(points, lessons)
        if (source / GRADEBOOK).is_file():
            return read_scores(source / GRADEBOOK)
        raise ExportError(
            f"{source} holds no results; pass the --out folder of "
            "`micrograder grade` or its gradebook.csv"
        )
    try:
        with open(source, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
            fields = list(rows[0].keys()) if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportError(f"{source} cannot be read ({exc})") from None
    if not fields or fields[0] != "id" or "total" not in fields:
        raise ExportError(
            f"{source} is not a gradebook.csv written by `micrograder grade` "
            "(expected the columns id, status, reason, <lessons>, total, max)"
        )
    lessons = (
        fields[fields.index("reason") + 1 : fields.index("total")]
        if "reason" in fields
        else fields[2 : fields.index("total")]
    )
    try:
        points = {
            from_csv(row["id"]): {lesson: float(row[lesson] or 0) for lesson in lessons}
            for row in rows
        }
    except ValueError as exc:
        raise ExportError(f"{source}: a points column is not a number ({exc})") from None
    return Scores(points, lessons)


def read_records(out: Path) -> list[SubmissionResult]:
    """The result records of an --out folder that are whole and of this course (a record that
    is not is skipped, as `grade` would regrade it)."""
    course_lessons = load_lessons()
    results = []
    for path in names.record_paths(out):
        try:
            results.append(read_record(path.read_text(encoding="utf-8"), course_lessons))
        except (OSError, UnicodeDecodeError, RecordError):
            continue
    return results


def _number(value: float) -> str:
    return str(round_points(value))


def grades_rows(scores: Scores, lessons: list[Lesson], course: Path | None = None) -> list[dict]:
    """nbgrader's rows for `lessons` (those that were graded, in course order)."""
    info = nbgrader_course.course_info(course) if course else nbgrader_course.CourseInfo({}, {})
    students = sorted(set(scores.points) | set(info.students))
    in_course = nbgrader_course.lesson_assignments(course) if course else {}
    rows = []
    for lesson in lessons:
        if lesson.id not in scores.lessons or (course and lesson.id not in in_course):
            continue  # not graded, or the course has no assignment for this lesson
        assignment = in_course.get(lesson.id, lesson.id)
        for student in students:
            person = info.students.get(student, {})
            raw = scores.points.get(student, {}).get(lesson.id, 0.0)
            rows.append(
                {
                    "assignment": assignment,
                    "duedate": info.duedates.get(assignment, ""),
                    "timestamp": nbgrader_course.submission_timestamp(course, student, assignment)
                    if course
                    else "",
                    "student_id": for_csv(student),  # never a formula in a spreadsheet
                    "last_name": person.get("last_name", ""),
                    "first_name": person.get("first_name", ""),
                    "email": person.get("email", ""),
                    "raw_score": _number(raw),
                    # nbgrader's default late-submission plugin charges nothing; neither do we
                    "late_submission_penalty": _number(0.0),
                    "score": _number(max(0.0, raw)),
                    "max_score": _number(lesson.points),
                }
            )
    return rows


def write_grades_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(Path(path), buffer.getvalue())
