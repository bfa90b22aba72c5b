"""The trusted side of the worker protocol: start a worker, send a request, read one reply.

A `Worker` belongs to one lesson configuration (one assembled package). It starts its process
lazily, kills it (whole process group) on a timeout, a crash or a garbled reply, and starts a
fresh one for the next call — until the lesson's time budget is spent, after which every call
raises WorkerTimeout at once. Replies are parsed as JSON and returned as plain data: callers
still validate every value (grader/suites/checks.py) before comparing anything.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from pathlib import Path

from grader.sandbox import jail
from grader.sandbox.errors import (
    BadReply,
    StudentError,
    WorkerCrashed,
    WorkerTimeout,
    import_timeout,
    request_timeout,
)
from grader.sandbox.jail import Limits
from grader.sandbox.signatures import expected_call

WORKER_SCRIPT = Path(__file__).resolve().parent / "inside" / "worker.py"
SYSTEM_PYTHON = Path("/usr/bin/python3")
REPLY_CAP = 32 * 1024 * 1024  # bytes; a longer reply is garbage
PROGRESS_CAP = 1000  # bytes; the worker's progress lines are short
CRASHES_BEFORE_GIVING_UP = 3


class Budget:
    """Wall seconds a lesson's checks may spend in workers; shared by the lesson's workers."""

    def __init__(self, total: float):
        self.total = float(total)
        self.spent = 0.0

    def left(self) -> float:
        return self.total - self.spent


class HarnessError(RuntimeError):
    """The grader sent a request the worker does not understand: a bug in the grader."""


def worker_command() -> list[str]:
    """Debian's stdlib-only Python, isolated and without site-packages, when present."""
    if SYSTEM_PYTHON.exists():
        return [str(SYSTEM_PYTHON), "-I", "-S"]
    return [sys.executable, "-I"]


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        sig = -returncode
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return "was stopped: it used up its CPU time limit"
        if sig == signal.SIGXFSZ:
            return "was stopped: it wrote more output than allowed"
        return f"was killed by signal {name}"
    return f"exited with code {returncode} (does your code call exit() or os._exit()?)"


