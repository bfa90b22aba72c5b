"""Throughput: seconds per submission for a generated class, graded every way micrograder can,
and by nbgrader's own `nbgrader autograde` on the same class as notebooks (docs/throughput.md).

    python benchmarks/throughput.py [--n 200] [--lessons value losses] [--seed 1] [--quick]

The class: correct variants (the reference, the reference reformatted by `ast.unparse`, the
closure engine of tests/fixtures/closure_engine on the reference's other modules, alice's
karpathy-style example), buggy ones (the single bugs of tests/test_suites_bugs.py in the graded
lessons), and a few broken ones (a syntax error, an empty folder).

Ways, each `micrograder grade` run as a subprocess:
(a) local `-j 2`; (b) a dask LocalCluster and a `dask scheduler` + two `dask worker` processes
on 127.0.0.1 (`--dask-scheduler`); (c) the same class again, unchanged, from the cache of (a)
(`--cache`); and (d) `nbgrader autograde` (the course of docs/nbgrader.md, policy own) with
the lessons' public tests. A way the installed grader does not offer is named in one line and
skipped. `--quick`: 10 submissions, one lesson.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the bug list is the tests' own

from test_suites_bugs import BUGS, CLOSURE_BUGS  # noqa: E402

from grader import paths  # noqa: E402

KARPATHY_STYLE = paths.EXAMPLES / "alice" / "micrograd"
CLOSURE_ENGINE = HERE.parent / "tests" / "fixtures" / "closure_engine" / "micrograd" / "engine.py"
GRADER_CHECKOUT = Path(paths.__file__).resolve().parent.parent  # the grader imported here
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")
JOBS = 2
GRADE = [sys.executable, "-m", "grader.cli", "grade"]


# ---------------------------------------------------------------- the class


def reference_copy(dest: Path, origin: Path = paths.REFERENCE_PACKAGE) -> Path:
    package = dest / "micrograd"
    shutil.copytree(origin, package, ignore=SKIP)
    return package


def karpathy_style(dest: Path) -> None:
    """alice's example: closures for backward, karpathy's micrograd style, every lesson."""
    reference_copy(dest, KARPATHY_STYLE)


def reformatted(dest: Path) -> None:
    """The reference as `ast.unparse` writes it: no comments, other quotes and spacing."""
    for module in reference_copy(dest).glob("*.py"):
        module.write_text(ast.unparse(ast.parse(module.read_text())) + "\n")


def closure_style(dest: Path) -> None:
    shutil.copyfile(CLOSURE_ENGINE, reference_copy(dest) / "engine.py")


def with_bug(name: str) -> Callable[[Path], None]:
    """One bug of tests/test_suites_bugs.py, in the reference or (a closure engine's own bugs)
    in alice's package."""
    _, module, old, new = BUGS[name]
    origin = KARPATHY_STYLE if name in CLOSURE_BUGS else paths.REFERENCE_PACKAGE

    def make(dest: Path) -> None:
        path = reference_copy(dest, origin) / module
        path.write_text(path.read_text().replace(old, new, 1))

    return make


def syntax_error(dest: Path) -> None:
    path = reference_copy(dest) / "engine.py"
    path.write_text(path.read_text().replace("def __add__(self, other)", "def __add__(self other)"))


def empty(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)


def make_class(folder: Path, n: int, lessons: list[str]) -> dict[str, str]:
    """`n` submissions in `folder`: about 60 % correct, 30 % buggy (each with one bug in a
    graded lesson), the rest broken (at least one). Returns {student id: kind}."""
    correct = [reference_copy, reformatted, closure_style, karpathy_style]
    bugs = [name for name, bug in BUGS.items() if bug[0] in lessons] or list(BUGS)
    broken = [syntax_error, empty]
    n_broken = max(1, n // 20)
    n_buggy = (n - n_broken) // 3
    plan = [("broken", broken[i % 2]) for i in range(n_broken)]
    plan += [(f"bug: {bugs[i % len(bugs)]}", with_bug(bugs[i % len(bugs)])) for i in range(n_buggy)]
    plan += [("correct", correct[i % len(correct)]) for i in range(n - len(plan))]
    kinds = {}
    for number, (kind, make) in enumerate(plan):
        student = f"s{number:04d}"
        make(folder / student)
        kinds[student] = kind
    return kinds


# ---------------------------------------------------------------- micrograder's ways


def grade_options() -> str:
    """`micrograder grade --help` of the grader on the path: which options it has."""
    done = subprocess.run([*GRADE, "--help"], capture_output=True, text=True, cwd=GRADER_CHECKOUT)
    return done.stdout


def timed_grade(class_dir: Path, out: Path, seed: int, lessons: list[str], *extra: str) -> float:
    """Wall seconds of one `micrograder grade` run; it must succeed."""
    command = [*GRADE, str(class_dir), "--out", str(out), "--seed", str(seed), "-j", str(JOBS)]
    command += [arg for lesson in lessons for arg in ("--lesson", lesson)]
    started = time.perf_counter()
    done = subprocess.run([*command, *extra], capture_output=True, text=True, cwd=GRADER_CHECKOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[3:5])} failed: {done.stderr.strip()[-500:]}")
    return seconds


@contextmanager
def local_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=JOBS, threads_per_worker=1, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@contextmanager
def scheduler_and_workers(port: int = 8799):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped on exit."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{port}"
    dask = [shutil.which("dask") or "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    started = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        for _ in range(JOBS):
            worker = [*dask, "worker", address, "--nthreads", "1", "--no-dashboard"]
            started.append(subprocess.Popen(worker, **quiet))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(JOBS, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)


def micrograder_ways(class_dir: Path, tmp: Path, seed: int, lessons: list[str]) -> dict:
    """{way: wall seconds} for every way the installed grader offers."""
    options = grade_options()
    has_dask, has_cache = "--dask-scheduler" in options, "--cache" in options
    cache = ["--cache", str(tmp / "cache")] if has_cache else []
    no_cache = ["--no-cache"] if has_cache else []

    def grade(name: str, *extra: str) -> float:
        return timed_grade(class_dir, tmp / f"out-{name}", seed, lessons, *extra)

    seconds = {f"local -j {JOBS}": grade("local", *cache)}
    if not has_dask:
        print("no --dask-scheduler in this grader: the dask ways are skipped")
    elif not _importable("distributed"):
        print("distributed is not installed (pip install 'micrograder[dask]'): dask ways skipped")
    else:
        with local_cluster() as address:
            seconds["dask LocalCluster"] = grade(
                "localcluster", "--dask-scheduler", address, *no_cache
            )
        with scheduler_and_workers() as address:
            seconds["dask scheduler + 2 workers"] = grade(
                "scheduler", "--dask-scheduler", address, *no_cache
            )
    if has_cache:
        seconds["cache, unchanged class"] = grade("cached", *cache)
    else:
        print("no --cache in this grader: the cached regrade is skipped")
    return seconds


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- nbgrader's way


def nbgrader_course(course: Path, class_dir: Path, lessons: list[str]) -> None:
    """The course of nbgrader_vs_micrograder.py (policy own: each student's package goes with
    their notebooks), with the kernel the notebooks name."""
    # imported here: that module imports this one
    from nbgrader_vs_micrograder import kernel_environment, policy_course

    os.environ.update(kernel_environment(course.parent / "kernel"))
    packages = {p.name: p / "micrograd" for p in sorted(class_dir.iterdir())}
    policy_course(course, "own", packages, lessons=lessons)


def nbgrader_autograde(course: Path, lessons: list[str]) -> float:
    """Wall seconds of `nbgrader autograde <lesson>` over the whole class, every lesson."""
    started = time.perf_counter()
    for lesson in lessons:
        command = [sys.executable, "-m", "nbgrader", "autograde", lesson]
        done = subprocess.run(command, cwd=course, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader autograde {lesson} failed: {done.stderr[-500:]}")
    return time.perf_counter() - started


def nbgrader_full_marks(course: Path, lessons: list[str]) -> int:
    """Students at full marks in every lesson, by nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        full = {student.id for student in gradebook.students}
        for lesson in lessons:
            for sub in gradebook.assignment_submissions(lesson):
                if sub.score < sub.max_score - 1e-9:
                    full.discard(sub.student.id)
    return len(full)


def micrograder_full_marks(out: Path) -> int:
    """Submissions at full marks in --out's gradebook.csv."""
    import csv

    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as rows:
        return sum(float(row["total"]) >= float(row["max"]) - 1e-9 for row in csv.DictReader(rows))


# ---------------------------------------------------------------- the run


def use_this_grader() -> None:
    """Every process started here (grade, dask workers) imports the grader this script
    imported, not the installed copy (`python -m` also runs from its checkout)."""
    inherited = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GRADER_CHECKOUT), inherited]))


