"""Lesson 4 — losses: one number that says how wrong the model is.

Each loss is built from Value operations, so `loss.backward()` tells every weight which way to
move to make the model less wrong. Every loss takes lists (predictions as Values, targets or
labels as Values or plain numbers), returns one Value, and is a mean over the points, not a sum.
"""

from .engine import Value


def mse_loss(preds, targets):
    """Mean squared error: mean((pred - target)²), one Value."""
    # YOUR CODE HERE
    raise NotImplementedError()


def hinge_loss(scores, labels):
    """Max-margin loss for labels ±1 (y is -1 or +1): mean(relu(1 - y·s)), one Value. Zero once
    every point is on the right side of the boundary with a margin of at least 1."""
    # YOUR CODE HERE
    raise NotImplementedError()


def l2_regularization(parameters, alpha):
    """alpha · Σ p² (a sum over all parameters, not a mean), one Value: penalises large weights,
    which keeps the decision boundary smooth."""
    # YOUR CODE HERE
    raise NotImplementedError()


def binary_cross_entropy(probs, labels):
    """Mean of -(y·log p + (1 - y)·log(1 - p)) for probabilities p in (0, 1) and labels 0/1
    (not ±1: train() maps a label y = ±1 to (y + 1) / 2), one Value."""
    # YOUR CODE HERE
    raise NotImplementedError()
