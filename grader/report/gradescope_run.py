"""The Python side of Gradescope's `run_autograder` (the zip from gradescope_autograder.py):
grade /autograder/submission with `micrograder grade` and write
/autograder/results/results.json in Gradescope's schema (gradescope.py).

It fails safe: whatever goes wrong (an empty submission, a course that does not load, a grader
that crashes or writes nothing) becomes a results.json that scores 0 and says why, never a blank
score. `run_autograder` itself writes one more fallback for when this module cannot even start.

AUTOGRADER_ROOT (default /autograder) is where Gradescope's tree lives, so all of this runs
anywhere (tests/test_gradescope_export.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import names
from grader.files import write_json_atomic
from grader.lessons import Lesson, course
from grader.names import error_line, is_plain_id, one_line
from grader.report.gradescope import read_results, results_json
from grader.report.gradescope_autograder import CONFIG, CONFIG_SCHEMA
from grader.results import round_points, without_runner

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
FALLBACK_ID = "submission"
SEED_RANGE = 2**31  # as `micrograder grade --seed`
STAFF_HINT = "this is not your mistake: tell the course staff"


class NotGraded(Exception):
    """Why this submission got no grade; the message is shown to the student."""

    def __init__(self, message: str, status: str = "crashed"):
        super().__init__(message)
        self.status = status


def main() -> int:
    root = Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    started = time.monotonic()
    student, seed, lessons = FALLBACK_ID, 0, []
    try:
        config = read_config(root / "source" / CONFIG)
        lessons = list(course().select(config["lessons"]))
        student = student_id(read_metadata(root / "submission_metadata.json"))
        seed = derive_seed(config["seed"], student)
        data = grade(root / "submission", student, seed, config)
    except NotGraded as exc:
        data = failure(student, exc.status, str(exc), lessons, seed)
    except Exception as exc:  # fail safe: a bug here must still leave a score that says so
        reason = f"the autograder failed ({error_line(exc)}); {STAFF_HINT}"
        data = failure(student, "crashed", reason, lessons, seed)
    data["execution_time"] = round(time.monotonic() - started, 3)
    write_json_atomic(root / "results" / "results.json", with_lesson_lines(data, lessons))
    return 0


def read_config(path: Path) -> dict:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotGraded(f"the autograder's {CONFIG} is unreadable ({exc}); {STAFF_HINT}") from None
    if not isinstance(config, dict) or config.get("schema") != CONFIG_SCHEMA:
        raise NotGraded(f"{path.name} is not a {CONFIG_SCHEMA} file; {STAFF_HINT}")
    return config


def read_metadata(path: Path) -> dict:
    """Gradescope's submission_metadata.json, or {} when absent or unreadable (a test run)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def student_id(metadata: dict) -> str:
    """The first plain name among the submitter's email and Gradescope ids: the submission's
    id in the results and in the seed."""
    users = metadata.get("users") if isinstance(metadata.get("users"), list) else []
    user = users[0] if users and isinstance(users[0], dict) else {}
    for candidate in (user.get("email"), user.get("id"), metadata.get("id")):
        if candidate is not None and is_plain_id(str(candidate)):
            return str(candidate)
    return FALLBACK_ID


def derive_seed(course_seed: int, student: str) -> int:
    """Each student's seed: fixed by the course seed (set at export) and their id, so a
    regrade gives the same inputs and two students get different ones."""
    digest = hashlib.sha256(f"{course_seed}/{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


def grade(submission: Path, student: str, seed: int, config: dict) -> dict:
    """The submission graded by `micrograder grade` in a scratch class folder; its
    results.json."""
    with tempfile.TemporaryDirectory(prefix="micrograder-gradescope-") as tmp:
        class_dir, out = Path(tmp) / "class", Path(tmp) / "out"
        stage_class(submission, class_dir, student)
        run_grader(class_dir, out, seed, config)
        data = read_results(names.submission_path(out, student, "results.json"))
    if data is None:
        raise NotGraded(f"the grader wrote no results for this submission; {STAFF_HINT}")
    return data


def stage_class(submission: Path, class_dir: Path, student: str) -> None:
    """A class of one: the upload as a folder named by the student's id, or as `<id>.zip`
    when the upload is one zip (a GitHub submission or a zip Gradescope did not unpack)."""
    entries = [p for p in submission.iterdir() if not p.name.startswith(".")]
    if not entries:
        raise NotGraded(
            "your submission is empty: upload your micrograd/ folder, the lesson notebooks, "
            "or a .zip of either",
            status="invalid",
        )
    class_dir.mkdir(parents=True)
    if len(entries) == 1 and entries[0].suffix.lower() == ".zip" and entries[0].is_file():
        shutil.copyfile(entries[0], class_dir / f"{student}.zip")
    else:  # links are copied as links: intake refuses them, with a note, as in any class
        shutil.copytree(submission, class_dir / student, symlinks=True)


def run_grader(class_dir: Path, out: Path, seed: int, config: dict) -> None:
    """`micrograder grade` as a subprocess; its output goes to Gradescope's stdout log (staff
    only)."""
    command = [sys.executable, "-m", "grader.cli", "grade", str(class_dir), "--out", str(out)]
    command += ["--seed", str(seed)]
    command += [arg for lesson in config["lessons"] for arg in ("--lesson", lesson)]
    command += ["--require-sandbox"] if config.get("require_sandbox") else []
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stdout, done.stderr, sep="\n", flush=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise NotGraded(
            f"the grader stopped with exit status {done.returncode} "
            f"({one_line(lines[-1], 300)}); {STAFF_HINT}"
        )


def failure(student: str, status: str, reason: str, lessons: list[Lesson], seed: int) -> dict:
    """A results.json for a submission that was not graded: 0 for every lesson, with why."""
    data = results_json(without_runner(student, status, reason, lessons, seed=seed))
    data["score"] = 0  # said explicitly, also when no lesson could be loaded
    return data


def with_lesson_lines(data: dict, lessons: list[Lesson]) -> dict:
    """The output on top of Gradescope's page gets one line per lesson: its points."""
    points = data.get("extra_data", {}).get("lessons", {})
    lines = [
        f"{lesson.title}: {round_points(points[lesson.id]['points']):g} / "
        f"{round_points(points[lesson.id]['max_points']):g}"
        for lesson in lessons
        if lesson.id in points
    ]
    return {**data, "output": "\n".join([data.get("output", ""), *lines])}


if __name__ == "__main__":
    sys.exit(main())
