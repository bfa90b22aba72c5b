"""The computation graph of a gradient check, as SVG (feedback.html) or text (a terminal).

Drawn from the check's own graph spec (grader/sandbox/inside/specs.py), with the node names and
statements of the value suite's messages ("c = a * b"), so the picture and the verdict use the
same words. `data` and `expected` are the trusted side's numbers (the reference's forward values
and grads); `got` are the student's grads and may come only from an UNRESTRICTED worker. For a
restricted check pass `relation` instead (the trusted side's coarse words, e.g. "has the wrong
sign"), never `got`.
"""

import shutil
import subprocess
import xml.etree.ElementTree as ET

from grader.report.figures.svgdoc import SVG_NS, finish_svg
from grader.sandbox.inside import words

# The graph's words (statements, verdicts, the text drawing) are shared with the student's
# self-check; re-exported here for the figures' callers.
from grader.sandbox.inside.words import (  # noqa: F401
    check_graph,
    facts,
    name,
    operands,
    render,
    statement,
    text_order,
    verdict,
)

MAX_NODES = 60  # a bigger graph (the 100,000-node chain) is no picture anyone can read
DOT_TIMEOUT = 20  # seconds
FONT = "Helvetica, Arial, sans-serif"
PLAIN_FILL, WRONG_FILL, WRONG_STROKE = "#f5f5f5", "#ffebee", "#c62828"


def layers(nodes) -> list[int]:
    """Each node's layer: 0 for a leaf, else one more than its deepest operand."""
    depth = []
    for node in nodes:
        depth.append(1 + max((depth[a] for a in operands(node)), default=-1))
    return depth


def check_inputs(nodes, highlight, **per_node):
    """Reject a spec or a list of numbers that does not fit the graph (a caller's bug)."""
    check_graph(nodes)
    if len(nodes) > MAX_NODES:
        raise ValueError(f"{len(nodes)} nodes: too many to draw (at most {MAX_NODES})")
    for what, values in per_node.items():
        if values is not None and len(values) != len(nodes):
            raise ValueError(f"{what}: {len(values)} numbers for {len(nodes)} nodes")
    if highlight is not None and not 0 <= highlight < len(nodes):
        raise ValueError(f"highlight {highlight}: no such node")


def alt_text(nodes, expected, got, relation, highlight, title) -> str:
    """What the figure shows, in one sentence (alt text and <title>)."""
    text = f"Computation graph of {render(nodes)}"
    if highlight is not None and expected is not None:
        text += (
            f"; after {name(len(nodes) - 1)}.backward(), the node "
            f"{statement(nodes, highlight)} has "
            f"{verdict(highlight, expected, got, relation)}"
        )
    return f"{title}: {text}" if title else text


def dot_quote(text: str) -> str:
    """A DOT string literal that dot shows as `text`: dot reads escapes and HTML entities."""
    text = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dot_source(boxes, nodes, highlight, title) -> str:
    """Graphviz source: one box per node, an edge from each operand to its user."""
    lines = [
        f"digraph {dot_quote('computation graph')} {{ rankdir=LR; bgcolor=white;",
        f"  fontname={dot_quote(FONT)};",
        (
            f'  node [shape=box style="rounded,filled" fillcolor="{PLAIN_FILL}" '
            f"fontname={dot_quote(FONT)} fontsize=10];"
        ),
    ]
    if title:
        lines.append(f"  label={dot_quote(title)}; labelloc=t;")
    for i, box in enumerate(boxes):
        label = dot_quote("\n".join(box)).replace("\n", "\\n")
        style = (
            f' class="wrong" color="{WRONG_STROKE}" penwidth=2 fillcolor="{WRONG_FILL}"'
            if i == highlight
            else ""
        )
        lines.append(f'  {dot_quote(name(i))} [id="node-{i}" label={label}{style}];')
    lines += [
        f"  {dot_quote(name(a))} -> {dot_quote(name(i))};"
        for i, node in enumerate(nodes)
        for a in operands(node)
    ]
    return "\n".join(lines + ["}"])


def run_dot(source: str) -> str:
    """dot's SVG for the source; raises if dot fails or takes too long."""
    result = subprocess.run(
        ["dot", "-Tsvg"],
        input=source,
        capture_output=True,
        text=True,
        timeout=DOT_TIMEOUT,
        check=True,
    )
    return result.stdout


# The plain layout: layers left to right, boxes of one size, straight edges.
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y, TOP = 7, 15, 8, 40, 16, 8


def svg_element(parent, tag, text=None, **attrs):
    """A child element; ElementTree escapes its text and attributes."""
    element = ET.SubElement(
        parent, f"{{{SVG_NS}}}{tag}", {k.replace("_", "-"): str(v) for k, v in attrs.items()}
    )
    element.text = text
    return element


