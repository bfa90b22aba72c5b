"""The result model's own record (grader/results.py): it round-trips, anything else is not
trusted (the submission is regraded), it is written last and staff only, and the output
registry (grader/report/outputs.py) writes from it what a resumed submission lacks. And
results.json stays byte for byte what it was before the record existed."""

import json
from pathlib import Path

import pytest
from grading_helpers import fake_grade_options, make_submission
from results_golden_helpers import CASES

from grader import names
from grader.files import write_json_atomic
from grader.grading.orchestrate import grade_all
from grader.lessons import load_lessons
from grader.report import outputs
from grader.results import FORMAT, RecordError, SubmissionResult, read_record

LESSONS = load_lessons()
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return fake_grade_options(tmp_path, monkeypatch, tuple(LESSONS[:2]))


# ---------------------------------------------------------------- the record


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_record_round_trips_to_an_equal_model(case):
    result = CASES[case]()
    record = result.to_dict()
    assert record["format"] == FORMAT
    text = json.dumps(record, allow_nan=False)  # JSON types only
    back = read_record(text, LESSONS)
    assert back == result
    assert back.score == result.score and back.checks == result.checks
    assert back.staff_notes == result.staff_notes  # everything, staff notes included


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_json_bytes_are_unchanged(tmp_path, case):
    path = tmp_path / "results.json"
    outputs.write_results_json(path, CASES[case]())
    assert path.read_bytes() == (FIXTURES / "results_golden" / f"{case}.json").read_bytes()


def mutations():
    """(what, change to a good record) pairs, each of which must make it untrusted."""

    def lesson0(r):
        return r["lessons"][0]

    def check0(r):
        return r["lessons"][0]["checks"][0]

    return [
        ("another format", lambda r: r.update(format="micrograder-result/0")),
        ("no format", lambda r: r.pop("format")),
        ("the results.json schema", lambda r: r.update(format="micrograder-results/1")),
        ("a bool as seed", lambda r: r.update(seed=True)),
        ("a string as score time", lambda r: r.update(execution_time="1.0")),
        ("an unknown status", lambda r: r.update(status="perfect")),
        ("notes not strings", lambda r: r.update(notes=[1])),
        ("lessons not a list", lambda r: r.update(lessons={})),
        ("an unknown lesson", lambda r: lesson0(r).update(lesson="astrology")),
        ("a lesson id of the wrong type", lambda r: lesson0(r).update(lesson=["value"])),
        ("other maximum points", lambda r: lesson0(r).update(max_points=99.0)),
        ("a lesson without checks", lambda r: lesson0(r).pop("checks")),
        ("a check of another lesson", lambda r: check0(r).update(lesson="value")),
        ("points above the check's maximum", lambda r: check0(r).update(points=1e9)),
        ("negative points", lambda r: check0(r).update(points=-1.0)),
        ("an unknown outcome", lambda r: check0(r).update(outcome="won")),
        ("a check that is not an object", lambda r: lesson0(r)["checks"].append("x")),
        ("a missing field", lambda r: check0(r).pop("message")),
    ]


@pytest.mark.parametrize("what, change", mutations(), ids=[m[0] for m in mutations()])
def test_a_record_of_another_format_or_malformed_is_not_trusted(what, change):
    record = CASES["graded"]().to_dict()
    change(record)
    with pytest.raises(RecordError):
        SubmissionResult.from_dict(record, LESSONS)


@pytest.mark.parametrize(
    "text", ["", "{ not json", "[]", "null", '"x"', "[" * 100_000, json.dumps({"format": FORMAT})]
)
def test_corrupt_record_text_raises_only_record_error(text):
    with pytest.raises(RecordError):
        read_record(text, LESSONS)


# ---------------------------------------------------------------- on disk, in a run


def test_the_record_is_written_last_and_staff_only(tmp_path, fake):
    assert outputs.SUBMISSION_OUTPUTS[-1] is outputs.RECORD
    written = []
    for output in outputs.SUBMISSION_OUTPUTS:  # the order a grade loop writes them in
        written.append(output.path(tmp_path, "alice").name)
    assert written[-1] == "alice.json"
    make_submission(tmp_path / "subs", "alice")
    options = fake()
    grade_all(tmp_path / "subs", options)
    record = names.record_path(options.out, "alice")
    assert record.parent.name == names.RECORDS and record.parent.parent == options.out.resolve()
    assert json.loads(record.read_text())["format"] == FORMAT
    assert "alice.json" not in {p.name for p in (options.out / "alice").iterdir()}


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_text("{ not json"),
        lambda path: path.write_text(
            json.dumps({**json.loads(path.read_text()), "format": "micrograder-result/0"})
        ),
        lambda path: path.write_bytes(b"\xff\xfe"),
        lambda path: path.unlink(),
    ],
    ids=["corrupt", "another format", "not utf-8", "missing"],
)
def test_an_untrusted_record_means_regrade(tmp_path, fake, damage):
    make_submission(tmp_path / "subs", "alice")
    make_submission(tmp_path / "subs", "bob")
    options = fake()
    grade_all(tmp_path / "subs", options)
    damage(names.record_path(options.out, "bob"))
    summary = grade_all(tmp_path / "subs", options)
    assert summary.graded == ["bob"] and summary.skipped == ["alice"]
    assert len(fake.calls()) == 3
    assert read_record(names.record_path(options.out, "bob").read_text(), LESSONS).id == "bob"


