"""Lesson 3 — neural networks: Neuron, Layer, MLP on top of the reference engine.

The grader sets every weight through the student's parameters() (order fixed by the design:
Neuron w + [b], Layer and MLP concatenate), so outputs and gradients can be compared with the
reference model given the same weights. relu models are drawn so that every pre-activation is
at least 0.01 away from 0.
"""

import math

import pytest

from grader.sandbox.inside.specs import build_model, output_data, set_weights
from grader.suites.checks import (
    CheckFailed,
    as_float,
    as_floats,
    as_list,
    as_record,
    assert_close,
    check,
    describe,
)

pytestmark = pytest.mark.lesson("nn")

# The classes a model of each kind is made of (an MLP holds Layers, a Layer holds Neurons).
CLASSES = {"neuron": ("Neuron",), "layer": ("Layer", "Neuron"), "mlp": ("MLP", "Layer", "Neuron")}


def uses(kinds, *methods, also=()):
    """The `uses` marker: the classes of these model kinds and the named methods of each."""
    classes = sorted({c for kind in kinds for c in CLASSES[kind]})
    names = [f"nn.{c}" for c in classes] + [f"nn.{c}.{m}" for c in classes for m in methods]
    return pytest.mark.uses(*names, *also)


def render(spec):
    act = f", activation={spec['activation']!r}" if spec.get("activation") else ""
    if spec["kind"] == "neuron":
        return f"Neuron({spec['nin']}{act})"
    if spec["kind"] == "layer":
        return f"Layer({spec['nin']}, {spec['nout']}{act})"
    nouts = tuple(spec["nouts"]) if spec.get("tuple") else list(spec["nouts"])
    return f"MLP({spec['nin']}, {nouts}{act})"


def widths(spec):
    """[(nin, nout, activation)] per layer, as the design fixes them."""
    act = spec.get("activation") or "tanh"
    if spec["kind"] == "neuron":
        return [(spec["nin"], 1, act)]
    if spec["kind"] == "layer":
        return [(spec["nin"], spec["nout"], act)]
    sizes = [spec["nin"]] + list(spec["nouts"])
    last = len(spec["nouts"]) - 1
    return [(sizes[i], sizes[i + 1], "linear" if i == last else act) for i in range(last + 1)]


def count(spec):
    return sum(nout * (nin + 1) for nin, nout, _ in widths(spec))


def labels(spec):
    """The expected parameters() order, as the worker names the parameters."""
    layers = widths(spec)
    names = []
    for i, (nin, nout, _) in enumerate(layers):
        for j in range(nout):
            prefix = {"neuron": "", "layer": f"n{j}."}.get(spec["kind"], f"l{i}.n{j}.")
            names += [f"{prefix}w{k}" for k in range(nin)] + [f"{prefix}b"]
    return names


def relu_margin(spec, weights, x):
    """Smallest |pre-activation| of any relu neuron on input x (plain floats)."""
    smallest, k = float("inf"), 0
    for nin, nout, act in widths(spec):
        outs = []
        for _ in range(nout):
            pre = sum(w * xi for w, xi in zip(weights[k : k + nin], x)) + weights[k + nin]
            k += nin + 1
            if act == "relu":
                smallest = min(smallest, abs(pre))
                pre = max(pre, 0.0)
            elif act == "tanh":
                pre = math.tanh(pre)
            elif act == "sigmoid":
                pre = 1 / (1 + math.exp(-pre))
            outs.append(pre)
        x = outs
    return smallest


def draw(rng, spec, n_inputs=3):
    """Weights and inputs for spec; relu neurons kept away from their kink."""
    while True:
        weights = [round(rng.uniform(-1.5, 1.5), 3) for _ in range(count(spec))]
        inputs = [
            [round(rng.uniform(-2, 2), 3) for _ in range(spec["nin"])] for _ in range(n_inputs)
        ]
        if all(relu_margin(spec, weights, x) >= 0.01 for x in inputs):
            return weights, inputs


def reference_model(reference, spec, weights):
    model = build_model(spec, reference.nn)
    set_weights(model.parameters(), weights)
    return model


