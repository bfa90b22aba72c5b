"""Lesson 4 — losses: one number that says how wrong the model is.

Each loss is built from Value operations, so `loss.backward()` tells every weight which way to
move to make the model less wrong.
"""

from .engine import Value


def mse_loss(preds, targets):
    """Mean squared error: mean((pred - target)²)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def hinge_loss(scores, labels):
    """Max-margin loss for labels ±1: mean(relu(1 - y·s)). Zero once every point is on the
    right side of the boundary with a margin of at least 1."""
    # YOUR CODE HERE
    raise NotImplementedError()


def l2_regularization(parameters, alpha):
    """alpha · Σ p²: penalises large weights, which keeps the decision boundary smooth."""
    # YOUR CODE HERE
    raise NotImplementedError()


def binary_cross_entropy(probs, labels):
    """Mean of -(y·log p + (1 - y)·log(1 - p)) for probabilities p in (0, 1) and labels 0/1."""
    # YOUR CODE HERE
    raise NotImplementedError()
