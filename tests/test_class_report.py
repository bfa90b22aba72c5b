"""The class report (grader/report/classreport.py): checks.csv agrees with every results.json,
report.html is the same bytes after a resume, it quotes only what a student could see, and
names are data in both files. A fake runner (tests/grading_helpers.py) grades the class."""

import csv
import json
import re
import xml.etree.ElementTree as ET

import pytest
from grading_helpers import fake_grade_options, make_submission

from grader import names
from grader.grading.orchestrate import grade_all
from grader.lessons import load_lessons
from grader.report import classreport
from grader.report.figures import plots
from grader.report.figures.svgdoc import SVG_NS
from grader.results import from_runner

LESSONS = tuple(lesson for lesson in load_lessons() if lesson.id in ("value", "nn", "losses"))
SCRIPT_ID, FORMULA_ID = "<img src=x onerror=alert(1)>", "=cmd()"  # no "/": a folder name
TANH_MESSAGE = "b = a.tanh(): b.data: expected 0.7616, got 0.5"


def make_class(subs):
    make_submission(subs, "alice")
    make_submission(subs, "bob", {"fail": {"value": TANH_MESSAGE}})
    make_submission(subs, "carol", {"fail": {"value": TANH_MESSAGE, "nn": "no Neuron"}})
    make_submission(subs, "dan", {"status": {"nn": ["invalid", "micrograd/nn.py: SyntaxError"]}})
    make_submission(subs, "erin", {"fail_all": True, "hidden": True})
    # slow, so the report lists it among the slowest submissions
    make_submission(subs, SCRIPT_ID, {"fail": {"losses": "<b>bold</b>"}, "sleep": 2})
    make_submission(subs, FORMULA_ID)
    (subs / "empty").mkdir()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The class graded once by the fake runner: (summary, options, fake options factory)."""
    tmp_path = tmp_path_factory.mktemp("class")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake = fake_grade_options(tmp_path, monkeypatch, LESSONS)
        make_class(tmp_path / "subs")
        options = fake()
        yield grade_all(tmp_path / "subs", options), options, fake


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_checks_csv_agrees_with_every_results_json(graded_class):
    summary, options, _ = graded_class
    rows = read_csv(options.out / names.CHECKS)
    assert list(rows[0]) == ["id", "lesson", "check", "points", "max", "outcome"]
    compared = 0
    for sub_id, result in summary.results.items():
        mine = [row for row in rows if names.from_csv(row["id"]) == names.visible(sub_id)]
        data = json.loads(names.submission_path(options.out, sub_id, "results.json").read_text())
        tests = [t for t in data["tests"] if result.checks]  # no checks: one "never ran" test
        assert len(mine) == len(tests) == len(result.checks)
        for row, test in zip(mine, tests):
            assert float(row["points"]) == test["score"]
            assert float(row["max"]) == test["max_score"]
            assert [row["lesson"]] == test["tags"]
            assert (row["outcome"] == "passed") == (test["status"] == "passed")
            compared += 1
    assert compared == sum(len(r.checks) for r in summary.results.values()) > 0
    # gradebook order: the rows of one submission are together, submissions in gradebook order
    gradebook = [row["id"] for row in read_csv(options.out / names.GRADEBOOK)]
    seen = list(dict.fromkeys(row["id"] for row in rows))
    assert seen == [sub_id for sub_id in gradebook if sub_id in seen]


def test_report_is_rebuilt_identically_after_a_resume(graded_class):
    summary, options, fake = graded_class
    report = (options.out / names.CLASS_REPORT).read_bytes()
    checks = (options.out / names.CHECKS).read_bytes()
    (options.out / names.CLASS_REPORT).unlink()
    calls = len(fake.calls())
    again = grade_all(options.out.parent / "subs", options)
    assert set(again.skipped) >= {"alice", "bob", "carol"}  # resumed from records, not regraded
    assert len(fake.calls()) == calls + len(again.graded)
    assert (options.out / names.CLASS_REPORT).read_bytes() == report
    assert (options.out / names.CHECKS).read_bytes() == checks


def test_report_shows_statuses_failures_and_every_lesson(graded_class):
    summary, options, _ = graded_class
    page = (options.out / names.CLASS_REPORT).read_text()
    statuses = dict(classreport.status_counts(summary.results))
    assert statuses["invalid"] == 1 and statuses["graded"] == sum(
        1 for r in summary.results.values() if r.status == "graded"
    )
    for lesson in LESSONS:
        assert f'data-lesson="{lesson.id}"' in page
    assert page.count("<svg") == len(LESSONS)
    failed = {item.check.id: item for item in classreport.most_failed(summary.results)}
    assert failed["value/test_0"].failed == 3  # bob, carol, erin
    assert failed["value/test_0"].messages == [TANH_MESSAGE, "not implemented"]
    assert TANH_MESSAGE in page
    assert "http" not in re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)  # nothing to fetch


def test_names_are_data_in_the_report_and_checks_csv(graded_class):
    summary, options, _ = graded_class
    page = (options.out / names.CLASS_REPORT).read_text()
    assert "<img" not in page and "<b>bold</b>" not in page
    assert classreport.slowest(summary.results)[0].id == SCRIPT_ID
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the id, escaped, is listed
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    ids = {row["id"] for row in read_csv(options.out / names.CHECKS)}
    assert "'=cmd()" in ids and FORMULA_ID not in ids and SCRIPT_ID in ids
    assert not any(
        cell[:1] in "=+-@" for row in read_csv(options.out / names.CHECKS) for cell in row.values()
    )


# ---------------------------------------------------------------- built results


SECRET = "def test_hidden(): assert student.tanh(SECRET_INPUT)"


def runner_data():
    """value: a failing visible check, a failing hidden one whose message quotes hidden source;
    nn: a restricted check, in the grader's words."""
    checks = [
        ("value", "value/test_tanh", "tanh", "visible", False, "expected 0.76, got 0.5"),
        ("value", "value/test_secret", "secret", "hidden", False, SECRET),
        ("nn", "nn/test_mlp", "MLP forward", "visible", True, "off by more than 10 %"),
    ]
    return {
        "checks": [
            {
                "id": check_id,
                "lesson": lesson,
                "name": name,
                "points": 0.0,
                "max_points": 5.0,
                "outcome": "failed",
                "message": message,
                "visibility": visibility,
                "restricted": restricted,
                "seconds": 0.1,
            }
            for lesson, check_id, name, visibility, restricted, message in checks
        ],
        "lessons": {
            "value": {"status": "graded", "reason": "", "seconds": 1.5},
            "nn": {"status": "graded", "reason": "", "seconds": 2.5, "restricted": "why"},
            "losses": {"status": "graded", "reason": "", "seconds": 0.5},
        },
        "staff_notes": ["nn/test_mlp really said: File /grader/reference/nn.py line 9"],
    }


