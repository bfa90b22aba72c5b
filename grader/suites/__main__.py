"""python -m grader.suites --submission DIR --seed S [--lesson L ...] --json OUT

Grades one submission (DIR is the folder that IS the student's `micrograd` package) and writes
the results JSON (docs/runner-contract.md). Run by `micrograder grade` as a time-limited child
process."""

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

from grader.files import write_json_atomic
from grader.lessons import course
from grader.sandbox.jail import Limits, SandboxUnavailable, die_with_parent
from grader.scratch import scratch_dir
from grader.suites.runner import run_suites


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grader.suites", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--submission", required=True, type=Path, help="the student's micrograd/ folder"
    )
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--lesson", action="append", dest="lessons", help="repeatable; default all")
    parser.add_argument("--json", required=True, type=Path, dest="out")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp folder)")
    parser.add_argument("--slot", type=int, default=0, help="parallel grading slot")
    parser.add_argument(
        "--limits",
        type=json.loads,
        default={},
        help="worker limits as JSON, fields of grader.sandbox.jail.Limits",
    )
    args = parser.parse_args(argv)
    die_with_parent()  # a killed grader leaves no runner (and so no worker) behind
    if not args.submission.is_dir():
        print(
            f"error: {args.submission} is not a folder (pass the student's micrograd/ folder)",
            file=sys.stderr,
        )
        return 2
    known = course().ids
    unknown = sorted(set(args.lessons or ()) - set(known))
    if unknown:
        print(
            f"error: unknown lesson(s) {', '.join(unknown)} (known: {', '.join(known)})",
            file=sys.stderr,
        )
        return 2
    try:
        with workdir_of(args) as workdir:
            results = run_suites(
                args.submission,
                seed=args.seed,
                lessons=args.lessons,
                workdir=workdir,
                slot=args.slot,
                limits=Limits(**args.limits),
            )
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_json_atomic(args.out, results)
    return 0


def workdir_of(args):
    """--workdir as given (whoever passed it removes it), else a scratch folder of our own."""
    return nullcontext(args.workdir) if args.workdir else scratch_dir("runner")


if __name__ == "__main__":
    sys.exit(main())
