"""Lesson 6 figures, drawn with matplotlib's SVG backend (a Figure and its own canvas: never
pyplot's global state, so grading threads and a notebook's plots stay apart).

Output is deterministic (a fixed `svg.hashsalt`, no date) and keeps text as text
(`svg.fonttype` "none": small and searchable). The student's numbers here (their loss curves,
their model's scores over the grid) may come only from an UNRESTRICTED worker (design.md, "The
trust boundary"); the reference's curves, the grid and the grader's points are the trusted
side's own.
"""

import bisect
import io
import math

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader.report.figures.svgdoc import finish_svg, short

RC = {"svg.hashsalt": "micrograder", "svg.fonttype": "none", "font.size": 9}
SIZE = (5.5, 3.4)  # inches
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#d62728"
LABEL_STYLE = {1: ("#d62728", "^"), -1: ("#1f77b4", "o")}  # colour and shape: prints in grey
REGION_COLORS = ["#c6dbef", "#fcd5cc"]  # score <= 0 (says -1), score > 0 (says +1)


def to_svg(draw, alt: str, size=SIZE) -> str:
    """`draw(fig)` on a fresh figure under the fixed settings, as SVG text with alt text."""
    with rc_context(RC):
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return finish_svg(buffer.getvalue(), alt)


def finite_or_nan(values) -> list[float]:
    """Floats; a value that is not finite becomes NaN (a gap in the curve, not a blown axis)."""
    floats = [float(v) for v in values]
    return [v if math.isfinite(v) else math.nan for v in floats]


def best(values) -> tuple[float, int] | None:
    """The first minimum and its 0-based epoch (History's best_val_loss, best_epoch)."""
    finite = [(v, i) for i, v in enumerate(values) if not math.isnan(v)]
    return min(finite, key=lambda pair: pair[0]) if finite else None


def curve_summary(who: str, history: dict) -> str:
    """'your train loss 0.69 → 0.21, validation loss 0.7 → 0.25 (best 0.24 at epoch 15)'."""
    parts = []
    for key, what in (("train_loss", "train loss"), ("val_loss", "validation loss")):
        values = finite_or_nan(history[key])
        if values:
            parts.append(f"{what} {short(values[0])} → {short(values[-1])}")
    lowest = best(finite_or_nan(history["val_loss"]))
    if lowest:
        parts[-1] += f" (best {short(lowest[0])} at epoch {lowest[1]})"
    return f"{who}: " + ", ".join(parts) if parts else f"{who}: no epochs"


