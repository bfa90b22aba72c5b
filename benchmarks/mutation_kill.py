"""The kill criterion of the mutation analysis (benchmarks/mutation.py): cosmic-ray's test command.

    python benchmarks/mutation_kill.py PACKAGE

PACKAGE is a copy of solutions/micrograd in which cosmic-ray has mutated one module. This finds
that module by comparing the copy with the pristine reference, grades the copy as a submission
for the module's lesson with the hidden suites (the grader's expected values come from the
pristine reference), and exits 1 — "killed" — when the lesson loses points, 0 — "survived" —
when it keeps full marks. Any other failure (the runner itself breaking) exits 2, which
cosmic-ray also counts as killed: the driver's baseline run catches that case before any mutant.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grader.lessons import course
from grader.paths import REFERENCE_PACKAGE
from grader.sandbox.jail import Limits
from grader.suites.runner import run_suites

SEED = 1  # fixed: a rerun of the analysis gives the same verdicts
# A mutant that loops forever would otherwise cost each check its full 10 s: the reference
# answers every request of lessons 1-5 in well under a second (training asks for its own limit).
LIMITS = Limits(request_timeout=3.0)


def mutated_module(package: Path) -> str | None:
    """The one module of `package` that differs from the reference (None: none does)."""
    for module in course().modules:
        copy = package / f"{module}.py"
        if copy.read_bytes() != (REFERENCE_PACKAGE / f"{module}.py").read_bytes():
            return module
    return None


def main(argv=None) -> int:
    package = Path((argv or sys.argv[1:])[0]).resolve()
    module = mutated_module(package)
    # the baseline (nothing mutated) grades every lesson
    lessons = [course().owners[module]] if module else list(course())
    with tempfile.TemporaryDirectory(prefix="micrograder-mutant-") as work:
        results = run_suites(
            package,
            seed=SEED,
            lessons=[lesson.id for lesson in lessons],
            workdir=Path(work),
            limits=LIMITS,
        )
    if results["internal_errors"]:
        print("grader errors:", results["internal_errors"], file=sys.stderr)
        return 2
    lost = {
        lesson.id: lesson.points - results["lessons"][lesson.id]["points"] for lesson in lessons
    }
    failed = [f"{c['id']}: {c['message']}" for c in results["checks"] if c["outcome"] != "passed"]
    print(f"mutated: {module}; points lost: {lost}")
    print("\n".join(failed[:5]))
    return 1 if any(points > 1e-9 for points in lost.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
