"""Lesson 2 — the Value class: forward and gradient of every operation, separately.

Graphs are specs (grader/sandbox/inside/specs.py) built twice: by the worker with the student's
Value, and here with the reference Value for the expected data and gradients. Each operation has its
own checks — forward, gradient, and a node used twice through it (a backward that writes
`grad = ...` instead of `+=` loses that one) — so a missing or wrong operation costs only its own
points. The bookkeeping checks (_prev, the seed of backward) use + and * only; random graphs
draw only from the operations that passed their own checks in this run (design.md, "Fair
checks"). Inputs stay in the safe domains of the design (|x| <= 5 for tanh/sigmoid/exp, log and
fractional powers on x >= 0.1, relu inputs >= 0.01 away from 0, no 0 ** 0).

`uses` markers name the API each check needs (tests/test_ablation.py proves them).
"""

import pytest

from grader.sandbox.inside.specs import SYMBOL, build_graph, name, render
from grader.sandbox.inside.words import data_what, gradient_what
from grader.suites.checks import CheckFailed, as_floats, as_list, as_record, assert_close, check

pytestmark = pytest.mark.lesson("value")

# The Value method behind each operation of a graph spec (for `uses` markers).
METHOD = {
    "add": "__add__",
    "sub": "__sub__",
    "mul": "__mul__",
    "truediv": "__truediv__",
    "pow": "__pow__",
    "neg": "__neg__",
    "tanh": "tanh",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "exp": "exp",
    "log": "log",
}
REFLECTED = {"add": "__radd__", "sub": "__rsub__", "mul": "__rmul__", "truediv": "__rtruediv__"}


def uses(*methods):
    """The marker: the Value class and the named methods of engine.py."""
    return pytest.mark.uses("engine.Value", *(f"engine.Value.{m}" for m in methods))


def expected(reference, nodes, backward=True):
    built = build_graph(nodes, reference.engine.Value)
    if backward:
        built[-1].backward()
    return [v.data for v in built], [v.grad for v in built]


def run_graph(student, nodes, backward=True):
    """The student's data and grads for every node, validated."""
    reply = as_record(
        student.call("value.graph", nodes=nodes, backward=backward),
        ("data", "grad"),
        "building the graph",
    )
    data = as_floats(reply["data"], len(nodes), "the data of the nodes")
    return data, as_floats(reply["grad"], len(nodes), "the grads of the nodes")


def assert_forward(student, reference, nodes):
    data, _ = run_graph(student, nodes, backward=False)
    want, _ = expected(reference, nodes, backward=False)
    assert_close(data[-1], want[-1], data_what(nodes))


def assert_gradients(student, reference, nodes, which=None):
    """After backward() on the last node, the grads of the nodes `which` (default: leaves)."""
    _, grads = run_graph(student, nodes)
    data, want = expected(reference, nodes)
    which = which if which is not None else [i for i, n in enumerate(nodes) if n[0] == "leaf"]
    for i in which:
        try:
            assert_close(grads[i], want[i], gradient_what(nodes, i))
        except CheckFailed as failure:
            # the picture of this failure (feedback.html draws it; the runner validates it)
            failure.figure = graph_figure(nodes, i, data, want, grads, failure.relation)
            raise


def graph_figure(nodes, wrong, data, want, grads, relation) -> dict:
    """The data of a failed gradient check's picture: the spec, the first wrong node, the
    reference's data and grads, the student's grads and the coarse relation at that node."""
    return {
        "kind": "graph",
        "nodes": nodes,
        "wrong": wrong,
        "data": data,
        "expected": want,
        "got": grads,
        "relation": relation,
    }


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
        return [
            [leaf(r3(rng.uniform(0.1, 3))), ["relu", 0]],
            [leaf(r3(-rng.uniform(0.1, 3))), ["relu", 0]],
        ]
    if op == "log":
        return [[leaf(r3(rng.uniform(0.1, 5))), ["log", 0]] for _ in range(3)]
    return [[leaf(r3(rng.uniform(-3, 3))), [op, 0]] for _ in range(3)]