def report(seconds: dict[str, float], n: int) -> None:
    local = seconds.get(f"local -j {JOBS}")
    nbgrader = seconds.get("nbgrader autograde")
    print(f"{'way':32} {'s total':>9} {'s/subm':>8} {'vs local':>9} {'vs nbgrader':>12}")
    for way, total in seconds.items():
        vs_local = f"{total / local:.2f}x" if local else "-"
        vs_nbgrader = f"{total / nbgrader:.2f}x" if nbgrader else "-"
        print(f"{way:32} {total:9.1f} {total / n:8.3f} {vs_local:>9} {vs_nbgrader:>12}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the class")
    parser.add_argument("--lessons", nargs="+", default=None, help="[default: all]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="10 submissions, one lesson")
    args = parser.parse_args(argv)
    from grader.lessons import course

    use_this_grader()

    n = 10 if args.quick else args.n
    lessons = args.lessons or (["value"] if args.quick else [x.id for x in course()])
    with tempfile.TemporaryDirectory(prefix="micrograder-throughput-") as tmp:
        tmp = Path(tmp)
        kinds = make_class(tmp / "class", n, lessons)
        counts = {kind: list(kinds.values()).count(kind) for kind in sorted(set(kinds.values()))}
        print(f"class of {n} in {tmp / 'class'}; lessons {', '.join(lessons)}: {counts}")
        seconds = micrograder_ways(tmp / "class", tmp, args.seed, lessons)
        nbgrader_course(tmp / "nbgrader", tmp / "class", lessons)
        seconds["nbgrader autograde"] = nbgrader_autograde(tmp / "nbgrader", lessons)
        print(
            f"full marks: micrograder {micrograder_full_marks(tmp / 'out-local')} of {n}, "
            f"nbgrader (public tests only) {nbgrader_full_marks(tmp / 'nbgrader', lessons)} of {n}"
        )
    report(seconds, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
