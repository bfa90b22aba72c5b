"""`micrograder grade --dask-scheduler`: the DaskExecutor (grader/grading/executors/dask.py) on a
dask LocalCluster and on a real `dask scheduler` with two `dask worker` processes on 127.0.0.1,
started and always stopped here. The example class graded on either gives the records of a
local -j 2 run; a worker killed mid-task loses nothing and writes nothing twice; a submission
that hangs becomes `timeout` by the runner's limits on the worker."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed
import pytest
from click.testing import CliRunner

from grader import paths
from grader.cli import main
from grader.grading import commands
from grader.grading.executors import LocalExecutor
from grader.grading.executors import dask as dask_executor
from grader.grading.executors.dask import DaskExecutor
from grader.grading.orchestrate import GradeOptions, grade_all
from grader.lessons import course
from grader.results import read_record
from grader.sandbox.jail import Limits, kill_process_group, uid_range_start

LESSONS = course().select(("losses",))
SEED = 5


def records(out: Path) -> dict:
    """What grading decided for each submission in `out`: status, score, every check's
    outcome and points (not times)."""
    found = {}
    for path in sorted((out / ".results").glob("*.json")):
        result = read_record(path.read_text(), list(LESSONS))
        checks = [(c.id, c.outcome, c.points, c.message) for c in result.checks]
        found[result.id] = (result.status, result.reason, result.score, checks)
    return found


def gradebook_ids(out: Path) -> list[str]:
    with open(out / "gradebook.csv", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def options(out: Path, executor, **kwargs) -> GradeOptions:
    return GradeOptions(out=out, seed=SEED, lessons=LESSONS, executor=executor, **kwargs)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> dict:
    """The example class graded locally, -j 2: what every cluster run must give."""
    out = tmp_path_factory.mktemp("local") / "out"
    grade_all(paths.EXAMPLES, options(out, LocalExecutor, jobs=2))
    return records(out)


@pytest.fixture(scope="module")
def local_cluster():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(argv: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as handle:  # its own session: stopped with everything it started
        return subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="module")
def dask_cli_cluster(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes (1 thread each), as docs/cluster.md
    says to start them, on 127.0.0.1."""
    logs = tmp_path_factory.mktemp("dask-cli")
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = [sys.executable, "-m", "dask"]
    procs = [
        start(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]]
            + ["--no-dashboard"],
            logs / "scheduler.log",
        )
    ]
    try:
        for n in range(2):
            argv = [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1"]
            argv += ["--no-dashboard", "--local-directory", str(logs / f"worker{n}")]
            procs.append(start(argv, logs / f"worker{n}.log"))
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            kill_process_group(proc.pid)
            proc.wait()


@pytest.fixture(params=["LocalCluster", "dask scheduler + 2 dask workers"])
def cluster(request):
    """The scheduler address of a cluster with its two workers up."""
    name = "local_cluster" if request.param == "LocalCluster" else "dask_cli_cluster"
    address = request.getfixturevalue(name)
    with distributed.Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)  # e.g. after a kill, the nanny restarts one
    return address


def worker_pids(address: str) -> dict[str, int]:
    with distributed.Client(address, timeout=60) as client:
        return client.run(os.getpid)


def class_of(folder: Path, ids: list[str], losses_prefix: str = "") -> Path:
    """Copies of alice's correct submission, `losses_prefix` put before her losses.py."""
    for sub_id in ids:
        package = shutil.copytree(paths.EXAMPLES / "alice", folder / sub_id) / "micrograd"
        losses = package / "losses.py"
        losses.write_text(losses_prefix + losses.read_text())
    return folder


