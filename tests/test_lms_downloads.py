"""LMS bulk downloads: loose files whose names carry the student id (grader/intake/lms.py)."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner
from notebook_submission_helpers import student_notebook, write_notebook

from grader.cli import main
from grader.intake import discovery, lms
from grader.paths import REFERENCE_PACKAGE

DEFAULT = lms.compile_pattern(None)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("lastname_12345_67890_engine.py", ("12345", "engine.py")),  # Canvas
        ("doelate_LATE_12345_67890_nn.py", ("12345", "nn.py")),  # Canvas, late
        ("Jane Doe_12345_assignsubmission_file_engine.py", ("12345", "engine.py")),  # Moodle
        ("12345-notebook.ipynb", ("12345", "notebook.ipynb")),
        ("smith_777_1_02_value.ipynb", ("777", "02_value.ipynb")),
        ("alice.ipynb", None),
        ("2024_notes.py", None),
        ("engine.py", None),
        ("alice.zip", None),
    ],
)
def test_the_default_pattern_reads_canvas_moodle_and_id_first_names(name, expected):
    assert lms.parse_name(name, DEFAULT) == expected


def test_a_pattern_needs_an_id_group_and_must_compile():
    with pytest.raises(lms.PatternError, match="no named group `id`"):
        lms.compile_pattern(r"^(\d+)_")
    with pytest.raises(lms.PatternError, match="not a valid regular expression"):
        lms.compile_pattern(r"(?P<id>")


def test_files_of_one_student_become_one_submission(tmp_path):
    for name in [
        "smith_12345_1_engine.py",
        "smith_12345_2_nn.py",
        "jones_678_3_engine.py",
        "999-notes.ipynb",
        "stray.py",
        "index.html",
    ]:
        (tmp_path / name).write_text("x = 1\n")
    subs = {s.id: s for s in discovery.discover(tmp_path)}
    assert sorted(subs) == ["12345", "678", "999", "stray"]
    assert [name for name, _ in subs["12345"].files] == ["engine.py", "nn.py"]
    assert subs["12345"].kind == "files" and not subs["12345"].problem
    assert "holds no student id" in subs["stray"].problem  # nothing is dropped silently


def test_a_custom_pattern(tmp_path):
    (tmp_path / "s001.engine.py").write_text("x = 1\n")
    (tmp_path / "s001.nn.py").write_text("y = 2\n")
    subs = discovery.discover(tmp_path, r"^(?P<id>s\d+)\.(?P<file>.+)$")
    assert [(s.id, [n for n, _ in s.files]) for s in subs] == [("s001", ["engine.py", "nn.py"])]


def test_staging_puts_files_back_under_their_names_and_the_latest_upload_wins(tmp_path):
    subs_dir = tmp_path / "subs"
    subs_dir.mkdir()
    (subs_dir / "smith_12345_1_engine.py").write_text("old = 1\n")
    (subs_dir / "smith_12345_1_engine-1.py").write_text("new = 2\n")
    (subs_dir / "smith_12345_1_nn.py").write_text("nn = 3\n")
    (sub,) = discovery.discover(subs_dir)
    notes: list[str] = []
    package = discovery.prepare(sub, tmp_path / "work", notes)
    assert (package / "engine.py").read_text() == "new = 2\n"
    assert (package / "nn.py").read_text() == "nn = 3\n"
    assert any("the later upload smith_12345_1_engine-1.py was graded" in n for n in notes)


def test_a_zip_and_notebooks_in_a_download(tmp_path):
    subs_dir = tmp_path / "subs"
    subs_dir.mkdir()
    with zipfile.ZipFile(subs_dir / "smith_12345_1_micrograd.zip", "w") as zf:
        zf.writestr("micrograd/engine.py", "x = 1\n")
    write_notebook(subs_dir / "777-homework.ipynb", student_notebook("value"))
    subs = {s.id: s for s in discovery.discover(subs_dir)}
    assert subs["12345"].kind == "zip"
    package = discovery.prepare(subs["12345"], tmp_path / "w1")
    assert (package / "engine.py").read_text() == "x = 1\n"
    package = discovery.prepare(subs["777"], tmp_path / "w2")
    assert (package / "engine.py").read_text() == (REFERENCE_PACKAGE / "engine.py").read_text()


def test_grade_rejects_a_bad_pattern_in_one_line(tmp_path):
    (tmp_path / "subs").mkdir()
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--id-pattern", "(x"])
    assert result.exit_code == 2
    assert "--id-pattern" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_a_canvas_download_is_graded_per_student(tmp_path):
    subs_dir = tmp_path / "subs"
    subs_dir.mkdir()
    for name in ("derivatives.py", "engine.py"):
        shutil.copy(REFERENCE_PACKAGE / name, subs_dir / f"smith_12345_67890_{name}")
    write_notebook(subs_dir / "54321-02_value.ipynb", student_notebook("value", filled=False))
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(subs_dir),
            "--out",
            str(tmp_path / "out"),
            "--seed",
            "3",
            "--lesson",
            "derivatives",
            "--lesson",
            "value",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    done = {
        p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*/results.json")
    }
    assert sorted(done) == ["12345", "54321"]
    assert done["12345"]["score"] == done["12345"]["max_score"] == 40
    assert done["54321"]["score"] == 0
