"""The answer key stays secret, an honest class sees everything, inputs cannot be replayed.

One `micrograder grade` run in the OS sandbox grades, side by side:
- `exfil`: bob's package plus a module that reads the reference modules its restricted workers
  hold and pushes them through every channel it has (tests/hostile/exfiltrate.py);
- `reference` (a copy of the reference solution) and `alice` (an independent closure engine):
  students who completed every lesson, so every lesson runs on their own code;
- `bob`: bugs in engine.py, losses.py and optim.py, so lessons 3, 4 and 6 are restricted.
Afterwards nothing a student receives (their results.json and feedback.html) holds a reference
line, a marked slice, or a number the attacker returned; the staff-only log holds what was held
back; and the restricted feedback still names the failed checks and their expected values.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest
from hostile import exfiltrate, probe

from grader.paths import EXAMPLES, REFERENCE_PACKAGE, STUDENT_TEMPLATE
from grader.sandbox import jail

pytestmark = pytest.mark.slow
WINDOW = 24  # characters: a reference line's slice this long found in feedback counts as a leak
RESTRICTED_FOR_BOB = {"nn", "losses", "training"}
# leak.py, an extra module, travels with every lesson and imports the engine: optim too
RESTRICTED_FOR_EXFIL = RESTRICTED_FOR_BOB | {"optim"}
WHOLE_STACK = "whole micrograd (engine, nn, losses, optim, data, train) learns the moons"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    status = jail.sandbox_status()
    assert status.available, f"this test needs the OS sandbox: {status.reason}"
    base = tmp_path_factory.mktemp("trust")
    subs, out = base / "submissions", base / "out"
    exfiltrate.build(subs / "exfil")
    shutil.copytree(
        REFERENCE_PACKAGE,
        subs / "reference" / "micrograd",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("alice", "bob"):
        shutil.copytree(EXAMPLES / name, subs / name, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        probe.GRADE
        + [
            str(subs),
            "--out",
            str(out),
            "--seed",
            "11",
            "-j",
            "2",
            "--timeout",
            "5",
            "--require-sandbox",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=base,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"out": out, "subs": subs, "proc": proc}


def student_texts(out, sub_id) -> dict[str, str]:
    """Everything handed to the student, as text a person would read (HTML and JSON decoded)."""
    folder = out / sub_id
    data = json.loads((folder / "results.json").read_text())
    return {
        "results.json": json.dumps(data, ensure_ascii=False),
        "feedback.html": html.unescape((folder / "feedback.html").read_text()),
    }


def solution_lines():
    """The answer key: every line inside a solution region of the reference (the rest, such as
    docstrings, is handed out in the template)."""
    for module in REFERENCE_PACKAGE.glob("*.py"):
        inside = False
        for line in module.read_text().splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside:
                yield line.strip()


def reference_only_windows(student_package) -> set[str]:
    """WINDOW-long slices of the answer key's lines that appear nowhere in the student's files
    nor in the template handed out."""
    public = [*student_package.glob("*.py"), *(STUDENT_TEMPLATE / "micrograd").glob("*.py")]
    own = "\n".join(p.read_text() for p in public)
    windows = set()
    for line in solution_lines():
        for start in range(0, max(0, len(line) - WINDOW) + 1):
            window = line[start : start + WINDOW]
            if len(window) == WINDOW and window not in own:
                windows.add(window)
    return windows


def test_nothing_a_student_receives_holds_reference_code(run):
    windows = reference_only_windows(run["subs"] / "exfil" / "micrograd")
    # The grader's own words (check names, as a student with full marks sees them) may share a
    # phrase with a comment of the answer key ("a node used twice gets ...").
    shown_to_all = "\n".join(student_texts(run["out"], "reference").values())
    windows = {w for w in windows if w not in shown_to_all}
    assert len(windows) > 1000  # the answer key really differs from bob's code
    for name, text in student_texts(run["out"], "exfil").items():
        flat = " ".join(text.split())
        found = sorted(w for w in windows if w in text or w in flat)
        assert found == [], (name, found[:5])


def test_no_channel_carried_anything_from_a_restricted_worker(run):
    # The whole-stack check runs the student's own files only (unrestricted): what it shows can
    # hold the student's own code, marks included. Everything else must hold none.
    results = json.loads((run["out"] / "exfil" / "results.json").read_text())
    own_stack = [t["output"] for t in results["tests"] if t["name"].endswith(WHOLE_STACK)]
    texts = student_texts(run["out"], "exfil")
    for name, text in texts.items():
        for output in own_stack:  # as HTML shows it, as it is, as results.json escapes it
            for shown in (
                html.unescape(output),
                output,
                json.dumps(output, ensure_ascii=False)[1:-1],
            ):
                text = text.replace(shown, "")
        assert exfiltrate.MARK not in text, name  # messages, type names, strings, file names
        assert str(int(exfiltrate.MAGIC)) not in text, name  # returned numbers
    results = json.loads((run["out"] / "exfil" / "results.json").read_text())
    for test in results["tests"]:
        assert "exited with code" not in test["output"]  # exit codes are not reported
    lessons = results["extra_data"]["lessons"]
    assert {lid for lid, info in lessons.items() if info["restricted"]} == RESTRICTED_FOR_EXFIL
    assert all(lessons[lid]["seconds"] == 0 for lid in RESTRICTED_FOR_EXFIL)  # no timing channel
    assert all(exfiltrate.MARK not in error for error in results["extra_data"]["internal_errors"])


def test_the_attack_really_ran_and_staff_see_what_was_held_back(run):
    staff_log = (run["out"] / ".logs" / "exfil.log").read_text()
    assert (
        exfiltrate.MARK in staff_log
    )  # the reference was read, and its text kept from the student
    assert "held back from the student" in staff_log


def test_which_checks_fail_cannot_spell_out_a_reference_line(run):
    """Pass/fail is the one channel restricted feedback keeps (design.md): read as bits, in the
    order the attacker set them, it carries a few bytes per run, never a whole line."""
    results = json.loads((run["out"] / "exfil" / "results.json").read_text())
    bits = "".join(
        "1" if t["status"] == "failed" else "0"
        for t in results["tests"]
        if t["tags"][0] in RESTRICTED_FOR_EXFIL
    )
    decoded = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8))
    text = decoded.decode("latin-1")
    assert not any(w in text for w in reference_only_windows(run["subs"] / "exfil" / "micrograd"))


def test_restricted_feedback_still_names_checks_and_expected_values(run):
    results = json.loads((run["out"] / "bob" / "results.json").read_text())
    restricted = [
        t
        for t in results["tests"]
        if t["tags"][0] in RESTRICTED_FOR_BOB and t["status"] == "failed"
    ]
    assert restricted, "bob's losses bug must fail a restricted check"
    assert any(
        re.search(r"expected -?\d", t["output"]) and "your value" in t["output"] for t in restricted
    ), [t["output"] for t in restricted]
    assert not any(re.search(r"\bgot\b", t["output"]) for t in restricted)
    page = html.unescape((run["out"] / "bob" / "feedback.html").read_text())
    assert page.count("Details held back") == len(RESTRICTED_FOR_BOB)
    assert "the course's engine.py" in page and "public self-check" in page
    assert all(t["name"].split(": ", 1)[1] in page for t in restricted)


@pytest.mark.parametrize("sub_id", ["reference", "alice"])
def test_a_class_that_completes_lessons_in_order_sees_everything(run, sub_id):
    results = json.loads((run["out"] / sub_id / "results.json").read_text())
    assert results["score"] == results["max_score"] == 100
    assert all(info["restricted"] == "" for info in results["extra_data"]["lessons"].values())
    assert "Details held back" not in (run["out"] / sub_id / "feedback.html").read_text()


def test_lessons_before_the_first_bug_and_without_reference_are_unrestricted(run):
    lessons = json.loads((run["out"] / "bob" / "results.json").read_text())["extra_data"]["lessons"]
    assert {lid for lid, info in lessons.items() if info["restricted"]} == RESTRICTED_FOR_BOB
    bob_log = run["out"] / ".logs" / "bob.log"
    assert "held back from the student" in bob_log.read_text()


def _value_messages(subs, out) -> list[str]:
    proc = subprocess.run(
        probe.GRADE + [str(subs), "--out", str(out), "--seed", "5", "--lesson", "value"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    tests = json.loads((out / "bob" / "results.json").read_text())["tests"]
    return [t["output"] for t in tests if t["status"] == "failed"]


def test_replay_an_edited_submission_gets_fresh_inputs_an_unchanged_one_the_same(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "bob", subs / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    first = _value_messages(subs, tmp_path / "out1")
    assert first and all("expected" in m for m in first)  # the inputs and expected values shown
    assert _value_messages(subs, tmp_path / "out2") == first  # unchanged: the same inputs
    with open(subs / "bob" / "micrograd" / "engine.py", "a") as handle:
        handle.write("\n# answers copied from my feedback\n")
    edited = _value_messages(subs, tmp_path / "out3")
    assert len(edited) == len(first) and not set(edited) & set(first)  # fresh inputs everywhere


def test_a_restricted_lesson_still_states_the_standard_library_rule(tmp_path):
    """The rule is shown when the student's own files confirm the import (a restricted worker's
    word alone is not taken)."""
    from sandbox_helpers import reference_line, submission_from_reference

    from grader.suites.runner import run_suites

    package = submission_from_reference(
        tmp_path / "sub",
        {
            "engine.py": [
                ("_local_grads=(1 - t * t,)", "_local_grads=(1 + t * t,)")
            ],  # lesson 2 bug
            "nn.py": [("import random\n", "import random\n\nimport numpy\n")],
        },
    )
    numpy_line = reference_line("nn.py", "import random") + 2  # after the blank line added
    results = run_suites(package, seed=1, lessons=["value", "nn"], workdir=tmp_path / "work")
    numpy_line = (package / "nn.py").read_text().splitlines().index("import numpy") + 1
    nn = [c for c in results["checks"] if c["lesson"] == "nn"]
    assert nn and all(c["restricted"] for c in nn)
    assert all(
        c["message"].startswith(
            f"micrograd/nn.py, line {numpy_line} imports numpy, which the grader does not have"
        )
        for c in nn
    ), nn[0]["message"]
