"""Run the hidden suites for one submission, in this (trusted) process, and collect scores.

pytest runs with our own ini (-c suites.ini), rootdir grader/suites, plugin autoloading off and
no cache, so no conftest, ini or plugin from a submission is ever read. The SuiteRun plugin
records, per check: lesson, part, points, visibility, outcome and a student-facing message taken
from CheckFailed / worker errors — never pytest's report text, which quotes test source.

Two rules of the trust boundary (design.md) live here:
- Inputs per submission: the `rng` fixture draws from (run seed, this submission's files), so
  the same submission gets the same inputs and a changed one fresh inputs (no replaying the
  expected values that feedback shows).
- Reference code is an answer key: a lesson's worker holds reference modules only when the
  lesson needs an earlier lesson's module and that lesson did not earn full marks in this run
  (assemble.py). Such a worker is *restricted*: its checks' messages are worded here from the
  grader's own parts only (the call, its inputs, the expected value, a coarse relation), and
  whatever it produced (values, exception types and messages, exit codes, timings) goes to the
  staff-only record, never to the student.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import traceback
from pathlib import Path

import pytest

from grader.lessons import course
from grader.paths import REFERENCE_PACKAGE
from grader.sandbox.client import Budget, Worker
from grader.sandbox.errors import (
    BadReply,
    StudentError,
    WorkerCrashed,
    WorkerTimeout,
    missing_module_text,
)
from grader.sandbox.inside.words import absolute_imports
from grader.sandbox.jail import Limits, use_sandbox
from grader.suites.assemble import assemble_package, read_assembly, split_extras, stack_modules
from grader.suites.checks import CheckFailed
from grader.suites.conftest import RUN
from grader.suites.figure_data import kept_figure

SUITES = Path(__file__).resolve().parent
INI = SUITES / "suites.ini"
INTERNAL_ERROR = "the grader could not run this check (a grader bug; staff have the details)"


class LessonInvalid(Exception):
    """The lesson's module is missing or does not compile: its checks score 0 with this reason."""


def compile_errors(submission: Path, modules) -> str:
    """'' if every module exists and compiles, else a one-line reason naming file and line.
    Uses compile() only: the student's code is never executed here."""
    return compile_problem(submission, modules)[0]


def compile_problem(submission: Path, modules) -> tuple[str, dict | None]:
    """(reason, excerpt): compile_errors' reason, and for a syntax error the offending line of
    the student's own file with its column (for a caret in feedback.html), else None."""
    for module in modules:
        path = submission / f"{module}.py"
        shown = f"micrograd/{module}.py"
        if path.is_symlink():
            return f"{shown} is a symbolic link: hand in the file itself", None
        if not path.is_file():
            return f"{shown} is missing: add it to your micrograd folder", None
        try:
            compile(path.read_bytes(), shown, "exec", dont_inherit=True)
        except SyntaxError as exc:
            reason = (
                f"{shown}, line {exc.lineno}: {type(exc).__name__}: {exc.msg} "
                "(fix it so the file compiles)"
            )
            return reason, syntax_excerpt(shown, exc)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"{shown} cannot be read as Python source ({exc.__class__.__name__})", None
        except (MemoryError, RecursionError):  # e.g. 20,000 nested minus signs
            return f"{shown} is nested too deeply for Python to compile (simplify it)", None
    return "", None


EXCERPT_CHARS = 200  # of the offending line: enough to see it, never a whole minified file


