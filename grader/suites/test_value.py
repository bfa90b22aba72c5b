"""Lesson 2 — the Value class: forward and gradient of every operation, separately.

Graphs are specs (grader/sandbox/specs.py) built twice: by the worker with the student's Value,
and here with the reference Value for the expected data and gradients. Each operation has its
own checks, so a missing or wrong operation costs only its own points; composite graphs use
only + - * between Values. Inputs stay in the safe domains of the design (|x| <= 3 for
tanh/sigmoid/exp, log and fractional powers on x >= 0.1, relu inputs >= 0.1 away from 0).
"""
import pytest

from grader.sandbox.specs import build_graph
from grader.suites.checks import as_floats, as_list, as_record, assert_close, check

pytestmark = pytest.mark.lesson("value")

SYMBOL = {"add": "+", "sub": "-", "mul": "*", "truediv": "/"}


def name(i):
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


def expected(reference, nodes, backward=True):
    built = build_graph(nodes, reference.engine.Value)
    if backward:
        built[-1].backward()
    return [v.data for v in built], [v.grad for v in built]


def run_graph(student, nodes, backward=True):
    """The student's data and grads for every node, validated."""
    reply = as_record(student.call("value.graph", nodes=nodes, backward=backward),
                      ("data", "grad"), "building the graph")
    data = as_floats(reply["data"], len(nodes), "the data of the nodes")
    return data, as_floats(reply["grad"], len(nodes), "the grads of the nodes")


def assert_forward(student, reference, nodes):
    data, _ = run_graph(student, nodes, backward=False)
    want, _ = expected(reference, nodes, backward=False)
    assert_close(data[-1], want[-1], f"{render(nodes)}: {name(len(nodes) - 1)}.data")


def assert_gradients(student, reference, nodes, which=None):
    """After backward() on the last node, the grads of the nodes `which` (default: leaves)."""
    _, grads = run_graph(student, nodes)
    _, want = expected(reference, nodes)
    which = which if which is not None else [i for i, n in enumerate(nodes) if n[0] == "leaf"]
    last = name(len(nodes) - 1)
    for i in which:
        assert_close(grads[i], want[i], f"{render(nodes)}; {last}.backward(): {name(i)}.grad")


def r3(x):
    """Inputs are shown to the student: keep them short."""
    return round(x, 3)


def away_from_zero(rng, low, high):
    return r3(rng.choice([-1, 1]) * rng.uniform(low, high))


# One operation on fresh leaves: node specs for a few random inputs each.
def op_cases(op, rng):
    leaf = lambda x: ["leaf", x]  # noqa: E731
    if op in SYMBOL:
        def right():  # a divisor stays at least 0.5 away from 0
            return away_from_zero(rng, 0.5, 3) if op == "truediv" else r3(rng.uniform(-3, 3))
        return [[leaf(r3(rng.uniform(-3, 3))), leaf(right()), [op, 0, 1]] for _ in range(4)]
    if op == "pow":
        cases = [[leaf(r3(rng.uniform(-3, 3))), ["pow", 0, k]] for k in (2, 3)]
        cases += [[leaf(away_from_zero(rng, 0.5, 3)), ["pow", 0, k]] for k in (-1, -2)]
        cases += [[leaf(r3(rng.uniform(0.1, 5))), ["pow", 0, k]] for k in (0.5, 1.5)]
        return cases
    if op == "relu":
        return [[leaf(r3(rng.uniform(0.1, 3))), ["relu", 0]],
                [leaf(r3(-rng.uniform(0.1, 3))), ["relu", 0]]]
    if op == "log":
        return [[leaf(r3(rng.uniform(0.1, 5))), ["log", 0]] for _ in range(3)]
    return [[leaf(r3(rng.uniform(-3, 3))), [op, 0]] for _ in range(3)]


OPS = [("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("pow", "**"),
       ("neg", "unary -"), ("tanh", "tanh"), ("relu", "relu"), ("sigmoid", "sigmoid"),
       ("exp", "exp"), ("log", "log")]


@pytest.mark.points(0.5)
@pytest.mark.parametrize("op", [pytest.param(op, id=label) for op, label in OPS])
def test_forward(student, reference, rng, op):
    """Value {param}: forward (data)"""
    for nodes in op_cases(op, rng):
        assert_forward(student, reference, nodes)


@pytest.mark.points(1)
@pytest.mark.parametrize("op", [pytest.param(op, id=label) for op, label in OPS])
def test_gradient(student, reference, rng, op):
    """Value {param}: gradients"""
    for nodes in op_cases(op, rng):
        assert_gradients(student, reference, nodes)


@pytest.mark.points(1)
def test_number_on_the_right(student, reference, rng):
    """Value + - * / with a number on the right"""
    for op in SYMBOL:
        number = away_from_zero(rng, 0.5, 3)
        nodes = [["leaf", r3(rng.uniform(-3, 3))], [op, 0, ["num", number]]]
        assert_forward(student, reference, nodes)
        assert_gradients(student, reference, nodes)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("op", [pytest.param(op, id=f"r{op}") for op in SYMBOL])
def test_number_on_the_left(student, reference, rng, op):
    """number {param} Value (reflected operation): data and gradient"""
    divisor = op == "truediv"
    x = away_from_zero(rng, 0.5, 3) if divisor else r3(rng.uniform(-3, 3))
    nodes = [["leaf", x], [op, ["num", away_from_zero(rng, 0.5, 3)], 0]]
    assert_forward(student, reference, nodes)
    assert_gradients(student, reference, nodes)


REUSE = {
    "a*a": lambda x: [["leaf", x], ["mul", 0, 0]],
    "a+a": lambda x: [["leaf", x], ["add", 0, 0]],
    "two_branches": lambda x: [["leaf", x], ["mul", 0, ["num", 3.0]], ["add", 0, ["num", 1.0]],
                               ["mul", 1, 2]],
}


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [pytest.param(k, id=k) for k in REUSE])
def test_node_reuse_accumulates(student, reference, rng, shape):
    """a node used twice gets both contributions ({param})"""
    assert_gradients(student, reference, REUSE[shape](r3(rng.uniform(-3, 3))))


