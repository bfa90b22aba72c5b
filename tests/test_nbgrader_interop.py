"""A real nbgrader course (made here with nbgrader's own generate_assignment) with a fake
submitted/ tree: graded by `micrograder grade <course>`, exported by `micrograder export
nbgrader` in the columns nbgrader's own CSV exporter writes."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS
from grader.report.nbgrader_export import COLUMNS, grades_rows, read_scores

pytestmark = pytest.mark.slow

# nbgrader assignment name -> lesson: one named after the lesson, one not
ASSIGNMENTS_OF_COURSE = {"ps1": "derivatives", "value": "value"}
STUDENTS = {
    "alice": ("Liddell", "Alice", "alice@example.org"),
    "bob": ("Builder", "Bob", "bob@example.org"),
    "carol": ("Danvers", "Carol", "carol@example.org"),
}  # carol submits nothing
DUEDATE = "2030-01-15 17:00:00"
TIMESTAMP = "2030-01-14 09:30:00.000000 UTC"


def _solutions(lesson):
    source = nbformat.read(ASSIGNMENTS / lesson / f"{lesson}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'micrograd'\n"
    )
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, (last, first, email) in STUDENTS.items():
            gradebook.update_or_create_student(
                student, last_name=last, first_name=first, email=email
            )
        for name in ASSIGNMENTS_OF_COURSE:
            gradebook.update_or_create_assignment(name, duedate=DUEDATE)
    for name, lesson in ASSIGNMENTS_OF_COURSE.items():
        shutil.copy(
            ASSIGNMENTS / lesson / f"{lesson}.ipynb",
            (course / "source" / name).mkdir(parents=True)
            or course / "source" / name / f"{lesson}.ipynb",
        )
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "micrograd"
    api = NbGraderAPI(config=config)
    for name in ASSIGNMENTS_OF_COURSE:
        outcome = api.generate_assignment(name)
        assert outcome["success"], outcome.get("log")

    # The students fetch the release, work on it and submit: alice solves both, bob submits
    # the value notebook unchanged.
    for student, filled in (("alice", True), ("bob", False)):
        for name, lesson in ASSIGNMENTS_OF_COURSE.items():
            if student == "bob" and name != "value":
                continue
            release = course / "release" / name / f"{lesson}.ipynb"
            nb = nbformat.read(release, as_version=4)
            if filled:
                solutions = _solutions(lesson)
                for cell in nb.cells:
                    grade = cell.metadata.get("nbgrader", {}).get("grade_id")
                    if grade in solutions:
                        cell.source = solutions[grade]
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{lesson}.ipynb")
            (folder / "timestamp.txt").write_text(TIMESTAMP)

    nbgrader_csv = course / "nbgrader-grades.csv"
    from nbgrader.plugins.export import CsvExportPlugin  # nbgrader's own exporter, for comparison

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        CsvExportPlugin(to=str(nbgrader_csv)).export(gradebook)
    return course, nbgrader_csv


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    course_dir, _ = course
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(course_dir),
            "--out",
            str(out),
            "--seed",
            "5",
            "--lesson",
            "derivatives",
            "--lesson",
            "value",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_course_is_graded_from_its_submitted_folder(graded):
    rows = {row["id"]: row for row in read_csv(graded / "gradebook.csv")}
    assert sorted(rows) == ["alice", "bob"]
    assert float(rows["alice"]["derivatives"]) == 10 and float(rows["alice"]["value"]) == 30
    assert float(rows["bob"]["total"]) == 0


def test_export_matches_nbgrader_own_columns_rows_and_course_data(course, graded):
    course_dir, nbgrader_csv = course
    result = CliRunner().invoke(
        main,
        ["export", "nbgrader", str(graded), "--course", str(course_dir)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    ours = read_csv(graded / "grades.csv")
    theirs = read_csv(nbgrader_csv)
    with open(graded / "grades.csv") as handle:
        assert handle.readline().strip() == ",".join(COLUMNS)
    assert list(ours[0]) == list(theirs[0]) == COLUMNS
    same = ("assignment", "duedate", "student_id", "last_name", "first_name", "email", "max_score")
    key = lambda row: (row["assignment"], row["student_id"])  # noqa: E731
    assert sorted([{k: r[k] for k in same} for r in ours], key=key) == sorted(
        [{k: r[k] for k in same} for r in theirs], key=key
    )
    by_key = {key(row): row for row in ours}
    assert by_key[("ps1", "alice")]["score"] == "10.0"
    assert by_key[("value", "alice")]["raw_score"] == "30.0"
    assert by_key[("value", "alice")]["timestamp"] == TIMESTAMP
    assert by_key[("value", "bob")]["score"] == "0.0"
    assert (
        by_key[("value", "carol")]["timestamp"] == ""
        and by_key[("value", "carol")]["score"] == "0.0"
    )


def test_export_reads_a_gradebook_csv_too(graded):
    lessons = [lesson for lesson in load_lessons() if lesson.id in ("derivatives", "value")]
    from_folder = grades_rows(read_scores(graded), lessons)
    from_csv = grades_rows(read_scores(graded / "gradebook.csv"), lessons)
    assert from_folder == from_csv
    assert {(r["assignment"], r["student_id"], r["score"]) for r in from_csv} >= {
        ("derivatives", "alice", "10.0"),
        ("value", "bob", "0.0"),
    }
