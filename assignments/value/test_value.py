"""Lesson 2 — the Value class

Public self-check: the course's worked examples, with fixed inputs. Passing them is a good sign;
the grader also runs hidden checks on random inputs, for every operation.

A graph written as a list of nodes is the grader's way to write it (tests/words.py): node i is
named a, b, c, ... and each node is a leaf or uses earlier nodes, e.g. [["leaf", 0.5],
["tanh", 0]] is `a = Value(0.5); b = a.tanh()`. A failed check says what the grader would say,
"...: a.grad: expected 0.5, got 0.25", and shows the graph with the wrong node marked.
"""

from words import build_graph, expect_close, expect_data, expect_grads

from micrograd.engine import Value


def test_forward_of_worked_example():
    """The a = −4, b = 2 expression from micrograd's README: g.data = 24.7041."""
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
    expect_close(g.data, 24.70408163265306, "micrograd's README example: g.data")


def test_backward_of_worked_example():
    """The same expression: after g.backward(), a.grad = 138.8338 and b.grad = 645.5773."""
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
    expect_close(a.grad, 138.83381924198252, "micrograd's README example, g.backward(): a.grad")
    expect_close(b.grad, 645.5772594752186, "micrograd's README example, g.backward(): b.grad")


def test_tanh_neuron():
    """o = tanh(n), n = x1·w1 + x2·w2 + b with x1 = 2, x2 = 3, w1 = −0.5, w2 = 0.1,
    b = 1.5813735870195432. By hand: n = 0.88137..., o = tanh(n) = 1/√2, do/dn = 1 − o² = 0.5,
    and by the chain rule x1.grad = w1 · 0.5 = −0.25, w1.grad = x1 · 0.5 = 1.0,
    x2.grad = w2 · 0.5 = 0.05, w2.grad = x2 · 0.5 = 1.5, b.grad = 0.5."""
    neuron = [
        ["leaf", 2.0],  # a = x1
        ["leaf", -0.5],  # b = w1
        ["leaf", 3.0],  # c = x2
        ["leaf", 0.1],  # d = w2
        ["leaf", 1.5813735870195432],  # e = b
        ["mul", 0, 1],  # f = a * b
        ["mul", 2, 3],  # g = c * d
        ["add", 5, 6],  # h = f + g
        ["add", 7, 4],  # i = h + e   (n)
        ["tanh", 8],  # j = i.tanh()  (o)
    ]
    nodes = build_graph(neuron, Value)
    nodes[-1].backward()
    expect_data(neuron, nodes, 0.7071067811865476)  # 1/√2
    #                  a      b    c     d    e    f    g    h    i    j
    expect_grads(neuron, nodes, [-0.25, 1.0, 0.05, 1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0])


def test_node_used_twice_gets_both_contributions():
    """b = a + a depends on a twice: db/da = 2, not 1. Likewise b = a·a at a = 3 has db/da = 6."""
    for graph, grads in [
        ([["leaf", 3.0], ["add", 0, 0]], [2.0, 1.0]),  # a = Value(3.0); b = a + a
        ([["leaf", 3.0], ["mul", 0, 0]], [6.0, 1.0]),  # a = Value(3.0); b = a * a
    ]:
        nodes = build_graph(graph, Value)
        nodes[-1].backward()
        expect_grads(graph, nodes, grads)


def test_exp_log_sigmoid():
    """At x = 0: sigmoid = 0.5 with slope 0.25; exp = 1 with slope 1. log at x = 2 has slope 0.5."""
    for graph, data, grads in [
        ([["leaf", 0.0], ["sigmoid", 0]], 0.5, [0.25, 1.0]),  # b = a.sigmoid()
        ([["leaf", 0.0], ["exp", 0]], 1.0, [1.0, 1.0]),  # b = a.exp()
        ([["leaf", 2.0], ["log", 0]], 0.6931471805599453, [0.5, 1.0]),  # b = a.log(): ln 2
    ]:
        nodes = build_graph(graph, Value)
        nodes[-1].backward()
        expect_data(graph, nodes, data)
        expect_grads(graph, nodes, grads)
