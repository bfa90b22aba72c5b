"""Worker requests for lesson 2 (micrograd/engine.py). Stdlib only; runs in the worker.

Graphs arrive as specs (see specs.py); the worker builds them with the student's Value, runs
backward and returns each node's data and grad exactly as the student's objects hold them.
"""

from . import specs


def graph(nodes, backward=True, root=-1):
    """Build the graph; optionally call backward() on node `root`; report data and grads."""
    from micrograd.engine import Value

    built = specs.build_graph(nodes, Value)
    if backward:
        built[root].backward()
    return {"data": [node.data for node in built], "grad": [node.grad for node in built]}


def children(nodes, limit=1000):
    """For every node: the spec indices of the objects in its _prev ("direct"; -1 for anything
    that is not a node of the spec, e.g. a leaf made from a number or the -b inside a + (-b)),
    and of every spec node reachable through _prev ("reachable", at most `limit` visits)."""
    from micrograd.engine import Value

    built = specs.build_graph(nodes, Value)
    index = {id(node): i for i, node in enumerate(built)}
    result = []
    for node in built:
        direct = [index.get(id(child), -1) for child in node._prev]
        reachable, seen, stack = set(), set(), list(node._prev)
        while stack and len(seen) < limit:
            child = stack.pop()
            if id(child) not in seen:
                seen.add(id(child))
                if id(child) in index:
                    reachable.add(index[id(child)])
                stack.extend(child._prev)
        result.append({"direct": direct, "reachable": sorted(reachable)})
    return result


def leaf(data, label=None):
    """A fresh Value: what it stores before any operation."""
    from micrograd.engine import Value

    v = Value(data) if label is None else Value(data, label=label)
    return {"data": v.data, "grad": v.grad, "label": v.label, "prev": len(v._prev)}


def chain(n, x, factors):
    """y = x * f0 * f1 * ... (n multiplications by numbers), then y.backward(): a graph
    n + 1 nodes deep, which a recursive topological sort cannot handle."""
    from micrograd.engine import Value

    if not factors or n < 1:
        raise specs.RequestError("chain needs n >= 1 and factors")
    start = Value(x)
    y = start
    for i in range(n):
        y = y * factors[i % len(factors)]
    y.backward()
    return {"data": y.data, "grad": start.grad, "root_grad": y.grad}


OPS = {
    "value.graph": graph,
    "value.children": children,
    "value.leaf": leaf,
    "value.chain": chain,
}
