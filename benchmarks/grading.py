"""How long `micrograder grade` takes per submission, and how much of that is the grader's own
overhead (copying, starting the runner process, pytest start-up, writing reports) rather than
time spent in the hidden suites.

    python benchmarks/grading.py [--copies 4] [--seed 1] [--package solutions/micrograd ...]

Grades `--copies` copies of each package (default: the reference solution, and alice's
closure-style example) sequentially and with -j 2, and prints seconds per submission.
Targets (issue 3): <= 10 s per correct submission, <= 1 s overhead per submission.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from grader import paths
from grader.grading.orchestrate import GradeOptions, grade_all
from grader.lessons import course
from grader.results import round_points

DEFAULT_PACKAGES = [paths.REFERENCE_PACKAGE, paths.EXAMPLES / "alice" / "micrograd"]


def measure(package: Path, copies: int, jobs: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="micrograder-bench-") as tmp:
        subs = Path(tmp) / "submissions"
        for i in range(copies):
            shutil.copytree(
                package,
                subs / f"student{i}" / "micrograd",
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        options = GradeOptions(
            out=Path(tmp) / "out", seed=seed, lessons=course().lessons, jobs=jobs
        )
        started = time.perf_counter()
        summary = grade_all(subs, options)
        wall = time.perf_counter() - started
    results = [r for r in summary.results.values() if r]
    suites = sum(r.suite_seconds for r in results) / len(results)
    return {
        "wall_per_submission": wall / copies,
        "suite_seconds": suites,
        # everything a submission costs beyond the suites themselves (meaningful with jobs=1):
        # discovery, copy, runner process start, pytest start-up, reports
        "overhead": wall / copies - suites,
        "scores": sorted({round_points(r.score) for r in results}),
        "statuses": sorted({r.status for r in results}),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--package", type=Path, action="append", help="a micrograd package folder (repeatable)"
    )
    args = parser.parse_args(argv)
    print(
        f"{'submission':<42} {'jobs':>4} {'s/submission':>12} {'in suites':>10} "
        f"{'overhead':>9}  score"
    )
    for package in args.package or DEFAULT_PACKAGES:
        for jobs in (1, 2):
            figures = measure(package, args.copies, jobs, args.seed)
            name = (
                str(package.resolve().relative_to(paths.ROOT))
                if package.resolve().is_relative_to(paths.ROOT)
                else str(package)
            )
            overhead = f"{figures['overhead']:9.2f}" if jobs == 1 else f"{'-':>9}"
            print(
                f"{name:<42} {jobs:>4} {figures['wall_per_submission']:12.2f} "
                f"{figures['suite_seconds']:10.2f} {overhead}  "
                f"{'/'.join(f'{s:g}' for s in figures['scores'])} "
                f"({', '.join(figures['statuses'])})"
            )
    print("targets: <= 10 s per correct submission, <= 1 s overhead per submission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
