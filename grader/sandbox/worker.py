"""The sandboxed worker: imports the assembled `micrograd` package and serves requests.

Run by jail.spawn as a separate process with Debian's stdlib-only Python (`-I -S`). It reads one
JSON request per line from a dedicated pipe fd and writes one JSON reply per line to another;
its stdout/stderr (where the student's prints go) are a capped capture that nothing parses.
Stdlib only: this file and the ops_*.py modules it loads must never import the grader.

Set-up: the worker copies the assembled package (--package-source, a flat folder the trusted side
built; read-only in the OS sandbox) to <--package-root>/micrograd/, its own writable copy (a
size-capped tmpfs in the OS sandbox), and imports it from there with that folder as its cwd.
First line written, once set up: {"ready": true}
Request:  {"op": "value.graph", "args": {...}}
Replies:  {"ok": true, "result": <plain JSON>}
          {"ok": false, "kind": "student", "exc_type": ..., "message": ..., "where": ...}
          {"ok": false, "kind": "request", "message": ...}   (a grader bug: bad op or spec)
The trusted side treats every reply as untrusted data and validates it.
"""
import argparse
import gc
import importlib
import importlib.util
import json
import os
import sys
import traceback

HARNESS = "_micrograder_harness"  # package name the worker gives grader/sandbox/ in here
MESSAGE_CAP = 300
READY = {"ready": True}


class Ops:
    """The request vocabulary: op "<lesson>.<name>" is OPS["<lesson>.<name>"] of ops_<lesson>.py
    next to this file. Each module is imported on first use, so a broken op module only
    affects its own lesson's requests."""

    def __init__(self, sandbox_dir):
        spec = importlib.util.spec_from_file_location(
            HARNESS, os.path.join(sandbox_dir, "__init__.py"),
            submodule_search_locations=[sandbox_dir])
        package = importlib.util.module_from_spec(spec)
        sys.modules[HARNESS] = package
        spec.loader.exec_module(package)
        self.request_error = importlib.import_module(f"{HARNESS}.specs").RequestError
        self.sandbox_dir = sandbox_dir

    def handler(self, op):
        """The handler of `op`; raises LookupError (a bad request) if there is none."""
        lesson = op.split(".", 1)[0]
        if not lesson.isidentifier() or not os.path.isfile(
                os.path.join(self.sandbox_dir, f"ops_{lesson}.py")):
            raise LookupError(f"unknown op {op!r}")
        try:
            module = importlib.import_module(f"{HARNESS}.ops_{lesson}")
        except Exception as exc:  # a grader bug: report it as a bad request, keep serving
            raise LookupError(f"ops_{lesson}.py does not import: {exc!r}") from None
        if op not in module.OPS:
            raise LookupError(f"unknown op {op!r}")
        return module.OPS[op]


def _safe_text(obj):
    try:
        text = str(obj)
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text if len(text) <= MESSAGE_CAP else text[:MESSAGE_CAP] + "..."


def _student_location(exc, package_dir, student_files):
    """'engine.py, line 42, in backward' for the deepest frame in one of the student's files
    (frames in reference modules are never named)."""
    where = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        path = frame.f_code.co_filename
        name = os.path.basename(path)
        if os.path.dirname(os.path.abspath(path)) == package_dir and name in student_files:
            where = f"{name}, line {lineno}, in {frame.f_code.co_name}"
    return where


def _describe(obj):
    # Called by json for anything that is not plain data: report its type, never its value.
    return {"__unserializable__": _safe_text(type(obj).__name__)}


def encode(reply):
    return (json.dumps(reply, default=_describe) + "\n").encode()


def serve(ops, requests, replies, package_dir, student_files):
    for line in requests:
        try:
            request = json.loads(line)
            handler = ops.handler(request["op"])
            args = request.get("args", {})
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            reply = {"ok": False, "kind": "request", "message": f"bad request: {exc!r}"[:MESSAGE_CAP]}
        else:
            try:
                reply = {"ok": True, "result": handler(**args)}
            except ops.request_error as exc:
                reply = {"ok": False, "kind": "request", "message": _safe_text(exc)}
            except BaseException as exc:  # anything the student's code raised (incl. SystemExit)
                reply = {"ok": False, "kind": "student",
                         "exc_type": _safe_text(type(exc).__name__),
                         "message": _safe_text(exc),
                         "where": _student_location(exc, package_dir, student_files)}
        try:
            data = encode(reply)
        except BaseException as exc:  # e.g. a result nested too deeply to serialise
            data = encode({"ok": False, "kind": "student", "exc_type": "unserializable result",
                           "message": _safe_text(type(exc).__name__), "where": ""})
        replies.write(data)
        replies.flush()
        # Free the request's garbage (closure-style engines build reference cycles) now, while
        # the student's code is not running, instead of in the middle of the next request.
        gc.collect()


def copy_package(source, package_root):
    """package_root/micrograd/: a copy of the flat folder `source`. The student's code runs on
    this copy, so the trusted side's folder is never written."""
    package_dir = os.path.join(package_root, "micrograd")
    os.makedirs(package_dir, exist_ok=True)
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as original, open(os.path.join(package_dir, name), "wb") as copy:
                copy.write(original.read())
    return package_dir


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--replies", type=int, required=True)
    parser.add_argument("--package-source", required=True)
    parser.add_argument("--package-root", required=True)
    parser.add_argument("--student-files", default="")
    args = parser.parse_args(argv)

    sys.dont_write_bytecode = True
    # Closure-style engines (karpathy/micrograd) make a reference cycle per node; with the
    # default thresholds the collector rescans the growing graph thousands of times (two
    # 100,000-node chains built and freed: 5.1 s -> 1.0 s measured on 2 vCPU). Collections
    # still run, so memory stays bounded.
    gc.set_threshold(100_000, 50, 1000)
    sandbox_dir = os.path.dirname(os.path.abspath(__file__))
    ops = Ops(sandbox_dir)
    package_root = os.path.abspath(args.package_root)
    package_dir = copy_package(os.path.abspath(args.package_source), package_root)
    os.chdir(package_dir)
    # The submission goes LAST on sys.path: it can never shadow the standard library.
    sys.path.append(package_root)
    student_files = set(filter(None, args.student_files.split(",")))

    requests = os.fdopen(args.requests, "rb")
    replies = os.fdopen(args.replies, "wb")
    # Before any student code is imported: tells the client that a later death is the
    # student's doing, while a death before this line is the grader's (or the sandbox's).
    replies.write(encode(READY))
    replies.flush()
    serve(ops, requests, replies, package_dir, student_files)


if __name__ == "__main__":
    main()
