"""Scratch folders of the trusted side: made with a name that says whose they are, removed by a
tool that cannot fail on depth, and swept up after a grader that was killed.

- Removal never recurses in Python: a submission that builds a 10,000-deep folder chain makes
  shutil.rmtree raise RecursionError (and an absolute path passes PATH_MAX long before), which
  once left hundreds of MB in TMPDIR for good. coreutils' `rm` walks with fts and dir fds at any
  depth, and `--one-file-system` keeps it from descending into anything mounted below.
- Every scratch folder is named `micrograder-<pid>-<start>-<role>-<random>`: the pid of the
  process that made it and that process's start time (field 22 of /proc/<pid>/stat, clock ticks
  since boot), so a reused pid is not mistaken for the owner. `sweep()` at a grader's start
  removes only folders of that form, owned by this user, whose owner process is gone (or a
  zombie). It cannot see owners in another PID namespace: graders in different containers need
  their own TMPDIR.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "micrograder-"
OWNED = re.compile(rf"^{PREFIX}(?P<pid>\d+)-(?P<start>\d+)-")
RM = (
    ["rm", "-rf", "--one-file-system", "--"]
    if sys.platform.startswith("linux")
    else ["rm", "-rf", "--"]
)
TOOL_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}


def remove_tree(path: Path) -> None:
    """Remove `path` and everything below it, at any depth; raises OSError if it stays.
    Without the OS sandbox a worker runs as the grading user and may have left folders it made
    unreadable (mode 000): give the owner its rights back, then try once more."""
    path = Path(path)
    if not _exists(path):
        return
    failure = _run(RM, path)
    if _exists(path) and not path.is_symlink():
        _run(["chmod", "-R", "u+rwx", "--"], path)
        failure = _run(RM, path)
    if _exists(path):
        raise OSError(f"could not remove {path}: {failure or 'rm failed'}")


def _exists(path: Path) -> bool:
    """Whether anything (a link included) is at `path`; an unreadable parent is an error, not
    a 'no' (os.path.lexists would say no and the folder would silently stay)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def _run(command: list[str], path: Path) -> str:
    """Run a coreutils command on `path`; returns its complaint ('' when it succeeded)."""
    done = subprocess.run(
        [*command, str(path)], stdin=subprocess.DEVNULL, capture_output=True, env=TOOL_ENV
    )
    return "" if done.returncode == 0 else done.stderr.decode("utf-8", "replace").strip()[:300]


def try_remove_tree(path: Path) -> None:
    """remove_tree for cleanup on the way out: a failure is said on stderr, never raised (it
    must not cost a submission its result). Whatever stays in one of our scratch folders is
    removed by the next grader's sweep(), once this process is gone."""
    try:
        remove_tree(path)
    except OSError as exc:
        print(f"micrograder: {exc}; the next `micrograder grade` removes it", file=sys.stderr)


@contextmanager
def scratch_dir(role: str, parent: Path | None = None) -> Iterator[Path]:
    """A fresh folder (mode 700) in `parent` (default: TMPDIR) named for this process, removed
    when the block ends. `role` says what it is for (letters, digits, -)."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-{role}-", dir=parent))
    try:
        yield path
    finally:
        try_remove_tree(path)


def owner_tag(pid: int | None = None) -> str:
    """'<pid>-<start time>' of a process (default: this one); start time 0 where /proc is
    missing (then sweep() never removes anything, see owner_alive)."""
    pid = os.getpid() if pid is None else pid
    running = _running_since(pid)
    return f"{pid}-{running if running is not None else 0}"


def _running_since(pid: int) -> int | None:
    """The start time of process `pid` if it runs (None when it is gone, or a zombie: a
    SIGKILLed grader's children stay zombies until someone reaps them, and write nothing)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    state, start = fields[0], fields[19]  # fields 3 and 22 of the file
    return None if state in (b"Z", b"X") else int(start)


def owner_alive(pid: int, start: int) -> bool:
    """Whether the process that made a scratch folder still runs. Without /proc nothing can be
    known, so every owner counts as alive (nothing is ever removed by mistake)."""
    if not os.path.isdir("/proc/self"):
        return True
    return _running_since(pid) == start


def stale_folders(parent: Path | None = None) -> list[Path]:
    """Scratch folders in `parent` (default: TMPDIR) that a dead grader left behind: our name,
    a real folder (not a link), owned by this user, owner process gone."""
    parent = Path(parent if parent is not None else tempfile.gettempdir())
    stale = []
    for entry in os.scandir(parent):
        owner = OWNED.match(entry.name)
        if owner is None or not entry.is_dir(follow_symlinks=False):
            continue
        if _owner_uid(entry) == os.geteuid() and not owner_alive(
            int(owner["pid"]), int(owner["start"])
        ):
            stale.append(Path(entry.path))
    return sorted(stale)


def _owner_uid(entry: os.DirEntry) -> int | None:
    """The uid owning `entry`; None if it is gone already (another grader starting at the same
    time may be sweeping it)."""
    try:
        return entry.stat(follow_symlinks=False).st_uid
    except OSError:
        return None


def sweep(parent: Path | None = None) -> list[Path]:
    """Remove what stale_folders() finds; returns the folders removed. A folder that cannot be
    removed is left for the next sweep: cleaning up never stops a grading run."""
    removed = []
    for folder in stale_folders(parent):
        try:
            remove_tree(folder)
        except OSError:
            continue
        removed.append(folder)
    return removed
