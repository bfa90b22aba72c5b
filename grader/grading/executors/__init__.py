"""The executor seam: how one submission's trusted suite runner is run.

Orchestration (grader/grading/orchestrate.py) stages a submission, describes it as a `Job` and
hands it to an `Executor`; it gets a `RunnerOutcome` back: data, never a path or a process it
must know. The executor owns everything about running: the runner's processes, the parallel
slots and the sandbox uids they map to, timeouts, cancellation and the runner's scratch folders.

- `LocalExecutor` (local.py): runner processes on this machine, `jobs` at a time (`-j N`).
- `DaskExecutor` (dask.py, `--dask-scheduler`): a task per job on a dask.distributed cluster;
  imported from there only (it needs the optional `distributed`).
- A new executor (e.g. a cluster) ships `Job.package_files()` and the job's other fields to
  where the runner runs, writes them back with `unpack_package`, runs `python -m grader.suites`
  there as local.py does, and returns the outcome as data (docs/grading.md, "How a submission
  is run").
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from grader.sandbox.jail import Limits


@dataclass(frozen=True)
class Job:
    """What grading one submission needs, and nothing of how it is run."""

    id: str  # the submission's id (for the executor's own messages only)
    package: Path  # the staged `micrograd` folder: a private copy, never the student's
    seed: int
    lessons: tuple[str, ...]  # lesson ids, in course order
    timeout: float  # wall seconds before the runner is stopped (outcome "timeout")
    limits: Limits  # what each sandboxed worker may use; slot_uid_base None: the executor's

    def package_files(self) -> dict[str, bytes]:
        """The package as {relative POSIX name: bytes}, for an executor that ships bytes, not
        paths. The staged copy holds only regular files and folders (discovery.prepare)."""
        root = Path(self.package)
        files = {}
        for folder, _, names in os.walk(root):  # the staged copy is shallow (MAX_DEPTH)
            for name in names:
                path = Path(folder) / name
                files[path.relative_to(root).as_posix()] = path.read_bytes()
        return dict(sorted(files.items()))


def unpack_package(files: dict[str, bytes], folder: Path) -> Path:
    """Write `Job.package_files()` back into `folder` (on the machine that runs the runner);
    returns `folder`. Names are checked, never trusted: nothing lands outside `folder`."""
    folder = Path(folder)
    for name, data in files.items():
        relative = PurePosixPath(name)
        # Only what package_files() writes: relative, no '..', no '.' or '//' to normalise.
        if (
            relative.is_absolute()
            or ".." in relative.parts
            or relative.as_posix() != name
            or not name
            or name == "."
        ):
            raise ValueError(f"unsafe file name in a shipped package: {name!r}")
        path = folder.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@dataclass
class RunnerOutcome:
    """What came back from one runner: data only."""

    kind: str  # "ok", "timeout" or "crashed"
    seconds: float
    data: dict = field(default_factory=dict)  # the runner's JSON when kind == "ok"
    detail: str = ""  # one line for the teacher when kind != "ok"
    log_tail: str = ""  # the end of the runner's own stdout/stderr


class Executor(Protocol):
    """Runs jobs; used as a context manager (leaving it on an exception cancels)."""

    capacity: int  # jobs it runs at once: orchestration stages that many submissions ahead

    def worker_limits(self, limits: Limits) -> Limits:
        """`limits` as this executor's runners will enforce them (e.g. its slot uid range),
        for run.json."""

    def submit(self, job: Job) -> Future[RunnerOutcome]:
        """Start `job` when a slot is free. After cancel() the future raises CancelledError."""

    def cancel(self) -> None:
        """Kill every runner in flight and drop the jobs not started; returns at once."""

    def close(self) -> None:
        """Wait for the jobs in flight, then release everything (idempotent)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc_info) -> None: ...


from grader.grading.executors.local import LocalExecutor  # noqa: E402  (it uses the above)

__all__ = ["Executor", "Job", "LocalExecutor", "RunnerOutcome", "unpack_package"]
