"""Grade every submission of a folder: discover, copy, hand each staged copy to an executor
(grading/executors/: the suite runner, time-limited, `jobs` at a time), write its outputs
(grader/report/outputs.py) as each finishes, then the run's outputs (gradebook.csv) from every
submission's result.

Resume: a submission whose result record matches this run (same seed, same lessons, same
submission files) is skipped and its files are left untouched, unless `force`; only outputs it
lacks are written, from the record. Else, with a cache (grading/cache.py), a record of the same
inputs graded before, into any --out, is reused: its outputs are written, nothing is graded.

One boundary per submission: whatever goes wrong on the trusted side for one submission
(fingerprint, staging, notebooks, grading, writing) becomes that submission's row with a status
and a one-line reason; the run goes on and always writes gradebook.csv and run.json. Every path
under --out comes from grader/names.py (names are data).
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import names
from grader.files import write_json_atomic
from grader.grading.cache import ResultCache
from grader.grading.executors import Executor, Job, LocalExecutor
from grader.intake import discovery
from grader.intake.discovery import InvalidSubmission, Submission
from grader.lessons import Lesson
from grader.names import error_line, one_line, one_lines
from grader.report.outputs import (
    load_record,
    write_missing_outputs,
    write_run_outputs,
    write_submission_outputs,
)
from grader.results import SubmissionResult, from_runner, without_runner
from grader.sandbox.jail import Limits
from grader.scratch import scratch_dir

# Wall-clock seconds a submission may use beyond the sum of its lessons' time budgets
# (process start-up, pytest collection, worker restarts) before its runner is killed.
SUBMISSION_MARGIN = 30.0
RUN_FILE = names.RUN_FILE
GRADEBOOK = names.GRADEBOOK
LOGS = names.LOGS  # no submission folder starts with a dot (names.submission_folder)


@dataclass(frozen=True)
class GradeOptions:
    out: Path
    seed: int
    lessons: tuple[Lesson, ...]
    jobs: int = 1
    force: bool = False
    id_pattern: str | None = None  # LMS file names -> student ids (grader/intake/lms.py)
    # How submissions are run: called with jobs=N (tests pass a LocalExecutor with a fake runner).
    executor: Callable[..., Executor] = LocalExecutor
    margin: float = SUBMISSION_MARGIN
    worker_limits: Limits = Limits()  # what each sandboxed worker may use (jail.py)
    cache: ResultCache | None = None  # reused records (None: grade every submission)

    @property
    def timeout(self) -> float:
        return sum(lesson.time_budget for lesson in self.lessons) + self.margin

    def limits(self) -> dict:
        return {
            "submission_timeout_seconds": self.timeout,
            "lesson_time_budgets": {lesson.id: lesson.time_budget for lesson in self.lessons},
            "max_submission_files": discovery.MAX_FILES,
            "max_submission_folders": discovery.MAX_FOLDERS,
            "max_submission_bytes": discovery.MAX_BYTES,
            "max_submission_depth": discovery.MAX_DEPTH,
            "prepare_seconds": discovery.PREPARE_SECONDS,
            **self.worker_limits.as_dict(),
        }


@dataclass
class RunSummary:
    results: dict[str, SubmissionResult | None]  # student id -> its result, in id order
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    seed: int = 0  # the run's seed (the same for every submission)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def previous_run(out: Path) -> dict | None:
    """run.json of an earlier run into the same output folder, if any."""
    data = read_json(names.output_path(out, RUN_FILE))
    return data if isinstance(data, dict) else None


def previous_seed(out: Path) -> int | None:
    """The seed of an earlier run into the same output folder, so a plain rerun resumes it."""
    seed = (previous_run(out) or {}).get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def grade_all(
    submissions_dir: Path,
    options: GradeOptions,
    on_done: Callable[[str, SubmissionResult | None, bool], None] | None = None,
    subs: list[Submission] | None = None,
) -> RunSummary:
    """Grade every submission in `submissions_dir` (`subs`: as already discovered there).
    `on_done(id, result, skipped)` is called (from worker threads) as each one finishes, e.g. to
    advance a progress bar."""
    started = time.monotonic()
    out = Path(options.out)
    if subs is None:
        subs = discovery.discover(submissions_dir, options.id_pattern)
    summary = RunSummary(results={sub.id: None for sub in subs}, seed=options.seed)
    with options.executor(jobs=options.jobs) as executor:
        # The limits as the executor enforces them (its slot uids), recorded in run.json.
        options = replace(options, worker_limits=executor.worker_limits(options.worker_limits))
        run_info = {
            "seed": options.seed,
            "lessons": [lesson.id for lesson in options.lessons],
            "submissions_dir": str(Path(submissions_dir).resolve()),
            "jobs": executor.capacity,  # -j N, or a cluster's threads
            "executor": type(executor).__name__,
            "limits": options.limits(),
            "started_at": _now(),
        }
        write_json_atomic(names.output_path(out, RUN_FILE), run_info)  # first: a run resumes
        grade_each(subs, options, executor, summary, on_done)

    write_run_outputs(out, summary.results, list(options.lessons))
    summary.seconds = time.monotonic() - started
    # The runner reports the limits it enforced (per request, per worker); record them too.
    limits = next((r.limits for r in summary.results.values() if r and r.limits), options.limits())
    write_json_atomic(
        names.output_path(out, RUN_FILE),
        {
            **run_info,
            "limits": limits,
            "finished_at": _now(),
            "graded": len(summary.graded),
            "skipped": len(summary.skipped),
            "cached": options.cache.hits if options.cache else 0,
            "trusted_side": trusted_side_figures(summary),
        },
    )
    return summary


def grade_each(
    subs: list[Submission],
    options: GradeOptions,
    executor: Executor,
    summary: RunSummary,
    on_done: Callable | None,
) -> None:
    """Grade `subs`, as many at once as the executor runs, into `summary`. Interrupted
    (Ctrl-C): stop at once, kill every runner, write nothing for the submissions in flight, and
    leave every finished result as it is, so the same command resumes the run."""
    stopping = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, executor.capacity))
    try:
        futures = [
            pool.submit(grade_one, sub, options, executor, stopping, summary, on_done)
            for sub in subs
        ]
        for future in futures:
            future.result()
    except BaseException:
        stopping.set()  # first: a runner killed below is then no result
        pool.shutdown(wait=False, cancel_futures=True)
        executor.cancel()
        raise
    finally:
        pool.shutdown(wait=True)


def grade_one(
    sub: Submission,
    options: GradeOptions,
    executor: Executor,
    stopping: threading.Event,
    summary: RunSummary,
    on_done: Callable | None,
) -> None:
    """One submission into `summary` (from a pool thread); `on_done` is told."""
    stage = ["finding it"]  # what the trusted side was doing, for the row if it fails
    try:
        outcome = grade_or_resume(sub, options, executor, stopping, stage)
    except Exception as exc:  # the boundary: this submission's row, never the whole run
        outcome = crashed_row(sub, options, stage[0], exc)
    if outcome is None:  # interrupted: nothing is written for a submission in flight
        return
    summary.results[sub.id], skipped = outcome
    (summary.skipped if skipped else summary.graded).append(sub.id)
    if on_done:
        try:
            on_done(sub.id, summary.results[sub.id], skipped)
        except Exception:  # a display problem must not cost a grade (Ctrl-C still stops)
            pass


def grade_or_resume(
    sub: Submission,
    options: GradeOptions,
    executor: Executor,
    stopping: threading.Event,
    stage: list[str],
) -> tuple[SubmissionResult, bool] | None:
    """(result, skipped) for one submission, or None when interrupted. `stage[0]` names the
    step in progress, for the row if a step raises."""
    out = Path(options.out)
    stage[0] = "fingerprinting it"
    digest, not_fingerprinted = fingerprint_or_reason(sub)
    stage[0] = "reading its earlier results"
    existing = load_record(out, sub.id, list(options.lessons))
    if existing and not options.force and is_complete(existing, sub.id, options, digest):
        stage[0] = "writing its missing outputs"
        write_missing_outputs(out, existing)
        return existing, True
    if stopping.is_set():
        return None
    stage[0] = "reading the cache"
    key = cache_key(sub.id, options, digest)
    cached = (
        options.cache.lookup(key, sub.id, options.seed, list(options.lessons), digest)
        if (key and not options.force)
        else None
    )
    if cached:
        stage[0] = "writing its results"
        write_outputs(out, cached)
        return cached, True
    stage[0] = "grading it"
    result = grade_submission(sub, options, executor, digest=digest)
    if stopping.is_set():  # its runner was killed by the interruption: not a result
        return None
    if not_fingerprinted:
        result.notes.append(f"not fingerprinted ({not_fingerprinted}): regraded on every run")
    stage[0] = "writing its results"
    write_outputs(out, result)
    if key:
        options.cache.store(key, result)
    return result, False


def cache_key(sub_id: str, options: GradeOptions, digest: str) -> str:
    """The submission's cache key, or '' without a cache or a fingerprint."""
    if options.cache is None or not digest:
        return ""
    lessons = list(options.lessons)
    return options.cache.key(
        sub_id, digest, options.seed, lessons, options.worker_limits, options.timeout
    )


