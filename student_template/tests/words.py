"""The words a check says to the student: numbers, "expected X, got Y", graphs as text.

One module for everyone who talks to the student (standard library only):
- the hidden suites (grader/suites/checks.py) word their verdicts with it;
- the feedback's figures (grader/report/figures/graph.py) label graphs with it;
- the worker builds graph specs with it (specs.py re-exports the graph part);
- `micrograder generate` copies it into student_template/tests/, where the public self-check
  uses `expect_close` and `expect_grads`, so a failed public test reads like the grader.
It holds formatting, the graph spec format and how a module's imports are read (both sides
name a student's import of a missing package the same way): no check, no input of a hidden
suite, no reference code.

Graphs are specs, a list of nodes, each referring to earlier nodes by index:
    ["leaf", 1.5]                     a Value holding 1.5
    ["add"|"sub"|"mul"|"truediv", a, b]   a and b: a node index, or ["num", 2.0] for a number
                                      (a number first exercises __radd__, __rsub__, ...)
    ["pow", a, 2.0]                   node ** number
    ["neg"|"tanh"|"relu"|"sigmoid"|"exp"|"log", a]
Node i is named a, b, c, ... in every message, so `render` shows a graph as the Python a
student would write ("a = Value(1.5); b = a.tanh()").
"""

import ast
import math
import operator

# --- numbers ------------------------------------------------------------------------------


def fmt(x) -> str:
    """A number in a verdict: ten significant digits, no "-0"; anything else described."""
    if type(x) is float:
        return repr(x) if not math.isfinite(x) else f"{x + 0.0:.10g}"  # + 0.0: no "-0"
    if type(x) is int:
        return str(x) if abs(x) < 10**15 else "a huge int"
    return describe(x)


def short(x) -> str:
    """A number in a figure or a graph's text: four significant digits, no "-0"."""
    x = float(x)
    return f"{x + 0.0:.4g}" if math.isfinite(x) else "not a number"


def describe(x) -> str:
    """A short, safe description of an answer that may be anything."""
    if isinstance(x, dict) and set(x) == {"__unserializable__"}:
        return f"an object of type {str(x['__unserializable__'])[:60]}"
    if type(x) is bool:
        return f"a bool ({x})"
    if type(x) is str:
        return f"the string {x[:60]!r}"
    if type(x) is list:
        return f"a list of {len(x)} items"
    if type(x) is dict:
        return "a dict"
    if x is None:
        return "None"
    if type(x) in (int, float):
        return fmt(x)
    return f"an object of type {type(x).__name__[:60]}"  # e.g. a Value instead of its .data


def as_number(x) -> float:
    """float(x) of an int or float; inf for an int too big for a float."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def relation(got, expected: float) -> str:
    """How an answer relates to the expected number, in a few coarse words: the only thing a
    restricted check may say about the student's value."""
    if type(got) not in (int, float):
        return "is not a number"
    got = as_number(got)
    if not math.isfinite(got):
        return "is not a finite number"
    if expected != 0 and got != 0 and (got > 0) != (expected > 0):
        return "has the wrong sign"
    if abs(got - expected) > 0.1 * max(abs(expected), 1e-12):
        return "is off by more than 10 %"
    return "is close but not within the tolerance"


def is_close(got: float, expected: float, rel: float = 1e-6) -> bool:
    """|got - expected| <= rel * max(1, |expected|): absolute near 0, relative for big values."""
    return abs(got - expected) <= rel * max(1.0, abs(expected))


# --- verdicts -----------------------------------------------------------------------------


def not_a_number(x, what: str) -> str:
    """The verdict when x is not a finite int or float (exact types); '' when it is one."""
    if type(x) not in (int, float):
        return f"{what}: expected a number, got {describe(x)}"
    if not math.isfinite(as_number(x)):
        return f"{what}: expected a finite number, got {fmt(x)}"
    return ""


def expected_got(what: str, expected: float, got) -> str:
    """The verdict of a comparison: 'b.grad: expected 0.25, got 0.5'."""
    return f"{what}: expected {fmt(float(expected))}, got {fmt(got)}"


def data_what(nodes) -> str:
    """The quantity a forward check compares: 'a = Value(2.0); b = a.tanh(): b.data'."""
    return f"{render(nodes)}: {name(len(nodes) - 1)}.data"


def gradient_what(nodes, i) -> str:
    """The quantity a gradient check compares: 'a = Value(2.0); b = a.tanh(); b.backward():
    a.grad'."""
    return f"{render(nodes)}; {name(len(nodes) - 1)}.backward(): {name(i)}.grad"


class Mismatch(AssertionError):
    """A failed self-check, in the grader's words: `sentence` (one line) and `details` (more
    lines, e.g. the graph as text; may be ''). The self-check prints both."""

    def __init__(self, sentence: str, details: str = ""):
        super().__init__(f"{sentence}\n{details}" if details else sentence)
        self.sentence = sentence
        self.details = details


def expect_close(got, expected: float, what: str, rel: float = 1e-6) -> None:
    """Fail, as the grader words it, unless `got` is a finite number close to `expected`
    (the grader's tolerance: |got - expected| <= rel * max(1, |expected|))."""
    problem = not_a_number(got, what)
    if not problem and not is_close(float(got), expected, rel):
        problem = expected_got(what, expected, got)
    if problem:
        raise Mismatch(problem)


def expect_data(nodes, built, expected: float, rel: float = 1e-6) -> None:
    """The data of the last node of `built` (the graph `nodes` built with your Value)."""
    expect_close(built[-1].data, expected, data_what(nodes), rel)


