"""Figures for feedback.html: pure functions from numbers to standalone, accessible SVG text.

- graph.py: the computation graph of a gradient check, drawn from the check's own spec, the
  wrong node highlighted with its expected and actual grad (graphviz `dot` when installed, a
  plain layered SVG otherwise), and the same graph as text for a terminal.
- plots.py: matplotlib (SVG backend) figures for lesson 6: loss curves beside the reference's,
  the decision boundary over the grader's points, the optimizer benchmark (table and plot).
- svgdoc.py: what every figure gets before it leaves: no external references, role="img",
  alt text as `<title>` and aria-label.

The rule (design.md, "The trust boundary"): a figure is drawn only from numbers the trusted side
computed or chose (specs, inputs, expected values, the reference's runs), or from an
UNRESTRICTED worker's values (student code only). Never from a restricted worker's output: for a
restricted check pass no `got` values, only the trusted side's coarse relation words.
Every function here is pure and deterministic (same input, same bytes), and treats all text as
data (XML-escaped).
"""
