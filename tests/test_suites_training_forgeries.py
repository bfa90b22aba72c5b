"""A train() that does not train earns none of the training lesson's training points.

Each forgery is the reference package with a forged train() and/or benchmark_optimizers()
appended to train.py (later definitions win), so data.py, accuracy() and the rest stay correct:
the forgery must lose every training, History, integration and benchmark point and keep the
others. Correct variants of what the design leaves free keep full marks. (Issue 8: a class swap
with a made-up History and made-up benchmark rows used to earn 13 of 15.)
"""

import functools
import random

import pytest
from sandbox_helpers import submission_from_reference

from grader.paths import REFERENCE_PACKAGE
from grader.suites.runner import run_suites

# The checks that judge training; every other check of the lesson judges data.py or accuracy().
TRAINING = {
    "test_train_learns_the_moons",
    "test_whole_stack_learns_the_moons",
    "test_history_fields",
    "test_full_batch_training_matches_reference[hinge+SGD]",
    "test_full_batch_training_matches_reference[mse+Momentum+StepLR+clip]",
    "test_full_batch_training_matches_reference[bce+Adam+cosine]",
    "test_benchmark_rows",
    "test_benchmark_defaults_match_the_protocol",
    "test_train_loss_weighted_and_ties_to_the_first_epoch",
}
# With lr 0 nothing is learned, so an untrained model with honest reports is the right answer
# there: the one training check that forgery may pass.
LR_ZERO = "test_train_loss_weighted_and_ties_to_the_first_epoch"
BENCHMARK = {"test_benchmark_rows", "test_benchmark_defaults_match_the_protocol"}

MADE_UP_HISTORY = """
def made_up_history(epochs):
    history = History()
    for epoch in range(epochs):
        history.train_loss.append(1.0 / (epoch + 2))
        history.val_loss.append(1.1 / (epoch + 2))
        history.val_accuracy.append(min(1.0, 0.6 + 0.05 * epoch))
    history.best_val_loss, history.best_epoch = history.val_loss[-1], epochs - 1
    return history
"""

MADE_UP_ROWS = """
def benchmark_optimizers(X_train, y_train, X_val, y_val, optimizers=("SGD", "Momentum", "Adam"),
                         hidden=(8, 8), lr=0.05, epochs=20, batch_size=16, seed=0,
                         loss="hinge", alpha=1e-4):
    made_up = {"sgd": 0.6, "momentum": 0.4, "adam": 0.3}
    return [{"optimizer": name, "final_train_loss": made_up[name.lower()],
             "final_val_loss": made_up[name.lower()] + 0.05,
             "best_val_loss": made_up[name.lower()] + 0.05, "best_epoch": epochs - 1}
            for name in optimizers]
"""

# The forgery: the model becomes a hand-written moons rule; History and rows made up.
CLASS_SWAP = (
    MADE_UP_HISTORY
    + MADE_UP_ROWS
    + """
from .engine import Value
from .nn import Module


class MoonsRule(Module):
    def __call__(self, x):
        x1, x2 = (float(getattr(v, "data", v)) for v in x)
        return Value(0.25 - x2 + 0.8 * (x1 - 0.5) ** 2)


def train(model, optimizer, X_train, y_train, X_val, y_val, epochs, batch_size,
          loss="hinge", alpha=1e-4, scheduler=None, clip_norm=None):
    model.__class__ = MoonsRule
    return made_up_history(epochs)
"""
)

HARD_CODED = """
PRETRAINED = PRETRAINED_WEIGHTS


def hard_code(model):
    weights = PRETRAINED.get(len(model.parameters()))
    for p, w in zip(model.parameters(), weights or []):
        p.data = w
"""

# Weights trained in advance, with everything reported made up.
HARD_CODED_MADE_UP = (
    MADE_UP_HISTORY
    + MADE_UP_ROWS
    + HARD_CODED
    + """

def train(model, optimizer, X_train, y_train, X_val, y_val, epochs, batch_size,
          loss="hinge", alpha=1e-4, scheduler=None, clip_norm=None):
    hard_code(model)
    return made_up_history(epochs)
"""
)

