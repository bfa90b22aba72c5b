"""Wall time (of a grading run: starting workers included) of the hidden suites per lesson and of their slowest checks, for the reference and for
a correct karpathy-style closure engine (tests/fixtures/closure_engine/micrograd/engine.py on top
of the reference's other modules). The figures behind the training lesson's sizes and epochs.

    python benchmarks/suite_timings.py [--seed 1] [--lesson training ...]
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE, ROOT
from grader.suites.runner import run_suites

CLOSURE_ENGINE = ROOT / "tests" / "fixtures" / "closure_engine" / "micrograd" / "engine.py"


def closure_stack(root: Path) -> Path:
    package = root / "micrograd"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CLOSURE_ENGINE, package / "engine.py")
    return package


def report(label, package, seed, lessons, scratch):
    """One run per lesson, as the grader does when asked for --lesson."""
    wall = points = 0.0
    slow = []
    for lesson in lessons:
        started = time.perf_counter()
        results = run_suites(package, seed=seed, lessons=[lesson], workdir=scratch / f"{label}-{lesson}")
        lesson_wall = time.perf_counter() - started
        info = results["lessons"][lesson]
        print(f"  {label:15s} {lesson:12s} {lesson_wall:6.2f} s  "
              f"{info['points']:g}/{info['max_points']:g} {info['status']}")
        wall, points = wall + lesson_wall, points + info["points"]
        slow += results["checks"]
    print(f"{label} (seed {seed}): {wall:.2f} s, {points:g} points")
    slow = sorted(slow, key=lambda c: -c["seconds"])[:5]
    print("  slowest checks (wall): " + ", ".join(f"{c['id']} {c['seconds']:.2f} s" for c in slow))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lesson", action="append", choices=[lesson.id for lesson in load_lessons()])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        lessons = args.lesson or [lesson.id for lesson in load_lessons()]
        report("reference", REFERENCE_PACKAGE, args.seed, lessons, scratch)
        report("closure engine", closure_stack(scratch / "closure"), args.seed, lessons, scratch)


if __name__ == "__main__":
    main()
