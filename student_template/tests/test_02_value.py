"""Lesson 2 — the Value class

Public self-check: the course's worked examples, with fixed inputs. Passing them is a good sign;
the grader also runs hidden checks on random inputs, for every operation.
"""

import math

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
    assert math.isclose(g.data, 24.70408163265306, rel_tol=1e-9)


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
    assert math.isclose(a.grad, 138.83381924198252, rel_tol=1e-9)
    assert math.isclose(b.grad, 645.5772594752186, rel_tol=1e-9)


def test_tanh_neuron():
    """o = tanh(n), n = x1·w1 + x2·w2 + b with x1 = 2, x2 = 3, w1 = −0.5, w2 = 0.1,
    b = 1.5813735870195432. By hand: n = 0.88137..., o = tanh(n) = 1/√2, do/dn = 1 − o² = 0.5,
    and by the chain rule x1.grad = w1 · 0.5 = −0.25, w1.grad = x1 · 0.5 = 1.0,
    x2.grad = w2 · 0.5 = 0.05, w2.grad = x2 · 0.5 = 1.5, b.grad = 0.5."""
    x1, x2 = Value(2.0), Value(3.0)
    w1, w2 = Value(-0.5), Value(0.1)
    b = Value(1.5813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert math.isclose(o.data, 1 / math.sqrt(2), rel_tol=1e-9)
    expected = [(x1, -0.25), (w1, 1.0), (x2, 0.05), (w2, 1.5), (b, 0.5)]
    for node, grad in expected:
        assert math.isclose(node.grad, grad, rel_tol=1e-6)


def test_node_used_twice_gets_both_contributions():
    """b = a + a depends on a twice: db/da = 2, not 1. Likewise d = a·a at a = 3 has dd/da = 6."""
    a = Value(3.0)
    b = a + a
    b.backward()
    assert math.isclose(a.grad, 2.0)
    x = Value(3.0)
    d = x * x
    d.backward()
    assert math.isclose(x.grad, 6.0)


def test_exp_log_sigmoid():
    """At x = 0: sigmoid = 0.5 with slope 0.25; exp = 1 with slope 1. log at x = 2 has slope 0.5."""
    x = Value(0.0)
    s = x.sigmoid()
    s.backward()
    assert math.isclose(s.data, 0.5) and math.isclose(x.grad, 0.25)
    y = Value(0.0)
    e = y.exp()
    e.backward()
    assert math.isclose(e.data, 1.0) and math.isclose(y.grad, 1.0)
    z = Value(2.0)
    lz = z.log()
    lz.backward()
    assert math.isclose(lz.data, math.log(2.0)) and math.isclose(z.grad, 0.5)
