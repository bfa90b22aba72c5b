"""Lesson 6 — training on the moons

Public self-check with fixed seeds and a small data set. Passing it is a good sign; the grader
also checks the moons' geometry and noise, and trains on data you do not see.
"""

import math
import random
from types import SimpleNamespace

from words import expect_close

from micrograd.data import batches, make_moons, train_val_split
from micrograd.nn import MLP
from micrograd.optim import Adam
from micrograd.train import accuracy, train


def test_moons_without_noise_lie_on_the_arcs():
    """make_moons(8, noise=0): 4 points with label −1 on the unit circle's upper half, 4 with
    label +1 on the circle of radius 1 around (1, 0.5), lower half."""
    X, y = make_moons(8, noise=0.0)
    assert len(X) == 8 and sorted(y) == [-1] * 4 + [1] * 4
    for (x1, x2), label in zip(X, y):
        if label == -1:
            assert math.isclose(x1**2 + x2**2, 1.0) and x2 >= -1e-12
        else:
            assert math.isclose((x1 - 1) ** 2 + (x2 - 0.5) ** 2, 1.0) and x2 <= 0.5 + 1e-12


def test_split_and_batches():
    """10 points, val_fraction 0.2: 8 for training, 2 for validation, together all 10.
    The first 8 points in batches of 3 without shuffling: sizes 3, 3, 2, in the original order."""
    X = [[float(i), 0.0] for i in range(10)]
    y = [1 if i % 2 else -1 for i in range(10)]
    X_train, y_train, X_val, y_val = train_val_split(X, y, val_fraction=0.2, seed=0)
    assert len(X_train) == len(y_train) == 8 and len(X_val) == len(y_val) == 2
    assert sorted(x[0] for x in X_train + X_val) == [float(i) for i in range(10)]
    pairs = list(batches(X[:8], y[:8], 3, shuffle=False))
    assert [len(xb) for xb, _ in pairs] == [3, 3, 2]
    assert [x for xb, _ in pairs for x in xb] == X[:8] and [t for _, yb in pairs for t in yb] == y[
        :8
    ]


def test_accuracy():
    """A 'model' that scores x by its first coordinate: scores 1, −1, 2, −3 against labels
    1, 1, 1, −1 are right 3 times out of 4."""

    def model(x):
        return SimpleNamespace(data=x[0])

    got = accuracy(model, [[1.0], [-1.0], [2.0], [-3.0]], [1, 1, 1, -1])
    expect_close(got, 0.75, "accuracy(scores 1, -1, 2, -3; labels 1, 1, 1, -1)")


def test_training_learns_the_moons():
    """MLP(2, [8, 8, 1]) with Adam(lr=0.05), hinge loss, 30 epochs of batches of 16 on 100 moons:
    one history entry per epoch and at least 85 % validation accuracy."""
    X, y = make_moons(100, noise=0.1, seed=0)
    X_train, y_train, X_val, y_val = train_val_split(X, y, val_fraction=0.2, seed=0)
    random.seed(0)
    model = MLP(2, [8, 8, 1])
    history = train(
        model,
        Adam(model.parameters(), lr=0.05),
        X_train,
        y_train,
        X_val,
        y_val,
        epochs=30,
        batch_size=16,
    )
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_accuracy) == 30
    assert history.val_loss[history.best_epoch] == history.best_val_loss == min(history.val_loss)
    assert history.val_accuracy[-1] >= 0.85
    assert math.isclose(accuracy(model, X_val, y_val), history.val_accuracy[-1])
