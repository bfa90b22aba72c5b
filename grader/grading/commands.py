"""The bodies of `micrograder grade` and `micrograder validate` (grader/cli.py only declares
the options). User mistakes become one-line click errors that say what to do."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader import paths, scratch
from grader.grading.cache import ResultCache, default_folder
from grader.grading.executors import Executor
from grader.grading.orchestrate import (
    GradeOptions,
    RunSummary,
    check_output_dir,
    grade_all,
    grade_submission,
    new_seed,
    previous_run,
    previous_seed,
)
from grader.intake import discovery, lms
from grader.intake.discovery import Submission
from grader.lessons import Lesson, LessonError, course
from grader.names import for_terminal
from grader.report import console as show
from grader.results import format_points
from grader.sandbox import jail

DEFAULT_OUT = Path("grading-out")


def select_lessons(names: tuple[str, ...]) -> tuple[Lesson, ...]:
    """The requested lessons in course order (all of them when none is named)."""
    try:
        return course().select(names)
    except LessonError as exc:
        raise click.BadParameter(f"{exc}; pass one of those ids", param_hint="--lesson") from None


def run_grade(
    submissions_dir: Path,
    out: Path | None,
    jobs: int,
    seed: int | None,
    lesson_names: tuple[str, ...],
    force: bool,
    *,
    timeout: float | None = None,
    memory_mb: int | None = None,
    disk_mb: int | None = None,
    max_procs: int | None = None,
    require_sandbox: bool = False,
    id_pattern: str | None = None,
    dask_scheduler: str | None = None,
    cache: Path | None = None,
    no_cache: bool = False,
) -> None:
    """Check every option before anything is graded, grade, then show the summary."""
    lessons = select_lessons(lesson_names)
    check_id_pattern(id_pattern)
    here = dask_scheduler is None  # else each worker machine decides about its sandbox
    worker_limits = sandbox_limits(timeout, memory_mb, max_procs, require_sandbox, disk_mb, here)
    out = out if out is not None else DEFAULT_OUT
    subs = check_folders(submissions_dir, out, id_pattern)
    check_same_lessons(out, lessons, force)
    err, console = Console(stderr=True), Console()
    seed = choose_seed(seed, out, err)
    warn_before_grading(worker_limits, err, here)
    options = GradeOptions(
        out=out,
        seed=seed,
        lessons=lessons,
        jobs=jobs,
        force=force,
        worker_limits=worker_limits,
        id_pattern=id_pattern,
        cache=None if no_cache else ResultCache(cache or default_folder()),
    )
    if dask_scheduler is not None:  # else GradeOptions' own: LocalExecutor, -j N
        options = replace(options, executor=dask_executor(dask_scheduler, jobs))
    with show.progress_bar(len(subs), err) as on_done:
        summary = grade_all(submissions_dir, options, on_done=on_done, subs=subs)
    show_summary(console, summary, lessons, out)


def dask_executor(dask_scheduler: str, jobs: int) -> Callable[..., Executor]:
    """A DaskExecutor already connected to `dask_scheduler` (so an unreachable scheduler is a
    one-line error before anything is graded), as GradeOptions' executor factory."""
    from grader.grading.executors.dask import DaskExecutor, ExecutorUnavailable

    try:
        executor = DaskExecutor(dask_scheduler, jobs=jobs)
    except ExecutorUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    return lambda jobs: executor


def check_id_pattern(id_pattern: str | None) -> None:
    try:
        lms.compile_pattern(id_pattern)
    except lms.PatternError as exc:
        raise click.BadParameter(str(exc), param_hint="--id-pattern") from None