@pytest.mark.points(0.5)
def test_grad_starts_at_zero(student, rng):
    """grad starts at 0 (leaves and results of operations); data and label are stored"""
    x = r3(rng.uniform(-5, 5))
    reply = as_record(student.call("value.leaf", data=x, label="w1"),
                      ("data", "grad", "label", "prev"), "Value(...)")
    assert_close(reply["data"], x, f"Value({x!r}).data")
    check(reply["label"] == "w1", f"Value({x!r}, label='w1').label should be 'w1'")
    check(reply["prev"] == 0, f"Value({x!r})._prev should be empty")
    nodes = [["leaf", x], ["leaf", r3(rng.uniform(-5, 5))], ["mul", 0, 1], ["add", 2, 0]]
    _, grads = run_graph(student, nodes, backward=False)
    for i in range(len(nodes)):
        assert_close(grads[i], 0.0, f"{render(nodes)}: {name(i)}.grad before any backward()")


@pytest.mark.points(1)
def test_prev_holds_children(student, rng):
    """_prev holds the Values an operation was computed from"""
    nodes = [["leaf", r3(rng.uniform(0.5, 2))], ["leaf", r3(rng.uniform(0.5, 2))],
             ["mul", 0, 1], ["add", 2, 0], ["tanh", 3], ["sub", 4, 1], ["truediv", 5, 0]]
    reply = as_list(student.call("value.children", nodes=nodes), len(nodes), "the children")
    for i, node in enumerate(nodes):
        operands = {a for a in node[1:] if isinstance(a, int)} if node[0] != "leaf" else set()
        found = as_record(reply[i], ("direct", "reachable"), f"{name(i)}._prev")
        direct = set(as_list(found["direct"], None, f"{name(i)}._prev"))
        reachable = set(as_list(found["reachable"], None, f"{name(i)}._prev"))
        should = (f"{render(nodes)}: {name(i)}._prev should hold "
                  f"{', '.join(name(a) for a in sorted(operands)) or 'nothing'}")
        # + and * are the building blocks; the others may be composites (a + (-b),
        # a * b**-1, tanh from exp): their operands are then found a few steps further.
        composite = node[0] not in ("add", "mul")
        check(operands <= (reachable if composite else direct), should)
        check(direct <= operands | {-1}, should + " (and no other node of the graph)")


@pytest.mark.points(1)
def test_backward_seeds_one(student, rng):
    """backward() starts with grad 1.0 on the node it is called on"""
    x = r3(rng.uniform(-2, 2))
    nodes = [["leaf", x], ["leaf", r3(rng.uniform(-2, 2))], ["mul", 0, 1], ["tanh", 2]]
    _, grads = run_graph(student, nodes)
    assert_close(grads[-1], 1.0, f"{render(nodes)}; d.backward(): d.grad")
    _, grads = run_graph(student, [["leaf", x]])
    assert_close(grads[0], 1.0, f"a = Value({x!r}); a.backward(): a.grad")


def random_graph(rng, reference):
    """3-5 leaves and 6-12 operations (+ - * between Values, reuse allowed), values tame."""
    while True:
        nodes = [["leaf", r3(rng.uniform(-2, 2))] for _ in range(rng.randint(3, 5))]
        for _ in range(rng.randint(6, 12)):
            nodes.append([rng.choice(["add", "sub", "mul"]), rng.randrange(len(nodes)),
                          rng.randrange(len(nodes))])
        data, _ = expected(reference, nodes, backward=False)
        if max(abs(d) for d in data) < 100:
            return nodes


@pytest.mark.points(3)
def test_random_graphs(student, reference, rng):
    """random graphs: every node's gradient"""
    for _ in range(5):
        nodes = random_graph(rng, reference)
        assert_gradients(student, reference, nodes, which=range(len(nodes)))


CHAIN = 100_000


@pytest.mark.points(2)
def test_long_chain(student, rng):
    """backward() through a chain of 100,000 nodes (needs an iterative topological sort)"""
    # Factors and their reciprocals, shuffled: the product stays near 1 over any length.
    halves = [r3(rng.uniform(0.5, 2)) for _ in range(3)]
    factors = halves + [1 / f for f in halves]
    rng.shuffle(factors)
    x = r3(rng.uniform(0.5, 2))
    reply = as_record(student.call("value.chain", n=CHAIN, x=x, factors=factors, timeout=30),
                      ("data", "grad"), "the chain")
    product = 1.0
    for i in range(CHAIN):
        product *= factors[i % len(factors)]
    what = f"y = Value({x!r}) multiplied {CHAIN:,} times by numbers; y.backward()"
    assert_close(reply["data"], x * product, f"{what}: y.data", rel=1e-6)
    assert_close(reply["grad"], product, f"{what}: the first node's grad", rel=1e-6)
