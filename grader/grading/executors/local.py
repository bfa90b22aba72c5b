"""LocalExecutor: the trusted suite runner (`python -m grader.suites`) as child processes of
this one, `jobs` at a time (`micrograder grade -j N`), each time-limited and killable.

The runner is trusted code; the student's code runs further down, in the sandboxed workers the
runner starts. This process never imports a submission.

Slot N (0 .. jobs-1) is a runner's parallel sandbox slot: its workers run as uid
`slot_uid_base + N`. The base is this executor's: 1500000 + 256 x this process's pid (so two
graders on one machine never share a uid, and so never an RLIMIT_NPROC count), or
MICROGRADER_SLOT_UID_BASE; it reaches the runner in its --limits.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from grader.grading.executors import Job, RunnerOutcome
from grader.sandbox.jail import UIDS_PER_GRADER, Limits, kill_process_group, uid_range_start
from grader.scratch import scratch_dir

RUNNER = (sys.executable, "-m", "grader.suites")
LOG_TAIL_BYTES = 4000


def local_uid_base() -> int:
    """The first slot uid of this grader: MICROGRADER_SLOT_UID_BASE, else from our pid."""
    fixed = os.environ.get("MICROGRADER_SLOT_UID_BASE")
    return int(fixed) if fixed else uid_range_start(os.getpid())


class LocalExecutor:
    """Runner processes on this machine. `runner` is the argv that starts one (tests pass a
    fake runner that speaks the same command line and JSON)."""

    def __init__(
        self, jobs: int = 1, *, runner: tuple[str, ...] = RUNNER, uid_base: int | None = None
    ):
        if not 1 <= jobs <= UIDS_PER_GRADER:
            raise ValueError(f"jobs must be 1 .. {UIDS_PER_GRADER} (one sandbox uid each)")
        self.capacity = jobs
        self.runner = tuple(runner)
        self.uid_base = local_uid_base() if uid_base is None else uid_base
        self._slots: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(jobs):
            self._slots.put(slot)
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="runner")
        self._running: set[subprocess.Popen] = set()  # for cancel()
        self._lock = threading.Lock()  # guards _running and the start/cancel race
        self._cancelled = False

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None:  # e.g. Ctrl-C: no runner may outlive the run
            self.cancel()
        self.close()

    def worker_limits(self, limits: Limits) -> Limits:
        if limits.slot_uid_base is not None:
            return limits
        return replace(limits, slot_uid_base=self.uid_base)

    def submit(self, job: Job) -> Future[RunnerOutcome]:
        if self._cancelled:
            future: Future[RunnerOutcome] = Future()
            future.cancel()
            return future
        return self._pool.submit(self._run_in_a_slot, job)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            procs = list(self._running)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            kill_process_group(proc.pid)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _run_in_a_slot(self, job: Job) -> RunnerOutcome:
        slot = self._slots.get()
        try:
            with scratch_dir("runner") as folder:  # its JSON, its log, its own scratch
                return self._run(job, slot, folder)
        finally:
            self._slots.put(slot)

    def _run(self, job: Job, slot: int, folder: Path) -> RunnerOutcome:
        argv = runner_argv(self.runner, job, slot, self.worker_limits(job.limits), folder)
        started = time.monotonic()
        with open(folder / "runner.log", "wb") as log:
            code = self._wait(self._start(argv, folder, log), job.timeout)
        if self._cancelled:  # killed by cancel(): not an outcome
            raise CancelledError(f"grading {job.id} was cancelled")
        return read_outcome(folder, code, time.monotonic() - started, job.timeout)

    def _start(self, argv: list[str], folder: Path, log) -> subprocess.Popen:
        with self._lock:
            if self._cancelled:
                raise CancelledError("the executor was cancelled")
            # A new session: on overrun we kill the runner with everything in its group.
            proc = subprocess.Popen(
                argv,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                start_new_session=True,
            )
            self._running.add(proc)
        return proc

    def _wait(self, proc: subprocess.Popen, timeout: float) -> int | None:
        """The runner's exit code, or None when it overran `timeout`. Either way its process
        group is killed: nothing a runner started outlives it."""
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            kill_process_group(proc.pid)
            proc.wait()
            with self._lock:
                self._running.discard(proc)


def runner_argv(
    runner: tuple[str, ...], job: Job, slot: int, limits: Limits, folder: Path
) -> list[str]:
    """The runner's command line (its contract: grader/suites/__main__.py)."""
    (folder / "work").mkdir(exist_ok=True)
    argv = [
        *runner,
        "--submission",
        str(job.package),
        "--seed",
        str(job.seed),
        "--json",
        str(folder / "runner.json"),
        "--slot",
        str(slot),
        "--workdir",
        str(folder / "work"),
        "--limits",
        json.dumps(limits.fields()),
    ]
    for lesson in job.lessons:
        argv += ["--lesson", lesson]
    return argv


def read_outcome(folder: Path, code: int | None, seconds: float, timeout: float) -> RunnerOutcome:
    """The outcome of a finished runner from what it left in `folder`, read defensively."""
    tail = _tail(folder / "runner.log")
    if code is None:
        return RunnerOutcome(
            "timeout",
            seconds,
            detail=(f"grading took longer than {timeout:.0f} s and was stopped"),
            log_tail=tail,
        )
    try:
        data = json.loads((folder / "runner.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return RunnerOutcome(
            "crashed",
            seconds,
            detail=(
                f"the suite runner exited with code {code} without results ({type(exc).__name__})"
            ),
            log_tail=tail,
        )
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        return RunnerOutcome(
            "crashed", seconds, detail="the suite runner wrote malformed results", log_tail=tail
        )
    return RunnerOutcome("ok", seconds, data=data, log_tail=tail)


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
