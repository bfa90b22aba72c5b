"""End to end with the real suite runner: `micrograder grade examples/submissions` and
`micrograder validate` (slow: they run every hidden suite)."""

import csv
import json

import pytest
from click.testing import CliRunner

from grader import paths
from grader.cli import main

pytestmark = pytest.mark.slow
ALL = ["derivatives", "value", "nn", "losses", "optim", "training"]
MAX = {"derivatives": 10, "value": 30, "nn": 15, "losses": 10, "optim": 20, "training": 15}


def grade(out, *extra):
    result = CliRunner().invoke(
        main, ["grade", str(paths.EXAMPLES), "--out", str(out), "--seed", "2024", *extra]
    )
    assert result.exit_code == 0, result.output
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def points(row, lesson):
    return float(row[lesson])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grading-out")
    return out, grade(out, "-j", "2")


def test_examples_get_the_expected_statuses_and_scores(graded):
    out, rows = graded
    assert {sub_id: row["status"] for sub_id, row in rows.items()} == {
        "alice": "graded",
        "bob": "graded",
        "carol": "graded",
        "dave": "graded",
    }
    # alice: complete and correct, in a different style from the reference
    assert {lesson: points(rows["alice"], lesson) for lesson in ALL} == MAX
    assert rows["alice"]["total"] == "100" and rows["alice"]["reason"] == ""
    # bob: a wrong tanh derivative, mse summed instead of averaged, Adam without bias
    # correction: points lost in exactly those lessons (training uses his whole stack)
    for lesson in ("value", "losses", "optim"):
        assert points(rows["bob"], lesson) < MAX[lesson], lesson
    for lesson in ("derivatives", "nn"):
        assert points(rows["bob"], lesson) == MAX[lesson], lesson
    # carol: nn.py does not compile; only nn scores 0 and the reason names the file
    assert points(rows["carol"], "nn") == 0 and "micrograd/nn.py" in rows["carol"]["reason"]
    for lesson in ("derivatives", "value", "losses", "optim"):
        assert points(rows["carol"], lesson) == MAX[lesson], lesson
    # dave.zip: lessons 1-3 only
    for lesson in ("derivatives", "value", "nn"):
        assert points(rows["dave"], lesson) == MAX[lesson], lesson
    for lesson in ("losses", "optim", "training"):
        assert points(rows["dave"], lesson) == 0, lesson
    assert "micrograd/losses.py is missing" in rows["dave"]["reason"]
    for sub_id in rows:
        data = json.loads((out / sub_id / "results.json").read_text())
        assert data["extra_data"]["seed"] == 2024
        assert data["score"] == float(rows[sub_id]["total"])
        assert (out / sub_id / "feedback.html").read_text().startswith("<!DOCTYPE html>")


def test_rerun_skips_everything_and_keeps_results_byte_identical(graded):
    out, rows = graded
    before = {p: p.read_bytes() for p in out.glob("*/results.json")}
    assert grade(out) == rows
    assert {p: p.read_bytes() for p in out.glob("*/results.json")} == before


def test_same_seed_same_scores(graded, tmp_path):
    _, rows = graded
    again = grade(tmp_path / "again", "--lesson", "value", "--lesson", "nn")
    for sub_id, row in again.items():
        assert (row["value"], row["nn"]) == (rows[sub_id]["value"], rows[sub_id]["nn"]), (
            sub_id,
            row,
            rows[sub_id],
        )


def test_validate_passes():
    result = CliRunner().invoke(main, ["validate", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "reference 100 %, template 0 %: OK" in result.output
