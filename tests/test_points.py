"""One truth for points (design.md, "Fair checks"): per lesson and per part of lesson.toml, the
hidden checks marked with the part, the part's `points` and the nbgrader points of its public
tests' cells (in the source notebook and in the student's) all add up to the same number."""

from collections import defaultdict

import nbformat
import pytest

from grader.generate.notebook import public_tests
from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS, STUDENT_TEMPLATE
from grader.suites.runner import collect_checks

LESSONS = load_lessons()


@pytest.fixture(scope="module")
def checks():
    return collect_checks()


def cell_points(path, lesson) -> dict[str, float]:
    """{public test: nbgrader points} of the notebook's autograded cells."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            prefix = f"{lesson.id}-"
            assert meta["grade_id"].startswith(prefix), meta["grade_id"]
            found[meta["grade_id"][len(prefix) :]] = meta["points"]
    return found


def test_every_hidden_check_is_in_exactly_one_known_part(checks):
    parts = {lesson.id: {part.name for part in lesson.parts} for lesson in LESSONS}
    wrong = [
        f"{c['id']}: part {c['part']!r}" for c in checks if c["part"] not in parts[c["lesson"]]
    ]
    assert not wrong, (
        "checks without exactly one @pytest.mark.part of their lesson.toml: " + "; ".join(wrong)
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_public_test_is_in_exactly_one_part(lesson):
    tests = public_tests((lesson.folder / f"test_{lesson.id}.py").read_text(), lesson.id)[1]
    owners = defaultdict(list)
    for part in lesson.parts:
        assert part.public_tests, f"{lesson.id}: part {part.name} holds no public test"
        for name in part.public_tests:
            owners[name].append(part.name)
    assert {name: len(owners[name]) for name in tests} == {name: 1 for name in tests}
    assert set(owners) == set(tests)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_hidden_checks_parts_and_notebooks_agree(lesson, checks):
    hidden = defaultdict(float)
    for check in checks:
        if check["lesson"] == lesson.id:
            hidden[check["part"]] += check["max_points"]
    notebooks = {
        "source notebook": cell_points(ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb", lesson),
        "student notebook": cell_points(
            STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name, lesson
        ),
    }
    for part in lesson.parts:
        assert hidden[part.name] == pytest.approx(part.points), (
            f"{lesson.id}/{part.name}: hidden checks {hidden[part.name]:g}, "
            f"lesson.toml {part.points:g}"
        )
        assert sum(part.public_tests.values()) == pytest.approx(part.points)
        for which, cells in notebooks.items():
            in_part = sum(cells[name] for name in part.public_tests)
            assert in_part == pytest.approx(part.points), (
                f"{lesson.id}/{part.name}: {which} cells {in_part:g}, lesson.toml {part.points:g}"
            )
    for which, cells in notebooks.items():
        assert set(cells) == set(lesson.public_test_points()), which
        assert sum(cells.values()) == pytest.approx(lesson.points), which
    assert sum(hidden.values()) == pytest.approx(lesson.points)
    assert sum(part.points for part in lesson.parts) == pytest.approx(lesson.points)