def built_results():
    result = from_runner("zoe", runner_data(), list(LESSONS), seed=5, execution_time=9.0)
    result.runner_log = "Traceback: grader/suites/test_value.py SECRET_INPUT"
    return {"zoe": result, "stopped": None}


def test_the_report_holds_only_what_a_student_could_see():
    page = classreport.render_report(built_results(), list(LESSONS))
    assert "SECRET_INPUT" not in page and "test_hidden" not in page  # hidden source, runner log
    assert "reference/nn.py" not in page and "really said" not in page  # staff notes
    assert "secret" in page and "hidden check: its messages are not shown" in page
    assert "expected 0.76, got 0.5" in page and "off by more than 10 %" in page
    assert "no result" in page  # a submission without a result is counted, not dropped


def test_grading_time_per_lesson_and_the_slowest_submissions():
    results = built_results()
    summaries = {s["lesson"].id: s for s in classreport.lesson_summaries(results, list(LESSONS))}
    assert summaries["nn"]["total_seconds"] == "2.5" and summaries["value"]["max_seconds"] == "1.50"
    assert [r.id for r in classreport.slowest(results)] == ["zoe"]
    assert classreport.check_rows(results)[1] == {
        "id": "zoe",
        "lesson": "value",
        "check": "value/test_secret",
        "points": "0",
        "max": "5",
        "outcome": "failed",
    }


# ---------------------------------------------------------------- the histogram


def test_histogram_is_standalone_svg_with_alt_text_that_counts():
    svg = plots.histogram_svg([0, 3, 3, 29.5, 30], 30, "points in lesson 2 (value)")
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg" and root.get("role") == "img"
    alt = root.get("aria-label")
    assert alt.startswith("Histogram of points in lesson 2 (value) over 5 submissions")
    assert "1 from 0 to 3; 2 from 3 to 6; 2 from 27 to 30" in alt  # full marks in the last bin
    assert root.find(f"{{{SVG_NS}}}title").text == alt
    assert svg == plots.histogram_svg([0, 3, 3, 29.5, 30], 30, "points in lesson 2 (value)")
    assert len(svg.encode()) < 30_000 and "http" not in re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)


def test_histogram_of_a_small_lesson_has_one_point_bins_and_of_nobody_says_so():
    assert plots.histogram_edges(4) == [0, 1, 2, 3, 4]
    alt = ET.fromstring(plots.histogram_svg([], 10, "points")).get("aria-label")
    assert alt.endswith("over 0 submissions: no submissions")
