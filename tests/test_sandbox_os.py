"""The OS sandbox behind jail.spawn: what a worker can see, write, reach and start, and the loud
fallback when bubblewrap cannot run. Probes run Debian's python3 exactly as a worker would."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import probe

from grader.cli import main
from grader.paths import REFERENCE_PACKAGE, ROOT
from grader.sandbox import jail

PYTHON = ["/usr/bin/python3", "-I", "-S", "-c"]


@pytest.fixture
def limits():
    status = jail.sandbox_status()
    assert status.available, f"the OS sandbox must run on this machine: {status.reason}"
    # uids offset by this process's pid: ours alone
    return jail.Limits(sandbox="require", slot_uid_base=jail.uid_range_start(os.getpid()))


@pytest.fixture
def package_root(tmp_path):
    root = tmp_path / "assembled"
    (root / "micrograd").mkdir(parents=True)
    (root / "micrograd" / "engine.py").write_text("x = 1\n")
    return root


def start(code: str, limits: jail.Limits, package_root: Path, *, slot: int = 0, stdout=None):
    """Start `code` as the client starts a worker: the assembled package read-only, a home."""
    return jail.spawn(
        PYTHON + [textwrap.dedent(code)],
        slot=slot,
        limits=limits,
        stdout=stdout,
        package=package_root / "micrograd",
        home=package_root / "home",
    )


def run_in_sandbox(
    code: str, limits: jail.Limits, package_root: Path, *, slot: int = 0, timeout: float = 30
) -> tuple[int, str]:
    """Run `code` as a worker would; returns (exit code, captured output)."""
    capture = package_root.parent / f"capture-{slot}.txt"
    with open(capture, "wb") as out:
        proc = start(code, limits, package_root, slot=slot, stdout=out)
        try:
            code = proc.wait(timeout=timeout)
        finally:
            jail.kill_group(proc)
    return code, capture.read_text()


def test_worker_sees_only_usr_the_harness_and_its_package(limits, package_root, tmp_path):
    package = package_root / "micrograd"
    home = package_root / "home"
    secret = tmp_path / "host-secret.txt"
    secret.write_text("not for students")
    listener = probe.Listener()
    try:
        code, output = run_in_sandbox(
            f"""
            import json, os, socket
            def can(action):
                try:
                    action()
                    return True
                except OSError:
                    return False
            def write(path):
                with open(path, "a") as f:
                    f.write("x")
            status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines()
                          if ":\\t" in l)
            print(json.dumps({{
                "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()],
                "no_new_privs": status["NoNewPrivs"].strip(), "caps": status["CapEff"].strip(),
                "net": can(lambda: socket.create_connection(("127.0.0.1", {listener.port}), 2)),
                "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                "hostname": os.uname().nodename,
                "top": sorted(os.listdir("/")),
                "visible": {{p: os.path.exists(p) for p in [
                    {str(secret)!r}, {str(ROOT)!r} + "/solutions", {str(ROOT)!r} + "/grader/suites",
                    {str(ROOT)!r} + "/grader/sandbox/jail.py", {str(REFERENCE_PACKAGE)!r}, "/root",
                    "/etc"]}},
                "read_harness": can(lambda: open({str(jail.HARNESS_DIR / "worker.py")!r}).read()),
                "write_harness": can(lambda: write({str(jail.HARNESS_DIR / "worker.py")!r})),
                "write_usr": can(lambda: write("/usr/pwned")),
                "read_package": can(lambda: open({str(package / "engine.py")!r}).read()),
                "write_package": can(lambda: write({str(package / "micrograd_new.py")!r})),
                "write_package_root": can(lambda: write({str(package_root / "fake.json")!r})),
                "write_home": can(lambda: write("home_new.py")),
                "write_tmp": can(lambda: write("/tmp/scratch")),
                "cwd": os.getcwd(),
                "disk": {{p: [os.statvfs(p).f_blocks * os.statvfs(p).f_frsize,
                              os.statvfs(p).f_files,
                              open("/proc/self/mounts").read().count(" " + p + " tmpfs ")]
                         for p in ("/tmp", os.getcwd())}},
            }}))
        """,
            limits,
            package_root,
        )
    finally:
        listener.close()
    assert code == 0, output
    seen = json.loads(output)
    uid = limits.slot_uid_base
    assert seen["ids"] == [uid, uid, uid, []]
    assert (seen["no_new_privs"], int(seen["caps"], 16)) == ("1", 0)
    assert seen["net"] is False and listener.connections == []
    assert seen["pids"] == [1, 2] or max(seen["pids"]) < 10  # own PID namespace
    assert seen["hostname"] == "sandbox"
    assert not any(seen["visible"].values()), seen["visible"]
    assert seen["read_harness"] and not seen["write_harness"]
    assert seen["read_package"] and not seen["write_package"]
    assert not seen["write_usr"] and not seen["write_package_root"]
    # The only writable places: /tmp and the home (cwd), each a tmpfs of disk_size bytes.
    assert seen["write_home"] and seen["write_tmp"]
    assert seen["cwd"] == str(home)
    each = [limits.disk_size, limits.disk_size // jail.BYTES_PER_INODE, 1]  # bytes, files, mounts
    assert seen["disk"] == {"/tmp": each, str(home): each}
    # Nothing the worker wrote is on the host: the home's host path was never even made.
    assert sorted(p.name for p in package_root.iterdir()) == ["micrograd"]
    assert sorted(p.name for p in package.iterdir()) == ["engine.py"]
    mode = package.stat()
    assert (mode.st_uid, mode.st_mode & 0o777) == (os.getuid(), 0o755)  # the grader's, read-only
    assert not Path("/tmp/scratch").exists() or Path("/tmp/scratch").stat().st_uid != uid


def test_killing_the_worker_kills_setsid_daemons(limits, package_root):
    capture = package_root.parent / "daemon.txt"
    with open(capture, "wb") as out:
        proc = start(
            """
            import os, sys, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(120)
                os._exit(0)
            os.wait()
            print("daemon started", flush=True)
            time.sleep(120)
        """,
            limits,
            package_root,
            slot=1,
            stdout=out,
        )
    uid = jail.slot_uid(limits, 1)
    for _ in range(100):
        if capture.read_text():
            break
        subprocess.run(["sleep", "0.1"])
    assert len(probe.processes(uids=[uid])) == 2  # the worker and its daemon
    jail.kill_group(proc)
    assert probe.wait_no_processes(uids=[uid]) == []


def test_rlimits_hold_inside_the_sandbox(limits, package_root):
    small = replace(limits, address_space=256 * jail.MiB, processes=4, file_size=1 * jail.MiB)
    code, output = run_in_sandbox(
        """
        import os, time
        try:
            bytearray(512 * 1024 * 1024)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        children = 0
        for _ in range(20):
            try:
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                children += 1
            except OSError:
                break
        print("children", children)
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * (2 * 1024 * 1024))
            print("wrote 2 MiB")
        except OSError as exc:
            print("write failed", exc.errno)
    """,
        small,
        package_root,
    )
    lines = output.splitlines()
    assert lines[0] == "MemoryError"
    assert lines[1].startswith("children") and int(lines[1].split()[1]) < 4
    assert lines[2] == "write failed 27"  # EFBIG: RLIMIT_FSIZE


def test_writes_stop_at_the_disk_cap_and_vanish_with_the_sandbox(limits, package_root):
    """Big files, many small files and many empty ones (no bytes, but kernel memory), in the
    home and in /tmp: each place takes disk_size bytes and disk_size / 4 KiB files, then
    ENOSPC; nothing of it exists on the host afterwards."""
    small = replace(limits, disk_size=4 * jail.MiB, file_size=64 * jail.MiB)
    code, output = run_in_sandbox(
        """
        import errno, json, os
        def fill(folder, chunk):
            written, number = 0, 0
            while True:
                try:
                    with open(os.path.join(folder, f"f{number}"), "wb") as f:
                        for _ in range(16):
                            f.write(chunk)
                            f.flush()
                            written += len(chunk)
                except OSError as exc:
                    return written, errno.errorcode[exc.errno]
                number += 1
        def touch(folder):
            for number in range(1_000_000):
                try:
                    open(os.path.join(folder, f"e{number}"), "w").close()
                except OSError as exc:
                    return number, errno.errorcode[exc.errno]
            return number, ""
        seen = {"home_big": fill(".", b"x" * 1024 * 1024)}
        seen["home_empty"] = touch(".")  # a tmpfs without bytes left still had files to give
        seen["tmp_many"] = fill("/tmp", b"x" * 4096)
        print(json.dumps(seen))
    """,
        small,
        package_root,
    )
    assert code == 0, output
    seen = json.loads(output)
    for place in ("home_big", "tmp_many"):
        written, error = seen[place]
        assert error == "ENOSPC" and 0 < written <= small.disk_size, (place, seen)
    files, error = seen["home_empty"]
    assert error == "ENOSPC" and 0 < files <= small.disk_size // jail.BYTES_PER_INODE, seen
    assert sorted(p.name for p in package_root.iterdir()) == ["micrograd"]


def test_fallback_is_process_level_and_said_so(package_root):
    off = jail.Limits(sandbox="off")
    assert jail.use_sandbox(off) is False
    assert jail.describe(off).startswith("process-level limits only")
    code, output = run_in_sandbox("import os; print(os.getuid())", off, package_root)
    assert (code, output.strip()) == (0, str(os.getuid()))


def test_fallback_home_is_a_host_folder_emptied_before_each_start(package_root):
    off = jail.Limits(sandbox="off")
    home = package_root / "home"
    write = (
        "import os; os.makedirs('a/b'); open('a/b/left.txt', 'w').write('x'); print(os.getcwd())"
    )
    code, output = run_in_sandbox(write, off, package_root)
    assert (code, output.strip()) == (0, str(home))
    assert (home / "a" / "b" / "left.txt").exists()
    code, output = run_in_sandbox("import os; print(os.listdir('.'))", off, package_root)
    assert (code, output.strip()) == (0, "[]")


def unavailable(monkeypatch):
    monkeypatch.setattr(
        jail, "sandbox_status", lambda: jail.SandboxStatus(False, "bwrap not found (test)")
    )


def test_require_refuses_when_the_sandbox_cannot_run(monkeypatch):
    unavailable(monkeypatch)
    with pytest.raises(jail.SandboxUnavailable, match="bwrap not found"):
        jail.use_sandbox(jail.Limits(sandbox="require"))
    assert jail.check_sandbox(jail.Limits()).sandbox == "off"
    assert "bwrap not found" in jail.describe(jail.Limits(sandbox="off"))


def test_grade_require_sandbox_is_a_one_line_error(monkeypatch, tmp_path):
    unavailable(monkeypatch)
    subs = tmp_path / "subs"
    (subs / "ann" / "micrograd").mkdir(parents=True)
    result = CliRunner().invoke(
        main, ["grade", str(subs), "--out", str(tmp_path / "out"), "--require-sandbox"]
    )
    assert result.exit_code == 1
    assert "bwrap not found (test)" in result.output and "refusing to grade" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "run.json").exists()


def test_grade_without_sandbox_warns_once_and_records_it(monkeypatch, tmp_path):
    unavailable(monkeypatch)
    subs = tmp_path / "subs"
    for name in ("ann", "ben"):
        (subs / name / "micrograd").mkdir(parents=True)
        for module in ("derivatives.py", "engine.py"):
            (subs / name / "micrograd" / module).write_text(
                (REFERENCE_PACKAGE / module).read_text()
            )
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(subs),
            "--out",
            str(tmp_path / "out"),
            "--lesson",
            "derivatives",
            "--seed",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stderr.count("WARNING") == 1 and "bwrap not found (test)" in result.stderr
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["limits"]["sandbox"] == "off"
    assert run["limits"]["isolation"].startswith("process-level limits only")


def test_after_kill_group_the_slot_can_start_a_worker_at_once(limits, package_root):
    """Killing a fork bomb's sandbox returns only when its processes are gone: the slot's next
    worker (same uid, same RLIMIT_NPROC) starts straight away."""
    limits = replace(limits, processes=16)
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    proc = start(bomb, limits, package_root, slot=0, stdout=subprocess.DEVNULL)
    uid = jail.slot_uid(limits, 0)
    try:
        for _ in range(200):  # until the bomb has taken every process the uid may have
            if len(probe.processes(uids=(uid,))) >= 16:
                break
            time.sleep(0.02)
        assert len(probe.processes(uids=(uid,))) >= 16
    finally:
        jail.kill_group(proc)
    assert probe.processes(uids=(uid,)) == []
    code, output = run_in_sandbox("print('fresh worker')", limits, package_root)
    assert (code, output.strip()) == (0, "fresh worker")
