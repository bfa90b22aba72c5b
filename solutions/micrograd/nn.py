"""Lesson 3 — building a neural network out of Values.

A neuron computes act(w · x + b); a layer is a list of neurons that see the same inputs; an MLP
is a stack of layers. Because every weight is a Value, one `backward()` on the loss gives the
gradient of every weight, and training is just nudging each weight against its gradient.
"""

import random

from .engine import Value

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


class Module:
    """Anything with parameters."""

    def parameters(self):
        return []

    def zero_grad(self):
        """Reset the gradients: backward() accumulates, so each step must start from zero."""
        ### BEGIN SOLUTION
        for p in self.parameters():
            p.grad = 0.0
        ### END SOLUTION


class Neuron(Module):
    """act(w · x + b) with weights uniform in (-1, 1) and a bias starting at 0."""

    def __init__(self, nin, activation="tanh"):
        ### BEGIN SOLUTION
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        ### END SOLUTION

    def __call__(self, x):
        ### BEGIN SOLUTION
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()  # act.tanh(), act.relu() or act.sigmoid()
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        return self.w + [self.b]
        ### END SOLUTION

    def __repr__(self):
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons, each seeing all nin inputs."""

    def __init__(self, nin, nout, **kwargs):
        ### BEGIN SOLUTION
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        ### END SOLUTION

    def __call__(self, x):
        """A list of outputs, or a single Value when the layer has one neuron."""
        ### BEGIN SOLUTION
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        return [p for n in self.neurons for p in n.parameters()]
        ### END SOLUTION

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear."""

    def __init__(self, nin, nouts, activation="tanh"):
        ### BEGIN SOLUTION
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation="linear" if i == last else activation)
            for i in range(len(nouts))
        ]
        ### END SOLUTION

    def __call__(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            # A layer of width 1 returns a single Value; the next layer wants a list of inputs.
            x = layer(x if isinstance(x, (list, tuple)) else [x])
        return x
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
