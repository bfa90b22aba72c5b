"""The students' public self-check: the reference passes every test, the fresh template fails
every test (each on a stub of its lesson), and the run ends with the per-lesson table. The
template is run from a copy outside the repository, as a student would."""

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from sandbox_helpers import submission_from_reference

from grader.generate.notebook import public_tests
from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS, REFERENCE_PACKAGE, STUDENT_TEMPLATE
from grader.report.figures.graph import graph_text
from grader.sandbox.inside.specs import build_graph
from grader.suites.checks import CheckFailed

with warnings.catch_warnings():  # the hidden suite's markers are registered by its own runner
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from grader.suites.test_value import assert_gradients

LESSONS = load_lessons()
N_TESTS = sum(
    len(public_tests((lesson.folder / f"test_{lesson.id}.py").read_text(), lesson.id)[1])
    for lesson in LESSONS
)


def run_selfcheck(tmp_path, package, *args, extra_tests=None):
    """Copy the template, put `package` in as micrograd/ (and `extra_tests`, name -> text, in
    tests/), run `python -m pytest` in it."""
    folder = tmp_path / "my-course"
    shutil.copytree(
        STUDENT_TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    shutil.rmtree(folder / "micrograd")
    shutil.copytree(package, folder / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (extra_tests or {}).items():
        (folder / "tests" / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # nothing but pytest itself
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=report.xml", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    cases = ET.parse(folder / "report.xml").getroot().iter("testcase")
    outcomes = {}
    for case in cases:
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped") is not None
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            "skipped" if skipped else "passed" if problem is None else problem.get("message", "")
        )
    return proc, outcomes


def test_reference_passes_every_public_test(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, REFERENCE_PACKAGE)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert len(outcomes) == N_TESTS
    assert set(outcomes.values()) == {"passed"}
    assert "micrograd self-check" in proc.stdout
    for lesson in LESSONS:
        assert f"Lesson {lesson.order} — " in proc.stdout
    assert "total" in proc.stdout and f"{N_TESTS:>6}  {N_TESTS:>2}" in proc.stdout


def test_fresh_template_fails_every_public_test_on_a_stub(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, STUDENT_TEMPLATE / "micrograd")
    assert proc.returncode == 1
    assert len(outcomes) == N_TESTS
    not_stubbed = {
        test: outcome for test, outcome in outcomes.items() if "NotImplementedError" not in outcome
    }
    assert not_stubbed == {}
    assert "total" in proc.stdout and f"{0:>6}  {N_TESTS:>2}" in proc.stdout


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_public_test_calls_a_stub_of_its_own_lesson(tmp_path, lesson):
    """With the reference everywhere except this lesson's modules, this lesson's tests all fail
    on NotImplementedError (no test passes for free) and every earlier lesson's tests still pass
    (none relies on a later lesson)."""
    package = tmp_path / "mixed"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in lesson.modules:
        shutil.copy(STUDENT_TEMPLATE / "micrograd" / f"{module}.py", package / f"{module}.py")
    _, outcomes = run_selfcheck(tmp_path, package)
    own = {
        t: o
        for t, o in outcomes.items()
        if t.startswith(f"tests.{lesson.test_name.removesuffix('.py')}::")
    }
    earlier = {t: o for t, o in outcomes.items() if int(t.split("_")[1]) < lesson.order}
    assert own and all("NotImplementedError" in o for o in own.values()), own
    assert all(o == "passed" for o in earlier.values()), earlier


def broken_copy(tmp_path, module, line="def broken(:\n"):
    """The reference with `line` (a syntax error) appended to micrograd/<module>.py."""
    package = tmp_path / "broken"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    with open(package / f"{module}.py", "a") as handle:
        handle.write(line)
    return package


def lesson_of(test_id):
    return next(
        lesson
        for lesson in LESSONS
        if test_id.startswith(f"tests.{lesson.test_name.removesuffix('.py')}::")
    )


def test_a_module_that_does_not_compile_fails_only_its_lesson(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, broken_copy(tmp_path, "derivatives"))
    assert len(outcomes) == N_TESTS
    lines = len((REFERENCE_PACKAGE / "derivatives.py").read_text().splitlines()) + 1
    reason = f"micrograd/derivatives.py, line {lines} does not compile: "
    for test, outcome in outcomes.items():
        if lesson_of(test).id == "derivatives":
            assert outcome.startswith(reason), (test, outcome)
        else:
            assert outcome == "passed", (test, outcome)
    first = LESSONS[0]
    n_first = sum(lesson_of(t) == first for t in outcomes)
    assert f"all {n_first} failed: {reason}" in proc.stdout
    assert "micrograd self-check" in proc.stdout and "Interrupted" not in proc.stdout


def test_a_broken_engine_fails_the_lessons_that_import_it_and_no_other(tmp_path):
    proc, outcomes = run_selfcheck(tmp_path, broken_copy(tmp_path, "engine"))
    assert len(outcomes) == N_TESTS
    failed = {lesson_of(t).id for t, o in outcomes.items() if o != "passed"}
    assert "value" in failed and "derivatives" not in failed
    assert all("micrograd/engine.py, line" in o for o in outcomes.values() if o != "passed")
    assert "micrograd self-check" in proc.stdout


def test_the_table_prints_when_a_test_file_cannot_be_collected(tmp_path):
    edited = {
        "test_98_edited.py": '"""Edited"""\ndef test_x(:\n',
        "test_99_edited.py": '"""Edited too"""\nimport pytest\n\n\n'
        '@pytest.mark.parametrize("x", [1])\ndef test_y(z):\n    pass\n',
    }
    proc, outcomes = run_selfcheck(tmp_path, REFERENCE_PACKAGE, extra_tests=edited)
    assert [o for t, o in outcomes.items() if "edited" not in t] == ["passed"] * N_TESTS
    assert "micrograd self-check" in proc.stdout
    assert "failed test_98_edited: tests/test_98_edited.py, line 2 does not compile" in proc.stdout
    # pytest's own words for the collection error differ between versions: the file and the
    # test named are what matters.
    assert any(
        line.strip().startswith("not collected: tests/test_99_edited.py:") and "test_y" in line
        for line in proc.stdout.splitlines()
    ), proc.stdout
    assert f"{N_TESTS:>6}  {N_TESTS + 1:>2}" in proc.stdout  # test_y was never collected


def test_an_untouched_template_prints_one_line_per_failure(tmp_path):
    proc, _ = run_selfcheck(tmp_path, STUDENT_TEMPLATE / "micrograd")
    lines = proc.stdout.splitlines()
    # pytest's header (about 10 lines) and a progress line per lesson; the table: its header,
    # a row per lesson with a line per failed test under it, the total, a hint; the last line.
    # Was 600 lines of tracebacks.
    assert len(lines) <= 12 + 2 * len(LESSONS) + N_TESTS + 4, proc.stdout
    assert not any(
        marker in proc.stdout
        for marker in ("Traceback", "raise NotImplementedError", "_____", "short test summary")
    )
    failed = [line for line in lines if line.startswith("    failed test_")]
    assert len(failed) == N_TESTS
    assert all(line.endswith(")") and "NotImplementedError (micrograd/" in line for line in failed)
    verbose = run_selfcheck(tmp_path / "v", STUDENT_TEMPLATE / "micrograd", "-v")[0]
    assert "raise NotImplementedError" in verbose.stdout  # details on request


# --- the grader's words in the self-check -----------------------------------------------------

TANH_BUG = {"engine.py": [("_local_grads=(1 - t * t,)", "_local_grads=(1 + t * t,)")]}


def engine_of(package, alias):
    """package/engine.py imported under `alias` (it imports only the standard library)."""
    spec = importlib.util.spec_from_file_location(alias, package / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class InProcessStudent:
    """What a sandboxed worker answers to "value.graph" (ops_value.graph), computed here with a
    given engine: the hidden check then words its verdict as it would for that engine."""

    def __init__(self, engine):
        self.engine = engine

    def call(self, request, nodes, backward=True):
        assert request == "value.graph"
        built = build_graph(nodes, self.engine.Value)
        if backward:
            built[-1].backward()
        return {"data": [v.data for v in built], "grad": [v.grad for v in built]}


def public_graph(test_name, variable):
    """The graph spec a public test of lesson 2 writes as `variable = [...]`."""
    tree = ast.parse((ASSIGNMENTS / "value" / "test_value.py").read_text(encoding="utf-8"))
    test = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == test_name)
    assignment = next(
        n
        for n in ast.walk(test)
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == variable
    )
    return ast.literal_eval(assignment.value)


def test_a_wrong_gradient_reads_as_the_hidden_check_words_it_with_the_graph(tmp_path):
    """A tanh with a wrong derivative: the self-check prints the hidden check's own sentence
    for the same graph ("...; j.backward(): a.grad: expected -0.25, got -0.75") and the graph as
    text with that node marked, as the feedback's graph_text draws it."""
    package = submission_from_reference(tmp_path / "sub", TANH_BUG)
    proc, outcomes = run_selfcheck(tmp_path, package)
    failed = {t.split("::")[-1] for t, o in outcomes.items() if o != "passed" and "_02_value" in t}
    assert failed == {"test_tanh_neuron"}, failed

    nodes = public_graph("test_tanh_neuron", "neuron")
    student = InProcessStudent(engine_of(package, "engine_with_the_tanh_bug"))
    reference = SimpleNamespace(engine=engine_of(REFERENCE_PACKAGE, "engine_reference_copy"))
    with pytest.raises(CheckFailed) as hidden:
        assert_gradients(student, reference, nodes)
    sentence = str(hidden.value)
    assert sentence.endswith("j.backward(): a.grad: expected -0.25, got -0.75"), sentence
    assert f"    failed test_tanh_neuron: {sentence}\n" in proc.stdout, proc.stdout

    expected = InProcessStudent(reference.engine).call("value.graph", nodes)["grad"]
    got = student.call("value.graph", nodes)["grad"]
    drawn = graph_text(nodes, expected=expected, got=got, highlight=0)
    assert "a = Value(2.0) | grad expected -0.25, got -0.75   <-- wrong" in drawn
    indented = "\n".join(f"        {line}" for line in drawn.splitlines())
    assert indented in proc.stdout, proc.stdout


def test_a_wrong_number_reads_as_the_grader_words_it(tmp_path):
    """A non-gradient check of another lesson (SGD's step) uses the grader's sentence too,
    numbers formatted by the same fmt."""
    package = submission_from_reference(
        tmp_path / "sub",
        {"optim.py": [("p.data -= self.lr * p.grad", "p.data += self.lr * p.grad")]},
    )
    proc, outcomes = run_selfcheck(tmp_path, package)
    assert "failed test_sgd_step: SGD, after one step: p.data: expected 0.95, got 1.05" in (
        proc.stdout
    ), proc.stdout
