"""The course on nbgrader alone (docs/nbgrader.md): `micrograder generate --nbgrader-course DIR
--policy own|released` writes every lesson's assignment, nbgrader's own generate_assignment
releases it, a class submits, `nbgrader autograde` (its defaults) grades all six lessons, and
`micrograder grade` grades the same submitted/ folder. Per part, both give the same points
wherever the public tests see the bug; where only the hidden suites can, the difference is
stated below with its reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.generate.nbgrader_course import write_course
from grader.generate.notebook import KERNELSPEC
from grader.generate.regions import solution_lines
from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE, ROOT
from grader.results import read_record
from grader.suites.runner import collect_checks

sys.path.insert(0, str(ROOT / "benchmarks"))  # the class is the benchmarks' own
from throughput import nbgrader_autograde, reference_copy, student_notebook, with_bug  # noqa: E402

pytestmark = pytest.mark.slow

LESSONS = load_lessons()
IDS = [lesson.id for lesson in LESSONS]
# student -> (how their package is made, the lesson they submit unfilled)
CLASS = {
    "correct": (reference_copy, None),
    "bug_value": (with_bug("= instead of += in backward"), None),
    "bug_optim": (with_bug("Adam without bias correction"), None),
    "no_training": (reference_copy, "training"),
}


def make_course(course: Path, policy: str, packages: Path) -> None:
    """The course written by generate, released by nbgrader, and the class's submissions."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    write_course(course, policy)
    config = Config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(config=config)
    for lesson in IDS:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            gradebook.update_or_create_assignment(lesson)
        outcome = api.generate_assignment(lesson)
        assert outcome["success"], outcome.get("log")
    for student, (make, unfilled) in CLASS.items():
        package = packages / student / "micrograd"
        if not package.is_dir():
            make(packages / student)
        for lesson in IDS:
            release = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", as_version=4)
            dest = course / "submitted" / student / lesson / f"{lesson}.ipynb"
            empty = package.parent / "unfilled"  # no such package: the cells stay as released
            # the package goes along (policy own): the notebooks import the earlier lessons
            student_notebook(release, empty if lesson == unfilled else package, dest)
            if policy == "released":
                shutil.rmtree(dest.parent / "micrograd", ignore_errors=True)


def install_kernel(prefix: Path) -> dict[str, str]:
    """The kernel the notebooks name, as install.sh installs it but under `prefix`: the
    environment (JUPYTER_PATH) in which nbgrader finds it."""
    command = [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix)]
    subprocess.run([*command, "--name", KERNELSPEC["name"]], check=True, capture_output=True)
    path = os.pathsep.join(
        filter(None, [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")])
    )
    return {"JUPYTER_PATH": path}


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="module", autouse=True)
def kernel(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in install_kernel(tmp_path_factory.mktemp("kernel")).items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module", params=["own", "released"])
def graded(request, tmp_path_factory, packages):
    """(course folder, nbgrader's points, micrograder's points), each {(student, lesson,
    part): points}."""
    course = tmp_path_factory.mktemp(f"course-{request.param}")
    make_course(course, request.param, packages)
    nbgrader_autograde(course, IDS)
    out = tmp_path_factory.mktemp(f"out-{request.param}")
    result = CliRunner().invoke(
        main, ["grade", str(course), "--out", str(out), "-j", "2"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return request.param, course, nbgrader_points(course), micrograder_points(out)


def nbgrader_points(course: Path) -> dict:
    from nbgrader.api import Gradebook

    points = defaultdict(float)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for lesson in LESSONS:
            for part in lesson.parts:
                for test in part.public_tests:
                    for student in CLASS:
                        grade = gradebook.find_grade(
                            f"{lesson.id}-{test}", lesson.id, lesson.id, student
                        )
                        points[student, lesson.id, part.name] += grade.score
    return dict(points)


def micrograder_points(out: Path) -> dict:
    part_of = {check["id"]: check["part"] for check in collect_checks()}
    points = defaultdict(float)
    for student in CLASS:
        record = read_record((out / ".results" / f"{student}.json").read_text(), LESSONS)
        for lesson in record.lessons:
            for check in lesson.checks:
                points[student, lesson.lesson.id, part_of[check.id]] += check.points
    return dict(points)


def test_both_graders_agree_per_part(graded):
    policy, _, nbgrader, micrograder = graded
    table = "\n".join(
        f"{key}: nbgrader {nbgrader[key]:g}, micrograder {micrograder.get(key, 0):g}"
        for key in sorted(nbgrader)
    )
    print(policy, table, sep="\n")
    assert False, table


def test_no_release_holds_its_own_lessons_solution(graded):
    _, course, _, _ = graded
    for lesson in LESSONS:
        release = course / "release" / lesson.id
        text = "\n".join(p.read_text() for p in release.rglob("*") if p.is_file())
        for module in lesson.modules:
            lines = [
                line
                for line in solution_lines((REFERENCE_PACKAGE / f"{module}.py").read_text())
                if len(line) > 12  # `return out`, `pass`: too common to name a solution
            ]
            leaked = [line for line in lines if line in text]
            assert lines and not leaked, f"release/{lesson.id} holds {module}.py: {leaked[:3]}"
