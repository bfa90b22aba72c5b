"""LMS bulk downloads: a flat folder of files whose names carry the student id.

Canvas names each file `<name>_[LATE_]<user id>_<submission id>_<file>`, Moodle (flat download)
`<Full Name>_<id>_assignsubmission_file_<file>`, and many scripts `<id>-<file>`. An `--id-pattern`
regex maps a file name to a student id (named group `id`; an optional group `file` gives the
name the student gave the file). Files of one student are grouped into one submission and put
back under their own names before grading.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

# Canvas / Moodle: a name (no underscore), optionally LATE, the id, then a submission number or
# Moodle's `assignsubmission_<plugin>`, then the file. Otherwise `<id>-<file>`. The id is digits,
# so ordinary folder or file names (`alice`, `2024_notes.py`) do not match by accident.
DEFAULT_ID_PATTERN = (r"^(?:(?P<name>[^_]+)_(?:LATE_)?)?(?P<id>\d+)"
                      r"(?(name)(?:_\d+|_assignsubmission_[a-z]+)?_|-)(?P<file>.+)$")
# Extensions a bulk download contributes (other files such as an LMS index are left alone).
SUBMITTED_SUFFIXES = (".py", ".ipynb", ".zip")
# Canvas renames a re-uploaded `engine.py` to `engine-1.py`, `engine-2.py`, ...
RENAMED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")


class PatternError(ValueError):
    """The --id-pattern is not usable; the message says why."""


def compile_pattern(text: str | None) -> re.Pattern:
    text = DEFAULT_ID_PATTERN if text is None else text
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise PatternError(f"--id-pattern {text!r} is not a valid regular expression ({exc})") from None
    if "id" not in pattern.groupindex:
        raise PatternError(f"--id-pattern {text!r} has no named group `id`; write e.g. "
                           r"'^(?P<id>\d+)-(?P<file>.+)$'")
    return pattern


def parse_name(filename: str, pattern: re.Pattern) -> tuple[str, str] | None:
    """(student id, the file's own name) or None when the name does not match."""
    match = pattern.search(filename)
    if not match or not match.group("id"):
        return None
    own = match.groupdict().get("file") or filename
    return match.group("id"), Path(own).name or filename


def own_name(name: str) -> tuple[str, int]:
    """`engine-2.py` -> (`engine.py`, 2); `engine.py` -> (`engine.py`, 0)."""
    match = RENAMED.match(name)
    if not match:
        return name, 0
    return match["stem"] + match["suffix"], int(match["n"])


def group_files(paths: list[Path], pattern: re.Pattern
                ) -> tuple[dict[str, list[tuple[str, Path]]], list[Path]]:
    """({student id: [(the file's own name, path)]}, files whose names do not match)."""
    groups: dict[str, list[tuple[str, Path]]] = {}
    unmatched = []
    for path in sorted(paths):
        parsed = parse_name(path.name, pattern)
        if parsed is None:
            unmatched.append(path)
        else:
            groups.setdefault(parsed[0], []).append((parsed[1], path))
    return groups, unmatched


def stage_files(files: list[tuple[str, Path]], dest: Path, extract_zip) -> list[str]:
    """Copy one student's files into dest under their own names (zips are extracted there
    with `extract_zip(zip, dest)`). Of two uploads with one name, Canvas's highest `-N` wins.
    Returns notes."""
    notes = []
    chosen: dict[str, tuple[int, Path]] = {}
    for given, path in files:
        name, version = own_name(given)
        if name in chosen:
            older, newer = sorted([chosen[name], (version, path)], key=lambda item: item[0])
            notes.append(f"{older[1].name} and {newer[1].name} are both {name}; "
                         f"the later upload {newer[1].name} was graded")
            chosen[name] = newer
        else:
            chosen[name] = (version, path)
    dest.mkdir(parents=True, exist_ok=True)
    for name, (_, path) in sorted(chosen.items()):
        if name.lower().endswith(".zip"):
            extract_zip(path, dest)
        else:
            shutil.copyfile(path, dest / name, follow_symlinks=False)
    return notes