@pytest.mark.slow
def test_the_example_class_on_a_cluster_grades_as_locally(cluster, local_run, tmp_path):
    out = tmp_path / "out"
    args = ["grade", str(paths.EXAMPLES), "--out", str(out), "--seed", str(SEED)]
    args += ["--lesson", "losses", "--dask-scheduler", cluster, "--no-cache"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert records(out) == local_run
    assert {status for status, *_ in local_run.values()} == {"graded", "invalid"}
    assert sorted(gradebook_ids(out)) == sorted(local_run)
    run = json.loads((out / "run.json").read_text())
    assert (run["executor"], run["jobs"]) == ("DaskExecutor", 2)  # the cluster's 2 threads
    # Each worker process chose its own sandbox uids, from its own pid (never the client's).
    worker_bases = {uid_range_start(pid) for pid in worker_pids(cluster).values()}
    for path in (out / ".results").glob("*.json"):
        result = read_record(path.read_text(), list(LESSONS))
        if result.status == "graded":
            assert result.limits["slot_uid_base"] in worker_bases


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_nothing_and_writes_nothing_twice(cluster, tmp_path):
    ids = ["ann", "ben", "cat", "dan"]
    subs = class_of(tmp_path / "subs", ids, "import time\ntime.sleep(4)\n")
    out = tmp_path / "out"
    run = threading.Thread(
        target=grade_all, args=(subs, options(out, lambda jobs: DaskExecutor(cluster)))
    )
    run.start()
    killed = kill_a_busy_worker(cluster)
    run.join(timeout=600)
    assert not run.is_alive()
    assert killed is not None  # a task was running on the worker we killed
    assert sorted(gradebook_ids(out)) == ids  # every row, exactly once
    found = records(out)
    assert {found[sub_id][:3] for sub_id in ids} == {("graded", "", 10.0)}


def kill_a_busy_worker(address: str) -> int | None:
    """SIGKILL a worker process while it runs a grading task (its nanny starts a new one)."""
    pids = worker_pids(address)
    with distributed.Client(address, timeout=60) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                time.sleep(1.0)  # inside the task: the runner is importing the slow module
                os.kill(pids[busy[0]], signal.SIGKILL)
                return pids[busy[0]]
            time.sleep(0.1)
    return None


@pytest.mark.slow
def test_a_submission_that_hangs_is_stopped_by_the_runners_timeout(cluster, tmp_path):
    subs = class_of(tmp_path / "subs", ["hang"], "while True:\n    pass\n")
    class_of(subs, ["fine"])
    out = tmp_path / "out"
    margin = 15.0 - LESSONS[0].time_budget  # the runner may take 15 s in all
    started = time.monotonic()
    grade_all(subs, options(out, lambda jobs: DaskExecutor(cluster), margin=margin))
    assert time.monotonic() - started < 120
    found = records(out)
    assert found["hang"][0] == "timeout" and "longer than 15 s" in found["hang"][1]
    assert found["fine"][:3] == ("graded", "", 10.0)


@pytest.mark.slow
def test_a_killed_client_resumes_on_the_cluster_as_locally(dask_cli_cluster, tmp_path):
    """SIGKILL `micrograder grade --dask-scheduler` once a result is written; the same command
    finishes the run: the finished submission is kept byte for byte, each row once."""
    ids = ["ann", "ben", "cat", "dan"]
    subs = class_of(tmp_path / "subs", ids, "import time\ntime.sleep(3)\n")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out)]
    argv += ["--lesson", "losses", "--dask-scheduler", dask_cli_cluster, "--no-cache"]
    client = start(argv, tmp_path / "client.log")
    try:
        deadline = time.monotonic() + 300
        while not list((out / ".results").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        kill_process_group(client.pid)
        client.wait()
    finished = {path.name: path.read_bytes() for path in (out / ".results").glob("*.json")}
    assert 1 <= len(finished) < len(ids), (tmp_path / "client.log").read_text()
    again = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resuming the run" in again.stderr
    assert sorted(gradebook_ids(out)) == ids
    assert {records(out)[sub_id][:3] for sub_id in ids} == {("graded", "", 10.0)}
    for name, data in finished.items():  # kept, not graded again
        assert (out / ".results" / name).read_bytes() == data


def test_with_a_cluster_each_worker_decides_about_its_sandbox(monkeypatch):
    """The client's machine may have no sandbox; the workers' decides (jail.use_sandbox)."""
    monkeypatch.setattr(commands.jail, "check_sandbox", lambda limits: 1 / 0)  # never asked
    assert commands.sandbox_limits(None, None, None, False, here=False).sandbox == "auto"
    assert commands.sandbox_limits(None, None, None, True, here=False).sandbox == "require"


def test_an_unreachable_scheduler_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(dask_executor, "CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    args = ["grade", str(paths.EXAMPLES), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--dask-scheduler", address])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert f"cannot reach the Dask scheduler at {address} (" in line
    assert "start one with `dask scheduler` or drop --dask-scheduler" in line
    assert not (tmp_path / "out" / ".results").exists()  # nothing was graded


def test_without_distributed_installed_grade_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    args = ["grade", str(paths.EXAMPLES), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--dask-scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1
    assert "pip install 'micrograder[dask]'" in result.output


def test_a_job_travels_as_plain_data(tmp_path):
    package = tmp_path / "micrograd"
    (package / "sub").mkdir(parents=True)
    (package / "engine.py").write_bytes(b"x = 1\n")
    (package / "sub" / "a.py").write_bytes(b"\x00\xff")
    job = dask_executor.Job("ann", package, 3, ("value",), 12.5, Limits(slot_uid_base=None))
    payload = dask_executor.shipped(job)
    assert payload["files"] == {"engine.py": b"x = 1\n", "sub/a.py": b"\x00\xff"}
    assert str(tmp_path) not in repr(payload)  # no path of this machine
    assert Limits(**payload["limits"]) == job.limits
