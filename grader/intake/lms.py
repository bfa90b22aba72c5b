"""LMS bulk downloads: a flat folder of files whose names carry the student id.

Each LMS puts the id at a fixed position, and that position is where it is read:
- Moodle (flat download): `<Full Name>_<id>_assignsubmission_<plugin>_<file>`: the id is the
  number right before the FIRST `_assignsubmission_`. The full name may hold `_`, digits and
  spaces (`Mary_Ann Lee`, `Eve_22222`); the file name may hold anything. A name with a second
  `<digits>_assignsubmission_` is ambiguous and refused (its own row), never guessed.
- Canvas: `<name>_[LATE_]<user id>[_<submission id>]_<file>`: Canvas writes the name without
  `_`, so the id is the number right after the first `_` (after `LATE_`).
- Otherwise `<id>-<file>` (many scripts).
An `--id-pattern` regex replaces these (named group `id`; an optional group `file` gives the
name the student gave the file). Files of one student are grouped into one submission and put
back under their own names before grading.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.names import printable

MOODLE = r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.+)$"
CANVAS = r"^(?P<name>[^_]+)_(?:LATE_)?(?P<id>\d+)(?:_\d+)?_(?P<file>.+)$"
ID_FIRST = r"^(?P<id>\d+)-(?P<file>.+)$"
DEFAULT_ID_PATTERNS = (MOODLE, CANVAS, ID_FIRST)  # tried in this order
# Two Moodle id positions in one name: which one is the student's cannot be known.
MOODLE_IDS = re.compile(r"_\d+_assignsubmission_")
# Extensions a bulk download contributes (other files such as an LMS index are left alone).
SUBMITTED_SUFFIXES = (".py", ".ipynb", ".zip")
# Canvas renames a re-uploaded `engine.py` to `engine-1.py`, `engine-2.py`, ...
RENAMED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")

Patterns = tuple  # of compiled re.Pattern, tried in order


class PatternError(ValueError):
    """The --id-pattern is not usable; the message says why."""


def compile_pattern(text: str | None) -> Patterns:
    """The patterns that read ids from file names: the LMS defaults, or the instructor's."""
    if text is None:
        return tuple(re.compile(p) for p in DEFAULT_ID_PATTERNS)
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise PatternError(
            f"--id-pattern {text!r} is not a valid regular expression ({exc})"
        ) from None
    if "id" not in pattern.groupindex:
        raise PatternError(
            f"--id-pattern {text!r} has no named group `id`; write e.g. "
            r"'^(?P<id>\d+)-(?P<file>.+)$'"
        )
    return (pattern,)


def parse_name(filename: str, patterns: Patterns) -> tuple[str, str] | None:
    """(student id, the file's own name) or None when the name does not match. The file's own
    name is one plain path component (`..` or an empty name fall back to the whole name)."""
    for pattern in patterns:
        match = pattern.search(filename)
        if match and match.group("id"):
            own = Path(match.groupdict().get("file") or filename).name
            return match.group("id"), own if own not in ("", ".", "..") else filename
    return None


def ambiguity(filename: str, patterns: Patterns) -> str:
    """Why the default patterns cannot tell whose file this is ('' when they can)."""
    if len(patterns) == len(DEFAULT_ID_PATTERNS) and len(MOODLE_IDS.findall(filename)) > 1:
        return (
            f"'{printable(filename)}' names two student ids before `_assignsubmission_`; "
            "whose file it is cannot be told: rename the file or pass --id-pattern"
        )
    return ""


def own_name(name: str) -> tuple[str, int]:
    """`engine-2.py` -> (`engine.py`, 2); `engine.py` -> (`engine.py`, 0)."""
    match = RENAMED.match(name)
    if not match:
        return name, 0
    return match["stem"] + match["suffix"], int(match["n"])


def group_files(
    paths: list[Path], patterns: Patterns
) -> tuple[dict[str, list[tuple[str, Path]]], list[Path], list[tuple[Path, str]]]:
    """({student id: [(the file's own name, path)]}, files whose names do not match,
    [(file, why its id is ambiguous)])."""
    groups: dict[str, list[tuple[str, Path]]] = {}
    unmatched, ambiguous = [], []
    for path in sorted(paths):
        why = ambiguity(path.name, patterns)
        parsed = None if why else parse_name(path.name, patterns)
        if why:
            ambiguous.append((path, why))
        elif parsed is None:
            unmatched.append(path)
        else:
            groups.setdefault(parsed[0], []).append((parsed[1], path))
    return groups, unmatched, ambiguous


def choose_files(files: list[tuple[str, Path]]) -> tuple[dict[str, Path], list[str]]:
    """({own name: the file to stage}, notes). Of two uploads with one name, Canvas's highest
    `-N` wins (noted)."""
    notes = []
    chosen: dict[str, tuple[int, Path]] = {}
    for given, path in files:
        name, version = own_name(given)
        if name in chosen:
            older, newer = sorted([chosen[name], (version, path)], key=lambda item: item[0])
            notes.append(
                f"{older[1].name} and {newer[1].name} are both {name}; "
                f"the later upload {newer[1].name} was graded"
            )
            chosen[name] = newer
        else:
            chosen[name] = (version, path)
    return {name: path for name, (_, path) in chosen.items()}, notes


def package_conflict(sub_id: str, chosen: dict[str, Path]) -> str:
    """A zip (a package) and loose .py files under one id: which to grade is not clear (one of
    them may not even be this student's), so it is reported, never decided by rank."""
    zips = sorted(path.name for name, path in chosen.items() if name.lower().endswith(".zip"))
    modules = sorted(path.name for name, path in chosen.items() if name.lower().endswith(".py"))
    if zips and modules:
        return (
            f"id {sub_id}: both a package ({', '.join(zips)}) and loose files "
            f"({', '.join(modules)}) were uploaded; keep only the student's own"
        )
    return ""
