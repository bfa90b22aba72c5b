"""What the hostile-corpus tests observe from outside: tree hashes, processes by uid or by
command line, leaked files, and a TCP listener that records connections."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading
import time
from pathlib import Path

GRADE = [sys.executable, "-c", "from grader.cli import main; main()", "grade"]


def slot_uids(out: Path, jobs: int) -> range:
    """The sandbox uids a `grade` run into `out` used (recorded in its run.json; unique to
    that grader process, so any process with one of them belongs to that run)."""
    import json

    base = json.loads((Path(out) / "run.json").read_text())["limits"]["slot_uid_base"]
    return range(base, base + jobs)


def hash_tree(root: Path) -> dict[str, str]:
    """relative path -> sha256 (or 'link:<target>') of every file under root, bytecode caches
    excluded (the trusted grader may write them; the sandbox cannot)."""
    digests = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                digests[rel] = f"link:{os.readlink(path)}"
            else:
                digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def hash_trees(roots) -> dict[str, dict[str, str]]:
    return {str(root): hash_tree(root) for root in roots}


def _proc_status(pid: str) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return dict(
                line.split(":\t", 1) for line in handle.read().splitlines() if ":\t" in line
            )
    except OSError:
        return {}


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def processes(*, uids=(), cmd_has: str | None = None) -> list[str]:
    """'pid uid cmdline' of live (non-zombie) processes with a real uid in `uids` or whose
    command line contains `cmd_has`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        status = _proc_status(pid)
        if not status or status.get("State", "").startswith("Z"):
            continue
        uid = int(status.get("Uid", "0").split()[0])
        cmd = _cmdline(pid)
        if uid in uids or (cmd_has and cmd_has in cmd):
            found.append(f"{pid} uid={uid} {cmd[:160]}")
    return found


def wait_no_processes(*, uids=(), cmd_has: str | None = None, seconds: float = 10.0) -> list[str]:
    """Give the kernel a moment to finish killed namespaces; returns the survivors."""
    deadline = time.monotonic() + seconds
    while True:
        left = processes(uids=uids, cmd_has=cmd_has)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def leaked_files(marker: str, roots) -> list[str]:
    """Files under `roots` whose name carries `marker`, or named results.json/gradebook.csv and
    holding it (the attacks write both)."""
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev")]
            for name in filenames:
                path = os.path.join(dirpath, name)
                if marker in name:
                    found.append(path)
                elif name in ("results.json", "gradebook.csv"):
                    try:
                        with open(path, "rb") as handle:
                            if marker.encode() in handle.read(1 << 20):
                                found.append(path)
                    except OSError:
                        pass
    return found


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (none may come from a sandbox)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(100))
                except OSError:
                    self.connections.append(b"")

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()
