"""`micrograder grade` / `validate` from the command line: one-line errors for user mistakes
(never a traceback), and a run that records its seed and resumes with it."""

import csv
import functools
import json

import pytest
from click.testing import CliRunner
from grading_helpers import fake_executor, make_submission, write_fake_runner

from grader.cli import main
from grader.grading import commands
from grader.lessons import load_lessons


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def error_line(result) -> str:
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_missing_submissions_dir(tmp_path):
    line = error_line(invoke("grade", tmp_path / "nope"))
    assert str(tmp_path / "nope") in line and "does not exist" in line


def test_submissions_dir_is_a_file(tmp_path):
    (tmp_path / "subs.txt").write_text("")
    assert "is not a folder" in error_line(invoke("grade", tmp_path / "subs.txt"))


def test_empty_submissions_dir(tmp_path):
    (tmp_path / "subs").mkdir()
    line = error_line(invoke("grade", tmp_path / "subs", "--out", tmp_path / "out"))
    assert "holds no submissions" in line and "alice" in line
    assert not (tmp_path / "out").exists()


def test_unknown_lesson(tmp_path):
    make_submission(tmp_path / "subs", "alice")
    line = error_line(invoke("grade", tmp_path / "subs", "--lesson", "valu"))
    assert "'valu'" in line and "derivatives, value" in line


def test_unwritable_out(tmp_path):
    make_submission(tmp_path / "subs", "alice")
    (tmp_path / "file").write_text("")  # a folder cannot be made under a file, even as root
    line = error_line(invoke("grade", tmp_path / "subs", "--out", tmp_path / "file" / "out"))
    assert f"cannot write to {tmp_path / 'file' / 'out'}" in line and "--out" in line


def test_out_inside_the_submissions(tmp_path):
    make_submission(tmp_path / "subs", "alice")
    line = error_line(invoke("grade", tmp_path / "subs", "--out", tmp_path / "subs" / "out"))
    assert "outside" in line


def test_bad_jobs(tmp_path):
    make_submission(tmp_path / "subs", "alice")
    assert "-j" in error_line(invoke("grade", tmp_path / "subs", "-j", "0"))


@pytest.fixture
def fake_runner(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "FAKE_RUNNER_POINTS", json.dumps({lesson.id: lesson.points for lesson in load_lessons()})
    )
    monkeypatch.setattr(
        commands,
        "GradeOptions",
        functools.partial(
            commands.GradeOptions, executor=fake_executor(write_fake_runner(tmp_path))
        ),
    )


def test_grade_prints_summary_records_the_seed_and_resumes_with_it(tmp_path, fake_runner):
    make_submission(tmp_path / "subs", "alice")
    make_submission(tmp_path / "subs", "bob", {"fail": {"nn": "Neuron has no bias"}})
    out = tmp_path / "out"
    result = invoke("grade", tmp_path / "subs", "--out", out, "--seed", "42")
    assert result.exit_code == 0, result.output
    assert "Per-lesson summary" in result.output and "graded 2" in result.output
    assert "seed 42" in result.output
    assert json.loads((out / "run.json").read_text())["seed"] == 42
    with open(out / "gradebook.csv", newline="") as handle:
        totals = {row["id"]: row["total"] for row in csv.DictReader(handle)}
    assert totals == {"alice": "100", "bob": "92.5"}
    assert f"class report: {out}/report.html" in " ".join(result.output.split())
    assert (out / "report.html").is_file() and (out / "checks.csv").is_file()

    again = invoke("grade", tmp_path / "subs", "--out", out)
    assert again.exit_code == 0 and "seed 42" in again.output
    assert "2 unchanged" in again.output


def test_validate_names_a_missing_template(tmp_path, monkeypatch):
    from grader import paths

    monkeypatch.setattr(paths, "STUDENT_TEMPLATE", tmp_path / "student_template")
    line = error_line(invoke("validate"))
    assert "student_template/micrograd not found" in line and "micrograder generate" in line


def test_validate_passes_for_full_reference_and_empty_template(tmp_path, fake_runner, monkeypatch):
    from grader import paths

    make_submission(tmp_path / "student_template", "", {"fail_all": True})
    monkeypatch.setattr(paths, "STUDENT_TEMPLATE", tmp_path / "student_template")
    result = invoke("validate", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "reference 100 %, template 0 %: OK" in result.output and "seed 3" in result.output


def test_validate_fails_and_names_the_checks(tmp_path, fake_runner, monkeypatch):
    from grader import paths

    make_submission(tmp_path / "student_template", "")  # a template that passes everything
    monkeypatch.setattr(paths, "STUDENT_TEMPLATE", tmp_path / "student_template")
    line = error_line(invoke("validate", "--lesson", "nn"))
    assert "the student template scores 15 instead of 0" in line
    assert "nn/test_0, nn/test_1" in line


def test_a_single_submission_instead_of_the_class_folder(tmp_path):
    make_submission(tmp_path / "subs", "alice")
    line = error_line(invoke("grade", tmp_path / "subs" / "alice"))
    assert "looks like ONE submission" in line and str(tmp_path / "subs") in line


def test_a_partial_run_does_not_silently_replace_a_full_one(tmp_path, fake_runner):
    make_submission(tmp_path / "subs", "alice")
    out = tmp_path / "out"
    assert invoke("grade", tmp_path / "subs", "--out", out, "--seed", "1").exit_code == 0
    before = (out / "alice" / "results.json").read_bytes()
    line = error_line(invoke("grade", tmp_path / "subs", "--out", out, "--lesson", "value"))
    assert "holds results for lessons derivatives, value" in line and "--force" in line
    assert (out / "alice" / "results.json").read_bytes() == before
    forced = invoke("grade", tmp_path / "subs", "--out", out, "--lesson", "value", "--force")
    assert forced.exit_code == 0
    assert json.loads((out / "run.json").read_text())["lessons"] == ["value"]
