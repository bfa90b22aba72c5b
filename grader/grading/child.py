"""Run the trusted suite runner (`python -m grader.suites`) for one submission as a child
process, so the grading engine can time-limit it, kill it and run several in parallel.

The runner is trusted code; the student's code runs further down, in the sandboxed workers
the runner starts. This process never imports a submission.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.scratch import try_remove_tree

RUNNER = (sys.executable, "-m", "grader.suites")
LOG_TAIL_BYTES = 4000
_running: set[subprocess.Popen] = set()  # runners in flight, for kill_running_runners()
_running_lock = threading.Lock()


@dataclass
class RunnerOutcome:
    kind: str  # "ok", "timeout" or "crashed"
    seconds: float
    data: dict = field(default_factory=dict)  # the runner's JSON when kind == "ok"
    detail: str = ""  # one line for the teacher when kind != "ok"
    log_tail: str = ""  # the end of the runner's own stdout/stderr


def run_runner(package: Path, *, seed: int, lessons: list[str], workdir: Path,
               timeout: float, slot: int = 0, runner: tuple[str, ...] = RUNNER,
               limits: dict | None = None) -> RunnerOutcome:
    """Run the runner on `package` (the copied `micrograd` folder) and read its JSON.
    `slot` (0 .. jobs-1) tells the runner which parallel sandbox slot (uid) it may use;
    `limits` (fields of grader.sandbox.jail.Limits) bound its workers."""
    json_out = workdir / "runner.json"
    log_path = workdir / "runner.log"
    scratch = workdir / "runner-scratch"
    scratch.mkdir(exist_ok=True)
    argv = [*runner, "--submission", str(package), "--seed", str(seed), "--json", str(json_out),
            "--slot", str(slot), "--workdir", str(scratch)]
    for lesson in lessons:
        argv += ["--lesson", lesson]
    if limits:
        argv += ["--limits", json.dumps(limits)]
    child_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    with open(log_path, "wb") as log:
        # A new session: on overrun we kill the runner with everything it started in its group.
        proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=child_env, start_new_session=True)
        with _running_lock:
            _running.add(proc)
        try:
            code = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            code = None
        finally:
            _kill_group(proc)
            with _running_lock:
                _running.discard(proc)
            # The runner's assembled packages and worker captures: no longer needed.
            try_remove_tree(scratch)
    seconds = time.monotonic() - started
    tail = _tail(log_path)
    if timed_out:
        return RunnerOutcome("timeout", seconds, detail=(
            f"grading took longer than {timeout:.0f} s and was stopped"), log_tail=tail)
    try:
        data = json.loads(json_out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return RunnerOutcome("crashed", seconds, detail=(
            f"the suite runner exited with code {code} without results "
            f"({type(exc).__name__})"), log_tail=tail)
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        return RunnerOutcome("crashed", seconds, detail="the suite runner wrote malformed results",
                             log_tail=tail)
    return RunnerOutcome("ok", seconds, data=data, log_tail=tail)


def kill_running_runners() -> None:
    """Kill every runner in flight (with its process group), e.g. when grading is interrupted;
    their run_runner calls then return at once."""
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
