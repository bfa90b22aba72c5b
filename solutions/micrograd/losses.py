"""Lesson 4 — losses: one number that says how wrong the model is.

Each loss is built from Value operations, so `loss.backward()` tells every weight which way to
move to make the model less wrong. Every loss takes lists (predictions as Values, targets or
labels as Values or plain numbers), returns one Value, and is a mean over the points, not a sum.
"""

from .engine import Value


def mse_loss(preds, targets):
    """Mean squared error: mean((pred - target)²), one Value."""
    ### BEGIN SOLUTION
    total = sum(((p - t) ** 2 for p, t in zip(preds, targets)), Value(0.0))
    return total * (1.0 / len(preds))
    ### END SOLUTION


def hinge_loss(scores, labels):
    """Max-margin loss for labels ±1 (y is -1 or +1): mean(relu(1 - y·s)), one Value. Zero once
    every point is on the right side of the boundary with a margin of at least 1."""
    ### BEGIN SOLUTION
    total = sum(((1 - y * s).relu() for s, y in zip(scores, labels)), Value(0.0))
    return total * (1.0 / len(scores))
    ### END SOLUTION


def l2_regularization(parameters, alpha):
    """alpha · Σ p² (a sum over all parameters, not a mean), one Value: penalises large weights,
    which keeps the decision boundary smooth."""
    ### BEGIN SOLUTION
    return sum((p * p for p in parameters), Value(0.0)) * alpha
    ### END SOLUTION


def binary_cross_entropy(probs, labels):
    """Mean of -(y·log p + (1 - y)·log(1 - p)) for probabilities p in (0, 1) and labels 0/1
    (not ±1: train() maps a label y = ±1 to (y + 1) / 2), one Value."""
    ### BEGIN SOLUTION
    total = sum((y * p.log() + (1 - y) * (1 - p).log() for p, y in zip(probs, labels)), Value(0.0))
    return -total * (1.0 / len(probs))
    ### END SOLUTION
