"""The ONE place that starts a worker process, and the limits it runs under.

Two layers, both behind `spawn`:
- OS sandbox (Linux, root, bubblewrap + setpriv available): the worker runs in its own network,
  PID, IPC and UTS namespaces with a read-only view of /usr only, the harness files
  (grader/sandbox/*.py) and the assembled package folder read-only, and two writable places,
  each a size-capped tmpfs (`Limits.disk_size`) that vanishes with the sandbox: a private /tmp
  and its home (where the worker copies the package and imports it from). Nothing the worker
  writes reaches the host's disk, and nothing needs cleaning up after it. Inside, setpriv
  drops to an unprivileged uid/gid of its own per parallel grading slot (bwrap's --uid is
  cosmetic when run as root: files would still be read as root; and RLIMIT_NPROC counts per
  uid, so one uid per slot).
  Killing bwrap kills the namespace's init and with it every process inside, `setsid` daemons
  included; --die-with-parent does the same if the process that started the worker dies.
- Process-level limits, always: a new session (a timeout kills the whole process group) and
  rlimits set in the child before exec (CPU, address space, file size, open files; processes
  only with a slot uid). Where the OS sandbox cannot run, this is all there is: `describe()`
  says so, the grader says so loudly once per run, and `Limits(sandbox="require")` refuses.
"""

from __future__ import annotations

import functools
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from grader.scratch import remove_tree

MiB = 1024 * 1024
# The code that runs inside the sandbox: the only part of the grader mounted into it.
HARNESS_DIR = Path(__file__).resolve().parent / "inside"
SYSTEM_DIR = Path("/usr")  # the only host tree the sandbox sees: Debian's python3 and setpriv
BWRAP = "bwrap"
SETPRIV = "/usr/bin/setpriv"
MOUNT = "/usr/bin/mount"
SHELL = "/usr/bin/sh"
PROBE_PYTHON = "/usr/bin/python3"
BYTES_PER_INODE = 4096  # files a tmpfs may hold: one per page, what a non-empty file costs anyway
# Unprivileged uid/gid of slot N is slot_uid_base + N. Bases are far above real users, system
# users (< 1000), nobody (65534) and systemd's dynamic range, and offset by the pid of the
# process that chose them (uid_range_start), so two graders running at once on one machine never
# share a uid and so never share an RLIMIT_NPROC count. Who runs the runners chooses the base
# (grader/grading/executors/) and passes it down in Limits.slot_uid_base.
DEFAULT_SLOT_UID_BASE = 1_500_000
UIDS_PER_GRADER = 256  # slots one grader may use (-j up to 256)


class SandboxUnavailable(RuntimeError):
    """The OS sandbox was required but cannot run here; the message says why, in one line."""


def uid_range_start(pid: int) -> int:
    """The first slot uid of the range that belongs to process `pid`."""
    return DEFAULT_SLOT_UID_BASE + pid * UIDS_PER_GRADER


@dataclass(frozen=True)
class Limits:
    request_timeout: float = 10.0  # wall seconds for one request unless the check asks for more
    cpu_seconds: int = 300  # RLIMIT_CPU for one worker process (raised to the lesson budget)
    address_space: int = 2048 * MiB  # RLIMIT_AS: a memory bomb becomes a MemoryError
    file_size: int = 16 * MiB  # RLIMIT_FSIZE: caps the captured stdout/stderr and any file written
    # Size of EACH tmpfs a worker may write to in the OS sandbox (its /tmp and its home with the
    # package copy), so one worker holds at most 2 x disk_size of RAM in files; each also holds
    # at most disk_size / BYTES_PER_INODE files and folders.
    disk_size: int = 64 * MiB
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int | None = 32  # RLIMIT_NPROC per slot uid (only enforced inside the OS sandbox)
    output_cap: int = 64 * 1024  # bytes of captured output kept for staff diagnostics
    sandbox: str = "auto"  # "auto": OS sandbox when it can run; "require": refuse otherwise; "off"
    # First slot uid, chosen by the executor that runs the runners; None: this process's own
    # range (a process that starts workers itself, e.g. a test).
    slot_uid_base: int | None = None

    def as_dict(self) -> dict:
        """For reports: the fields plus a line saying which isolation workers get."""
        return {**self.fields(), "isolation": describe(self)}

    def fields(self) -> dict:
        """Plain JSON fields: Limits(**limits.fields()) rebuilds these limits."""
        return asdict(self)


@dataclass(frozen=True)
class SandboxStatus:
    available: bool
    reason: str  # why not, in one line ('' when available)


