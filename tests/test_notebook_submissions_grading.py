"""End to end: notebook submissions graded by `micrograder grade` with the real hidden suites."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from notebook_submission_helpers import (
    cell_by_id,
    student_notebook,
    template_name,
    write_all,
    write_notebook,
)

from grader.cli import main
from grader.paths import REFERENCE_PACKAGE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run over every form of submission: (results by id, canary home, out)."""
    root = tmp_path_factory.mktemp("notebook-grading")
    home = root / "home"  # `~` for the grader and everything it starts
    home.mkdir()
    (home / "canary.txt").write_text("alive")
    subs = root / "subs"
    shutil.copytree(REFERENCE_PACKAGE, subs / "folder" / "micrograd")
    write_all(subs / "filled" / "notebooks")
    write_all(subs / "unfilled", filled=False)

    magic = student_notebook("value")
    cell = cell_by_id(magic, "engine-Value")
    cell.source = "!rm -rf ~\n" + cell.source
    write_notebook(subs / "magic" / template_name("value"), magic)
    bash = student_notebook("derivatives")
    cell_by_id(bash, "derivatives-chain_rule").source = f"%%bash\nrm -rf {home}\n"
    write_notebook(subs / "magic" / template_name("derivatives"), bash)

    broken = student_notebook("derivatives")
    broken.cells.remove(cell_by_id(broken, "derivatives-numerical_gradient"))
    write_notebook(subs / "deleted" / template_name("derivatives"), broken)
    (subs / "garbled.ipynb").write_text('{"cells": [')

    out = root / "out"
    env = {"HOME": str(home)}
    result = CliRunner().invoke(
        main,
        ["grade", str(subs), "--out", str(out), "--seed", "11", "-j", "2"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
    return results, home, out


def lesson_points(data) -> dict[str, float]:
    return {lesson: info["points"] for lesson, info in data["extra_data"]["lessons"].items()}


def test_filled_notebooks_score_like_the_reference_folder_and_pass_every_check(graded):
    results, _, _ = graded
    folder, filled = results["folder"], results["filled"]
    assert folder["score"] > 0
    assert lesson_points(filled) == lesson_points(folder)
    assert [t["status"] for t in filled["tests"]] == [t["status"] for t in folder["tests"]]
    ran = [t for t in filled["tests"] if t["max_score"] > 0]
    assert ran and all(t["status"] == "passed" for t in ran)


def test_unfilled_notebooks_score_zero(graded):
    results, _, _ = graded
    assert results["unfilled"]["score"] == 0
    assert results["unfilled"]["extra_data"]["status"] == "graded"


def test_magics_never_run_and_the_rest_of_the_cell_is_graded(graded):
    results, home, out = graded
    assert (home / "canary.txt").read_text() == "alive"
    magic = results["magic"]
    assert lesson_points(magic)["value"] == lesson_points(results["folder"])["value"]
    notes = magic["extra_data"]["notes"]
    assert any("engine-Value: 1 IPython magic/shell line(s) were not run" in n for n in notes)
    assert any("derivatives-chain_rule: 1 IPython magic/shell line(s)" in n for n in notes)
    feedback = (out / "magic" / "feedback.html").read_text()
    assert "How your submission was read" in feedback and "were not run" in feedback


def test_a_deleted_cell_costs_only_its_part(graded):
    results, _, _ = graded
    full = lesson_points(results["folder"])["derivatives"]
    got = lesson_points(results["deleted"])["derivatives"]
    assert 0 < got < full
    assert any(
        "numerical_gradient is missing" in n for n in results["deleted"]["extra_data"]["notes"]
    )


def test_an_unreadable_notebook_is_invalid_with_its_parse_error(graded):
    results, _, _ = graded
    extra = results["garbled"]["extra_data"]
    assert extra["status"] == "invalid"
    assert "garbled.ipynb is not a readable notebook" in extra["reason"]
