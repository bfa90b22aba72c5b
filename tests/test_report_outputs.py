"""results.json follows Gradescope's schema, feedback.html escapes hostile text, the gradebook
formats points as numbers."""

import json
import math

from grader.lessons import load_lessons
from grader.report.feedback import render_feedback
from grader.report.gradebook import gradebook_rows, inert
from grader.report.gradescope import read_results, results_json
from grader.results import SubmissionResult, format_points, from_runner, without_runner

LESSONS = load_lessons()
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def runner_data(message="", visibility="visible"):
    checks, lessons = [], {}
    for lesson in LESSONS:
        for i, share in enumerate((0.5, 0.5)):
            failed = lesson.id == "value" and i == 0
            checks.append(
                {
                    "id": f"{lesson.id}/t{i}",
                    "lesson": lesson.id,
                    "name": f"{lesson.id} check {i}" + (HOSTILE if failed else ""),
                    "points": 0.0 if failed else lesson.points * share,
                    "max_points": lesson.points * share,
                    "outcome": "failed" if failed else "passed",
                    "message": message if failed else "",
                    "visibility": visibility if i == 1 else "visible",
                    "seconds": 0.1,
                }
            )
        lessons[lesson.id] = {"status": "graded", "reason": "", "seconds": 0.2}
    return {"seed": 7, "checks": checks, "lessons": lessons, "limits": {"request_timeout": 5}}


def result(**kwargs) -> SubmissionResult:
    return from_runner(
        "alice", runner_data(**kwargs), LESSONS, seed=7, execution_time=1.25, digest="abc"
    )


def assert_gradescope_schema(data):
    """The fields and types Gradescope reads from results.json."""
    number = (int, float)
    assert isinstance(data["score"], number) and not isinstance(data["score"], bool)
    assert isinstance(data["max_score"], number) and isinstance(data["execution_time"], number)
    assert isinstance(data["output"], str) and data["visibility"] in ("visible", "hidden")
    assert isinstance(data["tests"], list) and data["tests"]
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility", "tags"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], number) and isinstance(test["max_score"], number)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
    assert math.isclose(sum(t["score"] for t in data["tests"]), data["score"])
    assert math.isclose(sum(t["max_score"] for t in data["tests"]), data["max_score"])
    json.dumps(data, allow_nan=False)


def test_results_json_follows_gradescope_schema():
    data = results_json(result(message="tanh gradient wrong"))
    assert_gradescope_schema(data)
    assert data["score"] == 85 and data["max_score"] == 100 and data["execution_time"] == 1.25
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["output"] == "tanh gradient wrong"
    assert failed[0]["tags"] == ["value"] and failed[0]["name"].startswith("The Value class: ")
    extra = data["extra_data"]
    assert extra["seed"] == 7 and extra["status"] == "graded" and extra["student_id"] == "alice"
    assert extra["lessons"]["value"] == {
        "status": "graded",
        "reason": "",
        "points": 15.0,
        "max_points": 30.0,
        "seconds": 0.2,
        "restricted": "",
    }


def test_lessons_that_never_ran_still_carry_their_points():
    data = results_json(
        without_runner("bob", "timeout", "grading took longer than 330 s", LESSONS, seed=3)
    )
    assert_gradescope_schema(data)
    assert data["score"] == 0 and data["max_score"] == 100 and len(data["tests"]) == len(LESSONS)
    assert all(t["output"] == "grading took longer than 330 s" for t in data["tests"])


def test_read_results_round_trips_and_rejects_foreign_files(tmp_path):
    path = tmp_path / "results.json"
    data = results_json(result())
    path.write_text(json.dumps(data))
    assert read_results(path) == data
    path.write_text(json.dumps({"score": 100, "tests": []}))  # e.g. forged by a student
    assert read_results(path) is None
    path.write_text("{ not json")
    assert read_results(path) is None
    assert read_results(tmp_path / "missing.json") is None


