"""Lesson 3 — building a neural network

Public self-check with fixed inputs. Passing it is a good sign; the grader also runs hidden
checks (other sizes, activations and weights).
"""

import math
import random

from words import expect_close

from micrograd.nn import MLP, Layer, Neuron


def test_neuron_with_the_worked_example_weights():
    """A tanh Neuron(2) with w = [−0.5, 0.1], b = 1.5813735870195432 on x = [2, 3] computes
    tanh(2·(−0.5) + 3·0.1 + 1.58137...) = 1/√2 — the neuron of lesson 2."""
    neuron = Neuron(2)
    assert len(neuron.w) == 2 and neuron.b.data == 0.0
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = -0.5, 0.1, 1.5813735870195432
    out = neuron([2.0, 3.0])
    expect_close(out.data, 1 / math.sqrt(2), "neuron([2.0, 3.0]).data")
    assert neuron.parameters() == neuron.w + [neuron.b]


def test_linear_neuron_and_layer_shapes():
    """A 'linear' neuron returns w·x + b unchanged; Layer(3, 4) gives 4 outputs and 16 parameters;
    Layer(3, 1) gives a single Value."""
    neuron = Neuron(2, activation="linear")
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.5, -2.0, 0.25
    expect_close(neuron([2.0, 1.0]).data, 1.5 * 2.0 - 2.0 * 1.0 + 0.25, "neuron([2.0, 1.0]).data")
    layer = Layer(3, 4)
    outs = layer([1.0, 2.0, 3.0])
    assert len(outs) == 4 and len(layer.parameters()) == 16
    single = Layer(3, 1)([1.0, 2.0, 3.0])
    assert not isinstance(single, (list, tuple)) and hasattr(single, "data")


def test_mlp_parameters_backward_and_zero_grad():
    """MLP(3, [4, 4, 1]) has 4·(3+1) + 4·(4+1) + 1·(4+1) = 41 parameters; one output Value whose
    backward() reaches every weight of the first layer; zero_grad() resets every grad to 0."""
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    assert len(model.layers) == 3 and len(model.parameters()) == 41
    out = model([2.0, 3.0, -1.0])
    out.backward()
    assert any(p.grad != 0 for p in model.layers[0].parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
