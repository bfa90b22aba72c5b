"""`micrograder generate [--check] [--nbgrader-course DIR --policy own|released]`: what the
command prints and its exit status."""

import click

from grader.generate.course import check, write
from grader.generate.errors import GenerateError


def run_generate(check_only: bool) -> None:
    try:
        changes = check() if check_only else write()
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    if check_only:
        if changes:
            for change in changes:
                click.echo(change)
            raise click.ClickException(
                f"{len(changes)} generated file(s) out of date: run `micrograder generate`"
            )
        click.echo("student_template/ and the notebooks are up to date")
        return
    for change in changes:
        click.echo(
            {"missing": "wrote", "stale": "updated", "extra": "removed"}[change.split(":")[0]]
            + ":"
            + change.split(":", 1)[1]
        )
    click.echo(
        f"{len(changes)} file(s) changed" if changes else "nothing to do: everything up to date"
    )


def run_nbgrader_course(course_dir, policy: str) -> None:
    from grader.generate.nbgrader_course import write_course

    try:
        changes = write_course(course_dir, policy)
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    for change in changes:
        click.echo(change)
    click.echo(f"nbgrader course {course_dir}: source/ for policy '{policy}' up to date")