class Worker:
    """Proxy to a sandboxed worker process serving one assembled package."""

    def __init__(
        self,
        package_root: Path,
        *,
        limits: Limits = Limits(),
        budget: Budget | None = None,
        student_files=(),
        slot: int = 0,
        workdir: Path | None = None,
    ):
        self.package_root = Path(package_root)
        self.limits = limits
        self.budget = budget
        self.student_files = tuple(student_files)
        self.slot = slot
        self.workdir = Path(workdir) if workdir else self.package_root
        # The worker's writable place, fresh for each process: there it copies the package and
        # imports it (jail.spawn makes it a size-capped tmpfs inside the OS sandbox).
        self.home = self.workdir / "home"
        self.spent = 0.0  # wall seconds this worker's calls used (including starting processes)
        self.starts = 0
        self.crash_streak = 0  # crashes in a row with no good reply in between
        self._last_crash = ""
        self._proc = None
        self._capture = None
        self._importing = []  # (module, monotonic start) of imports begun and not yet ended
        self._import_seconds = 0.0  # time this call spent in imports that ended

    # -- process management -------------------------------------------------------------
    def _start(self):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        capture_path = self.workdir / f"worker-output-{self.starts}.txt"
        self._capture = open(capture_path, "wb")
        argv = worker_command() + [
            str(WORKER_SCRIPT),
            "--requests",
            str(req_r),
            "--replies",
            str(rep_w),
            "--package-source",
            str(self.package_root / "micrograd"),
            "--package-root",
            str(self.home),
            "--student-files",
            ",".join(self.student_files),
        ]
        cpu = int(self.budget.total + 5) if self.budget else self.limits.cpu_seconds
        try:
            self._proc = jail.spawn(
                argv,
                slot=self.slot,
                limits=self.limits,
                pass_fds=(req_r, rep_w),
                stdout=self._capture,
                cpu_seconds=cpu,
                package=self.package_root / "micrograd",
                home=self.home,
            )
        except BaseException:
            for fd in (req_w, rep_r):
                os.close(fd)
            self._capture.close()
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
        self._requests = req_w
        self._replies = rep_r
        self._buffer = b""
        self.starts += 1

    def _stop(self):
        if self._proc is not None:
            jail.kill_group(self._proc)
            os.close(self._requests)
            os.close(self._replies)
            self._capture.close()
            self._proc = None

    def close(self):
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def output(self) -> str:
        """The tail of what the worker printed (student prints included): for staff
        diagnostics only, never shown to students (a worker may hold reference code)."""
        texts = []
        for path in sorted(self.workdir.glob("worker-output-*.txt")):
            with open(path, "rb") as f:
                texts.append(f.read(self.limits.output_cap).decode("utf-8", "replace"))
        return "".join(texts)[-self.limits.output_cap :]

    # -- requests -----------------------------------------------------------------------
    def call(self, op: str, timeout: float | None = None, **args):
        """Run request `op` with JSON `args`; returns the reply's plain JSON result."""
        if self.budget is not None and self.budget.left() <= 0:
            raise WorkerTimeout(
                f"the lesson's time budget of {self.budget.total:g} s was used up "
                "before this check could run"
            )
        if self.crash_streak >= CRASHES_BEFORE_GIVING_UP:
            # e.g. os._exit() at import: every fresh worker would die the same way.
            raise WorkerCrashed(
                f"{self._last_crash} (not restarted after {self.crash_streak} crashes in a row)"
            )
        limit = timeout if timeout is not None else self.limits.request_timeout
        if self.budget is not None:
            limit = min(limit, self.budget.left())
        line = (json.dumps({"op": op, "args": args}) + "\n").encode()
        started = time.monotonic()
        deadline = started + limit
        self._importing, self._import_seconds = [], 0.0
        try:
            if self._proc is None:
                self._start()
                self._await_ready(deadline)
            self._send(line, deadline)
            reply = self._reply(deadline)
            self.crash_streak = 0  # it answered: alive
        except WorkerTimeout:
            self._stop()
            raise self._timeout(limit) from None
        except (WorkerCrashed, BadReply) as exc:
            self._stop()
            self.crash_streak += 1
            self._last_crash = str(exc)
            raise
        finally:
            elapsed = time.monotonic() - started
            self.spent += elapsed
            if self.budget is not None:
                self.budget.spent += elapsed
        try:
            return self._unpack(reply)
        except BadReply as exc:
            self.crash_streak += 1
            self._last_crash = str(exc)
            raise

    def _send(self, data: bytes, deadline: float):
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout()
            _, writable, _ = select.select([], [self._requests], [], remaining)
            if writable:
                try:
                    view = view[os.write(self._requests, view[:65536]) :]
                except BrokenPipeError:
                    raise self._crashed() from None

    def _receive(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout()
            readable, _, _ = select.select([self._replies], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise self._crashed()
            self._buffer += chunk
            if len(self._buffer) > REPLY_CAP:
                raise BadReply("the process running your code sent an oversized reply")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _reply(self, deadline: float) -> bytes:
        """The request's reply line, after the worker's progress lines (imports begun and
        ended, which say how a timeout is worded)."""
        while True:
            line = self._receive(deadline)
            progress = _progress(line)
            if progress is None:
                return line
            if "importing" in progress:
                self._importing.append((progress["importing"], time.monotonic()))
            elif self._importing:
                _, began = self._importing.pop()
                if not self._importing:  # nested imports are inside the outer one's time
                    self._import_seconds += time.monotonic() - began

    def _timeout(self, limit: float) -> WorkerTimeout:
        """A timeout in the student's words: import time when a module's top-level code was
        still running, else a slow request (noting the import time it included)."""
        if self._importing:
            module = self._importing[-1][0]  # the innermost: the one whose code was running
            return import_timeout(module, time.monotonic() - self._importing[0][1])
        return request_timeout(limit, self._import_seconds)

    def _await_ready(self, deadline: float):
        """The worker's first line says it is set up; dying before it is not the student's
        fault (no student code has been imported yet): a HarnessError."""
        try:
            line = self._receive(deadline)
        except WorkerCrashed as exc:
            self._stop()
            raise HarnessError(
                f"the worker did not start: {exc}; its output: {self.output()[-500:]!r}"
            ) from None
        try:
            ready = json.loads(line) == {"ready": True}
        except ValueError:
            ready = False
        if not ready:
            self._stop()
            raise HarnessError(f"the worker did not start: unexpected first line {line[:100]!r}")

    def _crashed(self) -> WorkerCrashed:
        try:
            code = self._proc.wait(timeout=2)
        except Exception:
            code = None
        text = f"the process running your code {describe_exit(code)}"
        if self._importing:  # e.g. os._exit() at a module's top level
            text += f", while importing {self._importing[-1][0]}"
        return WorkerCrashed(text)

    def _unpack(self, line: bytes):
        try:
            reply = json.loads(line)
            ok = reply["ok"]
        except (ValueError, TypeError, KeyError, RecursionError):
            self._stop()
            raise BadReply(
                "the process running your code sent an unreadable reply "
                "(does your code write to file descriptors it did not open?)"
            ) from None
        if ok is True and "result" in reply:
            return reply["result"]
        kind = reply.get("kind")
        if kind == "student":
            exc_type, message, where, missing = (
                str(reply.get(k) or "")[:400] for k in ("exc_type", "message", "where", "missing")
            )
            # A TypeError raised where the grader calls the API: the call did not fit the
            # student's signature, so quote the one the course expects.
            at_call = reply.get("call_site") is True and exc_type == "TypeError"
            raise StudentError(
                exc_type,
                message,
                where,
                missing=missing,
                expected=expected_call(message) if at_call else "",
            )
        if kind == "request":
            raise HarnessError(str(reply.get("message", ""))[:400])
        self._stop()
        raise BadReply("the process running your code sent a malformed reply")


def _progress(line: bytes) -> dict | None:
    """A worker's progress line ({"importing": "micrograd/nn.py"} or {"imported": ...}) as a
    dict, or None for anything else (a reply). Checked by prefix first: replies can be large."""
    if len(line) > PROGRESS_CAP or not line.startswith(b'{"import'):
        return None
    try:
        progress = json.loads(line)
    except ValueError:
        return None
    if not isinstance(progress, dict) or len(progress) != 1:
        return None
    ((key, module),) = progress.items()
    if key not in ("importing", "imported") or not isinstance(module, str):
        return None
    return {key: module[:100]}