def loss_curves_svg(student: dict, reference: dict | None = None) -> str:
    """Train and validation loss per epoch (0-based, as History's best_epoch): the student's
    solid, the reference's dashed on the same data. Dicts with lists `train_loss`, `val_loss`."""
    runs = [("your", student, "-")] + ([("reference", reference, "--")] if reference else [])

    def draw(fig):
        ax = fig.add_subplot()
        for who, history, style in runs:
            for key, what, color in (
                ("train_loss", "train", TRAIN_COLOR),
                ("val_loss", "validation", VAL_COLOR),
            ):
                values = finite_or_nan(history[key])
                ax.plot(range(len(values)), values, style, color=color, label=f"{who} {what}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()

    summaries = [curve_summary("Your model", student)]
    if reference:
        summaries.append(curve_summary("the reference", reference))
    epochs = len(student["train_loss"])
    return to_svg(draw, f"Loss per epoch over {epochs} epochs. " + "; ".join(summaries) + ".")


def covering_grid(points, steps=(60, 45), margin=0.15) -> tuple[list[float], list[float]]:
    """Grid coordinates (xs, ys) that cover every point with a margin on each side (a fraction
    of the data's span, at least 0.1): ask the model for its score at each (x, y)."""

    def axis(values, n):
        low, high = min(values), max(values)
        pad = max(margin * (high - low), 0.1)
        return [low - pad + (high - low + 2 * pad) * k / (n - 1) for k in range(n)]

    return axis([p[0] for p in points], steps[0]), axis([p[1] for p in points], steps[1])


def check_grid(grid_scores, xs, ys, points):
    """The scores fill the grid (a row per y, a column per x) and the grid covers the points
    with room to spare: a boundary that stops short of the data hides where it goes."""
    if len(grid_scores) != len(ys) or any(len(row) != len(xs) for row in grid_scores):
        raise ValueError(f"grid_scores must be {len(ys)} rows of {len(xs)} scores")
    for axis, grid in ((0, xs), (1, ys)):
        low, high = min(p[axis] for p in points), max(p[axis] for p in points)
        pad = 0.05 * (high - low)
        if min(grid) > low - pad or max(grid) < high + pad:
            raise ValueError(
                "the grid does not cover the points with a margin: use covering_grid(points)"
            )


def boundary_alt(grid_scores, xs, ys, labels) -> str:
    cells = [s for row in grid_scores for s in row]
    positive = sum(1 for s in cells if s > 0)
    counts = {y: sum(1 for label in labels if label == y) for y in (1, -1)}
    return (
        f"Decision boundary of the trained model: the sign of its score over a "
        f"{len(xs)} × {len(ys)} grid from x = {short(min(xs))} to {short(max(xs))}, "
        f"y = {short(min(ys))} to {short(max(ys))} (+1 on {100 * positive / len(cells):.0f} % "
        f"of it), with the grader's {len(labels)} points ({counts[1]} labelled +1, "
        f"{counts[-1]} labelled −1)."
    )


def decision_boundary_svg(grid_scores, xs, ys, points, labels) -> str:
    """Where the model says +1 (score > 0) and −1 over a grid that covers the data (see
    covering_grid), the boundary line, and the grader's points coloured by their label."""
    check_grid(grid_scores, xs, ys, points)
    scores = [finite_or_nan(row) for row in grid_scores]
    bound = max((abs(s) for row in scores for s in row if not math.isnan(s)), default=0.0) + 1

    def draw(fig):
        ax = fig.add_subplot()
        ax.contourf(xs, ys, scores, levels=[-bound, 0, bound], colors=REGION_COLORS)
        if any(s > 0 for row in scores for s in row) and any(s < 0 for row in scores for s in row):
            ax.contour(xs, ys, scores, levels=[0], colors="#444444", linewidths=1)
        for label, (color, marker) in LABEL_STYLE.items():
            mine = [p for p, y in zip(points, labels) if y == label]
            # markers of a line, not a scatter: one shared style keeps the SVG small
            ax.plot(
                [p[0] for p in mine],
                [p[1] for p in mine],
                linestyle="none",
                marker=marker,
                markersize=4,
                color=color,
                markeredgecolor="black",
                markeredgewidth=0.3,
                label=f"label {label:+d}",
            )
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.legend(loc="upper right", fontsize=8)

    return to_svg(draw, boundary_alt(grid_scores, xs, ys, labels))


# The seed project's benchmark table: row key -> column header.
COLUMNS = {
    "optimizer": "optimizer",
    "final_train_loss": "final train loss",
    "final_val_loss": "final val loss",
    "best_val_loss": "best val loss",
    "best_epoch": "best epoch",
}
LOSS_KEYS = ("final_train_loss", "final_val_loss", "best_val_loss")


def benchmark_table(rows) -> list[dict]:
    """One dict per optimizer, keyed by the column headers, every cell as text for a page."""

    def cell(key, value):
        if key == "optimizer":
            return str(value)
        return str(int(value)) if key == "best_epoch" else short(value)

    return [{header: cell(key, row[key]) for key, header in COLUMNS.items()} for row in rows]


def benchmark_alt(rows) -> str:
    parts = [
        f"{row['optimizer']}: final train loss {short(row['final_train_loss'])}, final val "
        f"loss {short(row['final_val_loss'])}, best val loss {short(row['best_val_loss'])} "
        f"at epoch {int(row['best_epoch'])}"
        for row in rows
    ]
    return "Optimizer benchmark on the same data, weights and learning rate. " + "; ".join(parts)


def benchmark_svg(rows) -> str:
    """Grouped bars per optimizer: final train, final val and best val loss (best epoch in the
    optimizer's tick label)."""
    names = [f"{row['optimizer']}\n(best epoch {int(row['best_epoch'])})" for row in rows]
    width = 0.8 / len(LOSS_KEYS)

    def draw(fig):
        ax = fig.add_subplot()
        for k, (key, color) in enumerate(zip(LOSS_KEYS, (TRAIN_COLOR, VAL_COLOR, "#2ca02c"))):
            heights = [float(row[key]) for row in rows]
            bars = ax.bar(
                [i + (k - 1) * width for i in range(len(rows))],
                heights,
                width,
                color=color,
                label=COLUMNS[key],
            )
            ax.bar_label(bars, labels=[short(h) for h in heights], fontsize=7)
        ax.set_xticks(range(len(rows)), names)
        ax.set_ylabel("loss")
        ax.margins(y=0.15)
        ax.legend(fontsize=8)

    return to_svg(draw, benchmark_alt(rows))


def histogram_edges(max_value: float, bins: int = 10) -> list[float]:
    """Equal bins from 0 to `max_value`, one point wide when the maximum is small."""
    count = max(1, min(bins, math.ceil(max_value)))
    return [max_value * k / count for k in range(count + 1)]


def histogram_alt(values, edges, what: str) -> str:
    counts = [0] * (len(edges) - 1)
    for value in values:
        # the last bin holds its upper edge (full marks), as matplotlib's hist does
        counts[min(bisect.bisect_right(edges, value) - 1, len(counts) - 1)] += 1
    parts = [
        f"{n} from {short(low)} to {short(high)}"
        for n, low, high in zip(counts, edges, edges[1:])
        if n
    ]
    return f"Histogram of {what} over {len(values)} submissions: " + (
        "; ".join(parts) if parts else "no submissions"
    )


def histogram_svg(values, max_value: float, what: str, size=(4.2, 2.2)) -> str:
    """How many submissions scored how much: bins from 0 to `max_value` (full marks in the
    last bin), `what` names the quantity on the x axis (e.g. "points in lesson 2")."""
    edges = histogram_edges(max_value)
    floats = [min(max(float(v), 0.0), max_value) for v in values]

    def draw(fig):
        ax = fig.add_subplot()
        ax.hist(floats, bins=edges, color=TRAIN_COLOR, edgecolor="white")
        ax.set_xlim(0, max_value)
        ax.set_xlabel(what)
        ax.set_ylabel("submissions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))

    return to_svg(draw, histogram_alt(floats, edges, what), size=size)
