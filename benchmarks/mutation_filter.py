"""A cosmic-ray session filter: skip every mutation outside a solution region.

    python benchmarks/mutation_filter.py SESSION      (run in the folder holding micrograd/)

Only the code between `### BEGIN SOLUTION` and `### END SOLUTION` is the student's work; a
mutation of a docstring, of given code or of a marker line says nothing about the hidden
suites. Built on cosmic-ray's own filter base class (FilterApp), as its bundled filters are.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from cosmic_ray.tools.filters.filter_app import FilterApp
from cosmic_ray.work_item import WorkerOutcome, WorkResult


@lru_cache
def solution_lines(module_path: Path) -> frozenset[int]:
    """1-based numbers of the lines inside solution regions."""
    inside, lines = False, set()
    for number, line in enumerate(module_path.read_text().splitlines(), start=1):
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            lines.add(number)
    return frozenset(lines)


class SolutionRegionFilter(FilterApp):
    def description(self):
        return __doc__.splitlines()[0]

    def filter(self, work_db, args):
        for item in work_db.work_items:
            for mutation in item.mutations:
                first, last = mutation.start_pos[0], mutation.end_pos[0]
                if mutation.end_pos[1] == 0:  # ends at the start of a line: the previous one
                    last -= 1
                inside = solution_lines(Path(mutation.module_path))
                if not all(n in inside for n in range(first, last + 1)):
                    work_db.set_result(
                        item.job_id,
                        WorkResult(
                            worker_outcome=WorkerOutcome.SKIPPED,
                            output=None,
                            test_outcome=None,
                            diff=None,
                        ),
                    )
                    break


if __name__ == "__main__":
    sys.exit(SolutionRegionFilter().main())
