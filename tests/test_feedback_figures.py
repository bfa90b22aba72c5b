"""feedback.html a student learns from (issue 11): real submissions graded by the real suites.

- a tanh bug: the failed gradient check shows the graph it built, the wrong node highlighted,
  expected against got at that node; lesson 6 is then restricted (it ran on the course's engine)
  and shows no picture drawn from the worker's numbers;
- the reference: lesson 6 shows its loss curves beside the reference's, the decision boundary
  over the points it trained on (never the held-back ones) and the confirmed benchmark;
- a syntax error: its reason once in its lesson, with the offending line and a caret;
- an invalid submission: its reason once;
- the notes on how notebooks were read never claim a module whose .py file was graded.
"""

from __future__ import annotations

import html
import json
import shutil
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest
from grading_helpers import fake_grade_options
from notebook_submission_helpers import template_name, write_all
from sandbox_helpers import submission_from_reference

from grader.grading.orchestrate import grade_all
from grader.intake import discovery
from grader.intake.discovery import Submission
from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE, STUDENT_TEMPLATE
from grader.report import outputs
from grader.report.feedback import render_feedback
from grader.results import from_runner, read_record
from grader.suites.checks import fmt
from grader.suites.figure_data import kept_figure
from grader.suites.runner import run_suites

LESSONS = load_lessons()
with warnings.catch_warnings():  # the hidden suite's markers are registered by its runner only
    warnings.simplefilter("ignore")
    from grader.suites.test_training import RUN
TANH_BUG = ("_local_grads=(1 - t * t,)", "_local_grads=(1 + t * t,)")
SYNTAX_BUG = ("    def tanh(self", "    def tanh(self,,")


def grade(tmp: Path, sub_id: str, edits: dict, lessons=None):
    """(runner JSON, feedback.html) of a copy of the reference with `edits`."""
    package = submission_from_reference(tmp / sub_id, edits)
    data = run_suites(package, seed=11, lessons=lessons, workdir=tmp / sub_id / "work")
    chosen = [lesson for lesson in LESSONS if lessons is None or lesson.id in lessons]
    result = from_runner(sub_id, data, chosen, seed=11, execution_time=1.0)
    return data, render_feedback(result)


class Sections(HTMLParser):
    """Each lesson <section> of the page: its text, its <svg> roots' aria-labels and the
    <pre> blocks (the DOM as a browser builds it, not a search in the source)."""

    def __init__(self, page: str):
        super().__init__()
        self.sections: list[dict] = []
        self.pre = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append({"text": "", "svgs": [], "pres": [], "red": 0})
        elif self.sections and tag == "svg" and attrs.get("role") == "img":
            self.sections[-1]["svgs"].append(attrs.get("aria-label", ""))
        elif self.sections and tag == "pre":
            self.pre = ""
        elif self.sections and "#c62828" in (attrs.get("stroke"), attrs.get("color")):
            self.sections[-1]["red"] += 1  # graph.py's WRONG_STROKE: the highlighted node

    def handle_endtag(self, tag):
        if tag == "pre" and self.pre is not None:
            self.sections[-1]["pres"].append(self.pre)
            self.pre = None

    def handle_data(self, data):
        if self.sections:
            self.sections[-1]["text"] += data
            if self.pre is not None:
                self.pre += data

    def lesson(self, title: str) -> dict:
        return next(s for s in self.sections if title in s["text"])


@pytest.fixture(scope="module")
def tanh_bug(tmp_path_factory):
    """A tanh backward bug, every lesson graded once (lesson 6 then runs restricted)."""
    return grade(tmp_path_factory.mktemp("tanh"), "tanh", {"engine.py": [TANH_BUG]})


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    return grade(tmp_path_factory.mktemp("ref"), "ref", {})


def figure_of(data, check_id):
    return next(c["figure"] for c in data["checks"] if c["id"] == check_id)


def test_a_failed_gradient_check_shows_its_graph_and_the_gap(tanh_bug):
    data, page = tanh_bug
    with_graphs = [c["id"] for c in data["checks"] if c["figure"] and c["lesson"] == "value"]
    assert with_graphs == ["value/test_gradient[tanh]"]
    figure = figure_of(data, "value/test_gradient[tanh]")
    wrong = figure["wrong"]
    assert figure["nodes"][wrong][0] == "leaf" and figure["nodes"][-1][0] == "tanh"
    assert figure["got"][wrong] != pytest.approx(figure["expected"][wrong])
    value = Sections(page).lesson("The Value class")
    assert len(value["svgs"]) == 1 and value["red"] >= 1
    gap = f"grad expected {fmt(figure['expected'][wrong])}, got {fmt(figure['got'][wrong])}"
    assert gap in value["svgs"][0]  # the alt text states the gap at the wrong node
    assert f"At a = Value({fmt(figure['nodes'][0][1])}): {gap}." in value["text"]


def test_a_restricted_lesson_has_no_picture_from_the_workers_numbers(tanh_bug):
    data, page = tanh_bug
    assert data["lessons"]["training"]["restricted"]
    restricted = [c for c in data["checks"] if c["restricted"]]
    assert restricted and all(c["figure"] is None for c in restricted)
    training = Sections(page).lesson("Training on the moons")
    assert training["svgs"] == []
    assert "No pictures of this lesson" in " ".join(training["text"].split())


