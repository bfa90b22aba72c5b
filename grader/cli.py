"""The `micrograder` command. Commands stay thin: each parses options and calls a module."""

import pathlib

import click


def lessons_option(verb: str, default: str = "all"):
    """`--lesson NAME` (repeatable), as every command that works on some lessons takes it."""
    return click.option(
        "--lesson",
        "lessons",
        multiple=True,
        metavar="NAME",
        help=f"{verb} only this lesson (repeatable) [default: {default}].",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="micrograder")
def main():
    """Generate the micrograd course from its reference solution and grade submissions."""


# Commands are registered below by their own modules' thin wrappers.


@main.command()
@click.argument("submissions_dir", type=click.Path(path_type=pathlib.Path))
@click.option(
    "--out",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Output folder [default: ./grading-out]. Rerunning into it resumes.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Submissions graded in parallel.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed for the random test inputs [default: the previous run's in --out, "
    "else random]. Same seed, same scores.",
)
@lessons_option("Grade", "all")
@click.option(
    "--force",
    is_flag=True,
    help="Regrade submissions that already have results (in --out or in the cache).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Wall seconds one check may run before its worker is killed [default: 10; "
    "checks that train ask for more].",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=64),
    default=None,
    help="Address-space limit of a worker process in MiB [default: 2048].",
)
# At least 32 MiB: the package copy of the largest submission accepted (20 MiB) must fit.
@click.option(
    "--disk-mb",
    type=click.IntRange(min=32),
    default=None,
    help="Size in MiB of each place a worker may write to: its /tmp and its copy of "
    "the package, each a tmpfs in RAM (sandbox only) [default: 64].",
)
@click.option(
    "--max-procs",
    type=click.IntRange(min=8),
    default=None,
    help="Processes per grading slot, counting one idle worker per lesson "
    "(sandbox only) [default: 32].",
)
@click.option(
    "--require-sandbox",
    is_flag=True,
    help="Refuse to grade when the bubblewrap sandbox cannot run here.",
)
@click.option(
    "--id-pattern",
    default=None,
    metavar="REGEX",
    help="Regex with a named group `id` (optional: `file`) that finds the student id "
    "in the names of loose files (an LMS bulk download) [default: where each LMS "
    "writes it: Moodle `Full Name_12345_assignsubmission_file_x` (the number "
    "before `_assignsubmission_`), Canvas `name_12345_67890_x`, `12345-x`].",
)
@click.option(
    "--dask-scheduler",
    default=None,
    metavar="ADDRESS",
    help="Grade on this Dask cluster (e.g. tcp://10.0.0.5:8786), one task per submission, "
    "instead of -j local processes (docs/cluster.md; pip install 'micrograder[dask]').",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=None,
    help="Folder of results reused when nothing that decides them changed [default: "
    "$MICROGRADER_CACHE_DIR, else $XDG_CACHE_HOME/micrograder or ~/.cache/micrograder].",
)
@click.option("--no-cache", is_flag=True, help="Neither reuse nor keep cached results.")
def grade(
    submissions_dir,
    out,
    jobs,
    seed,
    lessons,
    force,
    timeout,
    memory_mb,
    disk_mb,
    max_procs,
    require_sandbox,
    id_pattern,
    dask_scheduler,
    cache,
    no_cache,
):
    """Grade every submission in SUBMISSIONS_DIR: one folder or .zip per student (with
    micrograd/ or the lesson notebooks), <id>.ipynb, an LMS bulk download of loose files, or an
    nbgrader course folder (its submitted/<student>/ folders)."""
    from grader.grading.commands import run_grade

    run_grade(
        submissions_dir,
        out,
        jobs,
        seed,
        lessons,
        force,
        timeout=timeout,
        memory_mb=memory_mb,
        disk_mb=disk_mb,
        max_procs=max_procs,
        require_sandbox=require_sandbox,
        id_pattern=id_pattern,
        dask_scheduler=dask_scheduler,
        cache=cache,
        no_cache=no_cache,
    )


@main.command()
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed [default: random].")
@lessons_option("Check", "all")
def validate(seed, lessons):
    """Check that the reference solution scores 100 % and the student template 0 %."""
    from grader.grading.commands import run_validate

    run_validate(seed, lessons)


@main.command()
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and name every file that is stale, missing or extra.",
)
@click.option(
    "--nbgrader-course",
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=None,
    help="Write every lesson's nbgrader assignment into this course's source/ instead "
    "(docs/nbgrader.md).",
)
@click.option(
    "--policy",
    type=click.Choice(["own", "released"]),
    default=None,
    help="With --nbgrader-course: earlier lessons' modules come from the student's own "
    "submission (own) or are released reference solutions (released).",
)
def generate(check, nbgrader_course, policy):
    """Build student_template/ and the nbgrader notebooks from solutions/ and assignments/
    (or, with --nbgrader-course, an nbgrader course's source/: docs/nbgrader.md)."""
    from grader.generate.commands import run_generate, run_nbgrader_course

    if (nbgrader_course is None) != (policy is None) or (nbgrader_course and check):
        raise click.UsageError("--nbgrader-course and --policy go together, without --check")
    if nbgrader_course is None:
        run_generate(check)
    else:
        run_nbgrader_course(nbgrader_course, policy)


@main.group()
def export():
    """Export the grades of a `micrograder grade` run to other tools."""


@export.command("nbgrader")
@click.argument(
    "results", type=click.Path(exists=True, path_type=pathlib.Path), metavar="OUT_DIR_OR_GRADEBOOK"
)
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="The CSV to write [default: grades.csv in OUT_DIR / next to the gradebook].",
)
@click.option(
    "--course",
    type=click.Path(exists=True, file_okay=False, path_type=pathlib.Path),
    default=None,
    help="The nbgrader course folder: assignment names, students' names "
    "and emails, due dates (gradebook.db), submission times.",
)
@lessons_option("Export", "every graded lesson")
def export_nbgrader(results, to, course, lessons):
    """Write nbgrader's grades.csv (one row per student per lesson) from OUT_DIR (the --out
    folder of `micrograder grade`) or its gradebook.csv."""
    from grader.grading.commands import select_lessons
    from grader.report import nbgrader_export as nbx

    try:
        line = nbx.export_grades(results, list(select_lessons(lessons)), to=to, course=course)
    except nbx.ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(line)


@export.command("gradescope")
@click.argument("autograder_zip", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="The course seed; each student's seed is derived from it and their Gradescope id, "
    "so a regrade gives the same score [default: random, fixed in the zip].",
)
@lessons_option("Grade", "all")
@click.option(
    "--require-sandbox",
    is_flag=True,
    help="Give no grade when the bubblewrap sandbox cannot run in Gradescope's container.",
)
def export_gradescope(autograder_zip, seed, lessons, require_sandbox):
    """Write AUTOGRADER_ZIP, the zip Gradescope's autograder upload takes: setup.sh,
    run_autograder, micrograder's wheel and the course (docs/gradescope.md)."""
    from grader.grading.commands import select_lessons
    from grader.report import gradescope_autograder as gsa

    try:
        line = gsa.export_autograder(
            autograder_zip, list(select_lessons(lessons)), seed, require_sandbox
        )
    except gsa.ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(line)


if __name__ == "__main__":  # python -m grader.cli (a course copy run with its own PYTHONPATH)
    main()
