"""The students' public self-check: the reference passes every test, the fresh template fails
every test (each on a stub of its lesson), and the run ends with the per-lesson table. The
template is run from a copy outside the repository, as a student would."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE, STUDENT_TEMPLATE
from grader.generate.notebook import public_tests

LESSONS = load_lessons()
N_TESTS = sum(len(public_tests((l.folder / f"test_{l.id}.py").read_text(), l.id)[1]) for l in LESSONS)


def run_selfcheck(tmp_path, package):
    """Copy the template, put `package` in as micrograd/, run `python -m pytest` in it."""
    folder = tmp_path / "my-course"
    shutil.copytree(STUDENT_TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    shutil.rmtree(folder / "micrograd")
    shutil.copytree(package, folder / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # nothing but pytest itself
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=report.xml"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    cases = ET.parse(folder / "report.xml").getroot().iter("testcase")
    outcomes = {}
    for case in cases:
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped") is not None
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            "skipped" if skipped else "passed" if problem is None else problem.get("message", ""))
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
    not_stubbed = {test: outcome for test, outcome in outcomes.items() if "NotImplementedError" not in outcome}
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
    own = {t: o for t, o in outcomes.items() if t.startswith(f"tests.test_{lesson.order:02d}_{lesson.id}::")}
    earlier = {t: o for t, o in outcomes.items() if int(t.split("_")[1]) < lesson.order}
    assert own and all("NotImplementedError" in o for o in own.values()), own
    assert all(o == "passed" for o in earlier.values()), earlier
