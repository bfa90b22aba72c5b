"""Draw a computation graph: `draw_dot(root)` in a notebook shows every Value below `root`.

This helper is given whole (it is not a lesson). It reads only the Value API — `data`, `grad`,
`_prev`, `_op`, `label` — so it works with any engine. With Graphviz's `dot` program installed
the drawing is an SVG; without it, a text tree, so the notebooks run everywhere.
"""

import shutil
import subprocess


class GraphDrawing:
    """What draw_dot returns. Jupyter shows `svg` when there is one, else the text tree."""

    def __init__(self, dot_source, text, svg=None):
        self.dot_source = dot_source
        self.text = text
        self.svg = svg

    def _repr_svg_(self):
        return self.svg  # None makes Jupyter fall back to the text

    def __repr__(self):
        return self.text


def _describe(node):
    name = f"{node.label} | " if node.label else ""
    return f"{name}data {node.data:.4f} | grad {node.grad:.4f}"


def _nodes_and_edges(root):
    """Every node below root (iteratively: graphs can be deep) and the (child, parent) edges."""
    nodes, edges, seen, stack = [], [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node._prev:
            edges.append((child, node))
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return nodes, edges


def to_dot(root, rankdir="LR"):
    """Graphviz source: one record per Value, plus a small node per operation."""
    nodes, edges = _nodes_and_edges(root)
    lines = [f"digraph {{ rankdir={rankdir}; node [fontname=Helvetica fontsize=10];"]
    for node in nodes:
        lines.append(f'  n{id(node)} [shape=record label="{{ {_describe(node)} }}"];')
        if node._op:
            lines.append(f'  n{id(node)}op [label="{node._op}"];')
            lines.append(f"  n{id(node)}op -> n{id(node)};")
    for child, parent in edges:
        lines.append(f"  n{id(child)} -> n{id(parent)}op;")
    lines.append("}")
    return "\n".join(lines)


def to_text(root):
    """The graph as an indented tree, output first (a Value used twice is shown twice)."""
    lines, stack = [], [(root, 0)]
    while stack:
        node, depth = stack.pop()
        op = f"  [{node._op}]" if node._op else ""
        lines.append("    " * depth + _describe(node) + op)
        stack.extend((child, depth + 1) for child in reversed(list(node._prev)))
    return "\n".join(lines)


def draw_dot(root, rankdir="LR"):
    source = to_dot(root, rankdir)
    svg = None
    if shutil.which("dot"):
        result = subprocess.run(
            ["dot", "-Tsvg"], input=source, capture_output=True, text=True, timeout=60
        )
        if result.returncode == 0:
            svg = result.stdout
    return GraphDrawing(source, to_text(root), svg)
