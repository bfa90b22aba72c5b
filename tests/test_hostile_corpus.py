"""The hostile-submission corpus (tests/hostile/corpus.py), graded together with an honest
submission in ONE `micrograder grade` run inside the OS sandbox.

Checked afterwards: every submission has a row with its expected outcome, the honest one scores
full marks, no process outlives the run, no protected tree changed, nothing the attacks write
escaped, no connection reached the test's port, outputs stay small, and no feedback quotes
hidden test source or reference code.
"""

from __future__ import annotations

import ast
import csv
import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from hostile import corpus, probe

from grader.paths import REFERENCE_PACKAGE, ROOT
from grader.sandbox import jail

pytestmark = pytest.mark.slow
JOBS = 2
REQUEST_TIMEOUT = 3  # seconds per check (--timeout): hangs cost little, honest checks need < 1


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    status = jail.sandbox_status()
    assert status.available, f"the hostile corpus runs only inside the OS sandbox: {status.reason}"
    base = tmp_path_factory.mktemp("hostile")
    ctx_listener = probe.Listener()
    ctx = corpus.Context(marker=f"PWNED-{secrets.token_hex(6)}", port=ctx_listener.port)
    subs, out = base / "submissions", base / "out"
    corpus.build_all(subs, ctx)
    protected = corpus.PROTECTED + [subs]
    before = probe.hash_trees(protected)
    started = time.monotonic()
    proc = subprocess.run(
        probe.GRADE
        + [
            str(subs),
            "--out",
            str(out),
            "--seed",
            "4242",
            "-j",
            str(JOBS),
            "--timeout",
            str(REQUEST_TIMEOUT),
            "--require-sandbox",
            *[arg for lesson in corpus.LESSONS for arg in ("--lesson", lesson)],
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=base,
    )
    seconds = time.monotonic() - started
    survivors = probe.wait_no_processes(uids=probe.slot_uids(out, JOBS), cmd_has=str(subs))
    ctx_listener.close()
    print(f"hostile corpus: {len(corpus.ATTACKS)} submissions graded in {seconds:.1f} s")
    yield {
        "proc": proc,
        "out": out,
        "subs": subs,
        "ctx": ctx,
        "seconds": seconds,
        "before": before,
        "after": probe.hash_trees(protected),
        "survivors": survivors,
        "connections": list(ctx_listener.connections),
        "base": base,
        "rows": _gradebook(out / "gradebook.csv") if proc.returncode == 0 else {},
    }


def _gradebook(path: Path) -> dict[str, dict]:
    with open(path, newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _results(run, name: str) -> dict:
    return json.loads((run["out"] / name / "results.json").read_text())


def test_grade_finishes_with_a_row_for_every_submission(run):
    assert run["proc"].returncode == 0, run["proc"].stderr[-2000:]
    assert sorted(run["rows"]) == sorted(a.name for a in corpus.ATTACKS)


@pytest.mark.parametrize("attack", corpus.ATTACKS, ids=lambda a: a.name)
def test_attack_has_its_expected_outcome(run, attack):
    row = run["rows"][attack.name]
    expect = attack.expect
    extra = _results(run, attack.name)["extra_data"]
    assert row["status"] in _choices(expect.status), (attack.what, row)
    for lesson, points in expect.points.items():
        assert float(row[lesson]) == points, (attack.what, lesson, row)
    for lesson in expect.partial:
        assert 0 <= float(row[lesson]) < corpus.MAX[lesson], (attack.what, lesson, row)
    for lesson, status in expect.lesson_status.items():
        assert extra["lessons"][lesson]["status"] in _choices(status), (
            attack.what,
            extra["lessons"],
        )
    if expect.reason_has:
        reasons = [row["reason"]] + [lesson["reason"] for lesson in extra["lessons"].values()]
        assert any(expect.reason_has in reason for reason in reasons), (attack.what, reasons)


def _choices(expected) -> tuple:
    return expected if isinstance(expected, tuple) else (expected,)


def test_timed_out_checks_score_nothing(run):
    checks = _results(run, "loop_in_backward")["tests"]
    timed_out = [c for c in checks if "value" in c["tags"] and c["status"] != "passed"]
    assert timed_out and all(c["score"] == 0 for c in timed_out)


def test_honest_submission_scores_full_marks(run):
    row = run["rows"]["honest"]
    assert (row["status"], float(row["total"]), float(row["max"])) == ("graded", 40.0, 40.0)


def test_no_process_outlives_the_run(run):
    assert run["survivors"] == []


def test_no_protected_file_changed(run):
    changed = {
        root: sorted(set(run["before"][root].items()) ^ set(run["after"][root].items()))
        for root in run["before"]
    }
    assert {root: diff for root, diff in changed.items() if diff} == {}


def test_nothing_escaped_the_sandbox(run):
    marker = run["ctx"].marker
    roots = ["/tmp", str(ROOT.parent), "/root", "/etc", "/var/tmp", "/home"]
    # The grader's own outputs may quote the marker (zip_traversal's reason names the entry).
    leaked = [
        path
        for path in probe.leaked_files(marker, roots)
        if not Path(path).is_relative_to(run["out"])
    ]
    top_level = [str(p) for p in Path("/").iterdir() if marker in p.name]
    assert leaked + top_level == []
    assert run["connections"] == []


def test_outputs_are_the_graders_own_and_small(run):
    out = run["out"]
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    expected = {"run.json", "gradebook.csv", "checks.csv", "report.html"} | {
        f"{a.name}/{f}" for a in corpus.ATTACKS for f in ("results.json", "feedback.html")
    }
    # staff only: the logs and the result records
    assert names - expected <= {n for n in names if n.startswith((".logs/", ".results/"))}
    assert expected <= names
    too_big = [n for n in names if (out / n).stat().st_size > 1_000_000]
    assert too_big == []


def _code_lines(path: Path) -> set[str]:
    """Source lines of `path` long enough to be recognisable, docstrings excluded (a check's
    docstring is its student-facing name)."""
    text = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    return {
        line.strip()
        for number, line in enumerate(text.splitlines(), 1)
        if number not in docstrings and len(line.strip()) >= 24 and not line.strip().startswith("#")
    }


def test_feedback_never_quotes_hidden_tests_or_reference(run):
    hidden = set().union(*(_code_lines(p) for p in (ROOT / "grader" / "suites").glob("test_*.py")))
    reference = set().union(*(_code_lines(p) for p in REFERENCE_PACKAGE.glob("*.py")))
    assert len(hidden) > 50 and len(reference) > 50
    leaks = []
    for path in run["out"].glob("*/*"):
        if path.name in ("feedback.html", "results.json"):
            text = path.read_text()
            leaks += [
                f"{path.parent.name}/{path.name}: {line}"
                for line in hidden | reference
                if line in text
            ]
    assert leaks == []


def test_limits_and_isolation_are_reported(run):
    info = json.loads((run["out"] / "run.json").read_text())
    limits = info["limits"]
    assert limits["isolation"].startswith("bubblewrap")
    assert limits["request_timeout"] == REQUEST_TIMEOUT
    assert limits["address_space"] == jail.Limits().address_space
    assert _results(run, "honest")["extra_data"]["limits"]["isolation"].startswith("bubblewrap")
    assert "WARNING" not in run["proc"].stderr
