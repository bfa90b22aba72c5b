"""Self-check summary: after the tests, one row per lesson (checks passed, of how many), and
under it one line per failed check.

Each tests/test_<NN>_<lesson>.py holds the public checks of one lesson; the first line of its
docstring names the lesson. Passing these checks is a good sign, not a grade: the grader runs
other, hidden checks on random inputs.

Short by default: failures are the one-line list below the table. `python -m pytest -v` (or
`--tb=short`, `--tb=long`, `-r...`) shows pytest's usual details.

A failed comparison (tests/words.py's `Mismatch`) reads as the grader's own verdict
("a.grad: expected 0.25, got 0.5"), shown whole, with a computation graph as text under it for
a gradient.

A lesson whose module does not import (a syntax error in engine.py, say) fails its own tests
with that reason, and the lessons that import it; the other lessons still run."""

import ast
import os
import sys
import traceback
from collections import defaultdict

import pytest
from words import absolute_imports  # tests/words.py: the grader's own reading

MESSAGE_CHARS = 110  # a failure stays on one line; -v shows all of it

_lesson_of = {}  # test id -> lesson name
_outcome = {}  # test id -> "passed" / "failed" / "skipped"
_why = {}  # test id -> one line: why it failed
_details = {}  # test id -> lines shown under that line (a gradient's graph as text)
_uncollected = {}  # test file pytest could not collect at all -> why
_root = []  # the course folder (pytest's rootdir): paths are shown relative to it


def pytest_configure(config):
    _root.append(str(config.rootpath))
    if config.option.tbstyle == "auto" and config.option.verbose <= 0:
        config.option.tbstyle = "no"  # the table lists each failure on one line instead
        if config.option.reportchars == "fE":  # pytest's default: the same failures again
            config.option.reportchars = ""
    # A test file that cannot be collected stops only its own lesson.
    config.option.continue_on_collection_errors = True


def pytest_pycollect_makemodule(module_path, parent):
    return LessonModule.from_parent(parent, path=module_path)


class LessonModule(pytest.Module):
    """A test file that imports the lesson's module at its top; when that import fails, each
    of its tests fails with the reason (instead of stopping every lesson's tests)."""

    def collect(self):
        try:
            return super().collect()
        except Exception as exc:  # SyntaxError, ImportError, anything raised at import
            cause = exc.__cause__ if isinstance(exc, self.CollectError) and exc.__cause__ else exc
            reason = import_failure(cause, self.config.rootpath)
            names = test_names(self.path) or [self.path.stem]
            return [NotImported.from_parent(self, name=name, reason=reason) for name in names]


class NotImported(pytest.Item):
    def __init__(self, *, reason, **kwargs):
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self):
        raise ImportError(self.reason)

    def repr_failure(self, excinfo):
        return self.reason

    def reportinfo(self):
        return self.path, None, self.name


def import_failure(exc, root):
    """One line: what went wrong importing the package, and where."""
    if isinstance(exc, SyntaxError):
        where = f"{relative(exc.filename or '?', root)}, line {exc.lineno}"
        return f"{where} does not compile: {exc.msg}"
    places = [
        f"{relative(frame.f_code.co_filename, root)}, line {line}"
        for frame, line in traceback.walk_tb(exc.__traceback__)
    ]
    mine = [place for place in places if place.startswith("micrograd")]
    where = f" ({mine[-1]})" if mine else ""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"importing micrograd failed: {type(exc).__name__}: {message}{where}"


def relative(path, root):
    try:
        return os.path.relpath(path, root)
    except ValueError:  # another drive (Windows)
        return str(path)


def test_names(path):
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError, OSError):
        return []
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    ]


def lesson_name(path):
    """The first line of the test file's docstring (read without importing it)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (SyntaxError, ValueError, OSError):
        doc = ""
    return doc.splitlines()[0] if doc else path.name


def pytest_collection_modifyitems(items):
    names = {}
    for item in items:
        if item.path not in names:
            names[item.path] = lesson_name(item.path)
        _lesson_of[item.nodeid] = names[item.path]


def pytest_collectreport(report):
    if report.failed:
        _uncollected[report.nodeid or "tests"] = crash_message(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A `Mismatch` (tests/words.py) keeps its sentence whole, and its details for the table."""
    outcome = yield
    error = call.excinfo.value if call.excinfo else None
    sentence = getattr(error, "sentence", None)
    if outcome.get_result().failed and isinstance(sentence, str):
        _why.setdefault(item.nodeid, sentence)
        _details.setdefault(item.nodeid, str(getattr(error, "details", "") or ""))


