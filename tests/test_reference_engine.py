"""The reference engine's gradients agree with central finite differences."""

import math
import random

import pytest

H = 1e-5


def finite_difference(f, xs, i):
    up, down = list(xs), list(xs)
    up[i] += H
    down[i] -= H
    return (f(*up) - f(*down)) / (2 * H)


def relative_error(a, b):
    return abs(a - b) / max(1.0, abs(a), abs(b))


# Each op: how to apply it to Values, how to apply it to floats, and a safe input domain.
UNARY = {
    "tanh": (lambda v: v.tanh(), math.tanh, (-3, 3)),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x), (0.05, 3)),
    "relu_negative": (lambda v: v.relu(), lambda x: max(0.0, x), (-3, -0.05)),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), (-5, 5)),
    "exp": (lambda v: v.exp(), math.exp, (-3, 3)),
    "log": (lambda v: v.log(), math.log, (0.1, 5)),
    "neg": (lambda v: -v, lambda x: -x, (-3, 3)),
    "pow3": (lambda v: v**3, lambda x: x**3, (-2, 2)),
    "pow_half": (lambda v: v**0.5, lambda x: x**0.5, (0.1, 4)),
    "pow_minus2": (lambda v: v**-2, lambda x: x**-2, (0.5, 3)),
    "radd": (lambda v: 2.5 + v, lambda x: 2.5 + x, (-3, 3)),
    "rsub": (lambda v: 2.5 - v, lambda x: 2.5 - x, (-3, 3)),
    "rmul": (lambda v: 2.5 * v, lambda x: 2.5 * x, (-3, 3)),
    "rtruediv": (lambda v: 2.5 / v, lambda x: 2.5 / x, (0.5, 3)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_matches_finite_differences(reference, name):
    on_value, on_float, (lo, hi) = UNARY[name]
    rng = random.Random(name)
    for _ in range(5):
        x = rng.uniform(lo, hi)
        v = reference.engine.Value(x)
        out = on_value(v)
        out.backward()
        assert relative_error(out.data, on_float(x)) < 1e-12
        assert relative_error(v.grad, finite_difference(on_float, [x], 0)) < 1e-6, (name, x)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_matches_finite_differences(reference, name):
    on_value, on_float = BINARY[name]
    rng = random.Random(name)
    for _ in range(5):
        xs = [rng.uniform(0.5, 3) * rng.choice((-1, 1)) for _ in range(2)]
        a, b = (reference.engine.Value(x) for x in xs)
        out = on_value(a, b)
        out.backward()
        assert relative_error(out.data, on_float(*xs)) < 1e-12
        for i, leaf in enumerate((a, b)):
            assert relative_error(leaf.grad, finite_difference(on_float, xs, i)) < 1e-6, (name, xs)


def random_expression(rng, n_leaves, depth):
    """A random expression over leaves x0..x{n-1} as a nested tuple, kept in safe domains by
    only applying log/pow_half to exp(...) (always > 0)."""
    if depth == 0:
        return ("leaf", rng.randrange(n_leaves))
    kind = rng.choice(
        ["add", "sub", "mul", "truediv", "tanh", "sigmoid", "exp", "log", "pow2", "const"]
    )
    sub = random_expression(rng, n_leaves, depth - 1)
    if kind in ("add", "sub", "mul"):
        return (kind, sub, random_expression(rng, n_leaves, depth - 1))
    if kind == "truediv":  # denominator 1 + exp(...) > 1
        return (kind, sub, ("denominator", random_expression(rng, n_leaves, depth - 1)))
    if kind in ("log",):
        return (kind, ("positive", sub))
    if kind == "const":
        return ("const", rng.uniform(-2, 2), sub)
    return (kind, ("squash", sub)) if kind == "exp" else (kind, sub)


def evaluate(expr, leaves):
    """Evaluate the expression on Values or on floats alike."""
    kind = expr[0]
    if kind == "leaf":
        return leaves[expr[1]]
    if kind == "const":
        return expr[1] * evaluate(expr[2], leaves) - expr[1]
    args = [evaluate(e, leaves) for e in expr[1:]]
    if kind == "add":
        return args[0] + args[1]
    if kind == "sub":
        return args[0] - args[1]
    if kind == "mul":
        return args[0] * args[1]
    if kind == "truediv":
        return args[0] / args[1]
    if kind == "pow2":
        return args[0] ** 2
    x = args[0]
    is_value = not isinstance(x, float)
    if kind == "denominator":
        return 1 + (x.tanh().exp() if is_value else math.exp(math.tanh(x)))
    if kind == "positive":
        return 0.5 + (x.sigmoid() if is_value else 1 / (1 + math.exp(-x)))
    if kind == "squash":
        return x.tanh() if is_value else math.tanh(x)
    if is_value:
        return getattr(x, kind)()
    return {
        "tanh": math.tanh,
        "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
        "exp": math.exp,
        "log": math.log,
    }[kind](x)


@pytest.mark.parametrize("seed", range(20))
def test_random_composite_expressions_match_finite_differences(reference, seed):
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    expr = random_expression(rng, n, depth=4)
    xs = [rng.uniform(-1.5, 1.5) for _ in range(n)]
    leaves = [reference.engine.Value(x) for x in xs]
    out = evaluate(expr, leaves)  # every branch ends in a leaf, so out is a Value
    out.backward()
    f = lambda *values: evaluate(expr, list(values))  # noqa: E731
    assert relative_error(out.data, f(*xs)) < 1e-12
    for i, leaf in enumerate(leaves):
        assert relative_error(leaf.grad, finite_difference(f, xs, i)) < 1e-6, (seed, i)


def test_node_used_twice_accumulates(reference):
    a = reference.engine.Value(3.0)
    (a * a + a).backward()
    assert a.grad == pytest.approx(2 * 3.0 + 1)


def test_micrograd_readme_example(reference):
    Value = reference.engine.Value
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


def test_a_100000_node_chain_backpropagates(reference):
    x = reference.engine.Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**100_000, rel=1e-9)


def test_backward_seeds_the_output_gradient(reference):
    v = reference.engine.Value(1.5)
    out = v.tanh()
    out.backward()
    assert out.grad == 1.0
