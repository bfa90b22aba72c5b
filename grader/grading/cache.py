"""A content-addressed cache of result records (`micrograder grade --cache DIR`, `--no-cache`).

A submission's record is reused, with no grading, when everything that decides it is the same:
the submission's id and files (its fingerprint), the grader's own code (grader/**/*.py, the
suites' suites.ini, the page templates), the reference (solutions/micrograd), the lessons
selected and their lesson.toml, the worker limits and the runner's timeout, the sandbox's
availability, and the seed. The key is the SHA-256 of all of them; any change is a miss.

The id is part of the key: a record names its student (id, notes from intake), so the same
bytes under another id are graded again rather than relabelled.

Entries are result records (results.to_dict), written atomically; each read goes through the
strict results.read_record and must match the submission, seed and lessons asked for, so a
corrupt or foreign entry is a miss (and rewritten), never trusted. Only results that another
grading would repeat are stored: no timeouts (they depend on the machine's load), no grader
errors.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from grader import paths
from grader.files import write_json_atomic
from grader.lessons import Lesson
from grader.results import RecordError, SubmissionResult, read_record
from grader.sandbox import jail

KEY_FORMAT = "micrograder-cache-1"  # change it when the key's inputs change meaning
GRADER = Path(__file__).resolve().parents[1]  # grader/
GRADER_FILES = ("**/*.py", "suites/suites.ini", "report/templates/*")
CACHEABLE = ("graded", "invalid")


def default_folder() -> Path:
    """MICROGRADER_CACHE_DIR, else $XDG_CACHE_HOME/micrograder, else ~/.cache/micrograder."""
    fixed = os.environ.get("MICROGRADER_CACHE_DIR")
    if fixed:
        return Path(fixed)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "micrograder"


def tree_hash(root: Path, patterns: Iterable[str]) -> str:
    """SHA-256 over the names and bytes of the files under `root` matching `patterns`."""
    digest = hashlib.sha256()
    files = {path for pattern in patterns for path in Path(root).glob(pattern) if path.is_file()}
    for path in sorted(files):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def grader_hash() -> str:
    """The grader's own code: its modules, the suites and their ini, the page templates."""
    return tree_hash(GRADER, GRADER_FILES)


def reference_hash() -> str:
    return tree_hash(paths.REFERENCE_PACKAGE, ("**/*.py",))


def course_hash(lessons: Iterable[Lesson]) -> dict:
    """What the course contributes to every key of a run (computed once per run)."""
    return {
        "grader": grader_hash(),
        "reference": reference_hash(),
        "lessons": {lesson.id: tree_hash(lesson.folder, ("lesson.toml",)) for lesson in lessons},
        "sandbox": jail.sandbox_status().available,
    }


class ResultCache:
    """The cache in `folder`. `course` computes the run-wide part of the key (tests inject a
    changed one). `hits` and `stores` count what this run reused and wrote."""

    def __init__(self, folder: Path, course: Callable[[Iterable[Lesson]], dict] = course_hash):
        self.folder = Path(folder)
        self._course = course
        self._course_key: dict | None = None
        self._lock = threading.Lock()  # lookups come from the orchestrator's pool threads
        self.hits = 0
        self.stores = 0

    def key(
        self, sub_id: str, digest: str, seed: int, lessons: list[Lesson], limits, timeout: float
    ) -> str:
        """The entry's name. `limits`: the worker Limits; their slot uids are left out (they
        change with every grader process and never change a result). `timeout`: the
        runner's."""
        with self._lock:
            if self._course_key is None:
                self._course_key = self._course(lessons)
            course = self._course_key
        fields = {**limits.fields(), "slot_uid_base": None, "runner_timeout": timeout}
        inputs = [KEY_FORMAT, sub_id, digest, seed, [x.id for x in lessons], fields, course]
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def lookup(
        self, key: str, sub_id: str, seed: int, lessons: list[Lesson], digest: str
    ) -> SubmissionResult | None:
        """The record stored under `key` if it is one and is this submission's, else None."""
        try:
            result = read_record(self.path(key).read_text(encoding="utf-8"), lessons)
        except (OSError, UnicodeDecodeError, RecordError):
            return None
        same = (result.id, result.seed, result.digest) == (sub_id, seed, digest) and [
            lesson.lesson.id for lesson in result.lessons
        ] == [lesson.id for lesson in lessons]
        if not same or not cacheable(result):
            return None
        with self._lock:
            self.hits += 1
        return result

    def store(self, key: str, result: SubmissionResult) -> None:
        """Keep `result` under `key` if another grading would repeat it. A cache that cannot
        be written costs nothing but the reuse."""
        if not cacheable(result):
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # records quote staff logs
            write_json_atomic(self.path(key), result.to_dict())
        except (OSError, ValueError):
            return
        with self._lock:
            self.stores += 1


def cacheable(result: SubmissionResult) -> bool:
    """Would another grading of the same inputs give this result? Not when something timed
    out (load-dependent) or the grader itself failed."""
    return (
        bool(result.digest)
        and result.status in CACHEABLE
        and not result.internal_errors
        and all(lesson.status != "timeout" for lesson in result.lessons)
        and all(check.outcome != "timeout" for check in result.checks)
    )