def fingerprint_or_reason(sub: Submission) -> tuple[str, str]:
    """(digest, '') or ('', why not). Fails closed: without a digest that covers every name and
    byte, a submission never counts as unchanged."""
    try:
        return discovery.fingerprint(sub), ""
    except (InvalidSubmission, OSError) as exc:
        return "", error_line(exc)


def crashed_row(
    sub: Submission, options: GradeOptions, stage: str, exc: Exception
) -> tuple[SubmissionResult, bool]:
    """The row of a submission whose grading failed on the trusted side: written like any
    result when possible, else kept in memory so the gradebook still says why."""
    result = without_runner(
        sub.id,
        "crashed",
        f"grader error while {stage}: {type(exc).__name__}: {one_line(str(exc), 150)}",
        list(options.lessons),
        seed=options.seed,
    )
    try:
        write_outputs(Path(options.out), result)
    except Exception as again:
        result.reason = one_line(
            f"{result.reason}; no results were written ({type(again).__name__})"
        )
    return result, False


def trusted_side_figures(summary: RunSummary) -> dict:
    """What the grading process itself used (its runners and workers not counted): peak
    memory, and the slowest and largest staging of one submission."""
    intakes = [r.intake for r in summary.results.values() if r]
    return {
        "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
        "max_prepare_seconds": max((i.get("seconds", 0.0) for i in intakes), default=0.0),
        "max_staged_mb": max((i.get("staged_mb", 0.0) for i in intakes), default=0.0),
    }