def pytest_runtest_logreport(report):
    if report.failed:
        _outcome[report.nodeid] = "failed"
        _why.setdefault(report.nodeid, failure_line(report))
    elif report.when == "call" or report.skipped:
        _outcome.setdefault(report.nodeid, report.outcome)


def failure_line(report):
    """'NotImplementedError (micrograd/engine.py:45)': the exception and where it was raised."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        return crash_message(report)
    stage = "" if report.when == "call" else f" (in {report.when})"
    return f"{crash_message(report)}{stage} ({relative(crash.path, _root[-1])}:{crash.lineno})"


def crash_message(report):
    """The first line of the exception's message (or the last line of a report without one)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    lines = (crash.message if crash else str(report.longrepr or "")).strip().splitlines()
    message = (lines[0] if crash else lines[-1]) if lines else "failed"
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"


def pytest_terminal_summary(terminalreporter):
    passed, total, failures = defaultdict(int), defaultdict(int), defaultdict(dict)
    details = {}
    for nodeid, lesson in _lesson_of.items():
        total[lesson] += 1
        passed[lesson] += _outcome.get(nodeid) == "passed"
        if _outcome.get(nodeid) == "failed":
            failures[lesson][nodeid.split("::")[-1]] = _why.get(nodeid, "failed")
            details[nodeid.split("::")[-1]] = _details.get(nodeid, "")
    width = max(len("lesson"), *(len(lesson) for lesson in total))
    write = terminalreporter.write_line
    terminalreporter.section("micrograd self-check")
    write(f"{'lesson':<{width}}  passed  of")
    for lesson in total:  # collection order = lesson order
        mark = "  done" if passed[lesson] == total[lesson] else ""
        write(f"{lesson:<{width}}  {passed[lesson]:>6}  {total[lesson]:>2}{mark}")
        for line in failure_lines(failures[lesson], details):
            write(f"    {line}")
    write(f"{'total':<{width}}  {sum(passed.values()):>6}  {sum(total.values()):>2}")
    for nodeid, why in _uncollected.items():
        write(f"not collected: {nodeid}: {why} (do not edit the tests)")
    if any(failures.values()) and terminalreporter.config.option.tbstyle == "no":
        write("details of each failure: python -m pytest -v (or --tb=short, --tb=long)")
    for warning in non_standard_imports(os.path.join(_root[-1], "micrograd")):
        write(warning)


def failure_lines(failed, details):
    """{test: why} as lines: one per test, or one for all when they share the reason (a module
    that does not import fails every test of the lessons that import it). A test's details
    (a graph as text) follow its line, indented."""
    reasons = set(failed.values())
    if len(failed) > 1 and len(reasons) == 1:
        return [f"all {len(failed)} failed: {reasons.pop()}"]
    lines = []
    for test, why in failed.items():
        lines.append(f"failed {test}: {why}")
        lines += [f"    {line}" for line in details.get(test, "").splitlines()]
    return lines


def non_standard_imports(package):
    """One line per import of a module outside the standard library: the grader has none."""
    allowed = set(getattr(sys, "stdlib_module_names", ())) | {"micrograd"}
    lines = []
    if not allowed - {"micrograd"} or not os.path.isdir(package):
        return lines  # Python < 3.10 cannot tell
    for name in sorted(os.listdir(package)):
        if not name.endswith(".py"):
            continue
        try:
            with open(os.path.join(package, name), encoding="utf-8") as handle:
                source = handle.read()
        except (ValueError, OSError):
            continue
        for module, line in absolute_imports(source):
            if module.split(".")[0] not in allowed:
                lines.append(
                    f"warning: micrograd/{name}, line {line} imports {module}, "
                    "which the grader does not have (standard library only)"
                )
    return lines