def expect_grads(nodes, built, grads, which=None, rel: float = 1e-6) -> None:
    """After backward() on the last node of `built` (the graph `nodes` built with your Value):
    each node's grad in `which` (default: the leaves) against `grads` (one expected grad per
    node). The first wrong one fails with the grader's sentence and the graph as text."""
    which = leaves(nodes) if which is None else which
    for i in which:
        what = gradient_what(nodes, i)
        got = built[i].grad
        problem = not_a_number(got, what)
        if problem:
            raise Mismatch(problem)
        if not is_close(float(got), grads[i], rel):
            got_here = [None] * len(nodes)  # the text shows got only at the wrong node
            got_here[i] = got
            details = graph_text(nodes, expected=grads, got=got_here, highlight=i)
            raise Mismatch(expected_got(what, grads[i], got), details)


# --- graphs: built from a spec, named and drawn as text -----------------------------------

SYMBOL = {"add": "+", "sub": "-", "mul": "*", "truediv": "/"}
ARITHMETIC = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
}
UNARY = {
    "neg": operator.neg,
    "tanh": lambda v: v.tanh(),
    "relu": lambda v: v.relu(),
    "sigmoid": lambda v: v.sigmoid(),
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
}


class RequestError(ValueError):
    """The request itself is malformed: a grader bug, never the student's fault."""


def check_graph(nodes):
    """Reject malformed graph specs before any student code runs."""
    if not isinstance(nodes, list) or not nodes:
        raise RequestError("a graph needs at least one node")
    for i, spec in enumerate(nodes):
        kind = spec[0]
        if kind == "leaf":
            continue
        if kind in ARITHMETIC:
            if all(isinstance(a, list) for a in spec[1:3]):
                raise RequestError(f"node {i}: needs at least one Value operand")
        elif kind != "pow" and kind not in UNARY:
            raise RequestError(f"node {i}: unknown op {kind!r}")
        if any(not isinstance(r, int) or not 0 <= r < i for r in operands(spec)):
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


def leaves(nodes) -> list[int]:
    """The indices of the leaves: the nodes a gradient check compares by default."""
    return [i for i, spec in enumerate(nodes) if spec[0] == "leaf"]


def name(i):
    """Node i as a student would name it: a, b, ..., z, then n26, n27, ..."""
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"n{i}"


def render(nodes):
    """The graph as the Python a student would write: 'a = Value(1.5); b = a.tanh()'."""

    def operand(x):
        return repr(x[1]) if isinstance(x, list) else name(x)

    lines = []
    for i, spec in enumerate(nodes):
        kind = spec[0]
        if kind == "leaf":
            text = f"Value({spec[1]!r})"
        elif kind in SYMBOL:
            text = f"{operand(spec[1])} {SYMBOL[kind]} {operand(spec[2])}"
        elif kind == "pow":
            text = f"{name(spec[1])} ** {spec[2]!r}"
        elif kind == "neg":
            text = f"-{name(spec[1])}"
        else:
            text = f"{name(spec[1])}.{kind}()"
        lines.append(f"{name(i)} = {text}")
    return "; ".join(lines)


def operands(node) -> list[int]:
    """The indices of the earlier nodes a node uses (a number operand is part of its text)."""
    if node[0] == "leaf":
        return []
    if node[0] in ARITHMETIC:
        return [a for a in node[1:3] if not isinstance(a, list)]
    return [node[1]]


def statement(nodes, i) -> str:
    """'c = a * b': the line of the rendering that defines node i."""
    return f"{name(i)} = {render([nodes[i]]).split(' = ', 1)[1]}"


def verdict(i, expected, got, relation) -> str:
    """What is wrong at the highlighted node, in the checks' words."""
    text = f"grad expected {fmt(float(expected[i]))}"
    if got is not None:
        return f"{text}, got {fmt(float(got[i]))}"
    return f"{text}; your value {relation}" if relation else text


def facts(i, data, expected, got, relation, highlight) -> list[str]:
    """The lines under a node's statement: its data, and its grad or the verdict."""
    lines = [f"data {short(data[i])}"] if data is not None else []
    if i == highlight and expected is not None:
        lines.append(verdict(i, expected, got, relation))
    elif expected is not None:
        lines.append(f"grad {short(expected[i])}")
    return lines


def text_order(nodes) -> list[tuple[int, int]]:
    """(node, depth) pairs: a depth-first walk from the output, each node once; nodes that do
    not feed the output follow, each as the root of its own walk."""
    seen, order = set(), []
    for root in reversed(range(len(nodes))):
        stack = [(root, 0)]
        while stack:
            i, depth = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            order.append((i, depth))
            stack.extend((a, depth + 1) for a in reversed(operands(nodes[i])))
    return order


def graph_text(nodes, *, data=None, expected=None, got=None, relation="", highlight=None) -> str:
    """The graph for a terminal: one line per node, operands indented under their user, the
    wrong node marked with '<--' and its verdict. `data` and `expected` hold a number per node;
    `got` needs one only at `highlight`."""
    lines = []
    for i, depth in text_order(nodes):
        parts = [statement(nodes, i)] + facts(i, data, expected, got, relation, highlight)
        line = "    " * depth + " | ".join(parts)
        lines.append(f"{line}   <-- wrong" if i == highlight else line)
    return "\n".join(lines)


# --- imports --------------------------------------------------------------------------------


def absolute_imports(source) -> list[tuple[str, int]]:
    """(module, line) for each absolute import in `source` (`import a.b`, `from a.b import c`),
    in the order ast walks them; [] for source that does not parse. Read from the text, never
    by importing it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
    return found