def check_forward(student, reference, spec, weights, inputs):
    reply = as_record(
        student.call("nn.forward", model=spec, weights=weights, inputs=inputs),
        ("count", "outputs"),
        f"running {render(spec)}",
    )
    check(
        reply["count"] == count(spec),
        f"{render(spec)}.parameters() should return "
        f"{count(spec)} Values, got {describe(reply['count'])}",
    )
    model = reference_model(reference, spec, weights)
    outputs = as_list(reply["outputs"], len(inputs), f"outputs of {render(spec)}")
    for x, got in zip(inputs, outputs):
        kind, want = output_data(model(x))
        what = f"{render(spec)} with the grader's weights set through parameters(), input {x}"
        got = as_list(got, 2, what)
        if kind == "single":
            check(got[0] == "single", f"{what}: should return a single Value, got a list")
            assert_close(got[1], want, f"{what}: output")
        else:
            check(got[0] == "list", f"{what}: should return a list of {len(want)} Values")
            values = as_floats(got[1], len(want), f"{what}: outputs")
            for i, (g, w) in enumerate(zip(values, want)):
                assert_close(g, w, f"{what}: output {i}")


def random_sizes(rng):
    return rng.randint(2, 4), rng.randint(2, 4)


@pytest.mark.part("layer")
@pytest.mark.points(1.5)
@uses(CLASSES, "parameters")
def test_parameter_count(student, rng):
    """parameters(): how many (Neuron, Layer, MLP)"""
    nin, nout = random_sizes(rng)
    for spec in (
        {"kind": "neuron", "nin": nin},
        {"kind": "layer", "nin": nin, "nout": nout},
        {"kind": "mlp", "nin": nin, "nouts": [nout, rng.randint(2, 5), 1]},
    ):
        got = as_list(
            student.call("nn.parameters", model=spec), None, f"{render(spec)}.parameters()"
        )
        check(
            len(got) == count(spec),
            f"{render(spec)}.parameters() should return {count(spec)} Values, got {len(got)}",
        )


@pytest.mark.part("mlp")
@pytest.mark.points(1.5)
@uses(CLASSES, "parameters")
def test_parameter_order(student, rng):
    """parameters(): order (w then b per neuron; neurons, then layers, in order)"""
    nin, nout = random_sizes(rng)
    for spec in (
        {"kind": "neuron", "nin": nin},
        {"kind": "layer", "nin": nin, "nout": nout},
        {"kind": "mlp", "nin": nin, "nouts": [nout, 2]},
    ):
        got = as_list(
            student.call("nn.parameters", model=spec), None, f"{render(spec)}.parameters()"
        )
        want = labels(spec)
        if got != want:
            hint = (
                "Neuron: w + [b]; Layer: its neurons' parameters in order; "
                "MLP: its layers' parameters in order"
            )
            raise CheckFailed(f"{render(spec)}.parameters() is not in the expected order ({hint})")


@pytest.mark.part("neuron")
@pytest.mark.points(1)
@uses(["neuron"], "parameters", "__call__")
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_neuron_forward(student, reference, rng, activation):
    """Neuron forward, activation {param}"""
    # tanh is the default: leave it out to check the default too.
    spec = {
        "kind": "neuron",
        "nin": rng.randint(2, 5),
        "activation": None if activation == "tanh" else activation,
    }
    check_forward(student, reference, spec, *draw(rng, spec))


@pytest.mark.part("layer")
@pytest.mark.points(1.5)
@uses(["layer"], "parameters", "__call__")
def test_layer_forward(student, reference, rng):
    """Layer forward: a list of outputs, a single Value when nout == 1"""
    for nout in (rng.randint(2, 4), 1):
        spec = {
            "kind": "layer",
            "nin": rng.randint(2, 4),
            "nout": nout,
            "activation": rng.choice(["tanh", "relu", "sigmoid"]),
        }
        check_forward(student, reference, spec, *draw(rng, spec))


@pytest.mark.part("mlp")
@pytest.mark.points(1.5)
@uses(["mlp"], "parameters", "__call__")
def test_mlp_forward(student, reference, rng):
    """MLP forward: tanh hidden layers, linear last layer"""
    spec = {"kind": "mlp", "nin": rng.randint(2, 3), "nouts": [4, 4, 1]}
    check_forward(student, reference, spec, *draw(rng, spec))


