"""Intake that cannot be broken (issue 13) and names are data (issue 8, item 5): the output
layout, escaping, bounded iterative walks, LMS ids by position, special files, the resume
fingerprint, and one boundary per submission (a fault injected at each stage). The hostile
class folders graded end to end are in test_intake_corpus.py."""

from __future__ import annotations

import ast
import csv
import inspect
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from grading_helpers import fake_grade_options, make_submission, make_zip
from intake_corpus import HIDDEN, chain, notebook_json, remove_tree, solution_cells

from grader import names
from grader.cli import main
from grader.grading import orchestrate
from grader.grading.orchestrate import grade_all
from grader.intake import discovery, lms, nbgrader_course, notebooks
from grader.intake.discovery import InvalidSubmission, Submission
from grader.lessons import load_lessons
from grader.report import outputs

LESSONS = tuple(load_lessons())
TRICKY_IDS = [
    "alice",
    "gradebook.csv",
    "GRADEBOOK.CSV",
    "run.json",
    "grades.csv",
    ".logs",
    "",
    " ",
    ".",
    "..",
    "_x",
    "%5Fx",
    "-rf",
    "a/b",
    "x\ny",
    "x\\ny",
    "caf\udce9",
    "caf\u00e9",
    "a" * 100,
    "a" * 101,
    "a" * 300,
    "a" * 301,
    "[/red]",
    "=1+1",
    "feedback.html",
    "x.JSON",
]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Options that run the fake runner (grading_helpers); its calls are logged."""
    return fake_grade_options(tmp_path, monkeypatch, LESSONS[:2])


def gradebook(out: Path) -> dict[str, dict]:
    with open(out / names.GRADEBOOK, newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def row(out: Path, sub_id: str) -> dict:
    return gradebook(out)[names.for_csv(sub_id, name=True)]


# ---------------------------------------------------------------- names are data


def test_no_id_gets_a_run_level_name_or_leaves_its_folder():
    folders = [names.submission_folder(i) for i in TRICKY_IDS]
    assert len(set(folders)) == len(TRICKY_IDS)  # distinct ids, distinct folders
    for sub_id, folder in zip(TRICKY_IDS, folders):
        assert folder not in (names.GRADEBOOK, names.RUN_FILE, names.LOGS, "", ".", "..")
        assert "/" not in folder and not folder.startswith(".") and len(folder.encode()) < 200
        assert not folder.lower().endswith(names.RESERVED_SUFFIXES)
        assert (folder == sub_id) == names.is_plain_id(sub_id)
    assert names.submission_folder("alice") == "alice"  # <out>/<id>/results.json, as ever


def test_output_paths_never_resolve_outside_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for bad in ("..", ".", "", "a/b", "x\0"):
        with pytest.raises(names.UnsafeOutputPath):
            names.output_path(out, bad)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", out / "alice")  # planted before the run
    with pytest.raises(names.UnsafeOutputPath):
        names.submission_path(out, "alice", "results.json")
    assert names.submission_path(out, "..", "results.json").parent.parent == out.resolve()


def test_escaping_hides_nothing_and_keeps_names_apart():
    assert names.visible("a\x1bb") == "a\\x1bb" and names.visible("a\\x1bb") == "a\\\\x1bb"
    assert names.visible("caf\udce9") == "caf\\xe9" and names.visible("caf\u00e9") == "caf\u00e9"
    assert names.printable("x\u202ey\n") == "x\\u202ey\\x0a"
    assert names.for_csv("=1+1") == "'=1+1" and names.for_csv("'=1+1") == "''=1+1"
    assert names.for_terminal("[/red]") == "\\[/red]"
    shown = [names.for_csv(i, name=True) for i in TRICKY_IDS]
    assert len(set(shown)) == len(shown) and not [s for s in shown if HIDDEN.search(s)]


def test_reserved_control_and_markup_names_each_get_a_row(tmp_path, fake, monkeypatch):
    """Issue 8: submissions named gradebook.csv, run.json, with newlines, terminal escapes and
    rich markup: every one gets its row, the command exits 0, nothing hidden reaches the
    terminal or the CSV."""
    from grader.grading import commands

    subs = tmp_path / "subs"
    ids = [
        "gradebook.csv",
        "run.json",
        "new\nline",
        "esc\x1b[2J\x1b]0;pwned\x07",
        "[bold]x",
        "=cmd|' -C calc'!A0",
    ]
    for sub_id in ids:
        make_submission(subs, sub_id)
    (subs / "empty[red]").mkdir()  # invalid: its reason quotes the markup
    make_zip(subs / "markup.zip", {"../[/red]\n100 / 100 points (graded).py": "x"})
    monkeypatch.setattr(commands, "GradeOptions", lambda **kw: fake(**kw))
    out = tmp_path / "out"
    for attempt in ("first", "rerun"):
        result = CliRunner().invoke(
            main,
            [
                "grade",
                str(subs),
                "--out",
                str(out),
                "--seed",
                "1",
                "--lesson",
                "derivatives",
                "--lesson",
                "value",
            ],
        )
        assert result.exit_code == 0, (attempt, result.output)
        assert not HIDDEN.search(result.output) and "Traceback" not in result.output
        text = (out / names.GRADEBOOK).read_text()
        assert not HIDDEN.search(text)
        rows = gradebook(out)
        assert sorted(rows) == sorted(
            names.for_csv(i, name=True) for i in [*ids, "empty[red]", "markup"]
        )
        assert [rows[names.for_csv(i, name=True)]["status"] for i in ids] == ["graded"] * 6
    assert "[/red]" in result.output  # shown as text, not read as markup
    output = json.loads(names.submission_path(out, "markup", "results.json").read_text())["output"]
    assert "\n" not in output and output.startswith("0 / 40 points (invalid)")


# ---------------------------------------------------------------- walks and budgets


def test_walks_are_iterative_and_depth_is_capped(tmp_path, monkeypatch):
    root = tmp_path / "deep"
    make_submission(tmp_path, "deep")
    (chain(root, 1200) / "x.py").write_text("x = 1\n")
    try:
        with pytest.raises(InvalidSubmission, match="more than 16 levels deep"):
            discovery.walk(root)
        sub = Submission("deep", root, "folder")
        with pytest.raises(InvalidSubmission, match="levels deep"):
            discovery.fingerprint(sub)  # fails closed: never a digest of part of it
        with pytest.raises(InvalidSubmission, match="levels deep"):
            discovery.prepare(sub, tmp_path / "work")
        monkeypatch.setattr(discovery, "MAX_DEPTH", 5000)
        monkeypatch.setattr(discovery, "MAX_FOLDERS", 5000)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(len(inspect.stack(0)) + 50)  # no room for a recursive walk
        try:
            entries = discovery.walk(root)
        finally:
            sys.setrecursionlimit(limit)
        assert "/".join(["d"] * 1200) + "/x.py" in [e.rel for e in entries]
    finally:
        remove_tree(root)


def test_the_budget_counts_all_zips_and_files_of_a_student_before_extracting(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(3):
        make_zip(subs / f"eve_666_{n}_part{n}.zip", {f"micrograd/blob{n}.py": "#" * 9 * 2**20})
    (sub,) = discovery.discover(subs)
    work = tmp_path / "work"
    with pytest.raises(InvalidSubmission, match="more than 20 MB"):
        discovery.prepare(sub, work)
    assert not work.exists() or discovery.staged_bytes(work) == 0  # nothing was extracted


def test_preparation_has_a_time_limit(tmp_path, monkeypatch):
    make_submission(tmp_path / "subs", "slow")
    monkeypatch.setattr(discovery, "PREPARE_SECONDS", -1.0)
    with pytest.raises(InvalidSubmission, match="took longer than"):
        discovery.prepare(discovery.discover(tmp_path / "subs")[0], tmp_path / "work")


def test_an_oversized_solution_cell_is_refused_before_ast_sees_it(tmp_path, monkeypatch):
    nb = notebook_json()
    solution_cells(nb)[0]["source"] = "a\n" * 1_500_000
    zip_path = tmp_path / "nbbomb.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01_derivatives.ipynb", json.dumps(nb))
    assert zip_path.stat().st_size < 50_000
    parsed = []
    real_parse = ast.parse
    monkeypatch.setattr(
        notebooks.ast,
        "parse",
        lambda source, *a, **k: (parsed.append(len(source)), real_parse(source, *a, **k))[1],
    )
    with pytest.raises(InvalidSubmission, match=r"cell \d+ holds 3,000,000 characters"):
        discovery.prepare(Submission("nbbomb", zip_path, "zip"), tmp_path / "work")
    assert max(parsed, default=0) <= notebooks.MAX_CELL_CHARS


# ---------------------------------------------------------------- LMS ids by position


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Victor Smith_22222_assignsubmission_file_engine.py", ("22222", "engine.py")),
        ("Eve_22222_55555_assignsubmission_file_micrograd.zip", ("55555", "micrograd.zip")),
        ("Mary_Ann Lee_33333_assignsubmission_file_engine.py", ("33333", "engine.py")),
        (
            "R2 D2_4_44444_assignsubmission_onlinetext_x_1_assignsubmission.py",
            ("44444", "x_1_assignsubmission.py"),
        ),
        ("smith_12345_67890_engine.py", ("12345", "engine.py")),
        ("smith_LATE_12345_67890_nn.py", ("12345", "nn.py")),
        ("12345-02_value.ipynb", ("12345", "02_value.ipynb")),
        ("Mary_Ann Lee_engine.py", None),
    ],
)
def test_lms_ids_are_read_where_each_lms_writes_them(name, expected):
    assert lms.parse_name(name, lms.compile_pattern(None)) == expected


def test_two_moodle_ids_in_one_name_are_refused_not_guessed(tmp_path):
    name = "A_1_assignsubmission_file_B_2_assignsubmission_file_engine.py"
    (tmp_path / name).write_text("x = 1\n")
    (sub,) = discovery.discover(tmp_path)
    assert "two student ids" in sub.problem and sub.id == Path(name).stem


def test_a_package_and_loose_files_of_one_id_are_reported(tmp_path):
    make_zip(tmp_path / "bob_123_1_micrograd.zip", {"micrograd/engine.py": "x = 1\n"})
    (tmp_path / "bob_123_2_engine.py").write_text("y = 2\n")
    (sub,) = discovery.discover(tmp_path)
    with pytest.raises(InvalidSubmission, match="both a package .* and loose files"):
        discovery.prepare(sub, tmp_path / "work")


def test_ids_from_a_pattern_must_be_plain_names(tmp_path):
    for own in (".._engine.py", "._engine.py", " _engine.py", "ok_engine.py"):
        (tmp_path / f"x_{own}").write_text("x = 1\n")
    subs = {s.id: s for s in discovery.discover(tmp_path, r"^x_(?P<id>[^_]*)_(?P<file>.+)$")}
    assert sorted(subs) == [" ", ".", "..", "ok"]
    assert all(subs[i].problem for i in (" ", ".", "..")) and not subs["ok"].problem
    # A file's own name is one plain component too: `..` falls back to the whole name.
    pattern = lms.compile_pattern(r"^x_(?P<id>[^_]*)_(?P<file>[^_]*)_")
    assert lms.parse_name("x_ok_.._a.py", pattern) == ("ok", "x_ok_.._a.py")


# ---------------------------------------------------------------- special files, nbgrader


def test_symlinks_fifos_and_sockets_get_rows(tmp_path):
    make_submission(tmp_path, "alice")
    os.symlink(tmp_path / "alice", tmp_path / "linked")
    os.mkfifo(tmp_path / "pipe")
    os.mkfifo(tmp_path / "pipe.zip")
    os.mkfifo(tmp_path / "smith_777_1_engine.py")
    subs = {s.id: s for s in discovery.discover(tmp_path)}
    assert sorted(subs) == ["777", "alice", "linked", "pipe"]
    assert "symbolic link" in subs["linked"].problem
    assert "pipe/ and pipe" in subs["pipe"].problem or "pipe and pipe" in subs["pipe"].problem
    with pytest.raises(InvalidSubmission, match="not a regular file"):
        discovery.prepare(subs["777"], tmp_path / "work")  # opened never: a FIFO would block
    with pytest.raises((OSError, InvalidSubmission)):
        discovery.fingerprint(subs["777"])  # not a file: no digest, so it is always regraded
    os.unlink(tmp_path / "pipe.zip")
    (only_pipe,) = [s for s in discovery.discover(tmp_path) if s.id == "pipe"]
    assert "not a regular file or folder" in only_pipe.problem


def test_a_class_with_students_named_like_nbgrader_folders_is_a_class(tmp_path):
    for name in ("submitted", "release", "source"):
        make_submission(tmp_path, name)
    assert nbgrader_course.submitted_dir(tmp_path) is None
    assert [s.id for s in discovery.discover(tmp_path)] == ["release", "source", "submitted"]
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert nbgrader_course.submitted_dir(tmp_path) == tmp_path / "submitted"


def test_the_nbgrader_export_survives_an_odd_notebook(tmp_path):
    nb = notebook_json()
    nb["metadata"] = {"micrograder": {"lesson": ["derivatives"]}}
    for cell in nb["cells"]:
        cell["metadata"] = "odd"
    folder = tmp_path / "submitted" / "alice" / "week1"
    folder.mkdir(parents=True)
    (folder / "odd.ipynb").write_text(json.dumps(nb))
    (folder / "surrogate.ipynb").write_text(
        json.dumps(
            {
                **nb,
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "c1",
                        "source": "'\ud800'",
                        "metadata": {},
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
            }
        )
    )
    assert nbgrader_course.lesson_assignments(tmp_path) in ({}, {"derivatives": "week1"})


def test_undecodable_names_are_carried_safely(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, os.fsdecode(b"caf\xe9"))
    package = Path(os.fsdecode(os.path.join(os.fsencode(subs), b"caf\xe9", b"micrograd")))
    (package / os.fsdecode(b"x\xff.py")).write_text("x = 1\n")
    options = fake()
    grade_all(subs, options)
    sub_id = os.fsdecode(b"caf\xe9")
    assert row(options.out, sub_id)["id"] == "caf\\xe9"
    data = json.loads(names.submission_path(options.out, sub_id, "results.json").read_text())
    assert data["extra_data"]["student_id"] == "caf\\xe9"
    assert any("not valid UTF-8" in note for note in data["extra_data"]["notes"])


# ---------------------------------------------------------------- resume


def change_content(subs):
    (subs / "s" / "micrograd" / "engine.py").write_text("# fixed\n")


def change_name(subs):
    os.rename(subs / "s" / "micrograd" / "nn.py", subs / "s" / "micrograd" / "nn2.py")


def add_hidden_to_old_digest(subs):
    """The old fingerprint stopped after 20 MB: a change after that went unseen."""
    (subs / "s" / "micrograd" / "big.txt").write_bytes(b"\0" * (21 * 2**20))


def add_special_file(subs):
    os.mkfifo(subs / "s" / "micrograd" / "pipe")


def change_mode_only(subs):  # not graded: must NOT regrade
    os.chmod(subs / "s" / "micrograd" / "engine.py", 0o600)


@pytest.mark.parametrize(
    "change, regraded",
    [
        (change_content, True),
        (change_name, True),
        (add_hidden_to_old_digest, True),
        (add_special_file, True),
        (change_mode_only, False),
    ],
)
def test_every_change_to_what_is_graded_is_regraded(tmp_path, fake, change, regraded):
    subs = tmp_path / "subs"
    make_submission(subs, "s")
    make_submission(subs, "other")
    grade_all(subs, fake())
    assert len(fake.calls()) == 2
    change(subs)
    summary = grade_all(subs, fake())
    assert summary.graded == (["s"] if regraded else []) and "other" in summary.skipped


def test_an_unfingerprintable_submission_is_always_regraded_and_says_so(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, "s")
    (subs / "s" / "micrograd" / "data.bin").write_bytes(b"\0" * (21 * 2**20))
    for _ in range(2):
        summary = grade_all(subs, fake())
        assert summary.graded == ["s"]
    data = json.loads(names.submission_path(fake().out, "s", "results.json").read_text())
    assert data["extra_data"]["submission_digest"] == ""
    assert any("regraded on every run" in note for note in data["extra_data"]["notes"])


def test_lms_renames_and_zip_contents_are_regraded(tmp_path, fake):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "smith_12_1_engine.py").write_text("x = 1\n")
    make_zip(subs / "dave.zip", {"micrograd/engine.py": "x = 1\n"})
    grade_all(subs, fake())
    os.rename(subs / "smith_12_1_engine.py", subs / "smith_12_1_engine-1.py")
    make_zip(subs / "dave.zip", {"micrograd/engine.py": "x = 2\n"})
    assert sorted(grade_all(subs, fake()).graded) == ["12", "dave"]


# ---------------------------------------------------------------- one boundary per submission


def boom(*args, **kwargs):
    raise RuntimeError("injected\nfault \x1b[31m")


def only_for_bob(real):
    def patched(*args, **kwargs):
        text = " ".join(map(str, args)) + " ".join(map(str, kwargs.values()))
        if "bob" in text:
            boom()
        return real(*args, **kwargs)

    return patched


STAGES = [  # (module, attribute, status of bob's row, words in its reason)
    (discovery, "_classify", "invalid", "cannot be read"),
    (discovery, "fingerprint", "crashed", "fingerprinting"),
    (orchestrate, "load_record", "crashed", "reading its earlier results"),
    (discovery, "prepare", "crashed", "grader error"),
    (notebooks, "add_to_package", "crashed", "grader error"),
    (orchestrate, "grade_package", "crashed", "grader error"),
    (outputs, "render_feedback", "crashed", "writing its results"),
    (outputs, "results_json", "crashed", "writing its results"),
]


@pytest.mark.parametrize("module, attribute, status, words", STAGES, ids=[s[1] for s in STAGES])
def test_a_fault_at_any_stage_costs_that_submission_only(
    tmp_path, fake, monkeypatch, module, attribute, status, words
):
    subs = tmp_path / "subs"
    make_submission(subs, "alice")
    make_submission(subs, "bob")
    (subs / "bob" / "01_derivatives.ipynb").write_text(json.dumps(notebook_json()))
    monkeypatch.setattr(module, attribute, only_for_bob(getattr(module, attribute)))
    options = fake()
    summary = grade_all(subs, options)
    assert sorted(summary.results) == ["alice", "bob"]
    rows = gradebook(options.out)
    assert rows["alice"]["status"] == "graded" and rows["alice"]["total"] == "40"
    assert rows["bob"]["status"] == status and words in rows["bob"]["reason"]
    assert "injected fault" in rows["bob"]["reason"] or status == "invalid"
    assert not HIDDEN.search((options.out / names.GRADEBOOK).read_text())
    assert json.loads((options.out / names.RUN_FILE).read_text())["finished_at"]


def test_the_nbgrader_export_never_writes_a_formula(tmp_path, fake):
    from grader.report import nbgrader_export as nbx

    subs = tmp_path / "subs"
    make_submission(subs, "=1+1")
    make_submission(subs, "alice")
    options = fake()
    grade_all(subs, options)
    lessons = list(LESSONS[:2])
    from_folder = nbx.grades_rows(nbx.read_scores(options.out), lessons)
    from_csv = nbx.grades_rows(nbx.read_scores(options.out / names.GRADEBOOK), lessons)
    assert from_folder == from_csv
    assert {r["student_id"] for r in from_csv} == {"'=1+1", "alice"}
