"""Mutation analysis of the reference solution with cosmic-ray: do the hidden suites notice?

    pip install -e '.[mutation]'
    python benchmarks/mutation.py [--modules engine optim ...] [--workers 2] [--out DIR]

Every mutation cosmic-ray's operators make inside a solution region (### BEGIN SOLUTION ...
### END SOLUTION) of solutions/micrograd/<module>.py is applied to a copy of the reference; the
copy is graded as a submission for that module's lesson (benchmarks/mutation_kill.py), and the
mutant is *killed* when the lesson loses points. Mutations outside solution regions (docstrings,
given code) are skipped: they are not the student's work. Two cosmic-ray HTTP workers, each on
its own copy, run the mutants in parallel (one per core). Prints killed / survived / skipped
per module, and writes every survivor's diff to DIR/survivors.json (docs/mutation.md lists them
with why each is equivalent or which check now kills it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from grader.lessons import course
from grader.paths import REFERENCE_PACKAGE, ROOT

HERE = Path(__file__).resolve().parent
FIRST_PORT = 9876


def config_text(modules, workers: int, timeout: float) -> str:
    paths = ", ".join(f'"micrograd/{m}.py"' for m in modules)
    urls = ", ".join(f'"http://127.0.0.1:{FIRST_PORT + i}"' for i in range(workers))
    return f"""[cosmic-ray]
module-path = [{paths}]
timeout = {timeout}
excluded-modules = []
test-command = "{sys.executable} {HERE / "mutation_kill.py"} micrograd"

[cosmic-ray.distributor]
name = "http"

[cosmic-ray.distributor.http]
worker-urls = [{urls}]
"""


def run(argv, cwd, **kwargs):
    return subprocess.run(argv, cwd=cwd, check=True, **kwargs)


def start_workers(out: Path, workers: int) -> list[subprocess.Popen]:
    procs = []
    for i in range(workers):
        folder = out / f"worker-{i}"
        log = open(folder / "worker.log", "wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cosmic_ray.cli",
                    "http-worker",
                    "--port",
                    str(FIRST_PORT + i),
                ],
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    time.sleep(3)  # let them listen
    return procs


def summarise(session: Path) -> tuple[dict, list[dict]]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts: dict[str, Counter] = {}
    survivors = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            module = Path(item.mutations[0].module_path).stem
            tally = counts.setdefault(module, Counter())
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                tally["skipped"] += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                tally["survived"] += 1
                survivors.append(
                    {
                        "module": module,
                        "job": item.job_id,
                        "operator": item.mutations[0].operator_name,
                        "line": item.mutations[0].start_pos[0],
                        "diff": result.diff,
                    }
                )
            elif result.test_outcome == TestOutcome.KILLED:
                tally["killed"] += 1
            else:
                tally[str(result.test_outcome or result.worker_outcome)] += 1
    return counts, survivors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    every = list(course().modules)
    parser.add_argument("--modules", nargs="+", default=every, choices=every)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mutation")
    args = parser.parse_args(argv)

    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    for i in range(args.workers):
        shutil.copytree(
            REFERENCE_PACKAGE,
            out / f"worker-{i}" / "micrograd",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    home = out / "worker-0"
    config = out / "cosmic-ray.toml"
    config.write_text(config_text(args.modules, args.workers, args.timeout))
    session = out / "session.sqlite"
    started = time.monotonic()
    # The unmutated reference must keep full marks, or every verdict below would be noise.
    baseline = subprocess.run([sys.executable, HERE / "mutation_kill.py", "micrograd"], cwd=home)
    if baseline.returncode != 0:
        print("baseline: the reference does not keep full marks; stopping", file=sys.stderr)
        return 1
    run([sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)], cwd=home)
    run([sys.executable, HERE / "mutation_filter.py", str(session)], cwd=home)
    workers = start_workers(out, args.workers)
    try:
        run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(session)], cwd=home)
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait()
    minutes = (time.monotonic() - started) / 60
    counts, survivors = summarise(session)
    (out / "survivors.json").write_text(json.dumps(survivors, indent=1))
    print(f"{'module':<12} {'mutants':>7} {'killed':>7} {'survived':>8} {'skipped':>7}  other")
    total = Counter()
    for module in args.modules:
        tally = counts.get(module, Counter())
        total.update(tally)
        other = {k: v for k, v in tally.items() if k not in ("killed", "survived", "skipped")}
        print(
            f"{module:<12} {sum(tally.values()) - tally['skipped']:>7} {tally['killed']:>7} "
            f"{tally['survived']:>8} {tally['skipped']:>7}  {other or ''}"
        )
    print(
        f"{'total':<12} {sum(total.values()) - total['skipped']:>7} {total['killed']:>7} "
        f"{total['survived']:>8} {total['skipped']:>7}"
    )
    print(f"{minutes:.1f} minutes with {args.workers} workers; survivors: {out / 'survivors.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
