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
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+", _local_grads=(1.0, 1.0))
        ### END SOLUTION

    def __mul__(self, other):
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        local_grads = (other.data, self.data)  # d(a*b)/da = b, d(a*b)/db = a
        return Value(self.data * other.data, (self, other), "*", _local_grads=local_grads)
        ### END SOLUTION

    def __pow__(self, exponent):
        """Raise to a constant power: d(x**k)/dx = k * x**(k - 1).

        The exponent is a plain int or float (2, -1, 0.5, ...), never a Value.
        """
        assert isinstance(exponent, (int, float)), "only int/float exponents are supported"
        ### BEGIN SOLUTION
        local_grad = exponent * self.data ** (exponent - 1)
        return Value(self.data**exponent, (self,), f"**{exponent}", _local_grads=(local_grad,))
        ### END SOLUTION

    def __neg__(self):
        ### BEGIN SOLUTION
        return Value(-self.data, (self,), "neg", _local_grads=(-1.0,))
        ### END SOLUTION

    def __sub__(self, other):
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data - other.data, (self, other), "-", _local_grads=(1.0, -1.0))
        ### END SOLUTION

    def __truediv__(self, other):
        """a / b: d/da = 1/b, d/db = -a/b²."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        local_grads = (1.0 / other.data, -self.data / other.data**2)
        return Value(self.data / other.data, (self, other), "/", _local_grads=local_grads)
        ### END SOLUTION

    # A number on the left (2 + v, 2 - v, ...) makes Python call these "reflected" methods on v.

    def __radd__(self, other):  # other + self
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rmul__(self, other):  # other * self
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rsub__(self, other):  # other - self
        ### BEGIN SOLUTION
        return Value(other) - self
        ### END SOLUTION

    def __rtruediv__(self, other):  # other / self
        ### BEGIN SOLUTION
        return Value(other) / self
        ### END SOLUTION

    # --- functions of one value ------------------------------------------------------------------

    def tanh(self):
        """tanh squashes into (-1, 1); its derivative is 1 - tanh²."""
        ### BEGIN SOLUTION
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", _local_grads=(1 - t * t,))
        ### END SOLUTION

    def relu(self):
        """max(0, x); its derivative is 1 where x > 0 and 0 elsewhere."""
        ### BEGIN SOLUTION
        if self.data > 0:
            return Value(self.data, (self,), "ReLU", _local_grads=(1.0,))
        return Value(0.0, (self,), "ReLU", _local_grads=(0.0,))
        ### END SOLUTION

    def sigmoid(self):
        """1 / (1 + e^-x) squashes into (0, 1); its derivative is s * (1 - s)."""
        ### BEGIN SOLUTION
        x = self.data
        # Two forms of the same function, so that exp never overflows for large |x|.
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(s, (self,), "sigmoid", _local_grads=(s * (1 - s),))
        ### END SOLUTION

    def exp(self):
        """e^x is its own derivative."""
        ### BEGIN SOLUTION
        e = math.exp(self.data)
        return Value(e, (self,), "exp", _local_grads=(e,))
        ### END SOLUTION

    def log(self):
        """Natural logarithm; its derivative is 1/x."""
        ### BEGIN SOLUTION
        return Value(math.log(self.data), (self,), "log", _local_grads=(1.0 / self.data,))
        ### END SOLUTION

    # --- backpropagation -----------------------------------------------------------------------

    def topological_order(self):
        """Every node of the graph below (and including) self, each one after all of its children.

        Built with an explicit stack rather than recursion: a chain of 100,000 nodes would exceed
        Python's recursion limit.
        """
        ### BEGIN SOLUTION
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)  # all of its children were appended before it
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if child not in visited)
        return order
        ### END SOLUTION

    def backward(self):
        """Fill in `grad` of every node below self with d(self)/d(node).

        Seed self.grad = 1.0 (d(self)/d(self)), then visit the nodes in reverse topological
        order (self first, the leaves last) and add each node's contribution to each child:
        child.grad += d(node)/d(child) · node.grad. Add with +=, never assign: a node used twice
        (b = a * a) gets both contributions. The order comes from topological_order(), which
        never recurses, so a chain of 100,000 nodes works.
        """
        ### BEGIN SOLUTION
        self.grad = 1.0
        for node in reversed(self.topological_order()):
            for child, local_grad in zip(node._prev, node._local_grads):
                # += : a node used twice gets a contribution from each use
                child.grad += local_grad * node.grad
        ### END SOLUTION
