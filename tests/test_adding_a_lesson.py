"""docs/adding-a-lesson.md, followed step by step on a copy of the course: a seventh lesson,
`stats` (mean and variance of plain numbers), is added by writing the files the doc lists and
nothing else, generated, and graded: the reference earns its points, the template none. A
lesson, module or file name still hard-coded somewhere in grader/ makes this test fail."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.paths import ROOT

pytestmark = pytest.mark.slow  # generate + two sandboxed grading runs of a copy: ~30 s

# The course is grader/ (with its suites and worker ops), solutions/ and assignments/; the
# generator writes student_template/.
COURSE_FOLDERS = ("grader", "solutions", "assignments")
SCRATCH = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ipynb_checkpoints")

# Step 1: the reference module, its solution regions marked.
STATS_MODULE = '''\
"""Lesson 7 — statistics of plain numbers."""


def mean(xs):
    """The arithmetic mean of a non-empty list of numbers."""
    ### BEGIN SOLUTION
    return sum(xs) / len(xs)
    ### END SOLUTION


def variance(xs):
    """The population variance: the mean squared distance from the mean."""
    ### BEGIN SOLUTION
    centre = mean(xs)
    return sum((x - centre) ** 2 for x in xs) / len(xs)
    ### END SOLUTION
'''

# Step 2: the lesson definition, its parts adding up to its points.
LESSON_TOML = """\
title = "Statistics"
order = 7
points = 4
modules = ["stats"]
time_budget = 30

[parts.mean]
about = "`mean`"
points = 2
public_tests = ["test_mean_by_hand"]

[parts.variance]
about = "`variance`"
points = 2
public_tests = ["test_variance_by_hand"]
"""

# Step 3: the public tests.
PUBLIC_TESTS = '''\
"""Lesson 7 — statistics: worked examples."""
from micrograd.stats import mean, variance


def test_mean_by_hand():
    """The mean of 1, 2, 6 is 3."""
    assert mean([1.0, 2.0, 6.0]) == 3.0


def test_variance_by_hand():
    """1, 2, 6 lie 2, 1 and 3 from their mean 3: (4 + 1 + 9) / 3."""
    assert abs(variance([1.0, 2.0, 6.0]) - 14 / 3) < 1e-12
'''

# Step 4: the narrative.
NOTEBOOK_TEMPLATE = """\
%% markdown
# Lesson {{ lesson.order }} — {{ lesson.title }}

Two numbers that summarise a list: where it lies and how far it spreads.
%% setup
%% module stats header
%% module stats mean
%% module stats variance
{% include "_check_your_work.j2" %}
"""

# Step 5: the worker's requests.
OPS_MODULE = '''\
"""Worker ops for lesson 7 (stats). Runs in the sandbox: stdlib only."""
from .specs import RequestError


def summary(name, xs):
    """`name(xs)` of the student's micrograd.stats -> {"value"}."""
    from micrograd import stats

    if name not in ("mean", "variance"):
        raise RequestError(f"unknown statistic {name!r}")
    return {"value": getattr(stats, name)([float(x) for x in xs])}


OPS = {"stats.summary": summary}
'''

# Step 6: the hidden checks, one part each, their points adding up to the part's.
HIDDEN_SUITE = '''\
"""Lesson 7 — stats: mean and variance of random numbers."""
import pytest

from grader.suites.checks import as_record, assert_close

pytestmark = pytest.mark.lesson("stats")


def expected(name, xs, reference):
    """From a formula (mean) or from the reference package in this process (variance)."""
    return sum(xs) / len(xs) if name == "mean" else reference.stats.variance(xs)


@pytest.mark.parametrize("name", [
    pytest.param(name, id=name, marks=[pytest.mark.part(name), pytest.mark.points(2),
                                       pytest.mark.uses(f"stats.{name}")])
    for name in ("mean", "variance")])
def test_statistic(student, reference, rng, name):
    """{param} of random numbers"""
    for _ in range(3):
        xs = [round(rng.uniform(-5, 5), 3) for _ in range(rng.randint(2, 9))]
        reply = as_record(student.call("stats.summary", name=name, xs=xs), ("value",), name)
        assert_close(reply["value"], expected(name, xs, reference), f"{name}({xs})")
'''

LESSON_FILES = {
    "solutions/micrograd/stats.py": STATS_MODULE,
    "assignments/stats/lesson.toml": LESSON_TOML,
    "assignments/stats/test_stats.py": PUBLIC_TESTS,
    "assignments/stats/notebook.j2": NOTEBOOK_TEMPLATE,
    "grader/sandbox/inside/ops_stats.py": OPS_MODULE,
    "grader/suites/test_stats.py": HIDDEN_SUITE,
}


def course_copy(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for name in COURSE_FOLDERS:
        shutil.copytree(ROOT / name, root / name, ignore=SCRATCH)
    return root


def micrograder(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`micrograder ARGS` of the copy: its own grader, which finds its own ROOT."""
    env = dict(os.environ, PYTHONPATH=str(root), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def validate_row(output: str, lesson: str) -> list[str]:
    """The cells (lesson, reference, template, max) of `lesson`'s row of validate's table."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│|]", line) if cell.strip()]
        if cells and cells[0] == lesson:
            return cells
    raise AssertionError(f"no row for {lesson} in:\n{output}")


@pytest.fixture(scope="module")
def seventh_lesson(tmp_path_factory):
    root = course_copy(tmp_path_factory.mktemp("seventh"))
    for rel, text in LESSON_FILES.items():  # steps 1-6
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    generated = micrograder(root, "generate")  # step 7
    assert generated.returncode == 0, generated.stderr
    return root, generated


def test_generate_writes_the_lesson_files(seventh_lesson):
    root, generated = seventh_lesson
    for rel in (
        "student_template/micrograd/stats.py",
        "student_template/notebooks/07_stats.ipynb",
        "student_template/tests/test_07_stats.py",
        "assignments/stats/stats.ipynb",
    ):
        assert f"wrote: {rel}" in generated.stdout
    stub = (root / "student_template/micrograd/stats.py").read_text()
    assert "raise NotImplementedError()" in stub and "sum(xs) / len(xs)" not in stub
    assert "`notebooks/07_stats.ipynb`" in (root / "student_template/README.md").read_text()
    assert micrograder(root, "generate", "--check").returncode == 0


def test_the_reference_earns_the_lesson_and_the_template_nothing(seventh_lesson):
    root, _ = seventh_lesson
    result = micrograder(root, "validate", "--lesson", "stats", "--seed", "7")  # step 8
    assert result.returncode == 0, result.stdout + result.stderr
    assert validate_row(result.stdout, "stats") == ["stats", "4", "0", "4"]
    assert "reference 100 %, template 0 %: OK" in result.stdout


def test_the_new_lesson_is_graded_with_the_others(seventh_lesson):
    """Its module is one the course knows: a folder holding stats.py alone (no micrograd/
    around it) is found as a package and graded, and the lesson has its gradebook column."""
    root, _ = seventh_lesson
    subs = root.parent / "submissions"
    (subs / "ada").mkdir(parents=True)
    shutil.copy(root / "solutions/micrograd/stats.py", subs / "ada" / "stats.py")
    out = root.parent / "out"
    result = micrograder(
        root, "grade", str(subs), "--out", str(out), "--lesson", "stats", "--seed", "7"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    gradebook = (out / "gradebook.csv").read_text().splitlines()
    header, row = gradebook[0].split(","), gradebook[1].split(",")
    assert float(dict(zip(header, row))["stats"]) == 4
