"""Lesson 4: loss functions. Each takes lists and returns a Value."""
from .engine import Value


def _mean(terms):
    terms = list(terms)
    return sum(terms, Value(0.0)) * (1.0 / len(terms))


def mse_loss(preds, targets):
    return _mean((p - t) ** 2 for p, t in zip(preds, targets))


def hinge_loss(scores, labels):
    return _mean((1 + -y * s).relu() for s, y in zip(scores, labels))


def l2_regularization(parameters, alpha):
    return alpha * sum((p * p for p in parameters), Value(0.0))


def binary_cross_entropy(probs, labels):
    return -_mean(y * p.log() + (1 - y) * (1 - p).log() for p, y in zip(probs, labels))
