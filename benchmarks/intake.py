"""What the trusted side's intake costs on the hostile corpus (tests/intake_corpus.py): for
each class folder, a fresh process finds, fingerprints and stages every submission (no
grading), and this prints its peak memory (VmHWM), the slowest preparation of one submission
and the largest staging folder.

    python benchmarks/intake.py [--case NAME ...]

Bounds stated in docs/grading.md ("Limits"): peak RSS of the grading process under 160 MB,
staging at most 20 MB per submission, preparation well under the 60 s limit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import paths

sys.path.insert(0, str(paths.ROOT / "tests"))
import intake_corpus  # noqa: E402  (the corpus lives with the tests that use it)

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
from grader.intake import discovery
from grader.grading.orchestrate import peak_rss_kb

slowest, largest = 0.0, 0
for sub in discovery.discover(Path(sys.argv[1]), *sys.argv[2:3]):
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        try:
            discovery.fingerprint(sub)
        except (discovery.InvalidSubmission, OSError):
            pass
        try:
            discovery.prepare(sub, Path(tmp))
        except discovery.InvalidSubmission:
            pass
        slowest = max(slowest, time.monotonic() - started)
        largest = max(largest, discovery.staged_bytes(Path(tmp)))
print(json.dumps({"peak_rss_mb": peak_rss_kb() / 1024, "max_prepare_seconds": slowest,
                  "max_staged_mb": largest / 2**20}))
"""


def measure(build) -> dict:
    with tempfile.TemporaryDirectory(prefix="micrograder-intake-") as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        intake_corpus.honest(subs)
        case = build(subs)
        pattern = case.args[1:2] if case.args[:1] == ["--id-pattern"] else []
        try:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(subs), *pattern],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            intake_corpus.remove_tree(subs)  # a 1,200-deep chain: rmtree would recurse
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", default=[], metavar="NAME")
    args = parser.parse_args()
    builds = [b for b in intake_corpus.CORPUS if not args.case or b.__name__ in args.case]
    print(f"{'class folder':28} {'peak RSS MB':>12} {'prepare s':>10} {'staged MB':>10}")
    worst = {"peak_rss_mb": 0.0, "max_prepare_seconds": 0.0, "max_staged_mb": 0.0}
    for build in builds:
        figures = measure(build)
        worst = {key: max(worst[key], figures[key]) for key in worst}
        print(
            f"{build.__name__:28} {figures['peak_rss_mb']:12.1f} "
            f"{figures['max_prepare_seconds']:10.3f} {figures['max_staged_mb']:10.2f}"
        )
    print(
        f"{'worst':28} {worst['peak_rss_mb']:12.1f} {worst['max_prepare_seconds']:10.3f} "
        f"{worst['max_staged_mb']:10.2f}"
    )


if __name__ == "__main__":
    main()
