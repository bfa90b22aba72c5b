"""Nothing lost: SIGKILL the grader mid-run, run it again, and every submission ends up graded;
results finished before the kill stay byte-identical and the gradebook is rebuilt from the
per-submission results."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
from hostile import probe

from grader import names
from grader.paths import REFERENCE_PACKAGE

pytestmark = pytest.mark.slow
IDS = [f"student{n}" for n in range(6)]


def finished_ids(out):
    """The submissions the run has finished: those with a result record, which is written last
    (grader/report/outputs.py); a results.json alone may still be followed by the record."""
    return sorted(p.stem for p in names.record_paths(out)) if (out / names.RECORDS).is_dir() else []


def test_sigkill_mid_run_then_rerun_loses_nothing(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    for sub_id in IDS:
        shutil.copytree(
            REFERENCE_PACKAGE,
            subs / sub_id / "micrograd",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    command = probe.GRADE + [
        str(subs),
        "--out",
        str(out),
        "--lesson",
        "derivatives",
        "--seed",
        "99",
        "-j",
        "1",
    ]
    grader = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    finished = []
    while grader.poll() is None and time.monotonic() < deadline:
        finished = finished_ids(out)
        if len(finished) >= 2:
            break
        time.sleep(0.05)
    assert grader.poll() is None, "the grader finished before it could be killed"
    os.kill(grader.pid, signal.SIGKILL)
    grader.wait()

    # What the killed run left: complete files only, and no process of it.
    finished = finished_ids(out)
    assert 2 <= len(finished) < len(IDS)
    kept = {}
    for sub_id in finished:
        for name in ("results.json", "feedback.html"):
            kept[f"{sub_id}/{name}"] = (out / sub_id / name).read_bytes()
        json.loads(kept[f"{sub_id}/results.json"])  # never half-written
    killed_uids = probe.slot_uids(out, 1)
    assert probe.wait_no_processes(uids=killed_uids, cmd_has=str(subs)) == []

    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]

    for path, data in kept.items():
        assert (out / path).read_bytes() == data, f"{path} changed on the rerun"
    run = json.loads((out / "run.json").read_text())
    assert (run["skipped"], run["graded"]) == (len(finished), len(IDS) - len(finished))
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == IDS
    for sub_id in IDS:
        results = json.loads((out / sub_id / "results.json").read_text())
        assert results["extra_data"]["status"] == rows[sub_id]["status"] == "graded"
        assert float(rows[sub_id]["total"]) == results["score"] == 10.0
    assert probe.processes(uids=probe.slot_uids(out, 1), cmd_has=str(subs)) == []
