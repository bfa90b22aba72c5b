"""The student API's MLP in plain floats, to judge a trained model on the trusted side.

A worker returns a trained model as its parameters: plain numbers in the API's order
(`MLP.parameters()`: layers in order, in each layer its neurons in order, each neuron's
`w + [b]`). This module computes what that model predicts and what the training objective is
at those parameters, without any code from the worker and without Value graphs: hidden layers
use tanh, the last layer is linear (design.md, lesson 3). The losses are those of `train`
(design.md, lesson 6): 'hinge', 'mse' against ±1, 'bce' on sigmoid(score) against (y + 1)/2,
each a mean over the points, plus alpha·Σp² over every parameter.
"""

from __future__ import annotations

import math


def n_parameters(nin: int, nouts) -> int:
    sizes = [nin, *nouts]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def layers(params, nin: int, nouts) -> list[list[tuple[list[float], float]]]:
    """The flat parameter list as layers of neurons (w, b), in the API's order."""
    if len(params) != n_parameters(nin, nouts):
        raise ValueError(
            f"MLP({nin}, {list(nouts)}) has {n_parameters(nin, nouts)} parameters, "
            f"not {len(params)}"
        )
    out, i, width = [], 0, nin
    for nout in nouts:
        layer = []
        for _ in range(nout):
            layer.append((list(params[i : i + width]), params[i + width]))
            i += width + 1
        out.append(layer)
        width = nout
    return out


def score(net, x) -> float:
    """The output of an MLP given as `layers(...)` for the point x."""
    last = len(net) - 1
    for depth, layer in enumerate(net):
        acts = [b + sum(wi * xi for wi, xi in zip(w, x)) for w, b in layer]
        x = acts if depth == last else [math.tanh(a) for a in acts]
    return x[0]


def scores(params, nouts, X) -> list[float]:
    net = layers(params, len(X[0]), nouts)
    return [score(net, x) for x in X]


def accuracy(scores_, y) -> float:
    """The fraction of points whose predicted class (score > 0 -> +1, else -1) is their label."""
    return sum((1 if s > 0 else -1) == label for s, label in zip(scores_, y)) / len(y)


def softplus(x: float) -> float:
    """log(1 + e^x) = -log(sigmoid(-x)), without overflow: bce never raises here, even for
    scores a student's engine could not take the log of."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def data_loss(scores_, y, loss: str) -> float:
    n = len(y)
    if loss == "hinge":
        return sum(max(0.0, 1 - label * s) for s, label in zip(scores_, y)) / n
    if loss == "mse":
        return sum((s - label) ** 2 for s, label in zip(scores_, y)) / n
    if loss == "bce":
        # -(t·log p + (1 - t)·log(1 - p)) with p = sigmoid(s), t = (y + 1)/2
        return (
            sum(
                (label + 1) / 2 * softplus(-s) + (1 - label) / 2 * softplus(s)
                for s, label in zip(scores_, y)
            )
            / n
        )
    raise ValueError(f"unknown loss {loss!r}")


def objective(params, nouts, X, y, loss: str, alpha: float) -> float:
    """What `train` minimises, at these parameters: the loss on (X, y) plus alpha·Σp²."""
    return data_loss(scores(params, nouts, X), y, loss) + alpha * sum(p * p for p in params)
