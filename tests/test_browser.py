"""A real browser reads what `grade` writes: Debian's chromium (install.sh installs it; no
browser download) driven by Playwright opens every feedback.html and the class report of a
small class over file:// and checks the DOM: no console error, no request beyond file:// and
data:, every figure drawn with a non-zero size and alt text, the key content present, and no
horizontal overflow at a phone's width. A screenshot of each page is kept under the test's
tmp_path, and copied to $MICROGRADER_ARTIFACTS when that is set (CI uploads it).

The class is graded once (lessons value, nn and losses: training is slow):
- correct: a copy of the reference solution;
- tanh_bug: the reference with tanh's local derivative wrong (1 - t instead of 1 - t²), so it
  loses points in lesson 2 and lessons 3 and 4 run restricted on the course's engine;
- restricted: examples/submissions/bob (tanh, mse and Adam bugs: lessons 3 and 4 restricted);
- syntax_error: examples/submissions/carol (nn.py does not compile);
- empty: an empty folder (invalid).
"""

from __future__ import annotations

import csv
import html
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import paths
from grader.cli import main
from grader.lessons import course

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
LESSONS = ("value", "nn", "losses")
SUBMISSIONS = ("correct", "tanh_bug", "restricted", "syntax_error", "empty")
PAGES = {"report": "report.html"} | {sub: f"{sub}/feedback.html" for sub in SUBMISSIONS}
DESKTOP, PHONE = {"width": 1000, "height": 900}, {"width": 390, "height": 844}
TANH_GRAD = "_local_grads=(1 - t * t,)"


def build_class(subs: Path) -> None:
    copy = shutil.ignore_patterns("__pycache__")
    shutil.copytree(paths.REFERENCE_PACKAGE, subs / "correct" / "micrograd", ignore=copy)
    shutil.copytree(paths.REFERENCE_PACKAGE, subs / "tanh_bug" / "micrograd", ignore=copy)
    engine = subs / "tanh_bug" / "micrograd" / "engine.py"
    assert TANH_GRAD in engine.read_text()
    engine.write_text(engine.read_text().replace(TANH_GRAD, "_local_grads=(1 - t,)"))
    shutil.copytree(paths.EXAMPLES / "bob", subs / "restricted", ignore=copy)
    shutil.copytree(paths.EXAMPLES / "carol", subs / "syntax_error", ignore=copy)
    (subs / "empty").mkdir()


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    build_class(base / "subs")
    lessons = [arg for lesson in LESSONS for arg in ("--lesson", lesson)]
    args = ["grade", str(base / "subs"), "--out", str(base / "out"), "--seed", "7", "-j", "2"]
    result = CliRunner().invoke(main, args + lessons)
    assert result.exit_code == 0, result.output
    return base / "out"


@pytest.fixture(scope="module")
def gradebook(out) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with Debian's chromium (never a downloaded one)."""
    assert CHROMIUM.is_file(), "install Debian's chromium (install.sh does, as root)"
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


class Visit:
    """A page opened over file://, with every console error and outside request it caused."""

    def __init__(self, page, path: Path):
        self.page, self.errors, self.requests = page, [], []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("requestfailed", lambda req: self.requests.append(f"failed: {req.url}"))
        page.on(
            "request",
            lambda req: (
                None if req.url.startswith(("file:", "data:")) else self.requests.append(req.url)
            ),
        )
        page.set_viewport_size(DESKTOP)
        page.goto(path.as_uri(), wait_until="load")

    def figures(self) -> list[dict]:
        """Every outermost svg and every img: its size on the page and its alt text (folded
        <details> opened first: a figure must draw when its reader unfolds it)."""
        self.page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        return self.page.evaluate(
            """() => [...document.querySelectorAll('svg, img')]
                .filter(e => !e.parentElement.closest('svg'))
                .map(e => {
                    const box = e.getBoundingClientRect();
                    return {tag: e.tagName, width: box.width, height: box.height,
                            loaded: e.tagName !== 'IMG' || (e.complete && e.naturalWidth > 0),
                            alt: e.getAttribute('aria-label') || e.getAttribute('alt') || ''};
                })"""
        )

    def overflow_at(self, viewport: dict) -> int:
        """How many pixels the page is wider than the viewport (0: no sideways scrolling)."""
        self.page.set_viewport_size(viewport)
        return self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    def table(self, selector: str) -> list[list[str]]:
        return self.page.eval_on_selector(
            selector,
            "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))",
        )