OPS = [
    ("add", "+"),
    ("sub", "-"),
    ("mul", "*"),
    ("truediv", "/"),
    ("pow", "**"),
    ("neg", "unary -"),
    ("tanh", "tanh"),
    ("relu", "relu"),
    ("sigmoid", "sigmoid"),
    ("exp", "exp"),
    ("log", "log"),
]


# The lesson.toml part of each operation's own checks; a node used twice through an arithmetic
# operation counts in `backward` (its bookkeeping), through a function in that function's part.
PART = {
    **dict.fromkeys(("add", "sub", "mul", "truediv", "pow", "neg"), "arithmetic"),
    "tanh": "tanh",
    **dict.fromkeys(("relu", "sigmoid", "exp", "log"), "functions"),
}
REUSE_PART = {op: "backward" if part == "arithmetic" else part for op, part in PART.items()}


def per_op(*extra, part=PART):
    """One parameter per operation, marked with the methods it uses (plus `extra`) and its part."""
    return [
        pytest.param(op, id=label, marks=[uses(METHOD[op], *extra), pytest.mark.part(part[op])])
        for op, label in OPS
    ]


@pytest.mark.points(0.5)
@pytest.mark.parametrize("op", per_op())
def test_forward(student, reference, rng, op):
    """Value {param}: forward (data)"""
    for nodes in op_cases(op, rng):
        assert_forward(student, reference, nodes)


@pytest.mark.points(1)
@pytest.mark.parametrize("op", per_op("backward"))
def test_gradient(student, reference, rng, op):
    """Value {param}: gradients"""
    for nodes in op_cases(op, rng):
        assert_gradients(student, reference, nodes)


def reuse_cases(op, rng, join):
    """(single, reused, combine): `single` uses a node once per use-site, `reused` the same
    node twice through `op` (b op b for a binary op; f(a) twice joined with `join`, and f(a)
    joined with a, for a unary one); combine(data, grads) of `single`, as the student's own
    engine computed them, gives the grad the reused node must collect."""
    cases = []
    for nodes in op_cases(op, rng)[:2]:
        a, b = nodes[0], nodes[1]  # for a binary op, b is the right operand (a divisor != 0)
        if op in SYMBOL:  # d(b op b)/db = both partials of b op b' at b' = b, added
            cases.append(([b, b, [op, 0, 1]], [b, [op, 0, 0]], lambda d, g: g[0] + g[1]))
            continue
        applied = [b[0], 0, *b[2:]]
        if join == "add":  # f(a) + f(a): 2 f'(a); f(a) + a: f'(a) + 1
            cases.append(
                ([a, applied], [a, applied, applied, ["add", 1, 2]], lambda d, g: 2 * g[0])
            )
            cases.append(([a, applied], [a, applied, ["add", 1, 0]], lambda d, g: g[0] + 1))
        else:  # f(a) * f(a): 2 f(a) f'(a); f(a) * a: a f'(a) + f(a)
            cases.append(
                ([a, applied], [a, applied, applied, ["mul", 1, 2]], lambda d, g: 2 * d[1] * g[0])
            )
            cases.append(
                ([a, applied], [a, applied, ["mul", 1, 0]], lambda d, g: d[0] * g[0] + d[1])
            )
    return cases


def passed_both(run, op) -> bool:
    label = dict(OPS)[op]
    return all(
        run.outcome(f"value/test_{kind}[{label}]") == "passed" for kind in ("forward", "gradient")
    )


@pytest.mark.points(0.5)
@pytest.mark.parametrize("op", per_op("backward", part=REUSE_PART))
def test_reuse(student, rng, run, op):
    """Value {param}: a node used twice gets both contributions"""
    # The bookkeeping, not the derivative (test_gradient checks that): the expected grad is the
    # sum of the contributions the student's own engine computes for each use on its own, so a
    # wrong derivative costs its gradient check only. A unary operation's two uses are joined
    # by + (or * when + did not pass its own checks).
    join = "add" if passed_both(run, "add") or not passed_both(run, "mul") else "mul"
    for single, reused, combine in reuse_cases(op, rng, join):
        data, grads = run_graph(student, single)
        _, got = run_graph(student, reused)
        # `what` holds the grader's words only (a restricted check shows it): the student's
        # own single-use grads are not quoted, they are in the expected value.
        assert_close(
            got[0],
            combine(data, grads),
            f"{render(reused)}; {name(len(reused) - 1)}.backward(): a.grad (the sum of "
            f"what each use contributes, as your engine computes it in "
            f"{render(single)})",
        )


