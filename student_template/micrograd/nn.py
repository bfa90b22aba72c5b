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
        # YOUR CODE HERE
        raise NotImplementedError()


class Neuron(Module):
    """act(w · x + b) with weights uniform in (-1, 1) and a bias starting at 0."""

    def __init__(self, nin, activation="tanh"):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons, each seeing all nin inputs."""

    def __init__(self, nin, nout, **kwargs):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        """A list of outputs, or a single Value when the layer has one neuron."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear."""

    def __init__(self, nin, nouts, activation="tanh"):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
