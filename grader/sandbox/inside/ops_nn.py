"""Worker requests for lesson 3 (micrograd/nn.py). Stdlib only; runs in the worker.

Models are described by specs (specs.build_model); the grader sets every weight through the
student's parameters(), so outputs and gradients are comparable with the reference.
"""

import random

from . import specs


def _model(model):
    import micrograd.nn as nn

    return specs.build_model(model, nn)


def _labels(model, built):
    """id(parameter) -> where it lives: 'w2' / 'b' (neuron), 'n1.w0' (layer), 'l0.n1.b' (MLP)."""

    def neuron(n, prefix):
        found = {id(w): f"{prefix}w{k}" for k, w in enumerate(n.w)}
        found[id(n.b)] = f"{prefix}b"
        return found

    def layer(layer_, prefix):
        found = {}
        for j, n in enumerate(layer_.neurons):
            found.update(neuron(n, f"{prefix}n{j}."))
        return found

    if model["kind"] == "neuron":
        return neuron(built, "")
    if model["kind"] == "layer":
        return layer(built, "")
    found = {}
    for i, one_layer in enumerate(built.layers):
        found.update(layer(one_layer, f"l{i}."))
    return found


def parameters(model):
    """Where each object parameters() returns lives in the model ('?' if nowhere)."""
    built = _model(model)
    labels = _labels(model, built)
    return [labels.get(id(p), "?") for p in built.parameters()]


def forward(model, weights, inputs):
    """Set the weights through parameters(), then run every input vector."""
    built = _model(model)
    params = list(built.parameters())
    if len(params) != len(weights):
        return {"count": len(params), "outputs": None}
    specs.set_weights(params, weights)
    return {"count": len(params), "outputs": [specs.output_data(built(x)) for x in inputs]}


def backward(model, weights, inputs, coefficients, zero_grad=False):
    """loss = sum over inputs and outputs of coefficient * output; loss.backward(); report
    the gradient of every parameter (after model.zero_grad() if asked)."""
    built = _model(model)
    params = list(built.parameters())
    if len(params) != len(weights):
        return {"count": len(params), "grads": None}
    specs.set_weights(params, weights)
    loss = None
    k = 0
    for x in inputs:
        out = built(x)
        for v in out if isinstance(out, (list, tuple)) else [out]:
            term = v * coefficients[k % len(coefficients)]
            loss = term if loss is None else loss + term
            k += 1
    loss.backward()
    if zero_grad:
        built.zero_grad()
    return {"count": len(params), "grads": [p.grad for p in params]}


def initial(model, seed):
    """Weights and biases of a fresh model after random.seed(seed), twice (reproducibility)."""
    runs = []
    for _ in range(2):
        random.seed(seed)
        built = _model(model)
        labels = _labels(model, built)
        runs.append(
            [
                [labels[id(p)], p.data] if id(p) in labels else ["?", p.data]
                for p in built.parameters()
            ]
        )
    return runs


OPS = {
    "nn.parameters": parameters,
    "nn.forward": forward,
    "nn.backward": backward,
    "nn.initial": initial,
}
