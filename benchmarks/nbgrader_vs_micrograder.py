"""Seconds per student: nbgrader alone vs micrograder, on the same nbgrader course of notebooks
(docs/performance.md, docs/nbgrader.md).

    python benchmarks/nbgrader_vs_micrograder.py [--n 6] [--policy released] [--seed 1]

The class is throughput.py's (correct variants, single bugs, broken ones), each student's
package turned into the six lesson notebooks of an nbgrader course that `micrograder generate
--nbgrader-course` wrote and nbgrader's own generate_assignment released. Then, one after the
other: `nbgrader autograde` of every lesson (nbgrader's defaults: one notebook at a time), and
`micrograder grade <course>` at -j 1 and at -j 2 (no cache, fresh --out each).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from throughput import (  # noqa: E402
    GRADE,
    GRADER_CHECKOUT,
    SKIP,
    make_class,
    nbgrader_autograde,
    use_this_grader,
)

from grader.lessons import course as the_course  # noqa: E402

PACKAGE = "micrograd"


def kernel_environment(prefix: Path) -> dict[str, str]:
    """Install the kernel the notebooks name (as install.sh does) under `prefix`; return the
    environment in which Jupyter (and so nbgrader) finds it."""
    import os

    from grader.generate.notebook import KERNELSPEC

    command = [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix)]
    subprocess.run([*command, "--name", KERNELSPEC["name"]], check=True, capture_output=True)
    paths = [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
    return {"JUPYTER_PATH": os.pathsep.join(filter(None, paths))}


def policy_course(
    course: Path,
    policy: str,
    packages: dict[str, Path],
    unfilled: dict[str, str] | None = None,
    lessons: list[str] | None = None,
) -> list[str]:
    """An nbgrader course of `policy` (generate --nbgrader-course), every lesson released by
    nbgrader's generate_assignment and submitted by every student (submit_as_student); only
    `lessons` when given. Returns the lessons, in course order."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from grader.generate.nbgrader_course import write_course

    lessons = [lesson for lesson in the_course().ids if lessons is None or lesson in lessons]
    write_course(course, policy)
    config = Config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(config=config)
    for lesson in lessons:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            gradebook.update_or_create_assignment(lesson)
        outcome = api.generate_assignment(lesson)
        if not outcome["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {lesson}: {outcome.get('log')}")
        for student, package in packages.items():
            filled = (unfilled or {}).get(student) != lesson
            submit_as_student(course, lesson, student, package, policy, filled)
    return lessons


def submit_as_student(
    course: Path, lesson: str, student: str, package: Path, policy: str, filled: bool
) -> None:
    """What a student does with the release: puts their package into its micrograd/ folder,
    brings it into the notebook with the release's own save_notebook.py (`--into-notebook`),
    and submits the folder; with policy `released` the folder's micrograd/ stays as released.
    A package that cannot fill the notebook (broken, missing) leaves its cells as released."""
    folder = course / "submitted" / student / lesson
    shutil.copytree(course / "release" / lesson, folder)
    if package.is_dir():
        shutil.copytree(package, folder / PACKAGE, dirs_exist_ok=True, ignore=SKIP)
    if filled:
        command = [sys.executable, "save_notebook.py", "--into-notebook", f"{lesson}.ipynb"]
        subprocess.run(command, cwd=folder, capture_output=True)
    for backup in folder.glob("*.bak"):
        backup.unlink()
    if policy != "own":
        shutil.rmtree(folder / PACKAGE)
        shutil.copytree(course / "release" / lesson / PACKAGE, folder / PACKAGE)
    (folder / "timestamp.txt").write_text("2030-01-14 09:30:00.000000 UTC")


def timed_micrograder(course: Path, out: Path, jobs: int, seed: int) -> float:
    command = [*GRADE, str(course), "--out", str(out), "--seed", str(seed), "-j", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--no-cache"], capture_output=True, text=True, cwd=GRADER_CHECKOUT
    )
    if done.returncode != 0:
        raise RuntimeError(f"micrograder grade -j {jobs} failed: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="students in the class")
    parser.add_argument("--policy", choices=["own", "released"], default="released")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    use_this_grader()
    import os

    with tempfile.TemporaryDirectory(prefix="micrograder-vs-nbgrader-") as tmp:
        tmp = Path(tmp)
        os.environ.update(kernel_environment(tmp / "kernel"))
        kinds = make_class(tmp / "class", args.n, list(the_course().ids))
        packages = {student: tmp / "class" / student / PACKAGE for student in kinds}
        lessons = policy_course(tmp / "course", args.policy, packages)
        print(f"{args.n} students, {len(lessons)} lessons, policy {args.policy}: {kinds}")
        seconds = {"nbgrader autograde": nbgrader_autograde(tmp / "course", lessons)}
        for jobs in (1, 2):
            out = tmp / f"out-j{jobs}"
            seconds[f"micrograder grade -j {jobs}"] = timed_micrograder(
                tmp / "course", out, jobs, args.seed
            )
    nbgrader = seconds["nbgrader autograde"]
    print(f"{'way':26} {'s total':>8} {'s/student':>10} {'nbgrader / way':>15}")
    for way, total in seconds.items():
        print(f"{way:26} {total:8.1f} {total / args.n:10.2f} {nbgrader / total:14.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
