"""grader/report/figures: every figure is standalone SVG with alt text that names its numbers,
nothing external, all text escaped, the same bytes for the same input, and small."""

import math
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from grader.report.figures import graph, plots
from grader.report.figures.svgdoc import SVG_NS, XLINK_NS, short
from grader.sandbox.inside.specs import build_graph
from grader.suites.checks import fmt
from solutions.micrograd.data import make_moons
from solutions.micrograd.engine import Value

SVG = f"{{{SVG_NS}}}"
HOSTILE = '<script>alert("x")</script> & \\N'

# c = a * b is the wrong node: a backward that doubles it (e.g. `grad = 2 * out.grad`).
NODES = [
    ["leaf", 2.0],
    ["leaf", -3.0],
    ["mul", 0, 1],
    ["leaf", 0.5],  # d feeds nothing (random graphs have such nodes): its grad stays 0
    ["tanh", 2],
    ["add", 4, ["num", 1.0]],
]
WRONG = 2


def reference_run(nodes):
    """The trusted side's data and grads (the reference engine), as the value suite gets them."""
    built = build_graph(nodes, Value)
    built[-1].backward()
    return [v.data for v in built], [v.grad for v in built]


DATA, EXPECTED = reference_run(NODES)
GOT = [2 * g if i == WRONG else g for i, g in enumerate(EXPECTED)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def alt_of(svg: str) -> str:
    """The alt text; the first <title> and the aria-label must agree."""
    root = parse(svg)
    assert root.get("role") == "img"
    assert root[0].tag == f"{SVG}title" and root[0].text == root.get("aria-label")
    return root.get("aria-label")


def assert_self_contained(svg: str):
    """No URL but the two namespaces, no image, no font or stylesheet to fetch, only #links."""
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {SVG_NS, XLINK_NS}
    assert "@import" not in svg and "@font-face" not in svg and "url(http" not in svg
    for element in parse(svg).iter():
        assert element.tag != f"{SVG}image" and element.tag != f"{SVG}script"
        for key in ("href", f"{{{XLINK_NS}}}href"):
            assert element.get(key) is None or element.get(key).startswith("#")


def texts(element) -> str:
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def node_group(svg: str, i: int) -> ET.Element:
    (group,) = [g for g in parse(svg).iter(f"{SVG}g") if g.get("id") == f"node-{i}"]
    return group


# --- the computation graph ----------------------------------------------------------------------

ENGINES = ["dot", "plain"]


def wrong_graph(engine, **kwargs):
    return graph.graph_svg(
        NODES, data=DATA, expected=EXPECTED, got=GOT, highlight=WRONG, engine=engine, **kwargs
    )


def test_dot_is_installed_for_the_graphviz_path():
    assert graph.shutil.which("dot"), "install.sh installs Debian's graphviz"


@pytest.mark.parametrize("engine", ENGINES)
def test_graph_highlights_the_wrong_node_with_expected_and_got(engine):
    svg = wrong_graph(engine)
    group = node_group(svg, WRONG)
    assert "wrong" in group.get("class").split()
    assert f"grad expected {fmt(EXPECTED[WRONG])}, got {fmt(GOT[WRONG])}" in texts(group)
    assert "c = a * b" in texts(group)
    others = [node_group(svg, i) for i in range(len(NODES)) if i != WRONG]
    assert all("wrong" not in g.get("class").split() for g in others)
    assert f"data {short(DATA[0])}" in texts(others[0])


@pytest.mark.parametrize("engine", ENGINES)
def test_graph_alt_text_names_the_graph_and_the_numbers_at_the_wrong_node(engine):
    alt = alt_of(wrong_graph(engine, title="value/test_gradient[*]"))
    assert alt.startswith("value/test_gradient[*]: Computation graph of a = Value(2.0);")
    assert (
        f"the node c = a * b has grad expected {fmt(EXPECTED[WRONG])}, got {fmt(GOT[WRONG])}"
    ) in alt


@pytest.mark.parametrize("engine", ENGINES)
def test_graph_draws_one_box_per_node_and_an_edge_per_operand(engine):
    svg = wrong_graph(engine)
    for i in range(len(NODES)):
        assert node_group(svg, i) is not None
    edges = sum(len(graph.operands(node)) for node in NODES)
    drawn = (
        [g for g in parse(svg).iter(f"{SVG}g") if g.get("class") == "edge"]
        if engine == "dot"
        else list(parse(svg).iter(f"{SVG}line"))
    )
    assert len(drawn) == edges == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_graph_is_self_contained_deterministic_and_small(engine):
    svg = wrong_graph(engine)
    assert_self_contained(svg)
    assert svg == wrong_graph(engine)
    chain = [["leaf", 0.5]] + [
        ["tanh", i] if i % 2 else ["mul", i, ["num", 1.5]] for i in range(16)
    ]
    data, grads = reference_run(chain)
    big = graph.graph_svg(chain, data=data, expected=grads, got=grads, highlight=3, engine=engine)
    assert len(big.encode()) < 30_000


@pytest.mark.parametrize("engine", ENGINES)
def test_graph_text_is_escaped_data(engine):
    nodes = [["leaf", HOSTILE], ["neg", 0]]
    svg = graph.graph_svg(nodes, title=HOSTILE, engine=engine)
    root = parse(svg)
    assert all(e.tag != f"{SVG}script" for e in root.iter())
    assert "<script>" not in svg
    assert alt_of(svg).startswith(HOSTILE + ": ")
    assert f"a = Value({HOSTILE!r})" in texts(node_group(svg, 0))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_restricted_check_shows_the_relation_never_a_value(engine):
    svg = graph.graph_svg(
        NODES,
        data=DATA,
        expected=EXPECTED,
        relation="has the wrong sign",
        highlight=WRONG,
        engine=engine,
    )
    verdict = f"grad expected {fmt(EXPECTED[WRONG])}; your value has the wrong sign"
    assert verdict in texts(node_group(svg, WRONG)) and verdict in alt_of(svg)
    assert "got" not in svg


def test_auto_uses_dot_when_installed_and_the_plain_layout_otherwise(monkeypatch):
    kwargs = {"data": DATA, "expected": EXPECTED, "got": GOT, "highlight": WRONG}
    assert graph.graph_svg(NODES, **kwargs) == graph.graph_svg(NODES, engine="dot", **kwargs)
    monkeypatch.setattr(graph.shutil, "which", lambda program: None)
    assert graph.graph_svg(NODES, **kwargs) == graph.graph_svg(NODES, engine="plain", **kwargs)


def test_auto_falls_back_when_dot_fails(monkeypatch):
    def broken(source):
        raise subprocess.CalledProcessError(1, ["dot"])

    monkeypatch.setattr(graph, "run_dot", broken)
    assert graph.graph_svg(NODES) == graph.graph_svg(NODES, engine="plain")
    with pytest.raises(subprocess.CalledProcessError):
        graph.graph_svg(NODES, engine="dot")


def test_graph_rejects_inputs_that_do_not_fit_the_spec():
    with pytest.raises(ValueError, match="6 nodes"):
        graph.graph_svg(NODES, expected=EXPECTED[:-1])
    with pytest.raises(ValueError, match="no such node"):
        graph.graph_text(NODES, highlight=len(NODES))
    with pytest.raises(ValueError, match="too many"):
        graph.graph_svg([["leaf", 1.0]] + [["neg", i] for i in range(graph.MAX_NODES)])
    with pytest.raises(ValueError):
        graph.graph_svg([["add", 1, 0]])  # operands must be earlier nodes


def test_graph_text_is_a_tree_from_the_output_with_the_wrong_node_marked():
    lines = graph.graph_text(
        NODES, data=DATA, expected=EXPECTED, got=GOT, highlight=WRONG
    ).splitlines()
    starts = [line.split(" | ")[0] for line in lines]
    assert starts == [
        "f = e + 1.0",
        "    e = c.tanh()",
        "        c = a * b",
        "            a = Value(2.0)",
        "            b = Value(-3.0)",
        "d = Value(0.5)",
    ]
    marked = [line for line in lines if "<--" in line]
    assert marked == [
        (
            f"        c = a * b | data {short(DATA[WRONG])} | grad expected "
            f"{fmt(EXPECTED[WRONG])}, got {fmt(GOT[WRONG])}   <-- wrong"
        )
    ]
    assert lines[3].endswith(f"| data {short(DATA[0])} | grad {short(EXPECTED[0])}")


def test_graph_text_shows_a_node_used_twice_once():
    nodes = [["leaf", 1.5], ["mul", 0, 0], ["add", 1, 0]]
    assert graph.graph_text(nodes).splitlines() == [
        "c = b + a",
        "    b = a * a",
        "        a = Value(1.5)",
    ]


# --- lesson 6 plots ------------------------------------------------------------------------------


def history(start, rate, bump=0.0, epochs=12):
    """Loss curves shaped like a run: falling, validation turning up after epoch 8 by `bump`."""
    train = [start / (1 + rate * e) for e in range(epochs)]
    val = [1.1 * start / (1 + rate * e) + bump * max(0, e - 8) for e in range(epochs)]
    return {"train_loss": train, "val_loss": val}


STUDENT, REFERENCE = history(1.0, 0.3, bump=0.02), history(0.9, 0.4)
ROWS = [
    {
        "optimizer": name,
        "final_train_loss": 0.5 / k,
        "final_val_loss": 0.55 / k,
        "best_val_loss": 0.52 / k,
        "best_epoch": 10 + k,
    }
    for k, name in enumerate(("SGD", "Momentum", "Adam"), start=1)
]


def moons_boundary(n=200):
    """A model's scores over a covering grid: positive above a wave between the moons."""
    points, labels = make_moons(n, noise=0.1, seed=0)
    xs, ys = plots.covering_grid(points)
    scores = [[math.tanh(3 * (y - 0.25) - 1.5 * math.sin(2 * x)) for x in xs] for y in ys]
    return scores, xs, ys, points, labels


FIGURES = {  # the decision boundary carries 200 points
    "loss_curves": lambda: plots.loss_curves_svg(STUDENT, REFERENCE),
    "decision_boundary": lambda: plots.decision_boundary_svg(*moons_boundary()),
    "benchmark": lambda: plots.benchmark_svg(ROWS),
}


@pytest.mark.parametrize("figure", FIGURES)
def test_plots_are_self_contained_deterministic_and_small(figure):
    svg = FIGURES[figure]()
    assert_self_contained(svg)
    assert alt_of(svg)
    assert svg == FIGURES[figure]()
    assert len(svg.encode()) < (60_000 if figure == "decision_boundary" else 30_000)


def test_loss_curves_alt_text_states_both_runs():
    alt = alt_of(plots.loss_curves_svg(STUDENT, REFERENCE))
    val = STUDENT["val_loss"]
    best_epoch = val.index(min(val))
    assert 0 < best_epoch < len(val) - 1  # the bump makes the last epoch not the best
    assert f"{len(val)} epochs" in alt
    assert (
        f"Your model: train loss {short(STUDENT['train_loss'][0])} → "
        f"{short(STUDENT['train_loss'][-1])}, validation loss {short(val[0])} → "
        f"{short(val[-1])} (best {short(min(val))} at epoch {best_epoch})"
    ) in alt
    assert f"the reference: train loss {short(REFERENCE['train_loss'][0])}" in alt


def test_loss_curves_text_stays_text_and_a_missing_reference_is_left_out():
    legend = texts(parse(plots.loss_curves_svg(STUDENT, REFERENCE)))
    assert "your validation" in legend and "reference train" in legend and "epoch" in legend
    alone = plots.loss_curves_svg(STUDENT)
    assert "reference" not in texts(parse(alone)) and "reference" not in alt_of(alone)


def test_loss_curves_survive_a_diverged_run():
    diverged = {"train_loss": [1.0, 2.0, math.inf], "val_loss": [1.1, math.nan, 3.0]}
    alt = alt_of(plots.loss_curves_svg(diverged))
    assert "train loss 1 → not a number" in alt and "(best 1.1 at epoch 0)" in alt


def test_the_grid_covers_the_points_with_a_margin():
    scores, xs, ys, points, labels = moons_boundary(60)
    for axis, grid in ((0, xs), (1, ys)):
        low, high = min(p[axis] for p in points), max(p[axis] for p in points)
        pad = 0.15 * (high - low) - 1e-9  # 15 % of the span, up to rounding
        assert grid[0] <= low - pad and grid[-1] >= high + pad
    short_xs = [x for x in xs if x <= max(p[0] for p in points)]  # the notebook's mistake
    with pytest.raises(ValueError, match="cover"):
        plots.decision_boundary_svg(
            [row[: len(short_xs)] for row in scores], short_xs, ys, points, labels
        )
    with pytest.raises(ValueError, match="rows"):
        plots.decision_boundary_svg(scores[1:], xs, ys, points, labels)


def test_decision_boundary_alt_text_and_axes():
    scores, xs, ys, points, labels = moons_boundary(60)
    svg = plots.decision_boundary_svg(scores, xs, ys, points, labels)
    cells = [s for row in scores for s in row]
    share = 100 * sum(s > 0 for s in cells) / len(cells)
    alt = alt_of(svg)
    assert f"{len(xs)} × {len(ys)} grid from x = {short(xs[0])} to {short(xs[-1])}" in alt
    assert f"(+1 on {share:.0f} % of it)" in alt
    assert (
        f"{len(points)} points ({labels.count(1)} labelled +1, {labels.count(-1)} labelled −1)"
    ) in alt
    assert "label +1" in texts(parse(svg)) and "label -1" in texts(parse(svg))


def test_decision_boundary_of_a_model_that_says_one_class_everywhere():
    _, xs, ys, points, labels = moons_boundary(40)
    svg = plots.decision_boundary_svg([[-1.0] * len(xs) for _ in ys], xs, ys, points, labels)
    assert "(+1 on 0 % of it)" in alt_of(svg)


def test_benchmark_table_is_the_seed_projects_columns():
    table = plots.benchmark_table(ROWS)
    assert [list(row) for row in table] == [
        ["optimizer", "final train loss", "final val loss", "best val loss", "best epoch"]
    ] * len(ROWS)
    adam = ROWS[2]
    assert table[2] == {
        "optimizer": "Adam",
        "final train loss": short(adam["final_train_loss"]),
        "final val loss": short(adam["final_val_loss"]),
        "best val loss": short(adam["best_val_loss"]),
        "best epoch": "13",
    }


def test_benchmark_plot_names_every_optimizer_and_its_numbers():
    svg = plots.benchmark_svg(ROWS)
    alt = alt_of(svg)
    for row in ROWS:
        assert (
            f"{row['optimizer']}: final train loss {short(row['final_train_loss'])}, "
            f"final val loss {short(row['final_val_loss'])}, best val loss "
            f"{short(row['best_val_loss'])} at epoch {row['best_epoch']}"
        ) in alt
        assert f"(best epoch {row['best_epoch']})" in texts(parse(svg))


def test_plot_text_is_escaped_data():
    rows = [dict(ROWS[0], optimizer=HOSTILE)]
    svg = plots.benchmark_svg(rows)
    assert "<script>" not in svg and HOSTILE in alt_of(svg)
    assert all(e.tag != f"{SVG}script" for e in parse(svg).iter())
    assert plots.benchmark_table(rows)[0]["optimizer"] == HOSTILE  # the page template escapes
