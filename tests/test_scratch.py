"""grader/scratch.py: removal at any depth, and the sweep that removes only a dead grader's
own scratch folders."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader import scratch


def deep_chain(root: Path, depth: int) -> None:
    """root/d/d/.../d/leaf.txt, `depth` folders deep, made through dir fds (the absolute path
    is far beyond PATH_MAX, so no path-based call could reach the bottom)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            deeper = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = deeper
        leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"bottom")
        os.close(leaf)
    finally:
        os.close(fd)


def test_remove_tree_handles_a_10000_deep_chain(memory_tmp):
    victim = memory_tmp / "victim"
    victim.mkdir()
    deep_chain(victim, 10_000)
    keep = memory_tmp / "keep.txt"
    keep.write_text("a neighbour")
    scratch.remove_tree(victim)
    assert not victim.exists()
    assert keep.read_text() == "a neighbour"


def test_remove_tree_removes_a_link_not_its_target(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(target)
    scratch.remove_tree(link)
    assert not os.path.lexists(link)
    assert (target / "precious.txt").read_text() == "keep me"
    scratch.remove_tree(tmp_path / "never-existed")  # nothing to do is not an error


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_remove_tree_recovers_folders_made_unreadable_by_their_owner():
    """Without the sandbox a worker runs as the grading user and can chmod 000 a folder it
    made; rm alone would then fail for that (non-root) user."""
    uid = 1_499_999
    tree = Path(tempfile.mkdtemp(prefix="test-scratch-"))  # pytest's tmp_path is root's alone
    os.chmod(tree, 0o755)
    os.chown(tree, uid, uid)
    as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    made = subprocess.run(
        as_user + ["sh", "-c", "mkdir -p a/b && touch a/b/f && chmod 000 a"], cwd=tree
    )
    assert made.returncode == 0
    code = "import sys; from grader import scratch; scratch.remove_tree(sys.argv[1])"
    project = str(Path(scratch.__file__).parents[1])
    removed = subprocess.run(
        as_user + [sys.executable, "-c", code, str(tree / "a")],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, "PYTHONPATH": project},
    )
    assert removed.returncode == 0, removed.stderr
    assert not (tree / "a").exists()
    tree.rmdir()


def test_scratch_dir_names_its_owner_and_is_removed_afterwards(tmp_path):
    with scratch.scratch_dir("unit", parent=tmp_path) as folder:
        deep_chain(folder, 50)
        owner = scratch.OWNED.match(folder.name)
        assert owner and int(owner["pid"]) == os.getpid()
        assert scratch.owner_alive(int(owner["pid"]), int(owner["start"]))
        assert scratch.stale_folders(tmp_path) == []  # ours, and we are alive
    assert list(tmp_path.iterdir()) == []


def dead_owner_tag() -> str:
    """The owner tag of a process that has exited."""
    proc = subprocess.Popen(["sleep", "0"])
    tag = scratch.owner_tag(proc.pid)
    proc.wait()
    return tag


def test_sweep_removes_only_a_dead_owners_folders(tmp_path):
    dead = tmp_path / f"{scratch.PREFIX}{dead_owner_tag()}-submission-0-abc"
    dead.mkdir()
    deep_chain(dead, 300)
    reused_pid = tmp_path / f"{scratch.PREFIX}{os.getpid()}-1-runner-xyz"  # pid alive, not it
    reused_pid.mkdir()
    alive = tmp_path / f"{scratch.PREFIX}{scratch.owner_tag()}-submission-1-def"
    alive.mkdir()
    foreign = [
        tmp_path / "micrograder-bench-x1",
        tmp_path / "micrograder-0-q1w2e3",
        tmp_path / "something-else",
    ]
    for folder in foreign:
        folder.mkdir()
    file_named_like_ours = tmp_path / f"{scratch.PREFIX}{dead_owner_tag()}-file"
    file_named_like_ours.write_text("not a folder")
    link = tmp_path / f"{scratch.PREFIX}{dead_owner_tag()}-link"
    link.symlink_to(tmp_path / "something-else")

    removed = scratch.sweep(tmp_path)

    assert removed == sorted([dead, reused_pid])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in [alive, *foreign, file_named_like_ours, link]
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make another user's folder")
def test_sweep_keeps_another_users_folders(tmp_path):
    theirs = tmp_path / f"{scratch.PREFIX}{dead_owner_tag()}-submission-0-abc"
    theirs.mkdir()
    os.chown(theirs, 1_499_998, 1_499_998)
    assert scratch.sweep(tmp_path) == []
    assert theirs.exists()


def test_a_zombie_owner_counts_as_dead(tmp_path):
    """A SIGKILLed grader's runner may linger as a zombie until it is reaped."""
    zombie = subprocess.Popen(["sleep", "0.2"])
    tag = scratch.owner_tag(zombie.pid)  # taken while it runs
    for _ in range(200):  # exited but not reaped: a zombie
        if Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.01)
    left = tmp_path / f"{scratch.PREFIX}{tag}-runner-abc"
    left.mkdir()
    try:
        assert scratch.sweep(tmp_path) == [left]
    finally:
        zombie.wait()