@pytest.mark.part("arithmetic")
@pytest.mark.points(1)
@uses(*(METHOD[op] for op in SYMBOL), "backward")
def test_number_on_the_right(student, reference, rng):
    """Value + - * / with a number on the right"""
    for op in SYMBOL:
        number = away_from_zero(rng, 0.5, 3)
        nodes = [["leaf", r3(rng.uniform(-3, 3))], [op, 0, ["num", number]]]
        assert_forward(student, reference, nodes)
        assert_gradients(student, reference, nodes)


# The course's reflected methods delegate (2 - a is Value(2) - a): their checks use both.
@pytest.mark.part("arithmetic")
@pytest.mark.points(0.25)
@pytest.mark.parametrize(
    "op",
    [
        pytest.param(op, id=f"r{op}", marks=uses(REFLECTED[op], METHOD[op], "backward"))
        for op in SYMBOL
    ],
)
def test_number_on_the_left(student, reference, rng, op):
    """number {param} Value (reflected operation): data and gradient"""
    divisor = op == "truediv"
    x = away_from_zero(rng, 0.5, 3) if divisor else r3(rng.uniform(-3, 3))
    nodes = [["leaf", x], [op, ["num", away_from_zero(rng, 0.5, 3)], 0]]
    assert_forward(student, reference, nodes)
    assert_gradients(student, reference, nodes)


@pytest.mark.part("backward")
@pytest.mark.points(0.5)
@uses("__mul__", "__add__")
def test_grad_starts_at_zero(student, rng):
    """grad starts at 0 (leaves and results of operations); data and label are stored"""
    x = r3(rng.uniform(-5, 5))
    reply = as_record(
        student.call("value.leaf", data=x, label="w1"),
        ("data", "grad", "label", "prev"),
        "Value(...)",
    )
    assert_close(reply["data"], x, f"Value({x!r}).data")
    check(reply["label"] == "w1", f"Value({x!r}, label='w1').label should be 'w1'")
    check(reply["prev"] == 0, f"Value({x!r})._prev should be empty")
    nodes = [["leaf", x], ["leaf", r3(rng.uniform(-5, 5))], ["mul", 0, 1], ["add", 2, 0]]
    _, grads = run_graph(student, nodes, backward=False)
    for i in range(len(nodes)):
        assert_close(grads[i], 0.0, f"{render(nodes)}: {name(i)}.grad before any backward()")


@pytest.mark.part("arithmetic")
@pytest.mark.points(1)
@uses("__mul__", "__add__")
def test_prev_holds_children(student, rng):
    """_prev holds the Values an operation was computed from"""
    # + and * only: the building blocks, whose operands must be the direct children (other
    # operations may be composites such as a + (-b); their own checks cover them).
    nodes = [
        ["leaf", r3(rng.uniform(0.5, 2))],
        ["leaf", r3(rng.uniform(0.5, 2))],
        ["mul", 0, 1],
        ["add", 2, 0],
        ["mul", 3, 3],
        ["add", 1, 4],
    ]
    reply = as_list(student.call("value.children", nodes=nodes), len(nodes), "the children")
    for i, node in enumerate(nodes):
        operands = {a for a in node[1:] if isinstance(a, int)} if node[0] != "leaf" else set()
        found = as_record(reply[i], ("direct", "reachable"), f"{name(i)}._prev")
        direct = set(as_list(found["direct"], None, f"{name(i)}._prev"))
        should = (
            f"{render(nodes)}: {name(i)}._prev should hold "
            f"{', '.join(name(a) for a in sorted(operands)) or 'nothing'}"
        )
        check(operands <= direct, should)
        check(direct <= operands | {-1}, should + " (and no other node of the graph)")


