"""Screenshots for the docs: a student's feedback.html and the class report, as a browser shows
them (docs/images/feedback.png and docs/images/report.png, linked from the README).

    python benchmarks/screenshots.py [--lesson value --lesson nn ...] [--images docs/images]

Grades examples/submissions (seed 2024; lessons value, nn and losses unless --lesson says
otherwise: training is slow) into a temporary folder, then opens bob's feedback.html (a wrong
tanh derivative, so lessons 3 and 4 run restricted) and report.html in Debian's chromium through
Playwright (install.sh installs both; no browser download). Each image is the top of the page
at 800 px wide, reduced to a 64-colour palette so the PNGs stay small in git.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from grader import paths
from grader.grading.orchestrate import GradeOptions, grade_all
from grader.lessons import course

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 800, "height": 1400}
PAGES = {"feedback.png": "bob/feedback.html", "report.png": "report.html"}
DEFAULT_LESSONS = ("value", "nn", "losses")


def grade_examples(out: Path, lessons: tuple[str, ...]) -> None:
    options = GradeOptions(out=out, seed=2024, lessons=course().select(lessons), jobs=2)
    grade_all(paths.EXAMPLES, options)


def shoot(pages: dict[Path, Path]) -> None:
    """Each page (html -> png) at VIEWPORT, the visible part only."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=VIEWPORT)
        for html, png in pages.items():
            page.goto(html.as_uri(), wait_until="load")
            page.screenshot(path=str(png))
        browser.close()


def shrink(png: Path, colors: int = 64) -> None:
    """A palette image: text and flat figures keep their look at a fraction of the bytes."""
    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", action="append", help="a lesson id (repeatable)")
    parser.add_argument("--images", type=Path, default=paths.ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.images.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="micrograder-shots-") as tmp:
        out = Path(tmp) / "out"
        grade_examples(out, tuple(args.lesson or DEFAULT_LESSONS))
        pages = {out / html: args.images / png for png, html in PAGES.items()}
        shoot(pages)
    for png in pages.values():
        shrink(png)
        print(f"{png}: {png.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
