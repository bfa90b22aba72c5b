"""Specs: requests describe functions and graphs as plain data, never as code.

Shared by both sides (stdlib only): the worker builds the student's objects from a spec, the
trusted side builds the same spec with plain floats or with the reference package to know the
expected answer. Nothing here is ever eval()'d.

Function expressions (lesson 1), nested lists:
    ["x", i]  the i-th argument       ["c", 2.5]  a constant
    ["add"|"sub"|"mul", e1, e2]       ["sin"|"cos"|"exp"|"tanh", e]     ["pow", e, n]  (int n)

Graphs (lesson 2) and their words live in words.py (the student's self-check uses them too);
they are re-exported here, where the worker and the suites have always found them.
"""

import math

# Re-exported: the worker, the suites and the figures import these from specs.
from .words import (  # noqa: F401
    ARITHMETIC,
    SYMBOL,
    UNARY,
    RequestError,
    build_graph,
    check_graph,
    name,
    render,
)

FUNCTIONS = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "tanh": math.tanh}


def eval_expr(expr, xs):
    """Value of a function expression at the point xs, in plain floats."""
    kind = expr[0]
    if kind == "x":
        return xs[expr[1]]
    if kind == "c":
        return expr[1]
    if kind in FUNCTIONS:
        return FUNCTIONS[kind](eval_expr(expr[1], xs))
    if kind == "pow":
        return eval_expr(expr[1], xs) ** expr[2]
    if kind in ARITHMETIC:
        return ARITHMETIC[kind](eval_expr(expr[1], xs), eval_expr(expr[2], xs))
    raise RequestError(f"unknown expression {kind!r}")


def as_function(expr, arity=1):
    """A plain Python callable of `arity` arguments computing the expression."""
    if arity == 1:
        return lambda x: eval_expr(expr, (x,))
    return lambda *xs: eval_expr(expr, xs)


# Models (lesson 3): {"kind": "neuron", "nin": 3, "activation": "relu"}
#                    {"kind": "layer", "nin": 3, "nout": 2, "activation": "tanh"}
#                    {"kind": "mlp", "nin": 2, "nouts": [4, 1], "activation": "relu", "tuple": true}
# A missing "activation" uses the constructor's default; "tuple" passes nouts as a tuple.
def build_model(spec, nn):
    """Build the model the spec describes with the classes of module `nn`."""
    kind = spec.get("kind")
    kwargs = {"activation": spec["activation"]} if spec.get("activation") else {}
    if kind == "neuron":
        return nn.Neuron(spec["nin"], **kwargs)
    if kind == "layer":
        return nn.Layer(spec["nin"], spec["nout"], **kwargs)
    if kind == "mlp":
        nouts = tuple(spec["nouts"]) if spec.get("tuple") else list(spec["nouts"])
        return nn.MLP(spec["nin"], nouts, **kwargs)
    raise RequestError(f"unknown model kind {kind!r}")


def set_weights(params, weights):
    """Give the parameters, in parameters() order, the grader's weights."""
    for p, w in zip(params, weights):
        p.data = w


def output_data(out):
    """["list", [data, ...]] for a list/tuple of Values, ["single", data] for one Value."""
    if isinstance(out, (list, tuple)):
        return ["list", [v.data for v in out]]
    return ["single", out.data]
