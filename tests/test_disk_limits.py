"""Disk: a submission that writes all it can and builds a 10,000-deep folder chain, graded beside
honest submissions in ONE `micrograder grade --require-sandbox` run with TMPDIR pointed at a
folder of the test's own; and a grader killed mid-run, whose scratch the next run removes.

What the hog sees inside decides its own answers: they are right only if every place it could
write to said ENOSPC within the cap (or refused at once), so its score is the proof from inside;
the test watches TMPDIR from outside while the run goes on.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import corpus, probe

from grader import scratch
from grader.cli import main
from grader.paths import ROOT
from grader.sandbox import jail

pytestmark = pytest.mark.slow
DISK_MB = 48  # 12,288 files per tmpfs: room for the 10,000-deep chain
LESSONS = ("derivatives", "value")
FULL = 40.0  # derivatives 10 + value 30

HOG = '''
"""Imported by derivatives.py and engine.py: each lesson's worker runs it once."""
import errno
import os

CAP = {cap}
FILES = {files}
GIVE_UP = 3 * CAP  # more than this anywhere: the cap does not hold, stop before the host suffers
DEPTH = 10_000


def _fill(folder, chunk, chunks_per_file):
    """Files of chunks_per_file chunks in `folder` until a write fails or GIVE_UP bytes:
    (bytes written, errno name or "" when it never failed)."""
    written, number = 0, 0
    while written < GIVE_UP:
        try:
            with open(os.path.join(folder, f"hog{{number}}.bin"), "wb") as f:
                for _ in range(chunks_per_file):
                    f.write(chunk)
                    f.flush()
                    written += len(chunk)
        except OSError as exc:
            return written, errno.errorcode.get(exc.errno, str(exc.errno))
        number += 1
    return written, ""


def _touch(folder):
    """Empty files in `folder` (no bytes, but an inode each) until it fails or 3 * FILES:
    (files made, errno name or "")."""
    for number in range(3 * FILES):
        try:
            open(os.path.join(folder, f"empty{{number}}"), "w").close()
        except OSError as exc:
            return number, errno.errorcode.get(exc.errno, str(exc.errno))
    return 3 * FILES, ""


def _chain(folder):
    """DEPTH folders, one inside the next, through dir fds; returns the depth reached."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    depth = 0
    try:
        for depth in range(DEPTH):
            os.mkdir("d", dir_fd=fd)
            deeper = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = deeper
        depth = DEPTH
    except OSError:
        pass
    finally:
        os.close(fd)
    return depth


def _places():
    """Every mount point this process can see (where anything could be written), and its
    working directory (the package copy)."""
    with open("/proc/self/mounts") as mounts:
        points = {{line.split()[1] for line in mounts}}
    return sorted(p for p in points | {{os.getcwd()}}
                  if not p.startswith(("/proc", "/dev", "/sys")))


def _attack():
    deep = _chain(os.getcwd()) == DEPTH and _chain("/tmp") == DEPTH
    seen = {{place: _fill(place, b"x" * (1 << 20), 4) for place in _places()}}
    seen["/tmp many"] = _fill("/tmp", b"x" * 4096, 1)
    empty = {{place: _touch(place) for place in (os.getcwd(), "/tmp")}}
    within_cap = all(written <= CAP and (written == 0 or error == "ENOSPC")
                     for written, error in seen.values())
    files_capped = all(made <= FILES and error == "ENOSPC" for made, error in empty.values())
    full = [place for place, (_, error) in seen.items() if error == "ENOSPC"]
    capped = within_cap and files_capped and os.getcwd() in full and "/tmp" in full
    return deep and capped, {{**seen, "empty files": empty}}


CAP_HELD, SEEN = _attack()
print("hog:", CAP_HELD, SEEN, flush=True)  # staff-only capture, for debugging this test
'''

SABOTAGE_UNLESS_CAPPED = """

from . import hog as _hog

