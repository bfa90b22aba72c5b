"""Lesson 2 — the Value class: a scalar that remembers how it was computed.

Every arithmetic operation on Values returns a new Value that records its inputs (`_prev`) and
the local derivative of its output with respect to each input (`_local_grads`). `backward()` then
walks the graph from the output back to the leaves and applies the chain rule, node by node:

    d(output)/d(child)  +=  d(node)/d(child) · d(output)/d(node)

Storing the local derivatives as plain numbers (instead of a closure per node, as in
karpathy/micrograd) keeps the graph free of reference cycles, so Python frees each graph as soon
as it is no longer used and the garbage collector has nothing to chase: training runs several
times faster.
"""

import math


class Value:
    """A scalar value in a computation graph, with the gradient of the output in `grad`.

    Attributes: `data` (the number), `grad` (starts at 0.0, filled in by backward()), `_prev`
    (the children this Value was computed from: any container), `_op` and `label` (for drawing).

    Supports + - * / ** and unary -, with a Value or a plain number on either side: `v + 2`
    calls v.__add__(2), and `2 + v` calls the reflected method v.__radd__(2) (likewise
    __rsub__, __rmul__, __rtruediv__). A number operand is wrapped in a Value first.
    """

    __slots__ = ("data", "grad", "_prev", "_local_grads", "_op", "label")

    def __init__(self, data, _children=(), _op="", label="", _local_grads=()):
        self.data = data
        self.grad = 0.0
        self._prev = _children  # the Values this one was computed from
        self._local_grads = _local_grads  # d(self)/d(child), one per child, in the same order
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- arithmetic: each operation computes its output and its local derivatives --------------

    def __add__(self, other):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __mul__(self, other):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __pow__(self, exponent):
        """Raise to a constant power: d(x**k)/dx = k * x**(k - 1).

        The exponent is a plain int or float (2, -1, 0.5, ...), never a Value.
        """
        assert isinstance(exponent, (int, float)), "only int/float exponents are supported"
        # YOUR CODE HERE
        raise NotImplementedError()

    def __neg__(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __sub__(self, other):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __truediv__(self, other):
        """a / b: d/da = 1/b, d/db = -a/b²."""
        # YOUR CODE HERE
        raise NotImplementedError()

    # A number on the left (2 + v, 2 - v, ...) makes Python call these "reflected" methods on v.

    def __radd__(self, other):  # other + self
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rmul__(self, other):  # other * self
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rsub__(self, other):  # other - self
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rtruediv__(self, other):  # other / self
        # YOUR CODE HERE
        raise NotImplementedError()

    # --- functions of one value ------------------------------------------------------------------

    def tanh(self):
        """tanh squashes into (-1, 1); its derivative is 1 - tanh²."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def relu(self):
        """max(0, x); its derivative is 1 where x > 0 and 0 elsewhere."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def sigmoid(self):
        """1 / (1 + e^-x) squashes into (0, 1); its derivative is s * (1 - s)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def exp(self):
        """e^x is its own derivative."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def log(self):
        """Natural logarithm; its derivative is 1/x."""
        # YOUR CODE HERE
        raise NotImplementedError()

    # --- backpropagation -----------------------------------------------------------------------

    def topological_order(self):
        """Every node of the graph below (and including) self, each one after all of its children.

        Built with an explicit stack rather than recursion: a chain of 100,000 nodes would exceed
        Python's recursion limit.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self):
        """Fill in `grad` of every node below self with d(self)/d(node).

        Seed self.grad = 1.0 (d(self)/d(self)), then visit the nodes in reverse topological
        order (self first, the leaves last) and add each node's contribution to each child:
        child.grad += d(node)/d(child) · node.grad. Add with +=, never assign: a node used twice
        (b = a * a) gets both contributions. The order comes from topological_order(), which
        never recurses, so a chain of 100,000 nodes works.
        """
        # YOUR CODE HERE
        raise NotImplementedError()