@pytest.mark.part("mlp")
@pytest.mark.points(1)
@uses(["mlp"], "parameters", "__call__")
def test_mlp_variants(student, reference, rng):
    """MLP forward: relu/sigmoid hidden layers, nouts as a tuple, width-1 hidden layer"""
    for spec in (
        {"kind": "mlp", "nin": 3, "nouts": [3, 2], "activation": "relu", "tuple": True},
        {"kind": "mlp", "nin": 2, "nouts": [1, 3], "activation": "sigmoid"},
    ):
        check_forward(student, reference, spec, *draw(rng, spec))


def grads_of(student, spec, weights, inputs, coefficients, zero_grad=False):
    reply = as_record(
        student.call(
            "nn.backward",
            model=spec,
            weights=weights,
            inputs=inputs,
            coefficients=coefficients,
            zero_grad=zero_grad,
        ),
        ("count", "grads"),
        f"backward through {render(spec)}",
    )
    check(
        reply["count"] == count(spec),
        f"{render(spec)}.parameters() should return "
        f"{count(spec)} Values, got {describe(reply['count'])}",
    )
    return as_floats(reply["grads"], count(spec), f"the parameters' grads of {render(spec)}")


@pytest.mark.part("mlp")
@pytest.mark.points(2)
@uses(["mlp"], "parameters", "__call__")
def test_gradients_reach_parameters(student, reference, rng):
    """gradients flow back to every parameter"""
    spec = {"kind": "mlp", "nin": 3, "nouts": [4, 3, 2], "activation": rng.choice(["tanh", "relu"])}
    weights, inputs = draw(rng, spec, n_inputs=2)
    coefficients = [round(rng.uniform(-2, 2), 3) for _ in range(4)]
    got = grads_of(student, spec, weights, inputs, coefficients)
    model = reference_model(reference, spec, weights)
    outs = [v for x in inputs for v in model(x)]
    loss = sum(v * coefficients[k % 4] for k, v in enumerate(outs))
    loss.backward()
    names = labels(spec)
    for name, g, p in zip(names, got, model.parameters()):
        assert_close(
            g,
            p.grad,
            f"{render(spec)}, loss = weighted sum of the outputs on inputs "
            f"{inputs}; loss.backward(): grad of parameter {name}",
        )


@pytest.mark.part("mlp")
@pytest.mark.points(1)
@uses(["mlp"], "parameters", "__call__", "zero_grad", also=["nn.Module.zero_grad"])
def test_zero_grad(student, rng):
    """zero_grad() resets every parameter's grad to 0"""
    spec = {"kind": "mlp", "nin": 2, "nouts": [3, 1]}
    weights, inputs = draw(rng, spec, n_inputs=2)
    got = grads_of(student, spec, weights, inputs, [1.0], zero_grad=True)
    for name, g in zip(labels(spec), got):
        assert_close(g, 0.0, f"{render(spec)}: after backward() and zero_grad(), grad of {name}")


@pytest.mark.part("neuron")
@pytest.mark.points(1)
@uses(["mlp"], "parameters")
def test_initialisation(student, rng):
    """fresh models: weights uniform in [-1, 1], biases 0, random.seed reproduces them"""
    spec = {"kind": "mlp", "nin": 3, "nouts": [4, 1]}
    seed = rng.randrange(10**6)
    runs = as_list(student.call("nn.initial", model=spec, seed=seed), 2, "building two models")
    first, second = (as_list(run, count(spec), f"{render(spec)}.parameters()") for run in runs)
    weights = []
    for item, item_again in zip(first, second):
        name, value = as_list(item, 2, "a parameter")
        name = str(name)[:40]  # worker-made label: untrusted text
        again = as_list(item_again, 2, "a parameter")[1]
        value = as_float(value, f"{render(spec)}: initial {name}")
        if name.endswith(".b"):
            assert_close(value, 0.0, f"{render(spec)}: bias {name} should start at 0")
        else:
            check(-1 <= value <= 1, f"{render(spec)}: weight {name} = {value:g} is outside [-1, 1]")
            weights.append(value)
        check(
            as_float(again, f"{render(spec)}: initial {name}") == value,
            f"{render(spec)}: after random.seed({seed}), two models should get the same weights",
        )
    check(
        len(set(weights)) > 1, f"{render(spec)}: the weights should be random, they are all equal"
    )
    # uniform(-1, 1): among 16 weights both signs (all of one sign: 2 in 65,536 correct runs).
    check(
        min(weights) < 0 < max(weights),
        f"{render(spec)}: the weights should be drawn from uniform(-1, 1), but they all have "
        f"the same sign",
    )