@pytest.mark.part("backward")
@pytest.mark.points(1)
@uses("__mul__", "__add__", "backward")
def test_backward_seeds_one(student, rng):
    """backward() starts with grad 1.0 on the node it is called on"""
    x = r3(rng.uniform(-2, 2))
    nodes = [["leaf", x], ["leaf", r3(rng.uniform(-2, 2))], ["mul", 0, 1], ["add", 2, 0]]
    _, grads = run_graph(student, nodes)
    assert_close(grads[-1], 1.0, f"{render(nodes)}; d.backward(): d.grad")
    _, grads = run_graph(student, [["leaf", x]])
    assert_close(grads[0], 1.0, f"a = Value({x!r}); a.backward(): a.grad")


# Where each operation may be applied in a random graph (design.md's safe domains, plus room
# from the kinks and poles so the reference and a correct student agree to 1e-6).
def in_domain(op, x, exponent=None):
    if op in ("tanh", "sigmoid", "exp"):
        return abs(x) <= 5
    if op == "log":
        return x >= 0.1
    if op == "relu":
        return abs(x) >= 0.01
    if op == "pow":
        return x >= 0.1 if exponent != int(exponent) else exponent > 0 or abs(x) >= 0.5
    return True


UNARY_OPS = ("neg", "tanh", "relu", "sigmoid", "exp", "log", "pow")


def random_graph(rng, reference, ops):
    """3-5 leaves and 6-12 operations drawn from `ops` (reuse allowed), every operation inside
    its safe domain, every value tame (|x| < 100)."""
    binary = [op for op in SYMBOL if op in ops]
    unary = [op for op in UNARY_OPS if op in ops]
    nodes = [["leaf", r3(rng.uniform(-2, 2))] for _ in range(rng.randint(3, 5))]
    data = [n[1] for n in nodes]
    target = len(nodes) + rng.randint(6, 12)
    while len(nodes) < target:
        op = rng.choice(binary + unary)
        a, b = rng.randrange(len(nodes)), rng.randrange(len(nodes))
        if op in SYMBOL:
            node = [op, a, b]
            if op == "truediv" and abs(data[b]) < 0.5:
                continue
        elif op == "pow":
            node = ["pow", a, rng.choice([2, 3, -1, 0.5])]
            if not in_domain("pow", data[a], node[2]):
                continue
        else:
            node = [op, a]
            if not in_domain(op, data[a]):
                continue
        value = build_graph(nodes + [node], reference.engine.Value)[-1].data
        if abs(value) < 100:
            nodes.append(node)
            data.append(value)
    return nodes


def ops_that_passed(run) -> set[str]:
    """The operations whose forward, gradient and reuse checks all passed in this run."""
    return {
        op
        for op, label in OPS
        if all(
            run.outcome(f"value/test_{kind}[{label}]") == "passed"
            for kind in ("forward", "gradient", "reuse")
        )
    }


@pytest.mark.part("backward")
@pytest.mark.points(1.5)
@uses("backward")
def test_random_graphs(student, reference, rng, run):
    """random graphs of the operations that passed their own checks: every node's gradient"""
    ops = ops_that_passed(run)
    check(
        bool(ops),
        "random graphs are built from the operations that passed their own checks, "
        "and none did in this run",
    )
    for _ in range(5):
        nodes = random_graph(rng, reference, ops)
        assert_gradients(student, reference, nodes, which=range(len(nodes)))


CHAIN = 100_000


@pytest.mark.part("backward")
@pytest.mark.points(2)
@uses("__mul__", "backward")
def test_long_chain(student, rng):
    """backward() through a chain of 100,000 nodes (needs an iterative topological sort)"""
    # Factors and their reciprocals, shuffled: the product stays near 1 over any length.
    halves = [r3(rng.uniform(0.5, 2)) for _ in range(3)]
    factors = halves + [1 / f for f in halves]
    rng.shuffle(factors)
    x = r3(rng.uniform(0.5, 2))
    reply = as_record(
        student.call("value.chain", n=CHAIN, x=x, factors=factors, timeout=30),
        ("data", "grad"),
        "the chain",
    )
    product = 1.0
    for i in range(CHAIN):
        product *= factors[i % len(factors)]
    what = f"y = Value({x!r}) multiplied {CHAIN:,} times by numbers; y.backward()"
    assert_close(reply["data"], x * product, f"{what}: y.data", rel=1e-6)
    assert_close(reply["grad"], product, f"{what}: the first node's grad", rel=1e-6)
