"""Fixtures of the hidden suites. The run's state lives in the runner's plugin (runner.SuiteRun)."""

import random

import pytest

from grader.reference import load_reference

RUN = pytest.StashKey()  # the runner's SuiteRun plugin stores itself under this key


def _run(request):
    run = request.config.stash.get(RUN, None)
    if run is None:
        raise RuntimeError("hidden suites run only through grader.suites.runner.run_suites")
    return run


@pytest.fixture
def student(request):
    """The sandboxed worker for this check's lesson: the student's module(s) of the lesson on
    top of the reference modules of earlier lessons. Use student.call("value.graph", ...)."""
    run = _run(request)
    return run.worker(run.lesson_of(request.node), used_by=request.node.nodeid)


@pytest.fixture
def student_full(request):
    """A worker running the student's WHOLE stack (no reference modules at all)."""
    run = _run(request)
    return run.worker(None, budget_of=run.lesson_of(request.node), used_by=request.node.nodeid)


@pytest.fixture
def rng(request):
    """random.Random seeded from the run seed, the submission's files and this check's id: the
    same submission gets the same inputs under one seed, a changed submission fresh ones."""
    run = _run(request)
    return random.Random(f"{run.seed}/{run.inputs_key}/{run.check_id(request.node)}")


@pytest.fixture(scope="session")
def reference():
    """The reference package in this (trusted) process, as `micrograd_reference`:
    reference.engine.Value, reference.nn.MLP, ... (for expected values only)."""
    return load_reference()


@pytest.fixture
def run(request):
    """The runner's state (for checks that depend on what passed earlier in this run)."""
    return _run(request)


@pytest.fixture
def figure(request):
    """figure(data): keep the data of a picture of this check for feedback.html (the runner
    validates it, and keeps none from a restricted worker: grader/suites/figure_data.py)."""
    run = _run(request)
    return lambda data: run.keep_figure(request.node.nodeid, data)
