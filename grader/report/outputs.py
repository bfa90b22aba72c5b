"""The registry of what `micrograder grade` writes under --out, all from the result model
(grader/results.py). Adding an output format = one small writer + one line in a list below.

Per submission (SUBMISSION_OUTPUTS, written in this order as each submission finishes):
- the staff log `.logs/<folder>.log`: the runner's own output (it may quote hidden test source)
  and what restricted checks really said; staff only, never in the per-student folder;
- `<folder>/feedback.html` and `<folder>/results.json`: what a student may be handed;
- the result record `.results/<folder>.json` LAST: its presence means "finished", and resume
  reads it back (a resumed submission gets any missing output written from it, no regrading).
Per run (RUN_OUTPUTS, after every submission): gradebook.csv, checks.csv and report.html (the
class report, grader/report/classreport.py). run.json is the orchestrator's
own (written first, so a killed run resumes with its seed).

Every path comes from grader/names.py, so no id can name a run-level file or a place outside
--out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader import names
from grader.files import write_json_atomic, write_text_atomic
from grader.lessons import Lesson
from grader.report.classreport import write_checks_csv, write_report
from grader.report.feedback import render_feedback
from grader.report.gradebook import write_gradebook
from grader.report.gradescope import results_json
from grader.results import RecordError, SubmissionResult, read_record


@dataclass(frozen=True)
class SubmissionOutput:
    name: str
    path: Callable[[Path, str], Path]  # (out, student id) -> where it goes
    write: Callable[[Path, SubmissionResult], None]  # (that path, result)
    wanted: Callable[[SubmissionResult], bool] = lambda result: True

    def is_missing(self, out: Path, result: SubmissionResult) -> bool:
        return self.wanted(result) and not self.path(out, result.id).exists()


@dataclass(frozen=True)
class RunOutput:
    name: str
    write: Callable[[Path, dict[str, SubmissionResult | None], list[Lesson]], None]


def staff_text(result: SubmissionResult) -> str:
    staff = "".join(f"held back from the student: {note}\n" for note in result.staff_notes)
    return staff + result.runner_log


def write_staff_log(path: Path, result: SubmissionResult) -> None:
    if staff_text(result):
        write_text_atomic(path, staff_text(result))
    else:  # a regrade that has nothing to say leaves no stale log behind
        path.unlink(missing_ok=True)


def write_feedback(path: Path, result: SubmissionResult) -> None:
    write_text_atomic(path, render_feedback(result))


def write_results_json(path: Path, result: SubmissionResult) -> None:
    write_json_atomic(path, results_json(result))


def write_record(path: Path, result: SubmissionResult) -> None:
    write_json_atomic(path, result.to_dict())


def in_folder(filename: str) -> Callable[[Path, str], Path]:
    return lambda out, sub_id: names.submission_path(out, sub_id, filename)


RECORD = SubmissionOutput("result record", names.record_path, write_record)
SUBMISSION_OUTPUTS = [
    SubmissionOutput(
        "staff log", names.log_path, write_staff_log, wanted=lambda result: bool(staff_text(result))
    ),
    SubmissionOutput("feedback.html", in_folder("feedback.html"), write_feedback),
    SubmissionOutput("results.json", in_folder("results.json"), write_results_json),
    RECORD,  # last: a record on disk means every output above was written
]
RUN_OUTPUTS = [
    RunOutput(
        "gradebook.csv",
        lambda out, results, lessons: write_gradebook(
            names.output_path(out, names.GRADEBOOK), results, lessons
        ),
    ),
    RunOutput(
        "checks.csv",
        lambda out, results, lessons: write_checks_csv(
            names.output_path(out, names.CHECKS), results
        ),
    ),
    RunOutput(
        "report.html",
        lambda out, results, lessons: write_report(
            names.output_path(out, names.CLASS_REPORT), results, lessons
        ),
    ),
]


def write_submission_outputs(out: Path, result: SubmissionResult) -> None:
    # An earlier record goes first: if a write below fails, no record says "finished" over
    # outputs of two different gradings.
    RECORD.path(out, result.id).unlink(missing_ok=True)
    for output in SUBMISSION_OUTPUTS:
        output.write(output.path(out, result.id), result)


def write_missing_outputs(out: Path, result: SubmissionResult) -> list[str]:
    """For a finished submission kept as it is: write the outputs it lacks (deleted, or a
    format added since it was graded) from its record. Returns their names."""
    missing = [output for output in SUBMISSION_OUTPUTS if output.is_missing(out, result)]
    for output in missing:
        output.write(output.path(out, result.id), result)
    return [output.name for output in missing]


def write_run_outputs(
    out: Path, results: dict[str, SubmissionResult | None], lessons: list[Lesson]
) -> None:
    for output in RUN_OUTPUTS:
        output.write(out, results, lessons)


def load_record(out: Path, sub_id: str, lessons: list[Lesson]) -> SubmissionResult | None:
    """The record of `sub_id` under --out, or None when there is none or it cannot be trusted
    (another format, corrupt, other lessons): such a submission is regraded."""
    try:
        text = names.record_path(out, sub_id).read_text(encoding="utf-8")
        return read_record(text, lessons)
    except (OSError, UnicodeDecodeError, RecordError):
        return None
