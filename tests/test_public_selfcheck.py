"""The students' public self-check: the reference passes every test, the fresh template fails
every test (each on a stub of its lesson), and the run ends with the per-lesson table. The
template is run from a copy outside the repository, as a student would."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from grader.generate.notebook import public_tests
from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE, STUDENT_TEMPLATE

LESSONS = load_lessons()
N_TESTS = sum(
    len(public_tests((lesson.folder / f"test_{lesson.id}.py").read_text(), lesson.id)[1])
    for lesson in LESSONS
)


def run_selfcheck(tmp_path, package, *args, extra_tests=None):
    """Copy the template, put `package` in as micrograd/ (and `extra_tests`, name -> text, in
    tests/), run `python -m pytest` in it."""
    folder = tmp_path / "my-course"
    shutil.copytree(
        STUDENT_TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    shutil.rmtree(folder / "micrograd")
    shutil.copytree(package, folder / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (extra_tests or {}).items():
        (folder / "tests" / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # nothing but pytest itself
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=report.xml", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    cases = ET.parse(folder / "report.xml").getroot().iter("testcase")
    outcomes = {}
    for case in cases:
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped") is not None
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            "skipped" if skipped else "passed" if problem is None else problem.get("message", "")
        )
    return proc, outcomes


def test_reference_passes_every_public_test(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, REFERENCE_PACKAGE)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert len(outcomes) == N_TESTS
    assert set(outcomes.values()) == {"passed"}
    assert "micrograd self-check" in proc.stdout
    for lesson in LESSONS:
        assert f"Lesson {lesson.order} — " in proc.stdout
    assert "total" in proc.stdout and f"{N_TESTS:>6}  {N_TESTS:>2}" in proc.stdout


def test_fresh_template_fails_every_public_test_on_a_stub(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, STUDENT_TEMPLATE / "micrograd")
    assert proc.returncode == 1
    assert len(outcomes) == N_TESTS
    not_stubbed = {
        test: outcome for test, outcome in outcomes.items() if "NotImplementedError" not in outcome
    }
    assert not_stubbed == {}
    assert "total" in proc.stdout and f"{0:>6}  {N_TESTS:>2}" in proc.stdout


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_public_test_calls_a_stub_of_its_own_lesson(tmp_path, lesson):
    """With the reference everywhere except this lesson's modules, this lesson's tests all fail
    on NotImplementedError (no test passes for free) and every earlier lesson's tests still pass
    (none relies on a later lesson)."""
    package = tmp_path / "mixed"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in lesson.modules:
        shutil.copy(STUDENT_TEMPLATE / "micrograd" / f"{module}.py", package / f"{module}.py")
    _, outcomes = run_selfcheck(tmp_path, package)
    own = {
        t: o
        for t, o in outcomes.items()
        if t.startswith(f"tests.{lesson.test_name.removesuffix('.py')}::")
    }
    earlier = {t: o for t, o in outcomes.items() if int(t.split("_")[1]) < lesson.order}
    assert own and all("NotImplementedError" in o for o in own.values()), own
    assert all(o == "passed" for o in earlier.values()), earlier


def broken_copy(tmp_path, module, line="def broken(:\n"):
    """The reference with `line` (a syntax error) appended to micrograd/<module>.py."""
    package = tmp_path / "broken"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    with open(package / f"{module}.py", "a") as handle:
        handle.write(line)
    return package


def lesson_of(test_id):
    return next(
        lesson
        for lesson in LESSONS
        if test_id.startswith(f"tests.{lesson.test_name.removesuffix('.py')}::")
    )


def test_a_module_that_does_not_compile_fails_only_its_lesson(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, broken_copy(tmp_path, "derivatives"))
    assert len(outcomes) == N_TESTS
    lines = len((REFERENCE_PACKAGE / "derivatives.py").read_text().splitlines()) + 1
    reason = f"micrograd/derivatives.py, line {lines} does not compile: "
    for test, outcome in outcomes.items():
        if lesson_of(test).id == "derivatives":
            assert outcome.startswith(reason), (test, outcome)
        else:
            assert outcome == "passed", (test, outcome)
    first = LESSONS[0]
    n_first = sum(lesson_of(t) == first for t in outcomes)
    assert f"all {n_first} failed: {reason}" in proc.stdout
    assert "micrograd self-check" in proc.stdout and "Interrupted" not in proc.stdout


def test_a_broken_engine_fails_the_lessons_that_import_it_and_no_other(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, broken_copy(tmp_path, "engine"))
    assert len(outcomes) == N_TESTS
    failed = {lesson_of(t).id for t, o in outcomes.items() if o != "passed"}
    assert "value" in failed and "derivatives" not in failed
    assert all("micrograd/engine.py, line" in o for o in outcomes.values() if o != "passed")
    assert "micrograd self-check" in proc.stdout


def test_the_table_prints_when_a_test_file_cannot_be_collected(tmp_path):
    edited = {
        "test_98_edited.py": '"""Edited"""\ndef test_x(:\n',
        "test_99_edited.py": '"""Edited too"""\nimport pytest\n\n\n'
        '@pytest.mark.parametrize("x", [1])\ndef test_y(z):\n    pass\n',
    }
    proc, outcomes = run_selfcheck(tmp_path, REFERENCE_PACKAGE, extra_tests=edited)
    assert [o for t, o in outcomes.items() if "edited" not in t] == ["passed"] * N_TESTS
    assert "micrograd self-check" in proc.stdout
    assert "failed test_98_edited: tests/test_98_edited.py, line 2 does not compile" in proc.stdout
    # pytest's own words for the collection error differ between versions: the file and the
    # test named are what matters.
    assert any(
        line.strip().startswith("not collected: tests/test_99_edited.py:") and "test_y" in line
        for line in proc.stdout.splitlines()
    ), proc.stdout
    assert f"{N_TESTS:>6}  {N_TESTS + 1:>2}" in proc.stdout  # test_y was never collected


def test_an_untouched_template_prints_one_line_per_failure(tmp_path):
    proc, _ = run_selfcheck(tmp_path, STUDENT_TEMPLATE / "micrograd")
    lines = proc.stdout.splitlines()
    # pytest's header (about 10 lines) and a progress line per lesson; the table: its header,
    # a row per lesson with a line per failed test under it, the total, a hint; the last line.
    # Was 600 lines of tracebacks.
    assert len(lines) <= 12 + 2 * len(LESSONS) + N_TESTS + 4, proc.stdout
    assert not any(
        marker in proc.stdout
        for marker in ("Traceback", "raise NotImplementedError", "_____", "short test summary")
    )
    failed = [line for line in lines if line.startswith("    failed test_")]
    assert len(failed) == N_TESTS
    assert all(line.endswith(")") and "NotImplementedError (micrograd/" in line for line in failed)
    verbose = run_selfcheck(tmp_path / "v", STUDENT_TEMPLATE / "micrograd", "-v")[0]
    assert "raise NotImplementedError" in verbose.stdout  # details on request
