"""How long the hidden suites take, for the reference and for a correct karpathy-style closure
engine (tests/fixtures/closure_engine/micrograd/engine.py on top of the reference's other
modules): the figures behind the training lesson's sizes and epochs.

1. Wall time of a grading run per lesson (workers and sandbox included) and the slowest checks.
2. CPU time of the training lesson's heavy requests, run in a plain child process the way the
   worker runs them (on a busy machine CPU time says more than wall time).

    python benchmarks/suite_timings.py [--seed 1] [--lesson training ...] [--no-runs]
"""

import argparse
import gc
import importlib.util
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOSURE_ENGINE = ROOT / "tests" / "fixtures" / "closure_engine" / "micrograd" / "engine.py"


def closure_stack(root: Path, reference: Path) -> Path:
    package = root / "micrograd"
    shutil.copytree(reference, package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CLOSURE_ENGINE, package / "engine.py")
    return package


def report_runs(label, package, seed, lessons, scratch):
    """One run per lesson, as the grader does when asked for --lesson."""
    from grader.suites.runner import run_suites

    wall = points = 0.0
    checks = []
    for lesson in lessons:
        started = time.perf_counter()
        results = run_suites(
            package, seed=seed, lessons=[lesson], workdir=scratch / f"{label}-{lesson}"
        )
        lesson_wall = time.perf_counter() - started
        info = results["lessons"][lesson]
        print(
            f"  {label:15s} {lesson:12s} {lesson_wall:6.2f} s  "
            f"{info['points']:g}/{info['max_points']:g} {info['status']}"
        )
        wall, points = wall + lesson_wall, points + info["points"]
        checks += results["checks"]
    print(f"{label} (seed {seed}): {wall:.2f} s wall, {points:g} points")
    slow = sorted(checks, key=lambda c: -c["seconds"])[:5]
    print("  slowest checks (wall): " + ", ".join(f"{c['id']} {c['seconds']:.2f} s" for c in slow))


def time_requests(ops_training: str):
    """In a child whose sys.path starts with a package root: the training requests, timed."""
    gc.set_threshold(100_000, 50, 1000)  # as the worker does
    spec = importlib.util.spec_from_file_location("ops_training", ops_training)
    ops = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ops)
    from micrograd.data import make_moons

    rng = random.Random(1)

    def moons(n):
        X, y = make_moons(n, 0.1, seed=rng.randrange(1000))
        pairs = list(zip(X, y))
        rng.shuffle(pairs)
        return [x for x, _ in pairs], [label for _, label in pairs]

    def timed(label, handler, **args):
        started = time.process_time()
        handler(**args)
        gc.collect()
        print(f"    {label:36s} {time.process_time() - started:5.2f} s CPU", flush=True)

    X, y = moons(300)
    timed(
        "train, 80 points x 20 epochs",
        ops.train_model,
        X_train=X[:80],
        y_train=y[:80],
        X_val=X[80:100],
        y_val=y[80:100],
        model={"nouts": [8, 8, 1], "seed": 3},
        optimizer={"kind": "Adam", "lr": 0.05},
        epochs=20,
        batch_size=8,
    )
    X, y = moons(30)
    timed(
        "benchmark_optimizers, 24 x 3 epochs",
        ops.benchmark,
        X_train=X[:24],
        y_train=y[:24],
        X_val=X[24:],
        y_val=y[24:],
        options={"epochs": 3, "batch_size": 64, "seed": 5},
    )
    X, y = moons(32)
    timed(
        "full-batch train, 24 x 5 epochs",
        ops.train_model,
        X_train=X[:24],
        y_train=y[:24],
        X_val=X[24:],
        y_val=y[24:],
        model={"nouts": [4, 4, 1], "seed": 3},
        optimizer={"kind": "SGD", "lr": 0.2},
        epochs=5,
        batch_size=24,
    )
    timed("make_moons(6000)", ops.moons, n_samples=6000, noise=0.5, seed=1)


def main():
    if sys.argv[1:2] == ["--requests-in"]:
        sys.path.insert(0, sys.argv[2])
        time_requests(sys.argv[3])
        return
    sys.path.insert(0, str(ROOT))
    from grader.lessons import course
    from grader.paths import REFERENCE_PACKAGE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lesson", action="append", choices=course().ids)
    parser.add_argument("--no-runs", action="store_true", help="only the CPU time of the requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        closure = closure_stack(scratch / "closure", REFERENCE_PACKAGE)
        packages = {"reference": REFERENCE_PACKAGE, "closure engine": closure}
        if not args.no_runs:
            lessons = args.lesson or list(course().ids)
            for label, package in packages.items():
                report_runs(label, package, args.seed, lessons, scratch)
        print("training requests:")
        for label, package in packages.items():
            print(f"  {label}")
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--requests-in",
                    str(package.parent),
                    str(course().lesson("training").ops_module),
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
