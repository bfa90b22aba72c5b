"""DaskExecutor: each submission is a task on a dask.distributed cluster
(`micrograder grade --dask-scheduler ADDRESS`; docs/cluster.md).

The client ships data, never paths: the staged package's bytes (`Job.package_files`), the
seed, the lessons, the timeout and the limits. On the worker machine `run_shipped` unpacks them
into its own scratch folder and runs the trusted runner and the sandbox exactly as locally, with
a LocalExecutor of that worker process (its slots = the worker's threads, its sandbox uids from
the worker process's pid, so several workers on one machine never share a uid). The outcome
comes back as a plain dict; the client writes every output, as locally.

A worker lost mid-task: the scheduler runs the task elsewhere (its `allowed-failures`); the
client sees one result per task, so nothing is lost and nothing is written twice. Dask never
stops a running task: a submission that hangs is stopped by the runner's own timeout on the
worker, like locally.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import CancelledError, Future
from dataclasses import asdict
from pathlib import Path

from grader.grading.executors import Job, RunnerOutcome, unpack_package
from grader.grading.executors.local import LocalExecutor
from grader.names import error_line
from grader.sandbox.jail import UIDS_PER_GRADER, Limits
from grader.scratch import scratch_dir

CONNECT_SECONDS = 10
INSTALL_HINT = "pip install 'micrograder[dask]'"


class ExecutorUnavailable(RuntimeError):
    """The cluster cannot be used; the message says why and what to do, in one line."""


def import_distributed():
    try:
        import distributed
    except ImportError:
        raise ExecutorUnavailable(
            f"--dask-scheduler needs the `distributed` package: {INSTALL_HINT}"
        ) from None
    return distributed


def connect(address: str):
    """A dask Client of the scheduler at `address`, or ExecutorUnavailable."""
    distributed = import_distributed()
    try:
        return distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorUnavailable(
            f"cannot reach the Dask scheduler at {address} ({error_line(exc)}); start one with "
            "`dask scheduler` or drop --dask-scheduler"
        ) from None


class DaskExecutor:
    """Jobs as tasks of the scheduler at `address` (or of an existing `client`, e.g. a
    LocalCluster's). `jobs` is the capacity only when the cluster has no worker yet."""

    def __init__(self, address: str | None = None, *, jobs: int = 1, client=None):
        self.client = client if client is not None else connect(address)
        self._own_client = client is None
        threads = sum(self.client.nthreads().values())
        self.capacity = threads if threads > 0 else max(1, jobs)
        self._tasks: dict[str, tuple[object, Future]] = {}  # dask key -> (task, our future)
        self._lock = threading.Lock()  # guards _tasks and the submit/cancel race
        self._cancelled = False

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None:
            self.cancel()
        self.close()

    def worker_limits(self, limits: Limits) -> Limits:
        return limits  # slot_uid_base stays None: each worker process chooses its own

    def submit(self, job: Job) -> Future[RunnerOutcome]:
        future: Future[RunnerOutcome] = Future()
        with self._lock:
            if self._cancelled:
                future.cancel()
                return future
            # pure=False and a unique key: the same bytes twice are two gradings, never shared.
            task = self.client.submit(
                run_shipped, shipped(job), key=f"grade-{uuid.uuid4().hex}", pure=False
            )
            self._tasks[task.key] = (task, future)
        task.add_done_callback(lambda done: self._settle(done, future))
        return future

    def _settle(self, task, future: Future) -> None:
        """Hand a finished task's outcome to our future (from a thread of the dask client)."""
        with self._lock:
            self._tasks.pop(task.key, None)
        if not future.set_running_or_notify_cancel():  # cancelled on our side
            return
        try:
            future.set_result(RunnerOutcome(**task.result()))
        except CancelledError as exc:
            future.set_exception(exc)
        except Exception as exc:  # e.g. KilledWorker: the task killed worker after worker
            future.set_result(
                RunnerOutcome("crashed", 0.0, detail=f"the Dask cluster failed: {error_line(exc)}")
            )

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            pending = list(self._tasks.values())
            self._tasks.clear()
        for _, future in pending:
            future.cancel()
        if pending:  # a running task still finishes on its worker (its runner's timeout)
            self.client.cancel([task for task, _ in pending])

    def close(self) -> None:
        with self._lock:
            tasks = [task for task, _ in self._tasks.values()]
        if tasks and not self._cancelled:
            import_distributed().wait(tasks)
        if self._own_client:
            self.client.close()


def shipped(job: Job) -> dict:
    """What a worker machine needs to grade `job`: plain data, no path of this machine."""
    return {
        "id": job.id,
        "files": job.package_files(),
        "seed": job.seed,
        "lessons": list(job.lessons),
        "timeout": job.timeout,
        "limits": job.limits.fields(),
    }


# --- on the worker ---------------------------------------------------------------------------

_worker_executor: LocalExecutor | None = None
_worker_lock = threading.Lock()


def worker_executor() -> LocalExecutor:
    """This worker process's LocalExecutor: one slot per worker thread, its sandbox uids from
    this process's pid (local.py), made once."""
    global _worker_executor
    with _worker_lock:
        if _worker_executor is None:
            _worker_executor = LocalExecutor(jobs=min(worker_threads(), UIDS_PER_GRADER))
        return _worker_executor


def worker_threads() -> int:
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):  # not in a worker (a direct call)
        return 1


def run_shipped(payload: dict) -> dict:
    """A Dask task: grade one shipped submission here, return its RunnerOutcome as a dict."""
    with scratch_dir("shipped") as folder:
        package = Path(folder) / "micrograd"
        package.mkdir()
        unpack_package(payload["files"], package)
        job = Job(
            payload["id"],
            package,
            seed=payload["seed"],
            lessons=tuple(payload["lessons"]),
            timeout=payload["timeout"],
            limits=Limits(**payload["limits"]),
        )
        return asdict(worker_executor().submit(job).result())
