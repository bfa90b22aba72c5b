"""Lesson 4 — losses: value and gradients of mse_loss, hinge_loss, l2_regularization and
binary_cross_entropy on random inputs.

The worker wraps the grader's numbers in (reference) Values, calls the student's loss and runs
backward. Expected values and gradients are the closed formulas below, computed here.
"""

import math

import pytest

from grader.suites.checks import as_record, assert_all_close, assert_close

pytestmark = pytest.mark.lesson("losses")

ROUNDS = 3  # random inputs per check


def short(xs):
    return "[" + ", ".join(f"{x:.4g}" for x in xs) + "]"


# --- the formulas (value, gradient w.r.t. each prediction) -------------------------------------


def mse(preds, targets):
    n = len(preds)
    value = sum((p - t) ** 2 for p, t in zip(preds, targets)) / n
    return value, [2 * (p - t) / n for p, t in zip(preds, targets)]


def hinge(scores, labels):
    n = len(scores)
    value = sum(max(0.0, 1 - y * s) for s, y in zip(scores, labels)) / n
    return value, [(-y / n if 1 - y * s > 0 else 0.0) for s, y in zip(scores, labels)]


def bce(probs, labels):
    n = len(probs)
    value = -sum(y * math.log(p) + (1 - y) * math.log(1 - p) for p, y in zip(probs, labels)) / n
    return value, [-(y / p - (1 - y) / (1 - p)) / n for p, y in zip(probs, labels)]


def l2(params, alpha):
    return alpha * sum(p * p for p in params), [2 * alpha * p for p in params]


# --- random inputs within the safe domains of design.md ----------------------------------------


def mse_inputs(rng):
    n = rng.randint(3, 8)
    preds = [rng.uniform(-2, 2) for _ in range(n)]
    # Targets are plain numbers, sometimes ints.
    targets = [rng.choice([rng.uniform(-2, 2), rng.randint(-2, 2)]) for _ in range(n)]
    return preds, targets


def hinge_inputs(rng):
    """Labels ±1; scores on both sides of the margin, 1 - y·s never within 0.01 of 0 (the kink)."""
    n = rng.randint(4, 8)
    labels = [rng.choice([-1, 1]) for _ in range(n)]
    margins = [rng.choice([-1, 1]) * rng.uniform(0.05, 1.5) for _ in range(n)]
    margins[0], margins[1] = abs(margins[0]), -abs(margins[1])  # one active, one inactive term
    scores = [y * (1 - m) for y, m in zip(labels, margins)]  # so that 1 - y·s == m
    return scores, labels


def bce_inputs(rng):
    n = rng.randint(3, 8)
    # Labels are numbers 0 and 1, ints or floats (train() passes (y + 1) / 2, floats).
    labels = [rng.choice([0, 1, 0.0, 1.0]) for _ in range(n)]
    labels[0], labels[1] = 0, 1.0
    return [rng.uniform(0.05, 0.95) for _ in range(n)], labels


LOSSES = {
    # name: (random inputs, formula, what its second argument is called)
    "mse_loss": (mse_inputs, mse, "targets"),
    "hinge_loss": (hinge_inputs, hinge, "labels"),
    "binary_cross_entropy": (bce_inputs, bce, "labels"),
}
FIRST = {"mse_loss": "preds", "hinge_loss": "scores", "binary_cross_entropy": "probs"}


def call_loss(student, name, first, second):
    reply = student.call("losses.loss", name=name, preds=first, targets=second)
    return as_record(reply, ("data", "grads"), f"{name}")


def loss_case(name, rng):
    make_inputs, formula, second_name = LOSSES[name]
    first, second = make_inputs(rng)
    value, grads = formula(first, second)
    call = f"{name}({FIRST[name]}={short(first)}, {second_name}={short(second)})"
    return first, second, value, grads, call


# The lesson.toml part of each loss.
PART = {"mse_loss": "mse", "hinge_loss": "hinge", "binary_cross_entropy": "binary_cross_entropy"}


def loss_params(points):
    return [
        pytest.param(
            name,
            id=name,
            marks=[
                pytest.mark.points(points[name]),
                pytest.mark.uses(f"losses.{name}"),
                pytest.mark.part(PART[name]),
            ],
        )
        for name in LOSSES
    ]


@pytest.mark.parametrize(
    "name", loss_params({"mse_loss": 1, "hinge_loss": 1, "binary_cross_entropy": 1.5})
)
def test_loss_value(student, rng, name):
    """{param}: the value of the loss"""
    for _ in range(ROUNDS):
        first, second, value, _, call = loss_case(name, rng)
        reply = call_loss(student, name, first, second)
        assert_close(reply["data"], value, f"{call}.data")


@pytest.mark.parametrize(
    "name", loss_params({"mse_loss": 1.5, "hinge_loss": 1.5, "binary_cross_entropy": 1.5})
)
def test_loss_gradients(student, rng, name):
    """{param}: gradients with respect to the predictions"""
    for _ in range(ROUNDS):
        first, second, _, grads, call = loss_case(name, rng)
        reply = call_loss(student, name, first, second)
        assert_all_close(
            reply["grads"],
            grads,
            f"after {call}.backward()",
            labels=[f"{FIRST[name]}[{i}].grad" for i in range(len(grads))],
        )


def l2_case(rng):
    params = [rng.uniform(-2, 2) for _ in range(rng.randint(3, 8))]
    alpha = rng.choice([1e-3, 0.01, 0.1, 0.5])
    return params, alpha, f"l2_regularization(params={short(params)}, alpha={alpha:g})"


@pytest.mark.part("l2")
@pytest.mark.points(1)
@pytest.mark.uses("losses.l2_regularization")
def test_l2_value(student, rng):
    """l2_regularization: alpha times the sum of squares"""
    for _ in range(ROUNDS):
        params, alpha, call = l2_case(rng)
        reply = as_record(
            student.call("losses.l2", params=params, alpha=alpha),
            ("data", "grads"),
            "l2_regularization",
        )
        assert_close(reply["data"], l2(params, alpha)[0], f"{call}.data")


@pytest.mark.part("l2")
@pytest.mark.points(1)
@pytest.mark.uses("losses.l2_regularization")
def test_l2_gradients(student, rng):
    """l2_regularization: gradients with respect to the parameters"""
    for _ in range(ROUNDS):
        params, alpha, call = l2_case(rng)
        reply = as_record(
            student.call("losses.l2", params=params, alpha=alpha),
            ("data", "grads"),
            "l2_regularization",
        )
        assert_all_close(
            reply["grads"],
            l2(params, alpha)[1],
            f"after {call}.backward()",
            labels=[f"params[{i}].grad" for i in range(len(params))],
        )