def peak_rss_kb() -> int:
    """This process's peak resident memory since it started. /proc's VmHWM, because ru_maxrss
    also counts the parent's memory copied at fork, before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def is_complete(result: SubmissionResult, sub_id: str, options: GradeOptions, digest: str) -> bool:
    """Finished for this run: same student, seed, lessons and files. Without a digest (the
    submission could not be fingerprinted) nothing is ever complete."""
    return (
        bool(digest)
        and result.id == sub_id
        and result.seed == options.seed
        and [lesson.lesson.id for lesson in result.lessons]
        == [lesson.id for lesson in options.lessons]
        and result.digest == digest
    )


def grade_submission(
    sub: Submission, options: GradeOptions, executor: Executor, *, digest: str = ""
) -> SubmissionResult:
    """Grade one submission in a private copy (staged here, on the client side, then handed
    to `executor`). Never raises for anything the submission does: a problem becomes the
    result's status and reason."""
    lessons = list(options.lessons)
    started = time.monotonic()
    try:
        with scratch_dir("submission") as tmp:
            notes: list[str] = []  # how notebooks / LMS files were read (one line each)
            try:
                package = discovery.prepare(sub, tmp, notes)
            except InvalidSubmission as exc:
                result = without_runner(
                    sub.id,
                    "invalid",
                    str(exc),
                    lessons,
                    seed=options.seed,
                    execution_time=time.monotonic() - started,
                    digest=digest,
                )
                result.notes, result.intake = one_lines(notes), intake_figures(Path(tmp), started)
                return result
            intake = intake_figures(Path(tmp), started)
            result = grade_package(
                sub.id, package, options, executor, digest=digest, started=started
            )
            result.notes, result.intake = one_lines(notes), intake
            return result
    except Exception as exc:  # a grader bug must cost this submission only, and say so
        return without_runner(
            sub.id,
            "crashed",
            f"grader error: {type(exc).__name__}: {one_line(str(exc), 150)}",
            lessons,
            seed=options.seed,
            execution_time=time.monotonic() - started,
            digest=digest,
        )


def intake_figures(staging: Path, started: float) -> dict:
    """What preparing one submission took: seconds since `started`, MB in its staging folder."""
    return {
        "seconds": round(time.monotonic() - started, 3),
        "staged_mb": round(discovery.staged_bytes(staging) / 2**20, 3),
    }


def grade_package(
    sub_id: str,
    package: Path,
    options: GradeOptions,
    executor: Executor,
    *,
    digest: str = "",
    started: float | None = None,
) -> SubmissionResult:
    """Run the suites on an already-copied `micrograd` package folder."""
    started = time.monotonic() if started is None else started
    lessons = list(options.lessons)
    job = Job(
        sub_id,
        package,
        seed=options.seed,
        lessons=tuple(lesson.id for lesson in lessons),
        timeout=options.timeout,
        limits=options.worker_limits,
    )
    outcome = executor.submit(job).result()
    elapsed = time.monotonic() - started
    if outcome.kind != "ok":
        result = without_runner(
            sub_id,
            outcome.kind,
            outcome.detail,
            lessons,
            seed=options.seed,
            execution_time=elapsed,
            digest=digest,
        )
    elif outcome.data.get("seed") != options.seed:
        result = without_runner(
            sub_id,
            "crashed",
            "the suite runner used another seed",
            lessons,
            seed=options.seed,
            execution_time=elapsed,
            digest=digest,
        )
    else:
        result = from_runner(
            sub_id, outcome.data, lessons, seed=options.seed, execution_time=elapsed, digest=digest
        )
    result.limits = {**options.limits(), **result.limits}
    if outcome.kind != "ok" or result.internal_errors:
        result.runner_log = outcome.log_tail
    return result


def write_outputs(out: Path, result: SubmissionResult) -> None:
    """Every per-submission output, the result record last (grader/report/outputs.py): a
    record on disk means the submission is finished."""
    write_submission_outputs(out, result)


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check_output_dir(out: Path) -> None:
    """Fail early (before any grading) if `out` cannot be created or written."""
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(f"{out} is not writable")
    probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
    probe.close()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
