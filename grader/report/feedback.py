"""feedback.html for one submission, rendered with jinja2 from grader/report/templates/.

Check names and messages are influenced by student code (a message quotes the value the
student returned), so autoescaping is always on. Checks marked `hidden` (Gradescope's
visibility) are summarised as points only; the student sees no detail of them.

Pictures (grader/report/figures/) are drawn here from the figure data the runner kept per check
(grader/suites/figure_data.py: already stripped of a restricted worker's numbers): the graph of
a failed gradient check beside the check, lesson 6's pictures under its lesson. A reason shared
by several checks of a lesson (the lesson's module does not compile, ...) is said once.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import jinja2
from markupsafe import Markup

from grader.names import printable, visible
from grader.report.figures import graph
from grader.results import Check, LessonResult, SubmissionResult, format_points
from grader.suites import floatnet

# Lessons whose pictures are drawn from the student's run, and what they show (for the sentence
# that says why a restricted lesson has none).
PICTURED = {"training": "loss curves, decision boundary and optimizer benchmark"}
LESSON_FIGURES = ("loss_curves", "decision_boundary", "benchmark")
FIGURE_TITLES = {
    "loss_curves": "Your training and validation loss per epoch, beside the reference's",
    "decision_boundary": "Your trained model's decision boundary over the points it trained on",
    "benchmark": "Your optimizer benchmark (confirmed by the grader)",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,  # explicit: the template's name does not end in .html
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = format_points
    env.filters["visible"] = visible  # names are data: ids and file names show every character
    env.filters["printable"] = printable
    return env


def scoped(svg: str, prefix: str) -> Markup:
    """The SVG with its ids (and the links to them) prefixed: several figures on one page must
    not share an id. Safe to mark up: the figures escape every text they hold."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'(href=")#([^"]+)"', rf'\1#{prefix}-\2"', svg)
    return Markup(re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg))


def graph_figure(figure: dict, prefix: str) -> dict | None:
    """The picture of a failed gradient check and the verdict at its wrong node."""
    wrong, got = figure["wrong"], figure.get("got")
    try:
        svg = graph.graph_svg(
            figure["nodes"],
            data=figure["data"],
            expected=figure["expected"],
            got=got,
            relation=figure["relation"],
            highlight=wrong,
        )
    except (ValueError, KeyError, TypeError):
        return None  # a figure that does not fit its graph: the check's words still stand
    at = graph.statement(figure["nodes"], wrong)
    verdict = graph.verdict(wrong, figure["expected"], got, figure["relation"])
    return {"svg": scoped(svg, prefix), "caption": f"At {at}: {verdict}."}


def boundary_svg(figure: dict) -> str:
    """The decision boundary, the grid's scores computed here from the returned parameters."""
    from grader.report.figures import plots  # matplotlib: loaded only for lesson 6's pictures

    points, nouts, params = figure["points"], figure["nouts"], figure["parameters"]
    xs, ys = plots.covering_grid(points)
    grid = [floatnet.scores(params, nouts, [[x, y] for x in xs]) for y in ys]
    return plots.decision_boundary_svg(grid, xs, ys, points, figure["labels"])


def lesson_figure(figure: dict, prefix: str) -> dict | None:
    """One of lesson 6's pictures (and the benchmark's table), or None if it cannot be drawn."""
    # matplotlib costs ~40 MB in the grading process: loaded only when a lesson 6 picture is
    # drawn (tests/test_intake_corpus.py bounds the grader's peak memory).
    from grader.report.figures import plots

    kind = figure["kind"]
    try:
        if kind == "loss_curves":
            svg = plots.loss_curves_svg(figure["student"], figure["reference"])
        elif kind == "decision_boundary":
            svg = boundary_svg(figure)
        else:
            svg = plots.benchmark_svg(figure["rows"])
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    table = plots.benchmark_table(figure["rows"]) if kind == "benchmark" else None
    return {"title": FIGURE_TITLES[kind], "svg": scoped(svg, prefix), "table": table}


def shared_reasons(lesson: LessonResult, shown: list[Check]) -> list[str]:
    """Messages that several shown checks failed with, or the lesson's own reason: said once
    for the lesson, not under each check."""
    counts = Counter(c.message for c in shown if not c.passed and c.message)
    return [m for m, n in counts.items() if n > 1 or m == lesson.reason]


def check_rows(shown: list[Check], shared: list[str], n: int) -> list[dict]:
    """A table row per shown check: its own message (unless said once above) and its graph."""
    rows = []
    for i, check in enumerate(shown):
        drawn = not check.passed and check.figure and check.figure.get("kind") == "graph"
        rows.append(
            {
                "check": check,
                "message": "" if check.message in shared else check.message,
                "see_above": not check.passed and check.message in shared,
                "graph": graph_figure(check.figure, f"f{n}-{i}") if drawn else None,
            }
        )
    return rows


def lesson_view(result: SubmissionResult, lesson: LessonResult, n: int) -> dict:
    checks = lesson.checks
    hidden = [c for c in checks if c.visibility == "hidden"]
    shown = [c for c in checks if c.visibility != "hidden"]
    shared = shared_reasons(lesson, shown)
    figures = [
        lesson_figure(c.figure, f"l{n}-{i}")
        for i, c in enumerate(shown)
        if c.figure and c.figure.get("kind") in LESSON_FIGURES
    ]
    # The submission's own reason (nothing could be graded) is said once, at the top.
    submission_wide = result.status == lesson.status and result.reason == lesson.reason
    return {
        "result": lesson,
        "percent": round(100 * lesson.points / lesson.max_points) if lesson.max_points else 0,
        "reason": "" if submission_wide else lesson.reason,
        "shared": [m for m in shared if m != lesson.reason],
        "rows": check_rows(shown, shared, n),
        "figures": [f for f in figures if f],
        "no_pictures": PICTURED.get(lesson.lesson.id, "") if lesson.restricted else "",
        "hidden_count": len(hidden),
        "hidden_points": sum(c.points for c in hidden),
        "hidden_max": sum(c.max_points for c in hidden),
    }


def render_feedback(result: SubmissionResult) -> str:
    lessons = [lesson_view(result, lesson, n) for n, lesson in enumerate(result.lessons)]
    return environment().get_template("feedback.html.j2").render(result=result, lessons=lessons)