@functools.lru_cache(maxsize=1)
def sandbox_status() -> SandboxStatus:
    """Can the OS sandbox run on this machine? Probed once per process by starting a trivial
    sandboxed interpreter exactly as `spawn` would."""
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, f"bubblewrap needs Linux (this is {sys.platform})")
    if os.geteuid() != 0:
        return SandboxStatus(
            False, "not running as root, so workers cannot switch to a per-slot uid"
        )
    for tool in (BWRAP, SETPRIV, MOUNT, SHELL, PROBE_PYTHON):
        if shutil.which(tool) is None:
            hint = " (apt-get install bubblewrap, or run ./install.sh)" if tool == BWRAP else ""
            return SandboxStatus(False, f"{tool} not found{hint}")
    argv = _sandbox_argv(
        [PROBE_PYTHON, "-I", "-S", "-c", "pass"],
        limits=Limits(),
        package=None,
        home=None,
        uid=slot_uid(Limits(), 0),
    )
    try:
        probe = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, f"bubblewrap does not start ({type(exc).__name__})")
    if probe.returncode != 0:
        detail = " ".join(probe.stderr.decode("utf-8", "replace").split())[:160]
        return SandboxStatus(False, f"bubblewrap fails here: {detail or probe.returncode}")
    return SandboxStatus(True, "")


def use_sandbox(limits: Limits) -> bool:
    """Whether workers under `limits` run in the OS sandbox; raises SandboxUnavailable when it
    is required and cannot run."""
    if limits.sandbox == "off":
        return False
    status = sandbox_status()
    if not status.available and limits.sandbox == "require":
        raise SandboxUnavailable(f"the grading sandbox cannot run: {status.reason}")
    return status.available


def check_sandbox(limits: Limits) -> Limits:
    """Decide once per grading run: the limits to hand to every runner. When the sandbox can
    run, runners must use it (a failure is an error, never a silent downgrade); when it cannot,
    raise SandboxUnavailable if it is required, else turn it off (callers warn)."""
    if limits.sandbox == "off":
        return limits
    return replace(limits, sandbox="require" if use_sandbox(limits) else "off")


def describe(limits: Limits) -> str:
    """One line for reports: which isolation the workers get."""
    status = sandbox_status()
    if limits.sandbox == "off":
        return f"process-level limits only ({status.reason or 'the sandbox was turned off'})"
    if status.available:
        return (
            f"bubblewrap (no network, own PID/IPC/UTS namespaces, read-only system, "
            f"writes only to a private /tmp and home, tmpfs of "
            f"{limits.disk_size // MiB} MiB each) + setpriv to uid {slot_uid(limits, 0)}+slot"
        )
    return f"process-level limits only: {status.reason}"


def slot_uid(limits: Limits, slot: int) -> int:
    if not 0 <= slot < UIDS_PER_GRADER:
        raise ValueError(f"slot {slot} out of range: at most {UIDS_PER_GRADER} parallel jobs")
    base = limits.slot_uid_base
    return (uid_range_start(os.getpid()) if base is None else base) + slot


def _set_rlimits(limits: Limits, cpu_seconds: int, nproc: bool) -> None:
    # Runs in the child between fork and exec: keep it to plain system calls. The limits are
    # inherited through bwrap and setpriv by the worker.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space, limits.address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc and limits.processes is not None:
        # Counted per real uid: meaningful only for the slot's own uid (root ignores it, and
        # without the sandbox it would count the grading user's every process).
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


# What bwrap gives every worker, one option per row: its own network (none), PID, IPC, host
# name and cgroup namespaces, a new session (no TIOCSTI into the grader's terminal), and a
# read-only view of /usr (Debian's python3 and setpriv) with the usual top-level links into it.
BWRAP_BASE = (
    ("--unshare-net",),
    ("--unshare-pid",),
    ("--unshare-ipc",),
    ("--unshare-uts",),
    ("--unshare-cgroup-try",),
    ("--die-with-parent",),
    ("--new-session",),
    ("--hostname", "sandbox"),
    ("--ro-bind", str(SYSTEM_DIR), str(SYSTEM_DIR)),
    ("--symlink", "usr/lib", "/lib"),
    ("--symlink", "usr/lib64", "/lib64"),
    ("--symlink", "usr/bin", "/bin"),
    ("--symlink", "usr/sbin", "/sbin"),
    ("--proc", "/proc"),
    ("--dev", "/dev"),
)


class _MountPoints:
    """Creates the parent folders of mount points, each once: bwrap would create a missing
    parent with mode 0700, which the slot uid could not enter."""

    def __init__(self) -> None:
        self.made = {Path("/"), Path("/tmp")}

    def parents(self, path: Path) -> list[str]:
        args = []
        for parent in reversed(path.parents):
            if parent not in self.made:
                self.made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        return args


NO_WAY_BACK = ("--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all")


def _drop_privileges(uid: int) -> list[str]:
    """setpriv: become the slot's unprivileged uid, with no capabilities and no way back."""
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", *NO_WAY_BACK, "--"]


def _sandbox_argv(
    argv: list[str], *, limits: Limits, package: Path | None, home: Path | None, uid: int
) -> list[str]:
    """bwrap + setpriv command line running `argv`. Host paths keep their names inside (so argv
    needs no rewriting); only what is bound or mounted here exists in there."""
    box = [BWRAP, *(arg for option in BWRAP_BASE for arg in option)]
    box += _writable_tmpfs("/tmp", limits)
    mounts, writable = _MountPoints(), ["/tmp"]
    for path in sorted(HARNESS_DIR.glob("*.py")):  # the harness only, never __pycache__
        box += mounts.parents(path) + ["--ro-bind", str(path), str(path)]
    if package is not None:
        box += mounts.parents(package) + ["--ro-bind", str(package), str(package)]
    if home is not None:
        box += mounts.parents(home) + _writable_tmpfs(str(home), limits)
        writable.append(str(home))
    box += ["--chdir", writable[-1], "--"]
    return box + _cap_files(writable, limits) + _drop_privileges(uid) + list(argv)


