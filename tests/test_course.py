"""The Course (grader/lessons.py): the one source of lessons, modules and file names, checked
on load with one-line errors that name the lesson.toml."""

import pytest
from generate_helpers import course_copy

from grader.lessons import LessonError, course, read_course
from grader.paths import ROOT


def test_the_course_is_read_once_per_process():
    assert course() is course()
    assert course(ROOT / "grader" / "..") is course()  # the same root, spelled differently


def test_lessons_modules_and_owners_follow_lesson_toml():
    this = course()
    assert [lesson.order for lesson in this] == sorted(lesson.order for lesson in this)
    assert this.modules == tuple(m for lesson in this for m in lesson.modules)
    assert this.module_files == {f"{m}.py" for m in this.modules}
    assert all(this.owners[m] is lesson for lesson in this for m in lesson.modules)
    assert this.points == {lesson.id: lesson.points for lesson in this}


def test_file_names_carry_the_order():
    lesson = course().lessons[1]
    assert lesson.notebook_name == f"0{lesson.order}_{lesson.id}.ipynb"
    assert lesson.test_name == f"test_0{lesson.order}_{lesson.id}.py"
    assert lesson.public_tests_file == lesson.folder / f"test_{lesson.id}.py"


def test_ops_modules_are_found_by_lesson_id():
    for lesson in course():
        assert lesson.ops_module is not None and lesson.ops_module.name == f"ops_{lesson.id}.py"


def test_select_keeps_course_order_and_names_unknown_lessons():
    this = course()
    first, last = this.ids[0], this.ids[-1]
    assert [lesson.id for lesson in this.select([last, first])] == [first, last]
    assert this.select([]) == this.lessons
    with pytest.raises(LessonError, match="unknown lesson 'nope' \\(known: "):
        this.select(["nope"])


def test_earlier_modules_and_course_order():
    this = course()
    last = this.lessons[-1]
    assert this.modules_before(last) == set(this.modules) - set(last.modules)
    assert this.modules_before(this.lessons[0]) == set()
    assert this.in_order(reversed(this.modules)) == sorted(
        this.modules, key=lambda m: (this.owners[m].order, m)
    )


def _load_error(root, lesson: str, old: str, new: str) -> str:
    path = root / "assignments" / lesson / "lesson.toml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(LessonError) as info:
        read_course(root)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_two_lessons_with_one_order(tmp_path):
    message = _load_error(course_copy(tmp_path, False), "nn", "order = 3", "order = 2")
    assert "order 2 is also the order of lesson" in message
    assert "give each lesson its own order" in message


def test_a_module_in_two_lessons(tmp_path):
    message = _load_error(
        course_copy(tmp_path, False), "nn", 'modules = ["nn"]', 'modules = ["nn", "engine"]'
    )
    assert "module 'engine' already belongs to lesson 'value'" in message


def test_a_module_without_a_reference_file(tmp_path):
    message = _load_error(
        course_copy(tmp_path, False),
        "losses",
        'modules = ["losses"]',
        'modules = ["losses", "metrics"]',
    )
    assert "metrics.py" in message and "remove 'metrics' from `modules`" in message


def test_worker_imports_name_earlier_modules_only(tmp_path):
    message = _load_error(
        course_copy(tmp_path, False),
        "losses",
        'worker_imports = ["engine"]',
        'worker_imports = ["optim"]',
    )
    assert "worker_imports names 'optim'" in message


def test_no_lessons_at_all(tmp_path):
    (tmp_path / "assignments").mkdir()
    with pytest.raises(LessonError, match="no lessons"):
        read_course(tmp_path)
