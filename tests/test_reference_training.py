"""The reference moons, split, batches and training loop."""

import math
import random

import pytest

from grader.lessons import lesson_by_id


def test_moons_without_noise_lie_exactly_on_the_two_arcs(reference):
    X, y = reference.data.make_moons(101, noise=0.0)
    assert len(X) == len(y) == 101
    assert y.count(-1) == 50 and y.count(1) == 51
    for (x1, x2), label in zip(X, y):
        if label == -1:  # outer arc (cos t, sin t)
            assert math.hypot(x1, x2) == pytest.approx(1.0, abs=1e-12) and x2 >= -1e-12
        else:  # inner arc (1 - cos t, 0.5 - sin t)
            assert (
                math.hypot(x1 - 1, x2 - 0.5) == pytest.approx(1.0, abs=1e-12) and x2 <= 0.5 + 1e-12
            )
    # t evenly spaced over [0, π]: both ends of each arc are present
    outer = sorted(x for x, label in zip(X, y) if label == -1)
    assert outer[0] == pytest.approx([-1.0, 0.0], abs=1e-12) and outer[-1] == pytest.approx(
        [1.0, 0.0], abs=1e-12
    )


def test_moons_noise_has_the_requested_spread(reference):
    clean, _ = reference.data.make_moons(4000, noise=0.0)
    noisy, _ = reference.data.make_moons(4000, noise=0.2, seed=3)
    deltas = [n[i] - c[i] for n, c in zip(noisy, clean) for i in (0, 1)]
    mean = sum(deltas) / len(deltas)
    std = math.sqrt(sum((d - mean) ** 2 for d in deltas) / len(deltas))
    assert abs(mean) < 0.01 and std == pytest.approx(0.2, rel=0.05)
    assert reference.data.make_moons(50, seed=7) == reference.data.make_moons(50, seed=7)
    assert reference.data.make_moons(50, seed=7) != reference.data.make_moons(50, seed=8)


def test_split_holds_back_the_rounded_fraction_and_partitions_the_data(reference):
    X, y = reference.data.make_moons(37)
    X_train, y_train, X_val, y_val = reference.data.train_val_split(X, y, val_fraction=0.3)
    assert len(X_val) == round(37 * 0.3) and len(X_train) == 37 - len(X_val)
    pairs = sorted(map(repr, zip(X_train + X_val, y_train + y_val)))
    assert pairs == sorted(map(repr, zip(X, y)))


def test_batches_cover_every_point_and_keep_a_smaller_last_batch(reference):
    X = [[float(i), 0.0] for i in range(10)]
    y = list(range(10))
    ordered = list(reference.data.batches(X, y, 4, shuffle=False))
    assert [yb for _, yb in ordered] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    shuffled = list(reference.data.batches(X, y, 4, shuffle=True, seed=1))
    assert sorted(i for _, yb in shuffled for i in yb) == y
    assert [len(yb) for _, yb in shuffled] == [4, 4, 2]


def test_reference_reaches_the_lesson_accuracy_on_the_moons(reference):
    s = lesson_by_id("training").extra["settings"]
    X, y = reference.data.make_moons(s["n_samples"], noise=s["noise"], seed=s["seed"])
    X_train, y_train, X_val, y_val = reference.data.train_val_split(
        X, y, s["val_fraction"], seed=s["seed"]
    )
    random.seed(s["seed"])
    model = reference.nn.MLP(2, [*s["hidden"], 1])
    optimizer = getattr(reference.optim, s["optimizer"])(model.parameters(), lr=s["lr"])
    history = reference.train.train(
        model,
        optimizer,
        X_train,
        y_train,
        X_val,
        y_val,
        s["epochs"],
        s["batch_size"],
        loss=s["loss"],
        alpha=s["alpha"],
    )
    assert (
        len(history.train_loss) == len(history.val_loss) == len(history.val_accuracy) == s["epochs"]
    )
    assert history.val_accuracy[-1] >= s["min_val_accuracy"]
    assert reference.train.accuracy(model, X_val, y_val) == history.val_accuracy[-1]
    assert history.best_val_loss == min(history.val_loss)
    assert history.best_epoch == history.val_loss.index(min(history.val_loss))
    assert history.train_loss[-1] < history.train_loss[0]


def test_momentum_and_adam_beat_sgd_in_the_benchmark(reference):
    X, y = reference.data.make_moons(100, noise=0.1)
    split = reference.data.train_val_split(X, y)
    rows = reference.train.benchmark_optimizers(*split, epochs=10)
    by_name = {row["optimizer"]: row for row in rows}
    assert list(by_name) == ["SGD", "Momentum", "Adam"]
    assert set(rows[0]) == {
        "optimizer",
        "final_train_loss",
        "final_val_loss",
        "best_val_loss",
        "best_epoch",
    }
    for better in ("Momentum", "Adam"):
        assert by_name[better]["final_train_loss"] < by_name["SGD"]["final_train_loss"]
