"""Specs: requests describe functions and graphs as plain data, never as code.

Shared by both sides (stdlib only): the worker builds the student's objects from a spec, the
trusted side builds the same spec with plain floats or with the reference package to know the
expected answer. Nothing here is ever eval()'d.

Function expressions (lesson 1), nested lists:
    ["x", i]  the i-th argument       ["c", 2.5]  a constant
    ["add"|"sub"|"mul", e1, e2]       ["sin"|"cos"|"exp"|"tanh", e]     ["pow", e, n]  (int n)

Graphs (lesson 2): a list of nodes, each refers to earlier nodes by index:
    ["leaf", 1.5]                     a Value holding 1.5
    ["add"|"sub"|"mul"|"truediv", a, b]   a and b: a node index, or ["num", 2.0] for a number
                                      (a number first exercises __radd__, __rsub__, ...)
    ["pow", a, 2.0]                   node ** number
    ["neg"|"tanh"|"relu"|"sigmoid"|"exp"|"log", a]
"""

import math
import operator


class RequestError(ValueError):
    """The request itself is malformed: a grader bug, never the student's fault."""


FUNCTIONS = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "tanh": math.tanh}
ARITHMETIC = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
}


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


UNARY = {
    "neg": operator.neg,
    "tanh": lambda v: v.tanh(),
    "relu": lambda v: v.relu(),
    "sigmoid": lambda v: v.sigmoid(),
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
}


def check_graph(nodes):
    """Reject malformed graph specs before any student code runs."""
    if not isinstance(nodes, list) or not nodes:
        raise RequestError("a graph needs at least one node")
    for i, node in enumerate(nodes):
        kind = node[0]
        refs = []
        if kind == "leaf":
            continue
        if kind in ARITHMETIC:
            refs = [a for a in node[1:3] if not isinstance(a, list)]
            if all(isinstance(a, list) for a in node[1:3]):
                raise RequestError(f"node {i}: needs at least one Value operand")
        elif kind == "pow":
            refs = [node[1]]
        elif kind in UNARY:
            refs = [node[1]]
        else:
            raise RequestError(f"node {i}: unknown op {kind!r}")
        if any(not isinstance(r, int) or not 0 <= r < i for r in refs):
            raise RequestError(f"node {i}: operands must be earlier nodes")


def build_graph(nodes, value_class):
    """Build the graph with `value_class` (the student's or the reference Value); returns the
    list of node objects in spec order."""
    check_graph(nodes)
    built = []

    def operand(a):
        return a[1] if isinstance(a, list) else built[a]

    for node in nodes:
        kind = node[0]
        if kind == "leaf":
            built.append(value_class(node[1]))
        elif kind in ARITHMETIC:
            built.append(ARITHMETIC[kind](operand(node[1]), operand(node[2])))
        elif kind == "pow":
            built.append(built[node[1]] ** node[2])
        else:
            built.append(UNARY[kind](built[node[1]]))
    return built


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


# --- graphs in words: how the suites, the feedback's figures and messages name a graph -------

SYMBOL = {"add": "+", "sub": "-", "mul": "*", "truediv": "/"}


def name(i):
    """Node i as a student would name it: a, b, ..., z, then n26, n27, ..."""
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"n{i}"


def render(nodes):
    """The graph as the Python a student would write: 'a = Value(1.5); b = a.tanh()'."""

    def operand(x):
        return repr(x[1]) if isinstance(x, list) else name(x)

    lines = []
    for i, node in enumerate(nodes):
        kind = node[0]
        if kind == "leaf":
            text = f"Value({node[1]!r})"
        elif kind in SYMBOL:
            text = f"{operand(node[1])} {SYMBOL[kind]} {operand(node[2])}"
        elif kind == "pow":
            text = f"{name(node[1])} ** {node[2]!r}"
        elif kind == "neg":
            text = f"-{name(node[1])}"
        else:
            text = f"{name(node[1])}.{kind}()"
        lines.append(f"{name(i)} = {text}")
    return "; ".join(lines)
