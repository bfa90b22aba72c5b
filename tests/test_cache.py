"""The content-addressed result cache (grader/grading/cache.py): an unchanged regrade into a new
--out reuses every record; a change to a submission, the grader's code or the reference grades
again; a corrupt or foreign entry is never trusted. The fake runner logs each grading."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from grading_helpers import fake_executor, fake_grade_options, make_submission, write_fake_runner

from grader.cli import main
from grader.grading import cache, commands
from grader.grading.cache import ResultCache, default_folder
from grader.grading.orchestrate import grade_all
from grader.lessons import course
from grader.results import read_record

LESSONS = course().select(("value", "nn"))
IDS = ("alice", "bob", "carol")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return fake_grade_options(tmp_path, monkeypatch, LESSONS)


def make_class(folder: Path, **behaviour) -> Path:
    for sub_id in IDS:
        make_submission(folder, sub_id, {**behaviour, "fail": {"nn": f"{sub_id} is wrong"}})
    return folder


@pytest.fixture
def subs(tmp_path):
    return make_class(tmp_path / "subs")


def run(subs: Path, options) -> tuple[dict, float]:
    started = time.monotonic()
    summary = grade_all(subs, options)
    return summary, time.monotonic() - started


def gradebook(out: Path) -> str:
    return (out / "gradebook.csv").read_text()


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.json"))


def test_an_unchanged_regrade_into_a_new_out_reuses_every_record(tmp_path, fake):
    subs = make_class(tmp_path / "subs", sleep=0.4)  # a runner that takes its time
    first_cache, second_cache = ResultCache(tmp_path / "cache"), ResultCache(tmp_path / "cache")
    first, first_seconds = run(subs, fake(out=tmp_path / "one", cache=first_cache))
    second, second_seconds = run(subs, fake(out=tmp_path / "two", cache=second_cache))
    assert sorted(first.graded) == list(IDS) and first_cache.stores == 3
    assert len(fake.calls()) == 3  # the second run started no runner
    assert second_cache.hits == 3 and sorted(second.skipped) == list(IDS)
    assert second_seconds < first_seconds / 3  # 3 x 0.4 s of "grading" against file writes
    assert gradebook(tmp_path / "two") == gradebook(tmp_path / "one")
    for sub_id in IDS:  # every output is written into the new --out, from the record
        for name in ("results.json", "feedback.html"):
            assert (tmp_path / "two" / sub_id / name).read_bytes() == (
                tmp_path / "one" / sub_id / name
            ).read_bytes()
    assert json.loads((tmp_path / "two" / "run.json").read_text())["cached"] == 3


def test_a_changed_submission_is_the_only_one_graded_again(tmp_path, fake, subs):
    run(subs, fake(out=tmp_path / "one", cache=ResultCache(tmp_path / "cache")))
    (subs / "bob" / "micrograd" / "engine.py").write_text("# bob fixed it\n")
    again = ResultCache(tmp_path / "cache")
    summary, _ = run(subs, fake(out=tmp_path / "two", cache=again))
    assert summary.graded == ["bob"] and again.hits == 2
    assert len(fake.calls()) == 4


@pytest.mark.parametrize("changed", ["grader_hash", "reference_hash"])
def test_a_change_to_the_grader_or_the_reference_grades_everything_again(
    tmp_path, fake, subs, monkeypatch, changed
):
    run(subs, fake(out=tmp_path / "one", cache=ResultCache(tmp_path / "cache")))
    monkeypatch.setattr(cache, changed, lambda: "something else")
    again = ResultCache(tmp_path / "cache")
    summary, _ = run(subs, fake(out=tmp_path / "two", cache=again))
    assert sorted(summary.graded) == list(IDS) and again.hits == 0
    assert len(fake.calls()) == 6 and len(entries(tmp_path / "cache")) == 6


def test_the_lessons_seed_and_limits_are_part_of_the_key(tmp_path, fake, subs):
    folder = tmp_path / "cache"
    run(subs, fake(out=tmp_path / "one", cache=ResultCache(folder)))
    for n, change in enumerate(
        [
            {"seed": 99},
            {"lessons": course().select(("value",))},
            {"margin": 31.0},  # the runner's timeout
        ]
    ):
        again = ResultCache(folder)
        summary, _ = run(subs, fake(out=tmp_path / f"other{n}", cache=again, **change))
        assert again.hits == 0 and sorted(summary.graded) == list(IDS), change


def test_a_corrupt_or_foreign_entry_is_graded_again_and_rewritten(tmp_path, fake, subs):
    folder = tmp_path / "cache"
    run(subs, fake(out=tmp_path / "one", cache=ResultCache(folder)))
    stored = {read_record(path.read_text(), list(LESSONS)).id: path for path in entries(folder)}
    stored["alice"].write_text('{"format": "broken')  # cut short
    stored["bob"].write_text(stored["carol"].read_text())  # carol's record under bob's key
    again = ResultCache(folder)
    summary, _ = run(subs, fake(out=tmp_path / "two", cache=again))
    assert sorted(summary.graded) == ["alice", "bob"] and again.hits == 1
    for sub_id in ("alice", "bob"):
        assert read_record(stored[sub_id].read_text(), list(LESSONS)).id == sub_id
    bob = json.loads((tmp_path / "two" / "bob" / "results.json").read_text())
    assert "carol" not in json.dumps(bob)


def test_force_and_a_run_without_a_cache_grade_fresh(tmp_path, fake, subs):
    folder = tmp_path / "cache"
    run(subs, fake(out=tmp_path / "one", cache=ResultCache(folder)))
    forced = ResultCache(folder)
    summary, _ = run(subs, fake(out=tmp_path / "two", cache=forced, force=True))
    assert sorted(summary.graded) == list(IDS) and forced.hits == 0
    summary, _ = run(subs, fake(out=tmp_path / "three", cache=None))
    assert sorted(summary.graded) == list(IDS) and len(fake.calls()) == 9


def test_only_results_another_grading_would_repeat_are_kept(tmp_path, fake):
    subs = tmp_path / "subs"
    make_submission(subs, "crash", {"exit": 3})  # the runner died: crashed, not kept
    make_submission(subs, "slow", {"status": {"value": ["timeout", "took too long"]}})
    make_submission(subs, "fine", {})
    kept = ResultCache(tmp_path / "cache")
    run(subs, fake(cache=kept))
    assert kept.stores == 1
    [entry] = entries(tmp_path / "cache")
    assert read_record(entry.read_text(), list(LESSONS)).id == "fine"


def test_the_default_folder_is_per_user(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROGRADER_CACHE_DIR", str(tmp_path / "mine"))
    assert default_folder() == tmp_path / "mine"
    monkeypatch.delenv("MICROGRADER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_folder() == tmp_path / "xdg" / "micrograder"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_folder() == tmp_path / "home" / ".cache" / "micrograder"


def test_grade_reuses_the_cache_unless_no_cache(tmp_path, monkeypatch, subs):
    """The CLI's --cache and --no-cache (its runner replaced by the fake one)."""
    calls = tmp_path / "cli-calls.log"
    monkeypatch.setenv("FAKE_RUNNER_CALLS", str(calls))
    monkeypatch.setenv("FAKE_RUNNER_POINTS", json.dumps(course().points))
    runner = write_fake_runner(tmp_path)
    fake_options = functools.partial(commands.GradeOptions, executor=fake_executor(runner))
    monkeypatch.setattr(commands, "GradeOptions", fake_options)

    def grade(out: str, *flags: str) -> None:
        args = ["grade", str(subs), "--out", str(tmp_path / out), "--seed", "3", *flags]
        result = CliRunner().invoke(main, [*args, "--lesson", "value"])
        assert result.exit_code == 0, result.output

    grade("one", "--cache", str(tmp_path / "c"))
    grade("two", "--cache", str(tmp_path / "c"))
    assert len(calls.read_text().splitlines()) == 3 and len(entries(tmp_path / "c")) == 3
    grade("three", "--cache", str(tmp_path / "c"), "--no-cache")
    assert len(calls.read_text().splitlines()) == 6
    grade("four")  # the default folder: this test's own (conftest.py)
    assert len(entries(Path(default_folder()))) == 3


