"""docs/course.md maps every objective of the course outline to where the course teaches it:
one table row per objective (the outline's words, in its order), each naming a lesson of the
course and saying what the student does. The outline's objectives are a fixture copied from the
outline, so the check needs nothing outside the repository."""

import re

from grader.lessons import load_lessons
from grader.paths import ROOT

OBJECTIVES_FILE = ROOT / "tests" / "fixtures" / "outline_objectives.txt"
COURSE_DOC = ROOT / "docs" / "course.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|(.*)\|(.*)\|\s*$")


def outline_objectives() -> list[str]:
    lines = OBJECTIVES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def objective_rows() -> list[tuple[int, str, str, str]]:
    """(number, objective, where, what the student does) of each row of the objective table."""
    rows = []
    for line in COURSE_DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            number, objective, where, does = (part.strip() for part in match.groups())
            rows.append((int(number), objective, where, does))
    return rows


def test_the_fixture_holds_the_outlines_39_objectives():
    objectives = outline_objectives()
    assert len(objectives) == 39
    assert len(set(objectives)) == 39
    assert objectives[0].startswith("Identify the two components of micrograd")
    assert objectives[-1] == "Describe the path from micrograd to microGPT to full-scale models"


def test_every_objective_has_a_row_in_the_outlines_order():
    rows = objective_rows()
    assert [number for number, *_ in rows] == list(range(1, len(rows) + 1))
    assert [objective for _, objective, _, _ in rows] == outline_objectives()


def test_every_row_names_a_lesson_and_what_the_student_does():
    lessons = {lesson.order: lesson.title for lesson in load_lessons()}
    for number, _, where, does in objective_rows():
        named = [int(order) for order, _ in re.findall(r"(?:^|; )(\d) ([^›]+)›", where)]
        assert named, f"objective {number}: 'Where' names no lesson ({where!r})"
        for order in named:
            assert order in lessons, f"objective {number}: no lesson {order}"
            assert f"{order} {lessons[order]} ›" in where, f"objective {number}: {where!r}"
        assert len(does.split()) >= 5, f"objective {number}: say what the student does"