def test_a_missing_output_is_rewritten_from_the_record_without_regrading(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice", {"fail": {"value": "tanh is wrong"}})
    options = fake()
    grade_all(tmp_path / "subs", options)
    feedback = options.out / "alice" / "feedback.html"
    before = feedback.read_bytes()
    results_json = (options.out / "alice" / "results.json").read_bytes()
    feedback.unlink()
    summary = grade_all(tmp_path / "subs", options)
    assert summary.skipped == ["alice"] and summary.graded == []
    assert len(fake.calls()) == 1  # the runner ran once, in the first run only
    assert feedback.read_bytes() == before
    assert (options.out / "alice" / "results.json").read_bytes() == results_json
    assert summary.results["alice"].score == 40 - 15  # value's first check failed


def test_a_new_output_format_is_written_for_resumed_submissions(tmp_path, fake, monkeypatch):
    """Adding an output = one writer + one registry line; submissions graded before it
    existed get it on the next plain rerun, from their records."""
    make_submission(tmp_path / "subs", "alice")
    options = fake()
    grade_all(tmp_path / "subs", options)

    def write_score(path, result):
        path.write_text(f"{result.score:g}/{result.max_score:g}\n")

    score_txt = outputs.SubmissionOutput("score.txt", outputs.in_folder("score.txt"), write_score)
    monkeypatch.setattr(
        outputs, "SUBMISSION_OUTPUTS", [*outputs.SUBMISSION_OUTPUTS[:-1], score_txt, outputs.RECORD]
    )
    summary = grade_all(tmp_path / "subs", options)
    assert summary.skipped == ["alice"] and len(fake.calls()) == 1
    assert (options.out / "alice" / "score.txt").read_text() == "40/40\n"


def test_the_staff_log_is_rewritten_only_when_there_is_something_to_log(tmp_path, fake):
    result = CASES["graded"]()
    log = names.log_path(tmp_path, result.id)
    assert outputs.write_missing_outputs(tmp_path, result) == [
        "staff log",
        "feedback.html",
        "results.json",
        "result record",
    ]
    assert "held back from the student: nn/t2: secret" in log.read_text()
    assert outputs.write_missing_outputs(tmp_path, result) == []
    quiet = CASES["never_ran"]()
    assert "staff log" not in outputs.write_missing_outputs(tmp_path, quiet)


def test_the_gradebook_and_export_read_the_records(tmp_path, fake):
    from grader.report import nbgrader_export as nbx

    make_submission(tmp_path / "subs", "alice", {"fail": {"value": "wrong"}})
    options = fake()
    grade_all(tmp_path / "subs", options)
    (options.out / "alice" / "results.json").write_text("{}")  # results.json is never read
    scores = nbx.read_scores(options.out)
    assert scores.points == {"alice": {"derivatives": 10.0, "value": 15.0}}
    line = nbx.export_grades(options.out, list(LESSONS[:2]))
    assert line.startswith(f"wrote {options.out / 'grades.csv'}: 2 rows (1 students)")
    write_json_atomic(names.record_path(options.out, "alice"), {"format": "other"})
    assert nbx.read_scores(options.out).points["alice"] == {"derivatives": 10.0, "value": 15.0}


def test_one_line_and_error_line_are_one_line_with_nothing_hidden():
    from grader.names import error_line, one_line, one_lines

    assert one_line("a\n  b\x1b[31m") == "a b\\x1b[31m"
    assert one_line("x" * 10, 5) == "xxxx…"
    assert one_lines(["a\nb", "c"]) == ["a b", "c"]
    assert error_line(OSError("disk\nfull")) == "disk full"
    assert error_line(KeyError()) == "KeyError"


def test_a_failed_write_leaves_no_earlier_record_behind(tmp_path, fake, monkeypatch):
    """--force regrades; if writing the new outputs fails half way, the old record must not
    make the next run skip the submission over half-replaced files."""
    make_submission(tmp_path / "subs", "alice")
    grade_all(tmp_path / "subs", fake())
    assert names.record_path(fake().out, "alice").exists()

    def broken(path, result):
        raise OSError(28, "No space left on device")

    registry = outputs.SUBMISSION_OUTPUTS
    monkeypatch.setattr(
        outputs,
        "SUBMISSION_OUTPUTS",
        [
            outputs.SUBMISSION_OUTPUTS[0],
            outputs.SubmissionOutput("results.json", outputs.in_folder("results.json"), broken),
            outputs.RECORD,
        ],
    )
    summary = grade_all(tmp_path / "subs", fake(force=True))
    assert "no results were written" in summary.results["alice"].reason
    assert not names.record_path(fake().out, "alice").exists()
    monkeypatch.setattr(outputs, "SUBMISSION_OUTPUTS", registry)
    summary = grade_all(tmp_path / "subs", fake())
    assert summary.graded == ["alice"] and summary.results["alice"].status == "graded"
