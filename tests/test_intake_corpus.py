"""Intake that cannot be broken (issue 13): every hostile class folder of tests/intake_corpus.py
is graded by the real command next to an honest student. Each run must exit 0 with a row for
every submission, leave the honest student's full marks and files alone, grade each student
from their own files only, write nothing outside --out, show no control character in the
terminal or the CSV, and keep the trusted side's peak memory and staging disk under the bounds
stated in docs/grading.md (the grader reports them in run.json; measured in its own process)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import intake_corpus
import pytest

from grader import names
from grader.intake import discovery
from grader.paths import ROOT

pytestmark = pytest.mark.slow

# The bounds stated in docs/grading.md ("Limits"): the grading process's peak RSS (Python, rich,
# nbformat and the intake of the worst submission), its staging per submission, and the time
# one submission's preparation took.
PEAK_RSS_MB = 160
STAGED_MB = discovery.MAX_BYTES / 2**20
PREPARE_SECONDS = discovery.PREPARE_SECONDS  # measured: ~0.05 s, ~2 s with nbformat's import
HIDDEN = intake_corpus.HIDDEN


def tree_digest(root: Path) -> str:
    """Names and bytes of the regular files under root (iterative; special files skipped)."""
    digest = hashlib.sha256()
    for entry in discovery.walk(root):
        if entry.regular:
            digest.update(entry.rel.encode() + entry.path.read_bytes())
    return digest.hexdigest()


def grade_class(base: Path, build) -> dict:
    """Build one class folder under base/<name>/ and grade it with the real command."""
    folder = base / build.__name__
    subs = folder / "subs"
    subs.mkdir(parents=True)
    intake_corpus.honest(subs)
    case = build(subs)
    honest_before = tree_digest(subs / intake_corpus.HONEST)
    out = folder / "out"
    command = [
        sys.executable,
        "-c",
        "from grader.cli import main; main()",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--lesson",
        "derivatives",
        "--seed",
        "7",
        *case.args,
    ]
    done = subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    return {
        "folder": folder,
        "subs": subs,
        "out": out,
        "case": case,
        "done": done,
        "honest_before": honest_before,
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every class folder of the corpus, graded two at a time (one process each, so each
    reports its own peak memory)."""
    base = tmp_path_factory.mktemp("intake")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(
            zip(
                [b.__name__ for b in intake_corpus.CORPUS],
                pool.map(lambda b: grade_class(base, b), intake_corpus.CORPUS),
            )
        )
    yield runs
    for run in runs.values():
        intake_corpus.remove_tree(run["subs"])  # a 1,200-deep chain: pytest's rmtree recurses


@pytest.mark.parametrize("build", intake_corpus.CORPUS, ids=lambda b: b.__name__)
def test_a_hostile_class_is_graded_row_by_row(build, graded):
    run = graded[build.__name__]
    subs, out, case, done = run["subs"], run["out"], run["case"], run["done"]
    shown = done.stdout + done.stderr
    assert done.returncode == 0, shown[-3000:]
    assert "Traceback" not in shown
    assert not HIDDEN.search(shown), repr(HIDDEN.search(shown))

    # A row for every submission, each id shown with nothing hidden and never as a formula.
    text = (out / names.GRADEBOOK).read_text(encoding="utf-8")
    assert not HIDDEN.search(text), repr(HIDDEN.search(text))
    rows = {row["id"]: row for row in csv.DictReader(text.splitlines())}
    expected = {intake_corpus.HONEST: ("graded", ""), **case.rows}
    assert sorted(rows) == sorted(names.for_csv(i, name=True) for i in expected)
    assert not [i for i in rows if i[:1] in "=+-@"]
    for raw, (status, fragment) in expected.items():
        row = rows[names.for_csv(raw, name=True)]
        assert (row["status"], fragment in row["reason"]) == (status, True), (raw, row)
        results = json.loads(names.submission_path(out, raw, "results.json").read_text())
        assert results["extra_data"]["student_id"] == names.visible(raw)
        lines = results["output"].split("\n")  # what Gradescope shows: no forged line
        assert re.fullmatch(r"[\d.]+ / [\d.]+ points \(\w+\).*", lines[0]), lines
        assert not [line for line in lines[1:] if re.match(r"\s*[\d.]+ / [\d.]+ points", line)]
        assert not HIDDEN.search(results["output"])
    for raw in case.rows:  # graded from their own files only: a stub scores 0, never more
        total = float(rows[names.for_csv(raw, name=True)]["total"])
        assert total == case.points.get(raw, 0.0), raw

    honest = rows[intake_corpus.HONEST]
    assert (honest["status"], honest["total"], honest["max"]) == ("graded", "10", "10")
    assert tree_digest(subs / intake_corpus.HONEST) == run["honest_before"]

    # Nothing outside --out: the class's folder holds what it held, plus out/.
    assert sorted(p.name for p in run["folder"].iterdir()) == ["out", "subs"]
    for path in out.rglob("*"):
        assert not path.is_symlink() and path.resolve().is_relative_to(out.resolve()), path
    top = {p.name for p in out.iterdir()}
    assert {names.GRADEBOOK, names.RUN_FILE} <= top
    assert all(
        name
        in (names.GRADEBOOK, names.CHECKS, names.CLASS_REPORT, names.RUN_FILE)
        + (names.LOGS, names.RECORDS)
        or names.is_plain_id(name)
        or name.startswith(names.ESCAPED_PREFIX)
        for name in top
    )

    figures = json.loads((out / names.RUN_FILE).read_text())["trusted_side"]
    print(f"\n{build.__name__}: {figures}")
    assert figures["peak_rss_mb"] < PEAK_RSS_MB
    assert figures["max_staged_mb"] <= STAGED_MB
    assert figures["max_prepare_seconds"] < PREPARE_SECONDS