def test_lesson_six_shows_its_training_in_pictures(reference_run):
    data, page = reference_run
    assert not data["lessons"]["training"]["restricted"]
    boundary = figure_of(data, "training/test_train_learns_the_moons")
    assert len(boundary["points"]) == RUN["n_train"]  # the points it trained on, no others
    curves = figure_of(data, "training/test_history_fields")
    assert len(curves["student"]["train_loss"]) == len(curves["reference"]["val_loss"]) > 1
    rows = figure_of(data, "training/test_benchmark_defaults_match_the_protocol")["rows"]
    assert [row["optimizer"] for row in rows] == ["SGD", "Momentum", "Adam"]
    sections = Sections(page)
    training = sections.lesson("Training on the moons")
    labels = " | ".join(training["svgs"])
    assert len(training["svgs"]) == 3
    assert "Loss per epoch" in labels and "the reference" in labels
    assert f"with the grader's {RUN['n_train']} points" in labels
    assert "Optimizer benchmark" in labels
    text = " ".join(training["text"].split())
    headers = ("optimizer", "final train loss", "final val loss", "best val loss", "best epoch")
    assert "".join(headers) in text  # the seed project's table, its header row in this order
    assert all(row["optimizer"] in text for row in rows)
    other = [s for s in sections.sections if s is not training]
    assert all(s["svgs"] == [] for s in other)  # a correct submission: no failure to draw


def test_a_syntax_error_is_said_once_per_lesson_with_its_line_and_a_caret(tmp_path):
    data, page = grade(tmp_path, "syn", {"engine.py": [SYNTAX_BUG]}, ["derivatives", "value"])
    reason = data["lessons"]["value"]["reason"]
    assert "micrograd/engine.py, line" in reason and "SyntaxError" in reason
    value = Sections(page).lesson("The Value class")
    assert value["text"].count(reason) == 1
    assert value["text"].count("(the reason above)") == sum(
        c["lesson"] == "value" for c in data["checks"]
    )
    (excerpt,) = value["pres"]
    head, line, caret = excerpt.split("\n")
    assert line.strip() == SYNTAX_BUG[1].strip() + "):"
    assert caret.strip() == "^"
    assert line[len(caret) - 2 : len(caret)] == ",,"  # the caret under the second comma
    assert "SyntaxError" not in Sections(page).lesson("Lesson 1:")["text"]


def test_an_invalid_submissions_reason_is_said_once(tmp_path, monkeypatch):
    (tmp_path / "subs" / "eve").mkdir(parents=True)
    (tmp_path / "subs" / "eve" / "notes.txt").write_text("my homework")
    options = fake_grade_options(tmp_path, monkeypatch, tuple(LESSONS))
    summary = grade_all(tmp_path / "subs", options())
    result = summary.results["eve"]
    assert result.status == "invalid" and result.reason
    page = html.unescape((tmp_path / "out" / "eve" / "feedback.html").read_text())
    assert " ".join(page.split()).count(" ".join(result.reason.split())) == 1
    assert page.count("invalid (the reason above)") == len(LESSONS)


def test_a_restricted_graph_keeps_only_the_graders_numbers():
    figure = {
        "kind": "graph",
        "nodes": [["leaf", 0.5], ["tanh", 0]],
        "wrong": 0,
        "data": [0.5, 0.46],
        "expected": [0.79, 1.0],
        "got": [1.21, 1.0],
        "relation": "is off by more than 10 %",
    }
    kept = kept_figure(figure, restricted=True)
    assert "got" not in kept and kept["expected"] == figure["expected"]
    assert kept_figure(figure, restricted=False)["got"] == figure["got"]
    assert kept_figure({**figure, "got": [float("nan"), 1.0]}, restricted=False) is None
    assert kept_figure({**figure, "data": [0.5]}, restricted=False) is None
    chain = [["leaf", 1.0]] + [["neg", i] for i in range(61)]
    assert kept_figure({**figure, "nodes": chain}, restricted=False) is None
    curves = {"kind": "loss_curves", "student": {}, "reference": {}}
    assert kept_figure(curves, restricted=True) is None


def test_notes_never_claim_a_notebook_for_a_module_whose_file_was_graded(tmp_path):
    folder = tmp_path / "stu"
    shutil.copytree(STUDENT_TEMPLATE / "micrograd", folder / "micrograd")  # stubs
    (folder / "micrograd" / "nn.py").write_text((REFERENCE_PACKAGE / "nn.py").read_text())
    write_all(folder / "notebooks", lessons=["value"])  # value done in its notebook
    write_all(folder / "notebooks", filled=False, lessons=["nn"])  # nn's notebook: stubs
    notes: list[str] = []
    (tmp_path / "work").mkdir()
    discovery.prepare(Submission("stu", folder, "folder"), tmp_path / "work", notes)
    summary = next(n for n in notes if n.startswith("graded from notebooks: "))
    assert f"{template_name('value')} (engine.py)" in summary
    assert template_name("nn") not in summary and "nn.py" not in summary
    assert any("micrograd/nn.py was graded" in n for n in notes)


def test_figures_live_in_the_record_and_never_change_results_json(tanh_bug, tmp_path):
    data, _ = tanh_bug
    result = from_runner("tanh", data, LESSONS, seed=11, execution_time=1.0)
    assert any(c.figure for c in result.checks)
    back = read_record(json.dumps(result.to_dict(), allow_nan=False), LESSONS)
    assert back == result and render_feedback(back) == render_feedback(result)
    bare = from_runner("tanh", data, LESSONS, seed=11, execution_time=1.0)
    for check in bare.checks:
        check.figure = None
    with_figures, without = tmp_path / "a.json", tmp_path / "b.json"
    outputs.write_results_json(with_figures, result)
    outputs.write_results_json(without, bare)
    assert with_figures.read_bytes() == without.read_bytes()
