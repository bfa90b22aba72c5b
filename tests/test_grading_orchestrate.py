"""Grading a folder of submissions against a fake runner that follows the runner contract
(docs/runner-contract.md): statuses, outputs, resume, --force, seeds, parallel slots, atomic
writes."""

import csv
import dataclasses
import json
import os
import time

import pytest
from grading_helpers import fake_grade_options, make_submission, make_zip, running

from grader import files as atomic
from grader import names
from grader import results as model
from grader.grading.orchestrate import grade_all, previous_seed
from grader.lessons import load_lessons

LESSONS = tuple(load_lessons())


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Options that run the fake runner; its calls are logged to `calls`."""
    return fake_grade_options(tmp_path, monkeypatch, LESSONS)


def run(subs_dir, options):
    summary = grade_all(subs_dir, options)
    with open(options.out / "gradebook.csv", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    return summary, rows


def test_every_submission_gets_a_row_with_its_status(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, "alice")
    make_submission(subs, "bob", {"fail": {"value": "tanh: expected 0.76, got 0.5"}})
    make_submission(
        subs, "carol", {"status": {"nn": ["invalid", "micrograd/nn.py line 3: SyntaxError"]}}
    )
    make_submission(subs, "dan", {"exit": 3})
    make_submission(subs, "erin", {"garbage": True})
    make_submission(
        subs,
        "fay",
        {"status": {lesson.id: ["invalid", "micrograd/x.py missing"] for lesson in LESSONS}},
    )
    make_submission(subs, "gus", {"status": {"optim": ["timeout", "budget of 30 s spent"]}})
    make_submission(subs, "hal", {"status": {"value": ["crashed", "worker died"]}})
    make_submission(subs, "ian", {"seed_shift": 1})
    (subs / "empty").mkdir()
    make_zip(subs / "eve.zip", {"../../escape.py": "x"})
    summary, rows = run(subs, fake())

    status = {sub_id: row["status"] for sub_id, row in rows.items()}
    assert status == {
        "alice": "graded",
        "bob": "graded",
        "carol": "graded",
        "dan": "crashed",
        "erin": "crashed",
        "fay": "invalid",
        "gus": "timeout",
        "hal": "crashed",
        "ian": "crashed",
        "empty": "invalid",
        "eve": "invalid",
    }
    assert rows["alice"]["total"] == "100" and rows["alice"]["reason"] == ""
    assert rows["bob"]["value"] == "15" and rows["bob"]["total"] == "85"
    assert rows["carol"]["nn"] == "0" and rows["carol"]["total"] == "85"
    assert "micrograd/nn.py line 3" in rows["carol"]["reason"]
    assert rows["gus"]["optim"] == "0" and "optim: timeout" in rows["gus"]["reason"]
    assert "exited with code 3" in rows["dan"]["reason"]
    assert "unsafe entry" in rows["eve"]["reason"] and not (tmp_path / "escape.py").exists()
    assert "empty" in rows["empty"]["reason"]
    assert rows["ian"]["reason"] == "the suite runner used another seed"
    assert all("\n" not in row["reason"] for row in rows.values())
    # the invalid ones never reached the runner; every other one ran exactly once
    assert sorted(line.split()[0] for line in fake.calls()) == ["micrograd"] * 9
    assert set(summary.graded) == set(rows)


def test_gradebook_columns_follow_the_course(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice")
    _, rows = run(tmp_path / "subs", fake())
    assert list(rows["alice"]) == [
        "id",
        "status",
        "reason",
        "derivatives",
        "value",
        "nn",
        "losses",
        "optim",
        "training",
        "total",
        "max",
    ]
    assert rows["alice"]["max"] == "100"


def test_lesson_selection_is_passed_on_and_limits_the_columns(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice")
    lessons = tuple(lesson for lesson in LESSONS if lesson.id in ("value", "losses"))
    _, rows = run(tmp_path / "subs", fake(lessons=lessons))
    assert fake.calls()[0].split()[2] == "value,losses"
    assert list(rows["alice"])[3:] == ["value", "losses", "total", "max"]
    assert rows["alice"]["max"] == "40" and rows["alice"]["total"] == "40"


def test_overrun_is_killed_as_timeout_and_the_run_goes_on(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, "slow", {"sleep": 60})
    make_submission(subs, "fast")
    quick = tuple(dataclasses.replace(lesson, time_budget=0.1) for lesson in LESSONS[:2])
    _, rows = run(subs, fake(lessons=quick, margin=1.0))
    assert rows["slow"]["status"] == "timeout" and "longer than" in rows["slow"]["reason"]
    assert rows["fast"]["status"] == "graded"


@pytest.mark.parametrize("sleep", [60, 0])
def test_no_runner_process_outlives_its_submission(tmp_path, fake, sleep):
    pid_file = tmp_path / "grandchild.pid"
    make_submission(
        tmp_path / "subs", "alice", {"grandchild_pid_file": str(pid_file), "sleep": sleep}
    )
    quick = tuple(dataclasses.replace(lesson, time_budget=0.5) for lesson in LESSONS[:1])
    _, rows = run(tmp_path / "subs", fake(lessons=quick, margin=2.0))
    assert rows["alice"]["status"] == ("timeout" if sleep else "graded")
    pid = int(pid_file.read_text())
    for _ in range(50):  # SIGKILL was sent; give the kernel a moment to finish it
        if not running(pid):
            break
        time.sleep(0.1)
    assert not running(pid)


def test_seed_is_recorded_in_run_json_and_results(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice")
    options = fake(seed=987)
    grade_all(tmp_path / "subs", options)
    run_info = json.loads((options.out / "run.json").read_text())
    assert run_info["seed"] == 987 and previous_seed(options.out) == 987
    assert run_info["limits"]["submission_timeout_seconds"] == options.timeout
    assert run_info["limits"]["request_timeout"] == 5  # reported by the runner
    results = json.loads((options.out / "alice" / "results.json").read_text())
    assert results["extra_data"]["seed"] == 987
    assert fake.calls()[0].split()[1] == "987"


def test_resume_skips_finished_results_and_keeps_them_byte_identical(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, "alice")
    make_submission(subs, "bob", {"fail": {"nn": "wrong"}})
    options = fake()
    grade_all(subs, options)
    before = {
        p: p.read_bytes() for p in options.out.rglob("*") if p.parent.name in ("alice", "bob")
    }
    gradebook = (options.out / "gradebook.csv").read_bytes()
    make_submission(subs, "carol")  # a late submission
    summary = grade_all(subs, options)
    assert summary.skipped and sorted(summary.skipped) == ["alice", "bob"]
    assert summary.graded == ["carol"] and len(fake.calls()) == 3
    assert {p: p.read_bytes() for p in before} == before
    assert (options.out / "gradebook.csv").read_bytes().startswith(gradebook)
    assert b"carol" in (options.out / "gradebook.csv").read_bytes()


def test_force_regrades_everything(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice")
    grade_all(tmp_path / "subs", fake())
    summary = grade_all(tmp_path / "subs", fake(force=True))
    assert summary.graded == ["alice"] and len(fake.calls()) == 2


@pytest.mark.parametrize("change", ["seed", "lessons", "files"])
def test_results_of_another_configuration_are_regraded(tmp_path, fake, change):
    package = make_submission(tmp_path / "subs", "alice")
    grade_all(tmp_path / "subs", fake())
    kwargs = {}
    if change == "seed":
        kwargs["seed"] = 4321
    elif change == "lessons":
        kwargs["lessons"] = LESSONS[:1]
    else:
        (package / "engine.py").write_text("# fixed\n")
    summary = grade_all(tmp_path / "subs", fake(**kwargs))
    assert summary.graded == ["alice"] and len(fake.calls()) == 2


def test_killed_run_leaves_no_results_and_the_rerun_finishes_it(tmp_path, fake):
    make_submission(tmp_path / "subs", "alice")
    make_submission(tmp_path / "subs", "bob")
    options = fake()
    grade_all(tmp_path / "subs", options)
    # as if killed before bob finished: his result record (written last) is missing
    names.record_path(options.out, "bob").unlink()
    summary = grade_all(tmp_path / "subs", options)
    assert summary.graded == ["bob"] and summary.skipped == ["alice"]


def test_parallel_jobs_use_distinct_slots(tmp_path, fake):
    for name in ("a", "b", "c", "d"):
        make_submission(tmp_path / "subs", name, {"sleep": 0.5})
    summary, rows = run(tmp_path / "subs", fake(jobs=2))
    assert len(rows) == 4 and {r["status"] for r in rows.values()} == {"graded"}
    assert {line.split()[3] for line in fake.calls()} == {"0", "1"}


def test_a_grader_error_costs_one_submission_only(tmp_path, fake, monkeypatch):
    from grader.grading import orchestrate

    real = orchestrate.discovery.prepare

    def flaky(sub, workdir, *notes):
        if sub.id == "bob":
            raise RuntimeError("disk on fire")
        return real(sub, workdir, *notes)

    monkeypatch.setattr(orchestrate.discovery, "prepare", flaky)
    make_submission(tmp_path / "subs", "alice")
    make_submission(tmp_path / "subs", "bob")
    _, rows = run(tmp_path / "subs", fake())
    assert rows["alice"]["status"] == "graded"
    assert rows["bob"]["status"] == "crashed" and "disk on fire" in rows["bob"]["reason"]


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    atomic.write_text_atomic(target, "old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary file left behind
    monkeypatch.undo()
    atomic.write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1} and oct(target.stat().st_mode)[-3:] == "644"


def test_overall_status_prefers_timeout_then_crashed():
    def lesson(status, reason=""):
        return model.LessonResult(LESSONS[0], status, reason, [])

    assert model.overall_status([lesson("graded"), lesson("graded")]) == ("graded", "")
    assert (
        model.overall_status([lesson("crashed", "died"), lesson("timeout", "slow")])[0] == "timeout"
    )
    assert model.overall_status([lesson("graded"), lesson("crashed", "died")]) == (
        "crashed",
        "derivatives: crashed (died)",
    )
    assert model.overall_status([lesson("invalid", "no engine.py")] * 2) == (
        "invalid",
        "no engine.py",
    )
    status, reason = model.overall_status([lesson("graded"), lesson("invalid", "nn.py line 2")])
    assert status == "graded" and "nn.py line 2" in reason


def test_runner_json_is_read_defensively():
    data = {
        "seed": 1,
        "lessons": {"derivatives": {"status": "graded", "reason": ""}},
        "checks": [
            {
                "lesson": "derivatives",
                "id": "d/a",
                "points": 99,
                "max_points": 2,
                "outcome": "passed",
            },
            {
                "lesson": "derivatives",
                "id": "d/b",
                "points": True,
                "max_points": "3",
                "outcome": "weird",
            },
            {
                "lesson": "derivatives",
                "id": "d/c",
                "points": float("nan"),
                "max_points": 1,
                "outcome": "failed",
                "visibility": "secret",
            },
            "not a check",
        ],
    }
    result = model.from_runner("x", data, list(LESSONS[:2]), seed=1, execution_time=0.5)
    a, b, c = result.checks
    assert (a.points, a.max_points) == (2.0, 2.0)
    assert (b.points, b.max_points, b.outcome) == (0.0, 0.0, "error")
    assert (c.points, c.visibility) == (0.0, "visible")
    assert [lesson.status for lesson in result.lessons] == [
        "graded",
        "crashed",
    ]  # value was not reported
    assert result.status == "crashed"


def test_a_failed_write_leaves_a_row_saying_so(tmp_path, fake, monkeypatch):
    from grader.grading import orchestrate

    real = orchestrate.write_outputs

    def full_disk(folder, result):
        if result.id == "bob":
            raise OSError(28, "No space left on device")
        return real(folder, result)

    monkeypatch.setattr(orchestrate, "write_outputs", full_disk)
    make_submission(tmp_path / "subs", "alice")
    make_submission(tmp_path / "subs", "bob")
    _, rows = run(tmp_path / "subs", fake())
    assert rows["alice"]["status"] == "graded"
    assert rows["bob"]["status"] == "crashed" and "no results were written" in rows["bob"]["reason"]


def test_an_interrupted_run_writes_nothing_for_submissions_in_flight(tmp_path, fake):
    for name in ("a", "b", "c", "d"):
        make_submission(tmp_path / "subs", name, {"sleep": 0.5})
    options = fake(jobs=2)
    done = []

    def interrupt_after_first(sub_id, results, skipped):
        done.append(sub_id)
        raise KeyboardInterrupt  # what Ctrl-C does to the main thread

    with pytest.raises(KeyboardInterrupt):
        grade_all(tmp_path / "subs", options, on_done=interrupt_after_first)
    finished = sorted(p.parent.name for p in options.out.glob("*/results.json"))
    assert finished == sorted(done) and len(finished) < 4
    summary = grade_all(tmp_path / "subs", options)  # the same command finishes the run
    assert sorted(summary.skipped) == finished and len(summary.graded) == 4 - len(finished)
