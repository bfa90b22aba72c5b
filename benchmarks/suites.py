"""Wall time of the hidden suites per lesson, run in-process through the runner (no grading
orchestration), for the reference and for a correct karpathy-style closure engine.

    python benchmarks/suites.py [--repeats 3] [--lesson value ...] [--package DIR ...]

Prints, per package, the wall seconds of the whole run and the seconds spent in each lesson's
checks (median of --repeats runs), with the points earned: the budgets in lesson.toml and the
<= 10 s target for a correct submission are chosen from these figures.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.paths import REFERENCE_PACKAGE, ROOT
from grader.suites.runner import run_suites

CLOSURE_ENGINE = ROOT / "tests" / "fixtures" / "closure_engine" / "micrograd"


def measure(package: Path, lessons, repeats: int, seed: int) -> tuple[float, dict]:
    walls, per_lesson = [], {}
    for i in range(repeats):
        with tempfile.TemporaryDirectory(prefix="micrograder-bench-") as tmp:
            started = time.perf_counter()
            results = run_suites(package, seed=seed + i, lessons=lessons, workdir=Path(tmp))
            walls.append(time.perf_counter() - started)
        for lesson, info in results["lessons"].items():
            per_lesson.setdefault(lesson, []).append((info["seconds"], info["points"],
                                                      info["max_points"], info["status"]))
    return statistics.median(walls), per_lesson


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lesson", action="append", dest="lessons")
    parser.add_argument("--package", action="append", type=Path, dest="packages")
    args = parser.parse_args()
    lessons = args.lessons or ["derivatives", "value", "nn"]
    for package in args.packages or [REFERENCE_PACKAGE, CLOSURE_ENGINE]:
        wall, per_lesson = measure(package.resolve(), lessons, args.repeats, args.seed)
        print(f"{package}: {wall:.2f} s wall for {', '.join(lessons)} (median of {args.repeats})")
        for lesson, runs in per_lesson.items():
            seconds = statistics.median(r[0] for r in runs)
            earned = min(r[1] for r in runs)
            print(f"  {lesson:12s} {seconds:6.2f} s in checks   {earned:g}/{runs[0][2]:g} points"
                  f"   status {', '.join(sorted({r[3] for r in runs}))}")


if __name__ == "__main__":
    main()