def keep_screenshot(visit: Visit, tmp_path: Path, name: str) -> None:
    for viewport, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        visit.page.set_viewport_size(viewport)
        shot = tmp_path / f"{name}{suffix}.png"
        visit.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 1000
        artifacts = os.environ.get("MICROGRADER_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(artifacts) / shot.name)


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly_with_every_figure_drawn(out, page, tmp_path, name):
    visit = Visit(page, out / PAGES[name])
    assert visit.page.title()
    figures = visit.figures()
    for figure in figures:
        assert figure["width"] > 0 and figure["height"] > 0 and figure["loaded"], figure
        assert figure["alt"].strip(), figure  # every figure has alt text
    assert visit.overflow_at(PHONE) <= 0, "the page scrolls sideways on a phone"
    keep_screenshot(visit, tmp_path, name)
    assert visit.errors == [] and visit.requests == []
    if name == "report":
        assert len(figures) >= len(LESSONS)  # a histogram per lesson at least
        # a phone lays the page out at its own width instead of a zoomed-out 980 px desktop
        viewport = visit.page.get_attribute('meta[name="viewport"]', "content")
        assert "width=device-width" in viewport


def test_report_shows_a_histogram_per_lesson_and_the_status_counts(out, page, gradebook):
    visit = Visit(page, out / "report.html")
    histograms = visit.page.locator("figure.histogram")
    assert [histograms.nth(i).get_attribute("data-lesson") for i in range(len(LESSONS))] == list(
        LESSONS
    )
    for i in range(len(LESSONS)):
        box = histograms.nth(i).locator("svg").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
    counts = {status: int(n) for status, n in visit.table("table.statuses")[1:]}
    expected = {}
    for row in gradebook.values():
        expected[row["status"]] = expected.get(row["status"], 0) + 1
    assert {s: n for s, n in counts.items() if n} == expected
    assert counts["invalid"] >= 1  # the empty folder
    failed = visit.table("table.most-failed")[1:]
    assert failed and any("tanh" in row[0] for row in failed)
    slowest = [row[0] for row in visit.table("table.slowest")[1:]]
    assert set(slowest) <= set(gradebook) and len(slowest) == min(5, len(gradebook))


@pytest.mark.parametrize("sub_id", SUBMISSIONS)
def test_feedback_has_a_section_per_lesson_with_its_score(out, page, gradebook, sub_id):
    visit = Visit(page, out / sub_id / "feedback.html")
    headings = visit.page.locator("h2").all_inner_texts()
    text = visit.page.locator("body").inner_text()
    row = gradebook[sub_id]
    for lesson in course().select(LESSONS):
        heading = next((h for h in headings if lesson.title in h), None)
        assert heading, f"no section for {lesson.title} in {headings}"
        score = f"{float(row[lesson.id]):g} / {lesson.points:g}"
        assert score in " ".join(heading.split()), heading
    assert f"{float(row['total']):g} / {float(row['max']):g} points" in text
    restricted = visit.page.locator(".restricted")
    if sub_id in ("tanh_bug", "restricted"):  # lessons 3 and 4 ran on the course's engine
        assert restricted.count() >= 2 and "held back" in restricted.first.inner_text()
    else:
        assert restricted.count() == 0
    if sub_id == "empty":
        assert row["status"] == "invalid" and "invalid" in text


def test_report_quotes_nothing_a_restricted_worker_said(out):
    """What restricted checks really said is staff-only (.logs/): never in the class report."""
    page = html.unescape((out / "report.html").read_text())
    said = [
        line.split("): ", 1)[1]
        for log in (out / ".logs").glob("*.log")
        for line in log.read_text().splitlines()
        if line.startswith("held back from the student: ") and "): " in line
    ]
    assert said  # tanh_bug's and restricted's lessons 3 and 4 held something back
    assert [message for message in said if message.strip() in page] == []