def check_folders(submissions_dir: Path, out: Path, id_pattern: str | None) -> list[Submission]:
    """The submissions found in `submissions_dir` (discovered once per run), after checking that
    it is a class folder, that `out` lies outside it and that `out` is writable."""
    if not submissions_dir.is_dir():
        what = "is not a folder" if submissions_dir.exists() else "does not exist"
        raise click.ClickException(
            f"{submissions_dir} {what}; pass the folder that holds one folder or .zip per student"
        )
    subs_abs, out_abs = submissions_dir.resolve(), out.resolve()
    if out_abs == subs_abs or subs_abs in out_abs.parents:
        raise click.ClickException(
            f"--out {out} is inside {submissions_dir}; choose an output folder outside it"
        )
    if (submissions_dir / "micrograd").is_dir():
        raise click.ClickException(
            f"{submissions_dir} looks like ONE submission (it holds micrograd/); pass the folder "
            f"that holds one folder per student, e.g. {submissions_dir.resolve().parent}"
        )
    subs = find_submissions(submissions_dir, id_pattern)
    if not subs:
        raise click.ClickException(
            f"{submissions_dir} holds no submissions; expected one folder or .zip per student "
            f"(e.g. {submissions_dir / 'alice' / 'micrograd' / 'engine.py'})"
        )
    try:
        check_output_dir(out)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise click.ClickException(
            f"cannot write to {out} ({reason}); pass a writable folder with --out"
        ) from None
    return subs


def check_same_lessons(out: Path, lessons: tuple[Lesson, ...], force: bool) -> None:
    """A rerun into `out` grades the lessons it graded before, unless --force."""
    previous = previous_run(out)
    wanted = [lesson.id for lesson in lessons]
    if previous and not force and previous.get("lessons", wanted) != wanted:
        raise click.ClickException(
            f"{out} holds results for lessons {', '.join(map(str, previous['lessons']))}; "
            f"grading {', '.join(wanted)} into it would replace them: pass --force, or choose "
            "another --out"
        )


def choose_seed(seed: int | None, out: Path, err: Console) -> int:
    """--seed, else the seed of the run already in `out` (a rerun resumes), else a new one."""
    if seed is not None:
        return seed
    seed = previous_seed(out)
    if seed is None:
        return new_seed()
    err.print(
        f"resuming the run in {for_terminal(str(out))} with its seed {seed} (pass --seed to change)"
    )
    return seed


def warn_before_grading(worker_limits: jail.Limits, err: Console, here: bool = True) -> None:
    """Say loudly, once per run, when there is no OS sandbox (run.json says it too), and clear
    what a killed grader left in TMPDIR (never a live grader's)."""
    if not here and worker_limits.sandbox != "require":
        err.print(
            "[bold red]WARNING:[/] a Dask worker that cannot run the OS sandbox grades WITHOUT "
            "it (each result's limits say which; pass --require-sandbox to refuse instead)"
        )
    elif worker_limits.sandbox != "require":
        err.print(
            f"[bold red]WARNING:[/] {jail.describe(worker_limits)}: student code runs "
            "WITHOUT the OS sandbox (pass --require-sandbox to refuse instead)"
        )
    swept = scratch.sweep()
    if swept:
        err.print(
            f"removed {len(swept)} scratch folder(s) left behind by a grader that was killed",
            highlight=False,
        )


def show_summary(
    console: Console, summary: RunSummary, lessons: tuple[Lesson, ...], out: Path
) -> None:
    """The tables and lines `grade` ends with: per lesson, problems, totals, where outputs are."""
    console.print(show.lesson_table(summary.results, list(lessons)))
    problems = show.problem_table(summary.results)
    if problems is not None:
        console.print(problems)
    console.print(
        f"{len(summary.results)} submissions: "
        f"{show.status_line(summary.results, len(summary.skipped))}; seed {summary.seed}; "
        f"{summary.seconds:.1f} s",
        highlight=False,
    )
    shown = for_terminal(str(out))  # the instructor's path, still never read as markup
    console.print(
        f"gradebook: {shown}/gradebook.csv; class report: {shown}/report.html (every check: "
        f"{shown}/checks.csv); per student: {shown}/<id>/results.json and feedback.html",
        highlight=False,
        soft_wrap=True,
    )


def find_submissions(submissions_dir: Path, id_pattern: str | None) -> list[Submission]:
    try:
        return discovery.discover(submissions_dir, id_pattern)
    except OSError as exc:
        raise click.ClickException(
            f"cannot read {submissions_dir} ({exc.strerror or exc}); pass a folder you can read"
        ) from None