if not _hog.CAP_HELD:
""" + textwrap.indent(corpus.WRONG_ANSWERS, "    ")


def hog(sub: Path) -> None:
    package = corpus.copy_reference(sub)
    (package / "hog.py").write_text(
        HOG.format(cap=DISK_MB * jail.MiB, files=DISK_MB * jail.MiB // jail.BYTES_PER_INODE)
    )
    corpus.append(package / "derivatives.py", SABOTAGE_UNLESS_CAPPED)
    corpus.append(package / "engine.py", "from . import hog as _hog\n")


def gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def grade_command(subs: Path, out: Path, *extra: str) -> list[str]:
    return probe.GRADE + [
        str(subs),
        "--out",
        str(out),
        "--seed",
        "7",
        "--require-sandbox",
        *[arg for lesson in LESSONS for arg in ("--lesson", lesson)],
        *extra,
    ]


def env_with_tmpdir(tmpdir: Path) -> dict:
    return {**os.environ, "TMPDIR": str(tmpdir)}


class Watcher:
    """Polls the apparent size of everything under a folder (du: any depth) while a run goes
    on; `largest` is the most it ever held."""

    def __init__(self, folder: Path, every: float = 0.2):
        self.folder, self.every, self.largest = folder, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(self.every):
            du = subprocess.run(["du", "-sb", str(self.folder)], capture_output=True, text=True)
            if du.stdout:
                self.largest = max(self.largest, int(du.stdout.split()[0]))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.largest


@pytest.fixture
def sandbox():
    status = jail.sandbox_status()
    assert status.available, f"the disk tests run inside the OS sandbox: {status.reason}"


@pytest.fixture
def tmpdir_of_the_test(tmp_path):
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    yield folder
    scratch.remove_tree(folder)  # even if a chain escaped: pytest's own cleanup recurses


def test_a_disk_hog_is_capped_and_leaves_nothing(sandbox, tmp_path, tmpdir_of_the_test):
    subs, out = tmp_path / "subs", tmp_path / "out"
    corpus.honest(subs / "honest", None)
    shutil.copytree(ROOT / "examples" / "submissions" / "alice", subs / "alice")
    hog(subs / "hog")
    watcher = Watcher(tmpdir_of_the_test)
    proc = subprocess.run(
        grade_command(subs, out, "-j", "2", "--disk-mb", str(DISK_MB)),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env_with_tmpdir(tmpdir_of_the_test),
    )
    largest = watcher.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmpdir_of_the_test.iterdir()) == []
    assert largest < 4 * jail.MiB  # the copies and captures; never the hog's 48 MiB files
    rows = gradebook(out)
    for name in ("honest", "alice", "hog"):  # the hog's answers are right only if capped
        assert (rows[name]["status"], float(rows[name]["total"])) == ("graded", FULL), rows[name]
    run = (out / "run.json").read_text()
    assert f'"disk_size": {DISK_MB * jail.MiB}' in run


def test_next_grade_removes_a_killed_graders_scratch_and_nothing_else(
    sandbox, tmp_path, tmpdir_of_the_test
):
    subs, out = tmp_path / "subs", tmp_path / "out"
    corpus.honest(subs / "honest", None)
    killed = subprocess.Popen(
        grade_command(subs, out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env_with_tmpdir(tmpdir_of_the_test),
    )
    left = wait_for_scratch(tmpdir_of_the_test, killed.pid)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert all(folder.exists() for folder in left)
    alive = tmpdir_of_the_test / f"{scratch.PREFIX}{scratch.owner_tag()}-submission-0-keep"
    foreign = [
        tmpdir_of_the_test / name
        for name in ("micrograder-notes", "pytest-of-someone", f"{scratch.PREFIX}1-2")
    ]
    for folder in (alive, *foreign):
        folder.mkdir()

    proc = subprocess.run(
        grade_command(subs, tmp_path / "out2"),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env_with_tmpdir(tmpdir_of_the_test),
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "left behind by a grader that was killed" in proc.stderr
    assert sorted(tmpdir_of_the_test.iterdir()) == sorted([alive, *foreign])
    assert float(gradebook(tmp_path / "out2")["honest"]["total"]) == FULL


CHAIN_IN_CWD = """
import os

_fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
for _ in range(10_000):
    os.mkdir("d", dir_fd=_fd)
    _deeper = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=_fd)
    os.close(_fd)
    _fd = _deeper
os.close(_fd)
"""


def test_without_the_sandbox_a_deep_chain_is_still_cleaned_up(tmp_path, memory_tmp, monkeypatch):
    """The loud fallback: the worker writes into a host folder of the grader's scratch, as
    the grading user; a 10,000-deep chain there must not stop the cleanup."""
    monkeypatch.setattr(
        jail, "sandbox_status", lambda: jail.SandboxStatus(False, "no sandbox (test)")
    )
    monkeypatch.setattr(tempfile, "tempdir", str(memory_tmp))  # the grader's TMPDIR
    subs, out = tmp_path / "subs", tmp_path / "out"
    package = corpus.copy_reference(subs / "chain")
    corpus.prepend(package / "derivatives.py", CHAIN_IN_CWD)
    result = CliRunner().invoke(
        main, ["grade", str(subs), "--out", str(out), "--seed", "7", "--lesson", "derivatives"]
    )
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr
    assert float(gradebook(out)["chain"]["total"]) == 10.0  # the chain was built, then graded
    assert list(memory_tmp.iterdir()) == []


def wait_for_scratch(tmpdir: Path, pid: int, seconds: float = 60) -> list[Path]:
    """The scratch folders of grader `pid` once its runner has started workers in them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        mine = [p for p in tmpdir.iterdir() if p.name.startswith(f"{scratch.PREFIX}{pid}-")]
        if any(any(p.rglob("worker-output-*.txt")) for p in mine):  # a worker has started
            return mine
        time.sleep(0.05)
    raise AssertionError(f"grader {pid} made no scratch folder with a worker in {tmpdir}")