def syntax_excerpt(shown: str, exc: SyntaxError) -> dict | None:
    """{file, line, text, column}: the student's offending line (tabs expanded, cut around the
    error) and the 0-based column of the caret under it."""
    if not exc.text or not isinstance(exc.lineno, int):
        return None
    raw = exc.text.rstrip("\r\n")
    offset = min(max((exc.offset or 1) - 1, 0), len(raw))
    text, column = raw.expandtabs(), len(raw[:offset].expandtabs())
    start = max(0, column - EXCERPT_CHARS // 2)
    text = text[start : start + EXCERPT_CHARS]
    return {"file": shown, "line": exc.lineno, "text": text, "column": column - start}


def inputs_key(submission: Path) -> str:
    """A digest of every file name and byte of the submission folder: the per-submission part
    of the inputs' seed. An iterative walk (no recursion, symlinks named, never followed)."""
    digest = hashlib.sha256()
    folders = [Path(submission)]
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            relative = os.path.relpath(entry.path, submission)
            digest.update(f"\0{relative}\0".encode("utf-8", "surrogateescape"))
            if entry.is_symlink():
                digest.update(b"symlink")
            elif entry.is_dir():
                folders.append(Path(entry.path))
            elif entry.is_file():
                with open(entry.path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
    return digest.hexdigest()[:16]


def check_name(doc: str) -> str:
    """A check's name: the first paragraph of its docstring, on one line (a long first sentence
    may wrap in the source)."""
    return " ".join(doc.strip().split("\n\n")[0].split())


def classify(exc: BaseException) -> tuple[str, str]:
    """(outcome, student-facing message) for what a check raised."""
    if isinstance(exc, (CheckFailed, StudentError, BadReply)):
        return "failed", str(exc)
    if isinstance(exc, WorkerTimeout):
        return "timeout", str(exc)
    if isinstance(exc, WorkerCrashed):
        return "crashed", str(exc)
    if isinstance(exc, LessonInvalid):
        return "error", str(exc)
    return "error", INTERNAL_ERROR


def import_in_student_files(submission: Path, module: str) -> str:
    """'micrograd/nn.py, line 3' where one of the submission's own files imports top-level
    `module` ('' if none does): found here, from the files, never from what a worker said."""
    for path in sorted(Path(submission).glob("*.py")):
        for name, line in absolute_imports(path.read_bytes()):
            if name.split(".")[0] == module:
                return f"micrograd/{path.name}, line {line}"
    return ""


def restricted_message(exc: BaseException, submission: Path) -> str:
    """What a restricted check may say about what it raised: the grader's own words only."""
    if isinstance(exc, CheckFailed):
        return exc.restricted_text() or "your code did not give the expected result"
    if isinstance(exc, StudentError):
        # The standard-library rule, when the student's own files confirm the import (the
        # module name a restricted worker reports is no more than a claim).
        missing = exc.missing.split(".")[0] if not exc.missing.startswith("micrograd.") else ""
        where = import_in_student_files(submission, missing) if missing else ""
        return missing_module_text(missing, where) if where else "your code raised an exception"
    if isinstance(exc, WorkerTimeout):
        return "your code did not answer in time"
    if isinstance(exc, WorkerCrashed):
        return "the process running your code died"
    if isinstance(exc, BadReply):
        return "the process running your code sent an unreadable reply"
    return classify(exc)[1]  # LessonInvalid and grader errors: the grader's words already


class SuiteRun:
    """pytest plugin holding one run's state: workers per lesson, and the check records."""

    def __init__(
        self,
        submission: Path,
        *,
        seed: int,
        lessons,
        workdir: Path,
        limits: Limits,
        budgets: dict[str, float],
        slot: int = 0,
    ):
        self.submission = Path(submission)
        self.seed = seed
        self.lessons = {lesson.id: lesson for lesson in course()}
        self.selected = list(lessons) if lessons else list(self.lessons)
        unknown = set(self.selected) - set(self.lessons)
        if unknown:
            raise ValueError(f"unknown lesson(s): {', '.join(sorted(unknown))}")
        self.workdir = Path(workdir)
        self.limits = limits
        self.budgets = {
            lid: Budget(budgets.get(lid, lesson.time_budget))
            for lid, lesson in self.lessons.items()
        }
        self.slot = slot
        problems = {
            lid: compile_problem(self.submission, self.lessons[lid].modules)
            for lid in self.selected
        }
        self.invalid = {lid: reason for lid, (reason, _) in problems.items()}
        self.excerpts = {lid: excerpt for lid, (_, excerpt) in problems.items()}
        self.workers: dict = {}  # lesson id (or ("whole-stack", lesson id)) -> Worker
        self.last_of_lesson: dict[str, str] = {}
        self.records: dict[str, dict] = {}
        self.internal_errors: list[str] = []
        self.ignored = split_extras(self.submission)[1] + self._stray_files()
        self.inputs_key = inputs_key(self.submission)
        self.restricted: dict = {}  # worker key -> why it holds reference code (student words)
        self.workers_used: dict[str, set] = {}  # check node id -> keys of the workers it used
        self.staff_notes: list[str] = []  # what restricted checks really said: staff only
        self.assemblies: dict = {}  # worker key -> Assembly (kept after the worker is closed)
        self.figures: dict[str, dict] = {}  # check node id -> its picture's data, unchecked

    def keep_figure(self, nodeid: str, data: dict) -> None:
        """Data for a picture of the check `nodeid` (figure_data.py says what is kept)."""
        self.figures[nodeid] = data

    # -- used by the fixtures -----------------------------------------------------------
    def lesson_of(self, item) -> str:
        marker = item.get_closest_marker("lesson")
        if marker is None or marker.args[0] not in self.lessons:
            raise RuntimeError(f"{item.nodeid}: missing or unknown lesson marker")
        return marker.args[0]

    def check_id(self, item) -> str:
        return f"{self.lesson_of(item)}/{item.name}"

    def worker(
        self, lesson_id: str | None, budget_of: str | None = None, *, used_by: str | None = None
    ) -> Worker:
        """The worker for a lesson (None: the student's whole stack), started lazily once.
        `used_by`: the node id of the check asking (its messages follow the worker's rules)."""
        if lesson_id is not None:
            self.require_compiling_modules(lesson_id, used_by)
        if lesson_id is None:  # the stack lesson `budget_of` needs, never derivatives.py
            reason = compile_errors(self.submission, stack_modules(self.submission, budget_of))
            if reason:
                raise LessonInvalid(reason)
        key = lesson_id if lesson_id is not None else ("whole-stack", budget_of)
        if used_by is not None:
            self.workers_used.setdefault(used_by, set()).add(key)
        if key not in self.workers:
            dest = self.workdir / (lesson_id or f"whole-stack-{budget_of}")
            dest.mkdir(parents=True, exist_ok=True)
            assemble_package(
                self.submission,
                lesson_id or budget_of,
                dest,
                own_earlier=self.modules_with_full_marks(),
                whole_stack=lesson_id is None,
            )
            assembly = self.assemblies[key] = read_assembly(dest)
            if assembly.reference:
                self.restricted[key] = self.why_restricted(lesson_id, assembly.reference)
            self.workers[key] = Worker(
                dest,
                limits=self.limits,
                budget=self.budgets[lesson_id or budget_of],
                student_files=assembly.student,
                slot=self.slot,
                workdir=dest,
            )
        return self.workers[key]

    def outcome(self, check_id: str) -> str | None:
        """The outcome so far of the check `check_id` ("value/test_forward[tanh]"), if it ran."""
        return next((r["outcome"] for r in self.records.values() if r["id"] == check_id), None)

    def ran_on_own_code(self, lesson_id: str) -> bool:
        """Whether lesson `lesson_id`'s worker held none of the course's modules: then it ran the
        student's whole stack for that lesson."""
        assembly = self.assemblies.get(lesson_id)
        return assembly is not None and not assembly.reference

    def require_compiling_modules(self, lesson_id: str, nodeid: str | None) -> None:
        """LessonInvalid when a module of the lesson that the check uses (its `uses` marker;
        every module of the lesson without one) is missing or does not compile: a broken
        train.py costs the checks of train(), not those of make_moons."""
        modules = self.lessons[lesson_id].modules
        declared = self.records.get(nodeid, {}).get("uses") if nodeid else None
        if declared:
            used = {name.split(".")[0] for name in declared}
            modules = [m for m in modules if m in used]
        reason = compile_errors(self.submission, modules)
        if reason:
            raise LessonInvalid(reason)

    def full_marks(self, lesson_id: str) -> bool:
        """Whether every check of `lesson_id` has passed in this run (it must have run)."""
        mine = [r for r in self.records.values() if r["lesson"] == lesson_id]
        return (
            lesson_id in self.selected
            and not self.invalid.get(lesson_id)
            and bool(mine)
            and all(r["outcome"] == "passed" for r in mine)
        )

    def modules_with_full_marks(self) -> set[str]:
        return {
            m
            for lid, lesson in self.lessons.items()
            if self.full_marks(lid)
            for m in lesson.modules
        }

    def why_restricted(self, lesson_id: str, reference_files: list[str]) -> str:
        """One sentence for the student: which of their modules were replaced, and why."""
        parts = []
        for file in reference_files:
            owner = course().owners[file.removesuffix(".py")]
            why = (
                "was not graded in this run"
                if owner.id not in self.selected
                else "did not earn full marks"
            )
            parts.append(f"the course's {file} (your lesson {owner.order}, {owner.title}, {why})")
        return (
            "this lesson ran on " + " and ".join(parts) + ", so the details of its failed "
            "checks are held back (the course's code is never described). Fix the earlier "
            "lesson first; the public self-check (python3 -m pytest in your course folder) "
            "shows everything about your own code"
        )

    def restricted_reason(self, nodeid: str) -> str:
        """Why the check `nodeid` is restricted ('' when it is not)."""
        used = sorted(self.workers_used.get(nodeid, ()), key=str)
        return next((self.restricted[key] for key in used if key in self.restricted), "")

    def close(self):
        for worker in self.workers.values():
            worker.close()

    # -- pytest hooks -----------------------------------------------------------------
    def pytest_configure(self, config):
        config.stash[RUN] = self  # where the fixtures in conftest.py find this run

    def pytest_collection_modifyitems(self, session, config, items):
        items[:] = [item for item in items if self.lesson_of(item) in self.selected]
        items.sort(key=lambda item: self.lessons[self.lesson_of(item)].order)  # course order
        # The last check of each lesson: its workers are closed right after it (one lesson's
        # processes and memory at a time; the slot's process limit counts idle workers too).
        last = {self.lesson_of(item): item.nodeid for item in items}  # later items win
        self.last_of_lesson = {nodeid: lesson for lesson, nodeid in last.items()}
        for item in items:
            points = item.get_closest_marker("points")
            visibility = item.get_closest_marker("visibility")
            doc = check_name(item.function.__doc__ or item.name)
            param = item.callspec.id if hasattr(item, "callspec") else ""
            self.records[item.nodeid] = {
                "id": self.check_id(item),
                "lesson": self.lesson_of(item),
                "uses": [name for marker in item.iter_markers("uses") for name in marker.args],
                # the lesson.toml part the check counts in ("a, b" or "" when not exactly one:
                # tests/test_points.py rejects that)
                "part": ", ".join(
                    str(arg) for marker in item.iter_markers("part") for arg in marker.args
                ),
                "name": doc.replace("{param}", param),
                "points": 0.0,
                "max_points": float(points.args[0]) if points else 0.0,
                "outcome": "passed",
                "message": "",
                "visibility": visibility.args[0] if visibility else "visible",
                "seconds": 0.0,
                "restricted": False,
                "figure": None,
            }

    def pytest_collectreport(self, report):
        if report.failed:
            raise RuntimeError(
                f"hidden suite {report.nodeid} does not collect:\n{report.longreprtext}"
            )

    def pytest_runtest_logfinish(self, nodeid, location):
        lesson = self.last_of_lesson.get(nodeid)
        if lesson is not None:
            for key in (lesson, ("whole-stack", lesson)):
                worker = self.workers.pop(key, None)
                if worker is not None:
                    worker.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Record the phase's verdict and answer with a report of our own (firstresult hook):
        pytest's usual report would render a traceback quoting test source (slow, and never
        to be shown) for every failure."""
        record = self.records[item.nodeid]
        record["seconds"] = round(record["seconds"] + call.duration, 4)
        record["restricted"] = bool(self.restricted_reason(item.nodeid))
        message = None
        if call.excinfo is not None:
            exc = call.excinfo.value
            outcome, message = classify(exc)
            if isinstance(exc, CheckFailed) and exc.figure is not None:
                self.keep_figure(item.nodeid, exc.figure)
            if message == INTERNAL_ERROR:
                # The type only: a message may carry what a worker sent (staff see it all in
                # the runner's log).
                self.internal_errors.append(f"{record['id']}: {type(exc).__name__}")
                print(
                    f"[micrograder] internal error in {record['id']}:\n"
                    + "".join(traceback.format_exception(exc)),
                    file=sys.stderr,
                )
            if record["restricted"]:
                self.staff_notes.append(f"{record['id']} ({call.when}): {message}")
                message = restricted_message(exc, self.submission)
            if record["outcome"] == "passed":
                record["outcome"], record["message"] = outcome, message
        if call.when == "teardown" and record["outcome"] == "passed":
            record["points"] = record["max_points"]
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {},
            "passed" if message is None else "failed",
            message,
            call.when,
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )

    # -- results (docs/runner-contract.md) ------------------------------------------------
    def results(self) -> dict:
        """The runner's JSON (docs/runner-contract.md; run_suites adds `seconds`)."""
        checks = [
            dict(
                c,
                seconds=0.0 if c["restricted"] else c["seconds"],  # timing: a channel too
                figure=kept_figure(self.figures.get(nodeid), c["restricted"]),
            )
            for nodeid, c in self.records.items()
        ]
        lessons = {}
        for lesson_id in self.selected:
            mine = [c for c in checks if c["lesson"] == lesson_id]
            seconds = round(sum(c["seconds"] for c in mine), 3)
            timeouts = sum(c["outcome"] == "timeout" for c in mine)
            crashes = sum(c["outcome"] == "crashed" for c in mine)
            if self.invalid.get(lesson_id):
                status, reason = "invalid", self.invalid[lesson_id]
            elif timeouts:
                status, reason = "timeout", f"{timeouts} check(s) ran out of time"
            elif crashes:
                status, reason = (
                    "crashed",
                    f"the process running your code died in {crashes} check(s)",
                )
            else:
                status, reason = "graded", ""
            keys = (lesson_id, ("whole-stack", lesson_id))
            restricted = next((self.restricted[k] for k in keys if k in self.restricted), "")
            lessons[lesson_id] = {
                "status": status,
                "reason": reason,
                "restricted": restricted,
                # the offending line of a syntax error (the student's own code), or None
                "excerpt": self.excerpts.get(lesson_id) if status == "invalid" else None,
                "seconds": 0.0 if restricted else seconds,
                # rounded: fractional points (0.1 + 0.2 ...) must not show float noise
                "points": round(sum(c["points"] for c in mine), 6),
                "max_points": round(sum(c["max_points"] for c in mine), 6),
            }
        return {
            "seed": self.seed,
            "inputs_key": self.inputs_key,
            "checks": checks,
            "lessons": lessons,
            "limits": {
                **self.limits.as_dict(),
                "time_budgets": {lid: self.budgets[lid].total for lid in self.selected},
            },
            "ignored": self.ignored,
            "internal_errors": self.internal_errors,
            "staff_notes": self.staff_notes,
        }

    def _stray_files(self) -> list[str]:
        """Python files beside the submission's micrograd/ folder: never importable, reported."""
        parent = self.submission.parent
        return (
            sorted(
                f"../{p.name}"
                for p in parent.iterdir()
                if p.name != self.submission.name and p.suffix == ".py"
            )
            if parent.is_dir()
            else []
        )


def _pytest(run: SuiteRun, extra=()) -> int:
    args = [
        str(SUITES),
        "-c",
        str(INI),
        "--rootdir",
        str(SUITES),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        *extra,
    ]
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(args, plugins=[run])
    finally:
        run.close()
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"hidden suites did not run (pytest exit code {code})")
    return code


