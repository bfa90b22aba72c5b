"""The ONE place that starts a worker process, and the limits it runs under.

Today the limits are process-level: a new session (so a timeout can kill the whole process
group, including anything the student forked) and rlimits set in the child before exec.
OS-level isolation (bubblewrap, an unprivileged uid per slot) slots in behind `spawn` later.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
from dataclasses import asdict, dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    request_timeout: float = 10.0  # wall seconds for one request unless the check asks for more
    cpu_seconds: int = 300  # RLIMIT_CPU for one worker process (raised to the lesson budget)
    address_space: int = 2048 * MiB  # RLIMIT_AS: a memory bomb becomes a MemoryError
    file_size: int = 16 * MiB  # RLIMIT_FSIZE: caps the captured stdout/stderr and any file written
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int | None = None  # RLIMIT_NPROC (per uid, ignored for root: set with a slot uid)
    output_cap: int = 64 * 1024  # bytes of captured output kept for staff diagnostics

    def as_dict(self) -> dict:
        return asdict(self)


def _set_rlimits(limits: Limits, cpu_seconds: int) -> None:
    # Runs in the child between fork and exec: keep it to plain system calls.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space, limits.address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def spawn(argv: list[str], *, slot: int = 0, limits: Limits, pass_fds=(), stdout=None,
          cwd=None, cpu_seconds: int | None = None) -> subprocess.Popen:
    """Start argv in a new session under `limits`; stdin is /dev/null, stdout and stderr go
    to `stdout` (a capture file or DEVNULL). `slot` picks the parallel grading slot (used for a
    per-slot uid once the OS sandbox arrives)."""
    del slot  # one slot, one uid: not needed until the OS sandbox
    cpu = int(cpu_seconds if cpu_seconds is not None else limits.cpu_seconds)
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if stdout is not None else subprocess.DEVNULL,
        pass_fds=tuple(pass_fds),
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        start_new_session=True,
        preexec_fn=lambda: _set_rlimits(limits, cpu),
        close_fds=True,
    )


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started (same process group), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
        pass
