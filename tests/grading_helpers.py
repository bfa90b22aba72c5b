"""Helpers for the grading/report tests: a fake suite runner that speaks the runner's CLI and
JSON contract (docs/runner-contract.md) without running any suite, and submission builders.

The fake runner reads what to do from `behaviour.json` inside the copied package, so each test
submission states its own outcome; it appends one line per run to $FAKE_RUNNER_CALLS.
"""

from __future__ import annotations

import functools
import json
import sys
import zipfile
from pathlib import Path

FAKE_RUNNER = r"""
import argparse, json, os, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--submission", required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--lesson", action="append", default=[])
parser.add_argument("--json", required=True)
parser.add_argument("--slot", type=int, required=True)
parser.add_argument("--workdir", required=True)
args, _ = parser.parse_known_args()  # newer runner options (e.g. --limits) are ignored
package = Path(args.submission)
calls = os.environ.get("FAKE_RUNNER_CALLS")
if calls:
    with open(calls, "a") as handle:
        handle.write(f"{package.name} {args.seed} {','.join(args.lesson)} {args.slot}\n")
behaviour_file = package / "behaviour.json"
behaviour = json.loads(behaviour_file.read_text()) if behaviour_file.exists() else {}
points = json.loads(os.environ["FAKE_RUNNER_POINTS"])  # lesson id -> points, course order
lessons = args.lesson or list(points)
if "grandchild_pid_file" in behaviour:  # a process the runner leaves behind
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(behaviour["grandchild_pid_file"]).write_text(str(child.pid))
if "sleep" in behaviour:
    time.sleep(behaviour["sleep"])
if "exit" in behaviour:
    print("runner blew up", file=sys.stderr)
    sys.exit(behaviour["exit"])
if behaviour.get("garbage"):
    Path(args.json).write_text("not json")
    sys.exit(0)
checks, summary = [], {}
for lesson in lessons:
    status, reason = behaviour.get("status", {}).get(lesson, ["graded", ""])
    failing = behaviour.get("fail", {}).get(lesson)
    half = points[lesson] / 2
    for i in range(2):
        failed = (status != "graded" or (failing is not None and i == 0)
                  or behaviour.get("fail_all", False))
        checks.append({
            "id": f"{lesson}/test_{i}", "lesson": lesson, "name": f"{lesson} check {i}",
            "points": 0.0 if failed else half, "max_points": half,
            "outcome": ("failed" if status == "graded" else "error") if failed else "passed",
            "message": (failing or reason or "not implemented") if failed else "",
            "visibility": "hidden" if i == 1 and behaviour.get("hidden") else "visible",
            "seconds": 0.01,
        })
    summary[lesson] = {"status": status, "reason": reason, "seconds": 0.02}
Path(args.json).write_text(json.dumps({"seed": args.seed + behaviour.get("seed_shift", 0),
                                       "checks": checks, "lessons": summary,
                                       "limits": {"request_timeout": 5}}))
"""


def write_fake_runner(folder: Path) -> tuple[str, ...]:
    script = Path(folder) / "fake_runner.py"
    script.write_text(FAKE_RUNNER)
    return (sys.executable, str(script))


def running(pid: int) -> bool:
    """True unless the process is gone or a zombie (dead, waiting to be reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def make_submission(
    root: Path, sub_id: str, behaviour: dict | None = None, modules=("engine.py", "nn.py")
) -> Path:
    package = Path(root) / sub_id / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in modules:
        (package / name).write_text("# student code\n")
    if behaviour is not None:
        (package / "behaviour.json").write_text(json.dumps(behaviour))
    return package


def make_zip(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return path


def fake_executor(runner: tuple[str, ...]):
    """An executor factory for GradeOptions (called with jobs=N) that runs `runner`."""
    from grader.grading.executors import LocalExecutor

    return functools.partial(LocalExecutor, runner=runner)


def fake_grade_options(tmp_path: Path, monkeypatch, default_lessons):
    """A factory of GradeOptions that run the fake runner (its calls logged: `options.calls()`),
    with --out, seed and lessons defaulted; the tests' `fake` fixtures return it."""
    from grader.grading.orchestrate import GradeOptions
    from grader.lessons import course

    calls = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_RUNNER_CALLS", str(calls))
    monkeypatch.setenv("FAKE_RUNNER_POINTS", json.dumps(course().points))
    runner = write_fake_runner(tmp_path)

    def options(**kwargs):
        kwargs.setdefault("out", tmp_path / "out")
        kwargs.setdefault("seed", 1234)
        kwargs.setdefault("lessons", default_lessons)
        return GradeOptions(executor=fake_executor(runner), **kwargs)

    options.calls = lambda: calls.read_text().splitlines() if calls.exists() else []
    return options