def _writable_tmpfs(path: str, limits: Limits) -> list[str]:
    """A fresh tmpfs at `path` of limits.disk_size bytes (a full one says ENOSPC), writable by
    the slot uid (bwrap makes it root's: bwrap cannot chown, hence the sticky 1777 of /tmp)."""
    return ["--perms", "1777", "--size", str(limits.disk_size), "--tmpfs", path]


def _cap_files(places: list[str], limits: Limits) -> list[str]:
    """A command that caps the number of files and folders on the tmpfs at each of `places`,
    then runs the rest of its argv; it runs inside the sandbox while still root, before setpriv.
    bwrap's --tmpfs caps only bytes, and empty files and folders cost no bytes but kernel memory
    (about 1 KiB each, millions by default). A remount keeps the mounts bwrap made below."""
    options = f"remount,nosuid,nodev,nr_inodes={limits.disk_size // BYTES_PER_INODE}"
    script = " && ".join(f"{MOUNT} -n -o {options} {shlex.quote(place)}" for place in places)
    return [SHELL, "-c", f'{script} && exec "$@"', "cap-files"]


def _readable_by_the_slot(package: Path) -> None:
    """The slot uid reads the assembled package through a read-only bind: its folder and files
    must be readable by others whatever the grader's umask was (nothing in it is secret from
    the worker: it imports all of it)."""
    os.chmod(package, 0o755)
    for entry in os.scandir(package):
        if entry.is_file(follow_symlinks=False):
            os.chmod(entry.path, 0o644)


def _fresh_host_home(home: Path) -> None:
    """Without the OS sandbox the home is a host folder: empty it before each worker starts, as
    a new tmpfs would be (a killed worker's files must not reach the next one)."""
    remove_tree(home)
    home.mkdir(parents=True)


def spawn(
    argv: list[str],
    *,
    slot: int = 0,
    limits: Limits,
    pass_fds=(),
    stdout=None,
    cpu_seconds: int | None = None,
    package: Path | None = None,
    home: Path | None = None,
) -> subprocess.Popen:
    """Start argv (a worker) under `limits`; stdin is /dev/null, stdout and stderr go to
    `stdout` (a capture file or DEVNULL). `slot` (0 .. jobs-1) picks the sandbox uid.
    `package` is a host folder the worker reads (the assembled micrograd/): inside the OS sandbox
    it is bound read-only at its own path, and the worker never writes it. `home` is the
    worker's cwd and writable place, fresh for every start: inside the OS sandbox a tmpfs
    mounted at that path (the host path itself is never touched); without it, a host folder."""
    cpu = int(cpu_seconds if cpu_seconds is not None else limits.cpu_seconds)
    sandboxed = use_sandbox(limits)
    package = Path(package).resolve() if package is not None else None
    home = Path(home).resolve() if home is not None else None
    if sandboxed:
        if package is not None:
            _readable_by_the_slot(package)
        argv = _sandbox_argv(
            argv, limits=limits, package=package, home=home, uid=slot_uid(limits, slot)
        )
    elif home is not None:
        _fresh_host_home(home)
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if stdout is not None else subprocess.DEVNULL,
        pass_fds=tuple(pass_fds),
        cwd=None if sandboxed else home,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        start_new_session=True,
        preexec_fn=lambda: _set_rlimits(limits, cpu, nproc=sandboxed),
        close_fds=True,
    )


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started (same process group; inside the OS sandbox
    killing bwrap also ends its PID namespace, which catches `setsid` escapees), then reap it.

    Returns only once the sandbox's processes are gone: they run as the slot's uid, and the
    slot's next worker must not find RLIMIT_NPROC still taken by a dying fork bomb."""
    namespace_init = _namespace_init(proc.pid)
    kill_process_group(proc.pid)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
        pass
    if namespace_init is not None:
        _wait_until_exited(namespace_init, timeout=5)


def kill_process_group(pid: int) -> None:
    """SIGKILL the process group led by `pid` (a process started with start_new_session);
    quiet when it is already gone. The one place the grader kills a group."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _namespace_init(bwrap_pid: int) -> int | None:
    """bwrap's child: pid 1 of the sandbox's PID namespace (None without the OS sandbox)."""
    try:
        with open(f"/proc/{bwrap_pid}/task/{bwrap_pid}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _wait_until_exited(pid: int, timeout: float) -> None:
    """Wait until `pid` is a zombie or gone. The init of a PID namespace becomes a zombie only
    after every other process of its namespace has been killed and reaped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.005)


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; no-op elsewhere).
    For trusted child processes such as the suite runner, so killing the grader (even with
    SIGKILL) leaves no runner behind; their workers follow through bwrap's --die-with-parent."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