# Reports computed honestly from a model that was never trained (hard-coded or left as built);
# benchmark_optimizers is the reference's, on top of this train().
HONEST_REPORTS = """

def train(model, optimizer, X_train, y_train, X_val, y_val, epochs, batch_size,
          loss="hinge", alpha=1e-4, scheduler=None, clip_norm=None):
    {setup}
    history = History()
    for epoch in range(epochs):
        history.train_loss.append(objective(model, X_train, y_train, loss, alpha)[1].data)
        scores, val_objective = objective(model, X_val, y_val, loss, alpha)
        history.val_loss.append(val_objective.data)
        correct = sum(predict(s.data) == label for s, label in zip(scores, y_val))
        history.val_accuracy.append(correct / len(y_val))
    history.best_val_loss, history.best_epoch = history.val_loss[0], 0
    return history
"""


@functools.lru_cache(maxsize=1)
def pretrained_weights(reference):
    """Weights of MLP(2, [8, 8, 1]) and MLP(2, [4, 4, 1]) trained on the centred moons (the
    suite's placements start from there): the best a forger can hard-code."""
    X, y = reference.data.make_moons(300, noise=0.1, seed=1)
    pairs = [([a - 0.5, b - 0.25], label) for (a, b), label in zip(X, y)]
    random.Random(1).shuffle(pairs)
    X, y = [p for p, _ in pairs], [label for _, label in pairs]
    out = {}
    for hidden in ([8, 8], [4, 4]):
        random.seed(0)
        net = reference.nn.MLP(2, [*hidden, 1])
        optimizer = reference.optim.Adam(net.parameters(), lr=0.05)
        reference.train.train(net, optimizer, X[:240], y[:240], X[240:], y[240:], 40, 16)
        assert reference.train.accuracy(net, X, y) > 0.9
        out[len(net.parameters())] = [p.data for p in net.parameters()]
    return out


def forged(tmp_path, reference, name):
    text = (REFERENCE_PACKAGE / "train.py").read_text()
    forgery = {
        "class swap, made-up History and rows": CLASS_SWAP,
        "hard-coded weights, made-up History and rows": HARD_CODED_MADE_UP,
        "hard-coded weights, honest reports": HARD_CODED
        + HONEST_REPORTS.replace("{setup}", "hard_code(model)"),
        "untrained, honest reports": HONEST_REPORTS.replace("{setup}", "pass"),
        "correct train(), made-up rows": MADE_UP_ROWS,
    }[name]
    if "PRETRAINED_WEIGHTS" in forgery:
        forgery = forgery.replace("PRETRAINED_WEIGHTS", repr(pretrained_weights(reference)))
    return submission_from_reference(tmp_path / "sub", files={"train.py": text + forgery})


def grade(package, tmp_path):
    results = run_suites(package, seed=7, lessons=["training"], workdir=tmp_path / "work")
    assert results["internal_errors"] == []
    return {c["id"].split("/", 1)[1]: c for c in results["checks"]}


FORGERIES = [
    "class swap, made-up History and rows",
    "hard-coded weights, made-up History and rows",
    "hard-coded weights, honest reports",
    "untrained, honest reports",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", FORGERIES)
def test_a_train_that_does_not_train_earns_no_training_point(tmp_path, reference, name):
    checks = grade(forged(tmp_path, reference, name), tmp_path)
    assert TRAINING <= set(checks)
    judged = TRAINING - {LR_ZERO} if name == "untrained, honest reports" else TRAINING
    earned = {check: c["points"] for check, c in checks.items() if check in judged}
    assert earned == dict.fromkeys(judged, 0.0), name
    kept = [c for check, c in checks.items() if check not in TRAINING]
    assert kept and all(c["points"] == c["max_points"] for c in kept)


@pytest.mark.slow
def test_made_up_benchmark_rows_earn_no_benchmark_point(tmp_path, reference):
    checks = grade(forged(tmp_path, reference, "correct train(), made-up rows"), tmp_path)
    for check, c in checks.items():
        assert c["points"] == (0.0 if check in BENCHMARK else c["max_points"]), check


@pytest.mark.slow
def test_free_choices_keep_full_marks(tmp_path):
    """Another batch order, model.zero_grad() instead of the optimizer's, optimizer names in
    lower case: all free (design.md), all full marks."""
    package = submission_from_reference(
        tmp_path / "sub",
        {
            "train.py": [
                ("batch_size, seed=epoch)", "batch_size, seed=1000 + 7 * epoch)"),
                ("            optimizer.zero_grad()\n", "            model.zero_grad()\n"),
                ('"optimizer": name,', '"optimizer": name.lower(),'),
            ]
        },
    )
    checks = grade(package, tmp_path)
    assert [(check, c["message"]) for check, c in checks.items() if c["outcome"] != "passed"] == []
