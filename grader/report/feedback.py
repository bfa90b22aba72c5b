"""feedback.html for one submission, rendered with jinja2 from grader/report/templates/.

Check names and messages are influenced by student code (a message quotes the value the
student returned), so autoescaping is always on. Checks marked `hidden` (Gradescope's
visibility) are summarised as points only; the student sees no detail of them.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from grader.names import printable, visible
from grader.results import SubmissionResult, format_points


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


def render_feedback(result: SubmissionResult) -> str:
    lessons = []
    for lesson in result.lessons:
        checks = lesson.checks
        hidden = [c for c in checks if c.visibility == "hidden"]
        lessons.append(
            {
                "result": lesson,
                "percent": round(100 * lesson.points / lesson.max_points)
                if lesson.max_points
                else 0,
                "shown": [c for c in checks if c.visibility != "hidden"],
                "hidden_count": len(hidden),
                "hidden_points": sum(c.points for c in hidden),
                "hidden_max": sum(c.max_points for c in hidden),
            }
        )
    return environment().get_template("feedback.html.j2").render(result=result, lessons=lessons)
