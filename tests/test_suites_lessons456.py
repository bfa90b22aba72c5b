"""The hidden suites of lessons 4-6 (losses, optim, training) through the runner: the same seed
gives the same checks, a correct but slow closure engine still passes the whole-stack check, and
held-back labels stay on the trusted side. (Reference full marks and template zero for every
lesson: test_suites_core.py.)"""

import random
import warnings

import pytest
from sandbox_helpers import FIXTURES, submission_from_reference

from grader.suites.runner import run_suites

MINE = ["losses", "optim", "training"]


def run(package, tmp_path, lessons=MINE, seed=11, **kwargs):
    return run_suites(package, seed=seed, lessons=lessons, workdir=tmp_path / "work", **kwargs)


def points(results):
    return {lesson: info["points"] for lesson, info in results["lessons"].items()}


def test_same_seed_same_checks_other_seed_other_inputs(tmp_path):
    # Failure messages quote the random inputs, so equal messages mean equal inputs.
    package = submission_from_reference(
        tmp_path / "sub",
        {
            "losses.py": [("return total * (1.0 / len(scores))", "return total")],
            "optim.py": [("p.data -= self.lr * p.grad", "p.data -= self.lr * p.grad * 0.5")],
        },
    )
    lessons = ["losses", "optim"]
    first, again, other = (
        run(package, tmp_path / str(i), lessons=lessons, seed=seed)
        for i, seed in enumerate((5, 5, 6))
    )

    def outcomes(results):
        return [(c["id"], c["outcome"], c["points"], c["message"]) for c in results["checks"]]

    assert outcomes(first) == outcomes(again)
    messages = [c["message"] for c in first["checks"] if c["message"]]
    assert messages and messages != [c["message"] for c in other["checks"] if c["message"]]


@pytest.mark.slow
def test_whole_stack_with_a_closure_engine_passes(tmp_path):
    """A correct karpathy-style engine (closures, ~5x slower) under the whole-stack check."""
    closure_engine = (FIXTURES / "closure_engine" / "micrograd" / "engine.py").read_text()
    package = submission_from_reference(tmp_path / "sub", files={"engine.py": closure_engine})
    results = run(package, tmp_path, lessons=["training"])
    failed = [(c["id"], c["message"]) for c in results["checks"] if c["outcome"] != "passed"]
    assert failed == []
    whole = next(
        c for c in results["checks"] if c["id"] == "training/test_whole_stack_learns_the_moons"
    )
    print(f"whole-stack training check with a closure engine: {whole['seconds']:.2f} s")


class RecordingWorker:
    """Stands in for a worker: records every request and answers with an untrained model."""

    def __init__(self):
        self.requests = []

    def call(self, op, timeout=None, **args):
        self.requests.append((op, args))
        epochs = args["epochs"]
        return {
            "history": {
                "train_loss": [1.0] * epochs,
                "val_loss": [1.0] * epochs,
                "val_accuracy": [0.5] * epochs,
                "best_val_loss": 1.0,
                "best_epoch": 0,
            },
            "parameters": args["model"]["weights"],
            "model": {"class_kept": True, "same_parameters": True},
        }


def suite_module():
    with warnings.catch_warnings():  # its markers are registered by the runner's own ini only
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        from grader.suites import test_training
    return test_training


def test_held_back_points_never_reach_the_worker(reference):
    test_training = suite_module()
    worker = RecordingWorker()
    test_training.heldout_accuracy(worker, reference, random.Random(1), "a run")
    [(op, args)] = worker.requests
    run = test_training.RUN
    assert op == "training.train"
    points = [k for k, v in args.items() if k.startswith("X")]
    labelled = [k for k, v in args.items() if k.startswith("y")]
    assert points == ["X_train", "X_val"] and labelled == ["y_train", "y_val"]
    assert len(args["X_train"]) == len(args["y_train"]) == run["n_train"]
    assert len(args["X_val"]) == len(args["y_val"]) == run["n_val"]
