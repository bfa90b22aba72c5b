"""Lesson 1 — derivatives: numerical_derivative, numerical_gradient, chain_rule.

Functions are random smooth expressions (polynomials, sin, cos, tanh, exp compositions) built
as specs; the worker turns them into Python callables for the student's code. Expected values:
the central-difference formula and exact derivatives (forward-mode on the spec), computed here.
"""

import math

import pytest

from grader.sandbox.inside.specs import eval_expr
from grader.suites.checks import as_list, assert_close

pytestmark = pytest.mark.lesson("derivatives")

UNARY = ("sin", "cos", "tanh", "exp", "square", "cube")


def random_term(rng, nvars):
    """c * u(a * x_i + b) for a random smooth u; exp gets a small slope to stay tame."""
    kind = rng.choice(UNARY)
    slope = round(rng.uniform(0.2, 0.6) if kind == "exp" else rng.uniform(-1.5, 1.5), 3) or 0.5
    inner = [
        "add",
        ["mul", ["c", slope], ["x", rng.randrange(nvars)]],
        ["c", round(rng.uniform(-1, 1), 3)],
    ]
    if kind in ("square", "cube"):
        outer = ["pow", inner, 2 if kind == "square" else 3]
    else:
        outer = [kind, inner]
    return ["mul", ["c", round(rng.uniform(-3, 3), 3) or 1.0], outer]


def random_function(rng, nvars=1):
    """A sum of 2-3 terms times (1 + another term): a composition with real curvature.
    Constants have 3 decimals, so the messages show the function exactly."""
    expr = random_term(rng, nvars)
    for _ in range(rng.randint(1, 2)):
        expr = ["add", expr, random_term(rng, nvars)]
    return ["mul", expr, ["add", ["c", 1.0], random_term(rng, nvars)]]


def dual(expr, xs, i):
    """(value, exact partial derivative w.r.t. x_i) of an expression: forward-mode AD."""
    kind = expr[0]
    if kind == "x":
        return xs[expr[1]], float(expr[1] == i)
    if kind == "c":
        return expr[1], 0.0
    if kind == "pow":
        u, du = dual(expr[1], xs, i)
        n = expr[2]
        return u**n, n * u ** (n - 1) * du
    if kind in ("sin", "cos", "tanh", "exp"):
        u, du = dual(expr[1], xs, i)
        value = getattr(math, kind)(u)
        slope = {"sin": math.cos(u), "cos": -math.sin(u), "tanh": 1 - value**2, "exp": value}[kind]
        return value, slope * du
    (u, du), (v, dv) = dual(expr[1], xs, i), dual(expr[2], xs, i)
    if kind == "add":
        return u + v, du + dv
    if kind == "sub":
        return u - v, du - dv
    if kind == "mul":
        return u * v, du * v + u * dv
    return u / v, (du * v - u * dv) / v**2


def show(expr, names="x"):
    """The expression as Python, for messages: 'f(x) = 2.1 * sin(0.4 * x + 0.2) + ...'."""
    kind = expr[0]
    if kind == "x":
        return names if len(names) == 1 and expr[1] == 0 else f"x{expr[1]}"
    if kind == "c":
        return repr(expr[1])  # constants have 3 decimals: shown exactly
    if kind == "pow":
        return f"({show(expr[1], names)})**{expr[2]}"
    if kind in ("sin", "cos", "tanh", "exp"):
        return f"{kind}({show(expr[1], names)})"
    symbol = {"add": "+", "sub": "-", "mul": "*", "truediv": "/"}[kind]
    return f"({show(expr[1], names)} {symbol} {show(expr[2], names)})"


def central(expr, xs, i, h):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (eval_expr(expr, up) - eval_expr(expr, down)) / (2 * h)


@pytest.mark.part("numerical_derivative")
@pytest.mark.points(3)
@pytest.mark.uses("derivatives.numerical_derivative")
def test_numerical_derivative_formula(student, rng):
    """numerical_derivative: central difference with a given h"""
    for _ in range(5):
        expr, x = random_function(rng), round(rng.uniform(-2, 2), 3)
        h = rng.choice([1e-2, 1e-3, 0.05])
        got = student.call("derivatives.derivative", expr=expr, x=x, h=h)
        assert_close(
            got,
            central(expr, [x], 0, h),
            f"f(x) = {show(expr)}: numerical_derivative(f, {x!r}, h={h:g}) "
            "should be (f(x+h) - f(x-h)) / 2h",
        )


@pytest.mark.part("numerical_derivative")
@pytest.mark.points(2)
@pytest.mark.uses("derivatives.numerical_derivative")
def test_numerical_derivative_default_h(student, rng):
    """numerical_derivative: accurate with the default h"""
    for _ in range(5):
        expr, x = random_function(rng), round(rng.uniform(-2, 2), 3)
        got = student.call("derivatives.derivative", expr=expr, x=x)
        assert_close(
            got,
            dual(expr, [x], 0)[1],
            f"f(x) = {show(expr)}: numerical_derivative(f, {x!r}) vs the exact derivative",
        )


@pytest.mark.part("numerical_gradient")
@pytest.mark.points(2)
@pytest.mark.uses("derivatives.numerical_gradient")
def test_numerical_gradient_formula(student, rng):
    """numerical_gradient: one central difference per input"""
    for _ in range(4):
        n = rng.randint(2, 5)
        expr, h = random_function(rng, n), 1e-3
        xs = [round(rng.uniform(-2, 2), 3) for _ in range(n)]
        got = as_list(
            student.call("derivatives.gradient", expr=expr, xs=xs, h=h),
            n,
            f"numerical_gradient of a function of {n} inputs",
        )
        for i in range(n):
            assert_close(
                got[i],
                central(expr, xs, i, h),
                f"f = {show(expr, 'xs')}: numerical_gradient(f, {xs}, h={h:g}), partial {i}",
            )


@pytest.mark.part("numerical_gradient")
@pytest.mark.points(1)
@pytest.mark.uses("derivatives.numerical_gradient")
def test_numerical_gradient_default_h(student, rng):
    """numerical_gradient: accurate with the default h"""
    n = rng.randint(2, 5)
    expr, xs = random_function(rng, n), [round(rng.uniform(-2, 2), 3) for _ in range(n)]
    got = as_list(
        student.call("derivatives.gradient", expr=expr, xs=xs),
        n,
        f"numerical_gradient of a function of {n} inputs",
    )
    for i in range(n):
        assert_close(
            got[i],
            dual(expr, xs, i)[1],
            f"f = {show(expr, 'xs')}: numerical_gradient(f, {xs}), partial {i} vs exact",
        )


@pytest.mark.part("chain_rule")
@pytest.mark.points(2)
@pytest.mark.uses("derivatives.chain_rule")
def test_chain_rule(student, rng):
    """chain_rule: returns x -> df(g(x)) * dg(x)"""
    for _ in range(3):
        df, g, dg = random_function(rng), random_function(rng), random_function(rng)
        xs = [round(rng.uniform(-1.5, 1.5), 3) for _ in range(4)]
        got = as_list(
            student.call("derivatives.chain", df=df, g=g, dg=dg, xs=xs),
            len(xs),
            "the values of the function chain_rule returned",
        )
        for x, value in zip(xs, got):
            expected = eval_expr(df, [eval_expr(g, [x])]) * eval_expr(dg, [x])
            assert_close(
                value,
                expected,
                f"df(u) = {show(df, 'u')}, g(x) = {show(g)}, "
                f"dg(x) = {show(dg)}: chain_rule(df, g, dg)({x!r})",
            )
