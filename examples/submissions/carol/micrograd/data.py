"""Lesson 6: the two-moons data set, a train/validation split and mini-batches."""
import math
import random


def make_moons(n_samples=100, noise=0.1, seed=0):
    rng = random.Random(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer

    def angles(n):
        return [math.pi * i / (n - 1) if n > 1 else 0.0 for i in range(n)]

    points = [([math.cos(t), math.sin(t)], -1) for t in angles(n_outer)]
    points += [([1 - math.cos(t), 0.5 - math.sin(t)], 1) for t in angles(n_inner)]
    rng.shuffle(points)
    X = [[x1 + rng.gauss(0, noise), x2 + rng.gauss(0, noise)] if noise else [x1, x2]
         for (x1, x2), _ in points]
    y = [label for _, label in points]
    return X, y


def train_val_split(X, y, val_fraction=0.2, seed=0):
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    n_val = round(len(X) * val_fraction)
    val, train = order[:n_val], order[n_val:]
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in val], [y[i] for i in val]


def batches(X, y, batch_size, shuffle=True, seed=0):
    order = list(range(len(X)))
    if shuffle:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
