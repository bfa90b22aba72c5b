"""Lesson 6 (part 1) — the two-moons data, split and batched, in pure Python.

Two interleaving half circles: no straight line separates them, so a model needs a hidden layer
to classify them — the smallest interesting problem for a neural network.
"""

import math
import random


def _linspace(start, stop, n):
    """n evenly spaced numbers from start to stop inclusive."""
    if n == 1:
        return [start]
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def make_moons(n_samples=100, noise=0.1, seed=0):
    """The two-moons data set with scikit-learn's geometry.

    n // 2 points on the outer moon (cos t, sin t), label -1, and the rest on the inner moon
    (1 - cos t, 0.5 - sin t), label +1, with t evenly spaced over [0, π] on each moon (both
    ends included); then Gaussian noise of standard deviation `noise` on each coordinate.
    Returns (X, y): X a list of [x1, x2] lists of floats, y a list of ints -1/+1. Pure Python
    (math and random); the same seed gives the same data, another seed other noise.
    """
    ### BEGIN SOLUTION
    rng = random.Random(seed)  # our own generator: same seed, same data, global state untouched
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_outer)]
    X += [[1 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_inner)]
    y = [-1] * n_outer + [1] * n_inner
    X = [[x1 + rng.gauss(0, noise), x2 + rng.gauss(0, noise)] for x1, x2 in X]
    return X, y
    ### END SOLUTION


def train_val_split(X, y, val_fraction=0.2, seed=0):
    """Shuffle, then hold back round(n · val_fraction) points for validation.

    Returns (X_train, y_train, X_val, y_val), in that order: every point lands in exactly one
    of the two parts. The same seed gives the same split, another seed another one.
    """
    ### BEGIN SOLUTION
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    n_val = round(len(X) * val_fraction)
    val, train = order[:n_val], order[n_val:]
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in val], [y[i] for i in val]
    ### END SOLUTION


def batches(X, y, batch_size, shuffle=True, seed=0):
    """Yield (X_batch, y_batch) pairs of batch_size points; the last batch may be smaller (keep it).

    shuffle=False keeps the points in their order; shuffle=True shuffles them with `seed` (the same
    seed, the same order)."""
    ### BEGIN SOLUTION
    order = list(range(len(X)))
    if shuffle:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
    ### END SOLUTION
