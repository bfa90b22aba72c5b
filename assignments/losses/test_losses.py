"""Lesson 4 — losses

Public self-check: losses small enough to compute by hand. Passing it is a good sign; the
grader also runs hidden checks on random inputs.
"""

import math

from words import expect_close

from micrograd.engine import Value
from micrograd.losses import binary_cross_entropy, hinge_loss, l2_regularization, mse_loss


def test_mse_by_hand():
    """preds 1, 2 against targets 0, 4: ((1−0)² + (2−4)²)/2 = 2.5; d/dpred = (pred − target)."""
    preds = [Value(1.0), Value(2.0)]
    loss = mse_loss(preds, [0.0, 4.0])
    loss.backward()
    expect_close(loss.data, 2.5, "mse_loss([1, 2], [0, 4]).data")
    expect_close(preds[0].grad, 1.0, "mse_loss([1, 2], [0, 4]).backward(): preds[0].grad")
    expect_close(preds[1].grad, -2.0, "mse_loss([1, 2], [0, 4]).backward(): preds[1].grad")


def test_hinge_by_hand():
    """scores 2, −0.5, 0.5 with labels +1, +1, −1: relu(1−2) = 0, relu(1+0.5) = 1.5,
    relu(1+0.5) = 1.5, mean 1.0; the gradients are 0, −1/3, +1/3."""
    scores = [Value(2.0), Value(-0.5), Value(0.5)]
    loss = hinge_loss(scores, [1, 1, -1])
    loss.backward()
    expect_close(loss.data, 1.0, "hinge_loss([2, -0.5, 0.5], [1, 1, -1]).data")
    for i, expected in enumerate([0.0, -1 / 3, 1 / 3]):
        expect_close(scores[i].grad, expected, f"hinge_loss(...).backward(): scores[{i}].grad")


def test_l2_by_hand():
    """alpha = 0.1 on parameters 1 and −2: 0.1·(1 + 4) = 0.5; d/dp = 2·alpha·p = 0.2 and −0.4."""
    params = [Value(1.0), Value(-2.0)]
    loss = l2_regularization(params, 0.1)
    loss.backward()
    expect_close(loss.data, 0.5, "l2_regularization([1, -2], 0.1).data")
    expect_close(params[0].grad, 0.2, "l2_regularization(...).backward(): params[0].grad")
    expect_close(params[1].grad, -0.4, "l2_regularization(...).backward(): params[1].grad")


def test_binary_cross_entropy_by_hand():
    """p = 0.9 for label 1 and p = 0.2 for label 0: −(log 0.9 + log 0.8)/2 = 0.16425;
    d/dp = −1/(0.9·2) for the first and 1/(0.8·2) for the second."""
    probs = [Value(0.9), Value(0.2)]
    loss = binary_cross_entropy(probs, [1, 0])
    loss.backward()
    bce = "binary_cross_entropy([0.9, 0.2], [1, 0])"
    expect_close(loss.data, -(math.log(0.9) + math.log(0.8)) / 2, f"{bce}.data")
    expect_close(probs[0].grad, -1 / 1.8, f"{bce}.backward(): probs[0].grad")
    expect_close(probs[1].grad, 1 / 1.6, f"{bce}.backward(): probs[1].grad")
