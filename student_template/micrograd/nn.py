"""Lesson 3 — building a neural network out of Values.

A neuron computes act(w · x + b); a layer is a list of neurons that see the same inputs; an MLP
is a stack of layers. Because every weight is a Value, one `backward()` on the loss gives the
gradient of every weight, and training is just nudging each weight against its gradient.
"""

import random

from .engine import Value

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


class Module:
    """Anything with parameters: parameters() returns them as a list of Values."""

    def parameters(self):
        return []

    def zero_grad(self):
        """Set the grad of every parameter to 0.0: backward() accumulates (+=), so each step
        must start from zero."""
        # YOUR CODE HERE
        raise NotImplementedError()


class Neuron(Module):
    """act(w · x + b) for nin inputs: `w` a list of nin Values, `b` one Value.

    Each weight starts at random.uniform(-1, 1), drawn from Python's global `random` module (so
    random.seed(...) before building reproduces a model); the bias starts at 0.0. `activation`
    is one of 'tanh' (the default), 'relu', 'sigmoid' or 'linear' (no squashing: act is the
    identity). Calling a neuron on a list of nin inputs returns one Value.
    """

    def __init__(self, nin, activation="tanh"):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        """w + [b]: the weights in order, then the bias."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons in `neurons`, each seeing all nin inputs; keyword arguments (activation=...)
    are passed on to every Neuron."""

    def __init__(self, nin, nout, **kwargs):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        """A list of outputs, or a single Value when the layer has one neuron."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        """The parameters of neurons[0], then of neurons[1], ... (each neuron's in its order)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear.

    MLP(2, [16, 16, 1]) takes 2 inputs, has two hidden layers of 16 neurons and one output
    neuron; the layers are in `layers`. `nouts` may be a list or a tuple, and a hidden layer of
    width 1 works (its single Value is passed on as a one-element list). With a last layer of
    width 1 the MLP returns a single Value, the score.
    """

    def __init__(self, nin, nouts, activation="tanh"):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self):
        """The parameters of layers[0], then of layers[1], ... (each layer's in its order)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