def sandbox_limits(
    timeout: float | None,
    memory_mb: int | None,
    max_procs: int | None,
    require_sandbox: bool,
    disk_mb: int | None = None,
    here: bool = True,
) -> jail.Limits:
    """The worker limits for a run from `grade`'s options (None: the default). `here`: the
    runners run on this machine, so whether they use the sandbox is decided now, once."""
    limits = jail.Limits(sandbox="require" if require_sandbox else "auto")
    if timeout is not None:
        limits = replace(limits, request_timeout=timeout)
    if memory_mb is not None:
        limits = replace(limits, address_space=memory_mb * jail.MiB)
    if max_procs is not None:
        limits = replace(limits, processes=max_procs)
    if disk_mb is not None:
        limits = replace(limits, disk_size=disk_mb * jail.MiB)
    if not here:  # "auto" or "require", decided by each worker's runner (jail.use_sandbox)
        return limits
    try:
        return jail.check_sandbox(limits)
    except jail.SandboxUnavailable as exc:
        raise click.ClickException(f"{exc}; refusing to grade (--require-sandbox)") from None


def run_validate(seed: int | None, lesson_names: tuple[str, ...]) -> None:
    """Grade the reference solution (must score 100 %) and the generated template (must score
    0 %); exit non-zero otherwise."""
    lessons = select_lessons(lesson_names)
    targets = {
        "reference": paths.REFERENCE_PACKAGE,
        "template": paths.STUDENT_TEMPLATE / "micrograd",
    }
    for name, package in targets.items():
        if not package.is_dir():
            hint = (
                "run `micrograder generate` first" if name == "template" else "restore it from git"
            )
            raise click.ClickException(f"{package} not found; {hint}")
    options = GradeOptions(
        out=Path("."), seed=new_seed() if seed is None else seed, lessons=lessons, jobs=2
    )
    # Left in reverse order: on Ctrl-C the executor kills its runners before the pool waits.
    with ThreadPoolExecutor(max_workers=2) as pool, options.executor(jobs=2) as executor:
        futures = {
            name: pool.submit(
                grade_submission, Submission(name, package, "folder"), options, executor
            )
            for name, package in targets.items()
        }
        results = {name: future.result() for name, future in futures.items()}

    reference, template = results["reference"], results["template"]
    table = Table(title=f"micrograder validate (seed {options.seed})")
    for column in ("lesson", "reference", "template", "max"):
        table.add_column(column, justify="left" if column == "lesson" else "right")
    for ref, tpl in zip(reference.lessons, template.lessons):
        table.add_row(ref.lesson.id, _cell(ref), _cell(tpl), format_points(ref.max_points))
    table.add_row(
        "total",
        format_points(reference.score),
        format_points(template.score),
        format_points(reference.max_score),
        style="bold",
    )
    Console().print(table)

    failures = []
    if reference.score < reference.max_score - 1e-9 or reference.status != "graded":
        failures.append(
            f"the reference solution scores {format_points(reference.score)}"
            f"/{format_points(reference.max_score)} ({shortfall(reference, True)})"
        )
    if template.score > 1e-9 or template.status != "graded":
        failures.append(
            f"the student template scores {format_points(template.score)} "
            f"instead of 0 ({shortfall(template, False)})"
        )
    if failures:
        raise click.ClickException("; ".join(failures))
    click.echo("validate: reference 100 %, template 0 %: OK")


def _cell(lesson) -> str:
    text = format_points(lesson.points)
    return text if lesson.status == "graded" else f"{text} ({lesson.status})"


def shortfall(result, want_full: bool) -> str:
    """Which lessons/checks stop `result` from scoring full marks (or zero), in one line."""
    parts = []
    for lesson in result.lessons:
        checks = lesson.checks
        if want_full:
            offending = [c.id for c in checks if not c.passed]
            if lesson.points >= lesson.max_points - 1e-9 and lesson.status == "graded":
                continue
        else:
            offending = [c.id for c in checks if c.points > 0]
            if lesson.points <= 1e-9:
                continue
        if lesson.status != "graded":
            parts.append(f"{lesson.lesson.id}: {lesson.status} ({lesson.reason})")
        elif offending:
            more = f" and {len(offending) - 3} more" if len(offending) > 3 else ""
            parts.append(f"{lesson.lesson.id}: {', '.join(offending[:3])}{more}")
        else:
            worth = sum(c.max_points for c in checks)
            parts.append(
                f"{lesson.lesson.id}: its checks are worth {format_points(worth)} of "
                f"{format_points(lesson.max_points)} points"
            )
    return "; ".join(parts) or result.status