def test_the_course_hash_sees_every_name_and_byte(tmp_path):
    """The real hashes (the tests above inject changed ones): a suite edited, a module added or
    renamed, a lesson.toml changed; compiled files do not count."""
    grader = tmp_path / "grader"
    (grader / "suites").mkdir(parents=True)
    (grader / "suites" / "test_value.py").write_text("def test_a(): pass\n")
    (grader / "suites" / "suites.ini").write_text("[pytest]\n")
    seen = {cache.tree_hash(grader, cache.GRADER_FILES)}

    def changed() -> bool:
        digest = cache.tree_hash(grader, cache.GRADER_FILES)
        new = digest not in seen
        seen.add(digest)
        return new

    (grader / "suites" / "test_value.py").write_text("def test_a(): assert 0\n")
    assert changed()
    (grader / "suites" / "suites.ini").write_text("[pytest]\naddopts = -x\n")
    assert changed()
    (grader / "suites" / "test_value.py").rename(grader / "suites" / "test_nn.py")
    assert changed()
    (grader / "suites" / "__pycache__").mkdir()
    (grader / "suites" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert not changed()
    [lesson] = course().select(("value",))
    copy = tmp_path / "value"
    copy.mkdir()
    (copy / "lesson.toml").write_bytes(lesson.toml.read_bytes())
    before = cache.course_hash([replace(lesson, folder=copy)])
    assert before == cache.course_hash([lesson])
    (copy / "lesson.toml").write_bytes(lesson.toml.read_bytes() + b"\n# points changed\n")
    assert cache.course_hash([replace(lesson, folder=copy)])["lessons"] != before["lessons"]
