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
          {"ok": false, "kind": "student", "exc_type": ..., "message": ..., "where": ...,
           "missing": ..., "call_site": ...}   (facts only: errors.StudentError words them)
          {"ok": false, "kind": "request", "message": ...}   (a grader bug: bad op or spec)
Progress: {"importing": "micrograd/nn.py"} / {"imported": "micrograd/nn.py"} around the top-level
          code of each package module, before the request's reply (a timeout there is import
          time, not a slow request).
The trusted side treats every reply as untrusted data and validates it. Paths in messages are
relative to the submission (`micrograd/...`), never the grader's scratch folders.
"""

import argparse
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import traceback

HARNESS = "_micrograder_harness"  # package name the worker gives grader/sandbox/inside/ in here
MESSAGE_CAP = 300
READY = {"ready": True}


class Ops:
    """The request vocabulary: op "<lesson>.<name>" is OPS["<lesson>.<name>"] of ops_<lesson>.py
    next to this file. Each module is imported on first use, so a broken op module only
    affects its own lesson's requests."""

    def __init__(self, sandbox_dir):
        spec = importlib.util.spec_from_file_location(
            HARNESS,
            os.path.join(sandbox_dir, "__init__.py"),
            submodule_search_locations=[sandbox_dir],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[HARNESS] = package
        spec.loader.exec_module(package)
        self.request_error = importlib.import_module(f"{HARNESS}.specs").RequestError
        self.sandbox_dir = sandbox_dir

    def handler(self, op):
        """The handler of `op`; raises LookupError (a bad request) if there is none."""
        lesson = op.split(".", 1)[0]
        if not lesson.isidentifier() or not os.path.isfile(
            os.path.join(self.sandbox_dir, f"ops_{lesson}.py")
        ):
            raise LookupError(f"unknown op {op!r}")
        try:
            module = importlib.import_module(f"{HARNESS}.ops_{lesson}")
        except Exception as exc:  # a grader bug: report it as a bad request, keep serving
            raise LookupError(f"ops_{lesson}.py does not import: {exc!r}") from None
        if op not in module.OPS:
            raise LookupError(f"unknown op {op!r}")
        return module.OPS[op]


class Package:
    """Where the assembled `micrograd` package lives, and which of its files are the student's."""

    def __init__(self, package_dir, student_files, harness_dir):
        self.dir = os.path.abspath(package_dir)
        self.root = os.path.dirname(self.dir)
        self.student_files = set(student_files)
        self.harness_dir = harness_dir

    def relative(self, text):
        """`text` with the package's scratch location written as the student knows it:
        '/tmp/micrograder-.../nn/micrograd/nn.py' -> 'micrograd/nn.py'."""
        for root in dict.fromkeys((self.root, os.path.realpath(self.root))):
            text = text.replace(os.path.join(root, "micrograd"), "micrograd")
            text = text.replace(root + os.sep, "").replace(root, ".")
        return text


def _safe_text(obj, package=None):
    try:
        text = str(obj)
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    if package is not None:
        text = package.relative(text)
    return text if len(text) <= MESSAGE_CAP else text[:MESSAGE_CAP] + "..."


def _student_location(exc, package):
    """'micrograd/engine.py, line 42, in backward' (or 'micrograd/nn.py, line 3' at a module's
    top level) for the deepest frame in one of the student's files (frames in reference
    modules are never named)."""
    where = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        path = frame.f_code.co_filename
        name = os.path.basename(path)
        if os.path.dirname(os.path.abspath(path)) == package.dir and name in package.student_files:
            where = f"micrograd/{name}, line {lineno}"
            if frame.f_code.co_name != "<module>":
                where += f", in {frame.f_code.co_name}"
    return where


def _missing_module(exc):
    """What a failed import was missing: 'numpy' (a top-level module that is not in the
    standard library: the grader does not have it), 'micrograd.x' (a package module), or ''."""
    if not isinstance(exc, ModuleNotFoundError) or not isinstance(exc.name, str):
        return ""
    top = exc.name.split(".")[0]
    if top == "micrograd":
        return exc.name
    return "" if top in sys.stdlib_module_names else top


def _raised_at_call_site(exc, package):
    """Whether the exception was raised in the grader's own request code (ops_*.py, specs.py):
    a TypeError there comes from calling the student's API with the course's signature."""
    frames = list(traceback.walk_tb(exc.__traceback__))
    if not frames:
        return False
    path = os.path.abspath(frames[-1][0].f_code.co_filename)
    return os.path.dirname(path) == package.harness_dir and os.path.basename(path) != "worker.py"


def student_error(exc, package):
    """The reply for anything the student's code raised: the facts, in submission paths."""
    return {
        "ok": False,
        "kind": "student",
        "exc_type": _safe_text(type(exc).__name__),
        "message": _safe_text(exc, package),
        "where": _student_location(exc, package),
        "missing": _missing_module(exc),
        "call_site": isinstance(exc, TypeError) and _raised_at_call_site(exc, package),
    }


class ImportReporter:
    """A sys.meta_path entry for the package: its modules load exactly as usual, and the client
    hears when each one's top-level code starts and ends, so that a timeout while importing is
    reported as import time (e.g. a module that trains at import)."""

    def __init__(self, replies):
        self.replies = replies
        self.encode = encode  # bound now: student code that patches encode() must not turn
        # progress lines into forged replies

    def report(self, progress):
        self.replies.write(self.encode(progress))
        self.replies.flush()

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "micrograd" and not fullname.startswith("micrograd."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _ReportingLoader(spec.loader.name, spec.loader.path, self.report)
        return spec


class _ReportingLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname, path, report):
        super().__init__(fullname, path)
        self.report = report

    def exec_module(self, module):
        shown = f"micrograd/{os.path.basename(self.path)}"
        self.report({"importing": shown})
        try:
            super().exec_module(module)
        finally:
            self.report({"imported": shown})


def _describe(obj):
    # Called by json for anything that is not plain data: report its type, never its value.
    return {"__unserializable__": _safe_text(type(obj).__name__)}


def encode(reply):
    return (json.dumps(reply, default=_describe) + "\n").encode()


def serve(ops, requests, replies, package_dir, student_files):
    package = Package(package_dir, student_files, ops.sandbox_dir)
    sys.meta_path.insert(0, ImportReporter(replies))
    for line in requests:
        try:
            request = json.loads(line)
            handler = ops.handler(request["op"])
            args = request.get("args", {})
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            reply = {
                "ok": False,
                "kind": "request",
                "message": f"bad request: {exc!r}"[:MESSAGE_CAP],
            }
        else:
            try:
                reply = {"ok": True, "result": handler(**args)}
            except ops.request_error as exc:
                reply = {"ok": False, "kind": "request", "message": _safe_text(exc)}
            except BaseException as exc:  # anything the student's code raised (incl. SystemExit)
                reply = student_error(exc, package)
        try:
            data = encode(reply)
        except BaseException as exc:  # e.g. a result nested too deeply to serialise
            data = encode(
                {
                    "ok": False,
                    "kind": "student",
                    "exc_type": "unserializable result",
                    "message": _safe_text(type(exc).__name__),
                    "where": "",
                }
            )
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
