"""The executor seam itself: a LocalExecutor running a fake runner that speaks the runner's
command line. Outcomes come back as data; cancel, timeouts and slots are the executor's."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest
from grading_helpers import running

from grader.grading.executors import Job, LocalExecutor, unpack_package
from grader.sandbox.jail import UIDS_PER_GRADER, Limits

# Does what the package's `behaviour.json` says, then reports what it was given, as JSON.
SEAM_RUNNER = r"""
import argparse, json, os, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
for name in ("--submission", "--json", "--workdir", "--limits"):
    parser.add_argument(name, required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--slot", type=int, required=True)
parser.add_argument("--lesson", action="append", default=[])
args = parser.parse_args()
behaviour = json.loads((Path(args.submission) / "behaviour.json").read_text())
if "pid_file" in behaviour:
    Path(behaviour["pid_file"]).write_text(str(os.getpid()))
time.sleep(behaviour.get("sleep", 0))
if "exit" in behaviour:
    print("runner blew up", file=sys.stderr)
    sys.exit(behaviour["exit"])
Path(args.json).write_text(json.dumps({
    "seed": args.seed, "checks": [], "lessons": args.lesson, "slot": args.slot,
    "limits": json.loads(args.limits), "workdir": args.workdir, "cwd": os.getcwd()}))
"""


@pytest.fixture
def runner(tmp_path):
    script = tmp_path / "seam_runner.py"
    script.write_text(SEAM_RUNNER)
    return (sys.executable, str(script))


def job(
    tmp_path: Path, name: str, timeout: float = 30.0, limits: Limits = Limits(), **behaviour
) -> Job:
    package = tmp_path / name / "micrograd"
    package.mkdir(parents=True)
    (package / "behaviour.json").write_text(json.dumps(behaviour))
    return Job(name, package, seed=7, lessons=("value", "nn"), timeout=timeout, limits=limits)


def test_an_outcome_comes_back_as_data_and_the_runner_leaves_no_folder(tmp_path, runner):
    with LocalExecutor(jobs=1, runner=runner, uid_base=2_000_000) as executor:
        outcome = executor.submit(job(tmp_path, "alice")).result(timeout=30)
    assert outcome.kind == "ok" and outcome.detail == ""
    assert (outcome.data["seed"], outcome.data["lessons"]) == (7, ["value", "nn"])
    assert outcome.data["limits"]["slot_uid_base"] == 2_000_000  # passed down explicitly
    assert not Path(outcome.data["workdir"]).exists() and not Path(outcome.data["cwd"]).exists()


def test_a_runner_without_results_is_crashed_with_its_log(tmp_path, runner):
    with LocalExecutor(runner=runner) as executor:
        outcome = executor.submit(job(tmp_path, "bob", exit=3)).result(timeout=30)
    assert outcome.kind == "crashed" and "code 3" in outcome.detail
    assert "runner blew up" in outcome.log_tail and outcome.data == {}


def test_a_slow_runner_becomes_timeout_and_is_killed(tmp_path, runner):
    pid_file = tmp_path / "slow.pid"
    with LocalExecutor(runner=runner) as executor:
        outcome = executor.submit(
            job(tmp_path, "slow", timeout=0.5, sleep=60, pid_file=str(pid_file))
        ).result(timeout=30)
    assert outcome.kind == "timeout" and "longer than" in outcome.detail
    assert 0.5 <= outcome.seconds < 5
    assert not running(int(pid_file.read_text()))


def test_cancel_kills_a_sleeping_runner_within_a_second(tmp_path, runner):
    pid_file = tmp_path / "sleeper.pid"
    executor = LocalExecutor(runner=runner)
    try:
        sleeping = executor.submit(job(tmp_path, "sleeper", sleep=60, pid_file=str(pid_file)))
        waiting = executor.submit(job(tmp_path, "next"))  # no free slot: never starts
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        pid = int(pid_file.read_text())
        started = time.monotonic()
        executor.cancel()
        with pytest.raises(CancelledError):
            sleeping.result(timeout=1)
        assert time.monotonic() - started < 1 and not running(pid)
        assert waiting.cancelled()
        with pytest.raises(CancelledError):
            executor.submit(job(tmp_path, "late")).result(timeout=1)
    finally:
        executor.close()


def test_leaving_on_an_exception_cancels(tmp_path, runner):
    pid_file = tmp_path / "sleeper.pid"
    started = None
    with pytest.raises(KeyboardInterrupt):
        with LocalExecutor(runner=runner) as executor:
            executor.submit(job(tmp_path, "sleeper", sleep=60, pid_file=str(pid_file)))
            while not pid_file.exists():
                time.sleep(0.02)
            started = time.monotonic()
            raise KeyboardInterrupt
    assert time.monotonic() - started < 1 and not running(int(pid_file.read_text()))


def test_two_jobs_at_once_get_distinct_slots(tmp_path, runner):
    with LocalExecutor(jobs=2, runner=runner) as executor:
        futures = [executor.submit(job(tmp_path, name, sleep=0.5)) for name in ("a", "b")]
        outcomes = [future.result(timeout=30) for future in futures]
    assert sorted(outcome.data["slot"] for outcome in outcomes) == [0, 1]


def test_the_executor_chooses_the_slot_uid_base(monkeypatch):
    monkeypatch.setenv("MICROGRADER_SLOT_UID_BASE", "3000000")
    with LocalExecutor(jobs=2) as executor:
        assert executor.uid_base == 3_000_000
        assert executor.worker_limits(Limits()).slot_uid_base == 3_000_000
        assert executor.worker_limits(Limits(slot_uid_base=5)).slot_uid_base == 5
    with pytest.raises(ValueError):
        LocalExecutor(jobs=UIDS_PER_GRADER + 1)


def test_a_job_ships_its_package_as_bytes(tmp_path):
    shipped = job(tmp_path, "carol")
    (shipped.package / "sub").mkdir()
    (shipped.package / "sub" / "engine.py").write_bytes(b"x = 1\n\xff")
    files = shipped.package_files()
    assert sorted(files) == ["behaviour.json", "sub/engine.py"]
    copy = unpack_package(files, tmp_path / "elsewhere")
    assert (copy / "sub" / "engine.py").read_bytes() == b"x = 1\n\xff"
    for unsafe in ("../escape.py", "/abs.py", "a/./b.py", ""):
        with pytest.raises(ValueError):
            unpack_package({unsafe: b""}, tmp_path / "unsafe")
    assert not (tmp_path / "escape.py").exists()