def test_feedback_escapes_hostile_messages_and_names():
    html = render_feedback(result(message=HOSTILE))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "The Value class" in html and "85 / 100 points" in html


def test_feedback_hides_the_detail_of_hidden_checks():
    data = runner_data()
    for check in data["checks"]:
        if check["lesson"] == "nn" and check["id"].endswith("t1"):
            check.update(
                outcome="failed",
                points=0.0,
                message="SECRET expected 0.123456",
                visibility="hidden",
            )
    html = render_feedback(from_runner("alice", data, LESSONS, seed=7, execution_time=1.0))
    assert "SECRET" not in html and "nn check 1" not in html
    assert "1 hidden check: 0 / 7.5 points" in " ".join(html.split())
    html = render_feedback(
        from_runner("alice", runner_data(visibility="hidden"), LESSONS, seed=7, execution_time=1.0)
    )
    assert "1 hidden check:" in html


def test_feedback_names_the_reason_of_a_broken_lesson():
    data = runner_data()
    data["lessons"]["nn"] = {
        "status": "invalid",
        "reason": "micrograd/nn.py, line 4: SyntaxError: invalid syntax",
    }
    html = render_feedback(from_runner("carol", data, LESSONS, seed=7, execution_time=1.0))
    assert "micrograd/nn.py, line 4: SyntaxError" in html


def test_gradebook_rows_come_from_results_and_missing_ones_are_not_lost():
    rows = gradebook_rows({"alice": result(), "zed": None}, LESSONS)
    assert rows[0]["value"] == "15" and rows[0]["total"] == "85" and rows[0]["max"] == "100"
    assert rows[1]["id"] == "zed" and rows[1]["status"] == "crashed" and rows[1]["total"] == "0"


def test_format_points():
    assert [format_points(x) for x in (10.0, 7.25, 0, 1 / 3)] == ["10", "7.25", "0", "0.3333"]


def test_summary_table_and_status_line():
    from rich.console import Console

    from grader.report import console as show

    full = result()  # 85 points: value 15/30
    broken = without_runner("bob", "timeout", "too slow", LESSONS, seed=7)
    results = {"alice": full, "bob": broken, "zed": None}
    out = Console(width=120, record=True)
    out.print(show.lesson_table(results, LESSONS))
    text = out.export_text()
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]]
        for line in text.splitlines()
        if line.startswith("│")
    }
    assert rows["derivatives"] == ["3.3333", "10", "1/3"]
    assert rows["value"] == ["5", "30", "0/3"]
    assert rows["total"] == ["28.3333", "100", "0/3"]
    assert (
        show.status_line(results, skipped=1)
        == "graded 1, timeout 1, crashed 1 (1 unchanged, not regraded)"
    )


def test_gradebook_cells_a_student_names_never_become_spreadsheet_formulas():
    rows = gradebook_rows({'=HYPERLINK("http://x")': result(), "+1": None}, LESSONS)
    assert [row["id"] for row in rows] == ['\'=HYPERLINK("http://x")', "'+1"]
    assert inert("alice") == "alice" and inert("@sum") == "'@sum" and inert("-2") == "'-2"


def test_long_reasons_are_whole_and_on_one_line():
    """Reasons are never cut with "…": the HTML wraps them (CSS), the gradebook keeps them."""
    data = runner_data()
    long_reason = "micrograd/nn.py, line 4: SyntaxError: " + "word " * 120 + "THE END\nsecond line"
    for lesson_id in ("nn", "losses"):
        data["lessons"][lesson_id] = {"status": "invalid", "reason": long_reason}
    graded = from_runner("dora", data, LESSONS, seed=7, execution_time=1.0)
    flat = " ".join(long_reason.split())
    assert "\n" not in graded.reason and graded.reason.count(flat) == 2
    assert "…" not in graded.reason
    html = render_feedback(graded)
    assert html.count(flat) == 4  # twice in the header, once in each lesson
    assert "overflow-wrap" in html
    row = gradebook_rows({"dora": graded}, LESSONS)[0]
    assert row["reason"] == graded.reason
