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
        ### BEGIN SOLUTION
        for p in self.parameters():
            p.grad = 0.0
        ### END SOLUTION


class Neuron(Module):
    """act(w · x + b) for nin inputs: `w` a list of nin Values, `b` one Value.

    Each weight starts at random.uniform(-1, 1), drawn from Python's global `random` module (so
    random.seed(...) before building reproduces a model); the bias starts at 0.0. `activation`
    is one of 'tanh' (the default), 'relu', 'sigmoid' or 'linear' (no squashing: act is the
    identity). Calling a neuron on a list of nin inputs returns one Value.
    """

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
        """w + [b]: the weights in order, then the bias."""
        ### BEGIN SOLUTION
        return self.w + [self.b]
        ### END SOLUTION

    def __repr__(self):
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons in `neurons`, each seeing all nin inputs; keyword arguments (activation=...)
    are passed on to every Neuron."""

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
        """The parameters of neurons[0], then of neurons[1], ... (each neuron's in its order)."""
        ### BEGIN SOLUTION
        return [p for n in self.neurons for p in n.parameters()]
        ### END SOLUTION

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
        """The parameters of layers[0], then of layers[1], ... (each layer's in its order)."""
        ### BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