def box_positions(nodes, box_w, box_h, top):
    """The top-left corner of each node's box: column by layer, rows in spec order."""
    rows, corners = {}, []
    for layer in layers(nodes):
        row = rows.get(layer, 0)
        rows[layer] = row + 1
        corners.append((PAD + layer * (box_w + GAP_X), top + row * (box_h + GAP_Y)))
    return corners


def draw_box(root, i, corner, lines, size, wrong):
    """One node: a rounded box holding its lines of text."""
    (x, y), (w, h) = corner, size
    group = svg_element(root, "g", id=f"node-{i}", **{"class": "node wrong" if wrong else "node"})
    svg_element(
        group,
        "rect",
        x=x,
        y=y,
        width=w,
        height=h,
        rx=4,
        fill=WRONG_FILL if wrong else PLAIN_FILL,
        stroke=WRONG_STROKE if wrong else "#333333",
        stroke_width=2 if wrong else 1,
    )
    for k, line in enumerate(lines):
        svg_element(group, "text", line, x=x + PAD, y=y + PAD + (k + 0.8) * LINE_H)


def plain_svg(boxes, nodes, highlight, title) -> str:
    """The graph as a layered SVG written with the standard library."""
    box_w = max(len(line) for box in boxes for line in box) * CHAR_W + 2 * PAD
    box_h = max(len(box) for box in boxes) * LINE_H + 2 * PAD
    top = TOP + (LINE_H + PAD if title else 0)
    corners = box_positions(nodes, box_w, box_h, top)
    width = max(x for x, _ in corners) + box_w + PAD
    height = max(y for _, y in corners) + box_h + PAD
    root = ET.Element(
        f"{{{SVG_NS}}}svg",
        {
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT,
            "font-size": "12",
        },
    )
    marker = svg_element(
        svg_element(root, "defs"),
        "marker",
        id="arrow",
        viewBox="0 0 10 10",
        refX=10,
        refY=5,
        markerWidth=6,
        markerHeight=6,
        orient="auto",
    )
    svg_element(marker, "path", d="M0,0 L10,5 L0,10 z", fill="#555555")
    svg_element(root, "rect", width="100%", height="100%", fill="white")
    if title:
        svg_element(root, "text", title, x=PAD, y=TOP + LINE_H, font_weight="bold")
    for i, node in enumerate(nodes):
        for a in operands(node):
            (x1, y1), (x2, y2) = corners[a], corners[i]
            svg_element(
                root,
                "line",
                x1=x1 + box_w,
                y1=y1 + box_h / 2,
                x2=x2,
                y2=y2 + box_h / 2,
                stroke="#555555",
                marker_end="url(#arrow)",
            )
    for i, lines in enumerate(boxes):
        draw_box(root, i, corners[i], lines, (box_w, box_h), i == highlight)
    return ET.tostring(root, encoding="unicode")


def graph_svg(
    nodes,
    *,
    data=None,
    expected=None,
    got=None,
    relation="",
    highlight=None,
    title="",
    engine="auto",
) -> str:
    """The graph as standalone SVG text with alt text; `highlight` is the wrong node's index.

    engine: "dot" (Graphviz, errors raised), "plain" (standard library), or "auto" (dot when
    installed and working, plain otherwise)."""
    check_inputs(nodes, highlight, data=data, expected=expected, got=got)
    boxes = [
        [statement(nodes, i)] + facts(i, data, expected, got, relation, highlight)
        for i in range(len(nodes))
    ]
    alt = alt_text(nodes, expected, got, relation, highlight, title)
    if engine == "auto":
        engine = "plain"
        if shutil.which("dot"):
            try:
                return finish_svg(run_dot(dot_source(boxes, nodes, highlight, title)), alt)
            except (OSError, subprocess.SubprocessError, ET.ParseError):
                pass  # a broken Graphviz must not cost the student their feedback
    if engine == "dot":
        return finish_svg(run_dot(dot_source(boxes, nodes, highlight, title)), alt)
    if engine == "plain":
        return finish_svg(plain_svg(boxes, nodes, highlight, title), alt)
    raise ValueError(f"unknown engine {engine!r}")


def graph_text(nodes, *, data=None, expected=None, got=None, relation="", highlight=None) -> str:
    """The graph for a terminal (words.graph_text), after checking the inputs fit the graph."""
    check_inputs(nodes, highlight, data=data, expected=expected, got=got)
    return words.graph_text(
        nodes, data=data, expected=expected, got=got, relation=relation, highlight=highlight
    )