def collect_checks(lessons: list[str] | None = None) -> list[dict]:
    """The checks of the suites (id, lesson, name, max_points, visibility) without running
    anything: for max scores and for tests that the points add up."""
    run = SuiteRun(
        REFERENCE_PACKAGE, seed=0, lessons=lessons, workdir=Path("."), limits=Limits(), budgets={}
    )
    _pytest(run, ["--collect-only"])
    return list(run.records.values())


def run_suites(
    submission_micrograd: Path,
    *,
    seed: int,
    lessons: list[str] | None = None,
    workdir: Path,
    limits: Limits | None = None,
    time_budgets: dict[str, float] | None = None,
    slot: int = 0,
) -> dict:
    """Grade the package folder `submission_micrograd` (the student's micrograd/) and return
    the results dict of docs/runner-contract.md. `time_budgets` overrides lesson.toml's."""
    limits = limits or Limits()
    use_sandbox(limits)  # raises SandboxUnavailable now, not once per check, if it is required
    run = SuiteRun(
        Path(submission_micrograd).resolve(),
        seed=seed,
        lessons=lessons,
        workdir=Path(workdir),
        limits=limits,
        budgets=time_budgets or {},
        slot=slot,
    )
    started = time.monotonic()
    _pytest(run)
    results = run.results()
    results["seconds"] = round(time.monotonic() - started, 3)
    return results
