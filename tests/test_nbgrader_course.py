"""`micrograder generate --nbgrader-course DIR --policy own|released`: what each lesson's
source/ assignment holds (tests/test_nbgrader_alone.py runs the course through nbgrader)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.generate.nbgrader_course import course_files, write_course
from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE

LESSONS = load_lessons()


def package_modules(files: dict, lesson) -> set[str]:
    prefix = f"source/{lesson.id}/micrograd/"
    return {rel[len(prefix) : -3] for rel in files if rel.startswith(prefix)}


@pytest.mark.parametrize("policy", ["own", "released"])
def test_every_lesson_gets_its_notebook_words_and_package(policy):
    files = course_files(policy)
    owned = {module for lesson in LESSONS for module in lesson.modules}
    for number, lesson in enumerate(LESSONS):
        folder = f"source/{lesson.id}/"
        assert f"{folder}{lesson.id}.ipynb" in files
        assert f"{folder}tests/words.py" in files and f"{folder}save_notebook.py" in files
        modules = package_modules(files, lesson)
        earlier = {m for before in LESSONS[:number] for m in before.modules}
        assert not modules & set(lesson.modules)  # never the lesson's own solution
        assert modules & owned == (earlier if policy == "released" else set())
        assert "__init__" in modules and "viz" in modules
    for rel, data in files.items():
        module = rel.rsplit("/", 1)[-1]
        if "/micrograd/" in rel and module != "__init__.py":
            assert data == (REFERENCE_PACKAGE / module).read_bytes()


def test_switching_to_own_removes_the_released_modules(tmp_path):
    write_course(tmp_path, "released")
    assert (tmp_path / "source" / "training" / "micrograd" / "engine.py").is_file()
    changes = write_course(tmp_path, "own")
    assert "removed: source/training/micrograd/engine.py" in changes
    on_disk = {
        p.relative_to(tmp_path).as_posix() for p in (tmp_path / "source").rglob("*") if p.is_file()
    }
    assert on_disk == set(course_files("own"))
    assert (tmp_path / "nbgrader_config.py").is_file()
    assert write_course(tmp_path, "own") == []


def test_generate_writes_the_course_only_with_a_policy(tmp_path):
    runner = CliRunner()
    alone = runner.invoke(main, ["generate", "--check", "--nbgrader-course", str(tmp_path)])
    assert alone.exit_code == 2 and "go together" in alone.output
    done = runner.invoke(
        main, ["generate", "--nbgrader-course", str(tmp_path), "--policy", "released"]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "source" / "nn" / "micrograd" / "engine.py").is_file()
