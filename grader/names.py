"""Names are data (design.md, "The trust boundary"): a student id, a file name or a reason
never becomes a path outside its own folder, a run-level file, rich markup, a terminal escape
or a spreadsheet formula.

Two things live here and nowhere else:
- the output layout: `output_path` builds EVERY path the grader writes under --out and refuses
  anything that would resolve elsewhere; `submission_folder` maps an id to its folder name,
  which can never equal a run-level name (see RESERVED_SUFFIXES and docs/grading.md);
- escaping: `visible` (an id: control characters and undecodable bytes shown as `\\x1b`,
  `\\xff`, backslashes doubled so distinct ids stay distinct), `printable` (free text such as a
  reason: the same without doubling), `one_line` (free text on one line), `for_terminal` (rich
  markup escaped too) and `for_csv` (a spreadsheet shows it as text, never runs it as a
  formula).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from rich.markup import escape as _rich_escape

# Run-level outputs in --out. Every name the grader writes at the top level is one of these or
# ends in a reserved suffix, and no submission folder can be either.
GRADEBOOK = "gradebook.csv"
CHECKS = "checks.csv"  # a row per submission per check
CLASS_REPORT = "report.html"
RUN_FILE = "run.json"
LOGS = ".logs"
RECORDS = ".results"  # staff only, like LOGS: no submission folder starts with a dot
RESERVED_SUFFIXES = (
    ".csv",
    ".json",
    ".html",
    ".htm",
    ".log",
    ".txt",
    ".md",
    ".tmp",
    ".db",
    ".zip",
    ".lock",
)
# A plain id is its own folder name: it starts with a letter or digit (so never `.`, `..`,
# `.logs`, `_...` or `-...`), holds only these characters, and is not too long for a file name.
PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
# Any other id gets `_` + its percent-encoded UTF-8 bytes: `_` is a prefix no plain id has.
ESCAPED_PREFIX = "_"
ESCAPED_CHARS = re.compile(rb"[^A-Za-z0-9-]")
# Long escaped names are cut and end in `~` + a hash of the id (`~` itself is always escaped).
MAX_FOLDER_CHARS = 150
# Categories shown escaped: controls, formatting (bidi overrides, zero-width), surrogates,
# private use, line and paragraph separators.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


class UnsafeOutputPath(ValueError):
    """A path under --out that would land elsewhere (a bug or a planted symlink)."""


# ---------------------------------------------------------------- escaping


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Free text with every control or invisible character shown as an escape."""
    return "".join(
        _escape_char(ch) if unicodedata.category(ch) in HIDDEN_CATEGORIES else ch
        for ch in str(text)
    )


def one_line(text: str, limit: int | None = None) -> str:
    """One line of free text, whole unless a `limit` is asked for: whitespace runs (newlines
    too) become one space and every other control character is shown escaped, so a name inside
    it cannot forge lines or escapes. Reasons stay whole: feedback.html wraps them, and the
    gradebook's cell needs no bound (a reason is the grader's words about at most six lessons,
    each bounded where it is made)."""
    text = printable(" ".join(str(text).split()))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def error_line(exc: BaseException, limit: int = 200) -> str:
    """An exception as one line: its message (it may quote a name a student chose), else its
    type's name."""
    return one_line(str(exc), limit) or type(exc).__name__


def one_lines(texts: list[str], limit: int = 1000) -> list[str]:
    """Notes quote names a student chose: one line each, nothing hidden."""
    return [one_line(text, limit) for text in texts]


def visible(name: str) -> str:
    """A name shown so that no character is hidden and distinct names stay distinct
    (a literal backslash is doubled, so `a\\x1bb` typed by hand is not ESC)."""
    return printable(str(name).replace("\\", "\\\\"))


def for_terminal(text: str, *, name: bool = False) -> str:
    """Text for rich: nothing hidden, and `[...]` shown as is, never read as markup."""
    return _rich_escape(visible(text) if name else printable(text))


def for_csv(text: str, *, name: bool = False) -> str:
    """A CSV cell: nothing hidden, and never a formula (= + - @ at the start); a leading quote
    is quoted too, so `'=x` and `=x` stay distinct."""
    text = visible(text) if name else printable(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "'") else text


def from_csv(cell: str) -> str:
    """The text for_csv protected (a gradebook.csv read back): its formula quote removed."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "'") else cell


# ---------------------------------------------------------------- the output layout


def is_plain_id(sub_id: str) -> bool:
    return bool(PLAIN_ID.fullmatch(sub_id)) and not sub_id.lower().endswith(RESERVED_SUFFIXES)


def submission_folder(sub_id: str) -> str:
    """The folder of a submission's outputs: the id itself when it is plain, else `_` and its
    percent-encoded bytes (undecodable bytes kept as they were on disk)."""
    if is_plain_id(sub_id):
        return sub_id
    raw = sub_id.encode("utf-8", "surrogateescape")
    encoded = ESCAPED_CHARS.sub(lambda m: b"%%%02X" % m.group()[0], raw).decode("ascii")
    if len(encoded) > MAX_FOLDER_CHARS:
        encoded = encoded[:MAX_FOLDER_CHARS] + "~" + hashlib.sha256(raw).hexdigest()[:16]
    return ESCAPED_PREFIX + encoded


def output_path(out: Path, *parts: str) -> Path:
    """THE way to name a file or folder under --out: each part one plain path component, and
    the result (symlinks resolved) inside --out. Raises UnsafeOutputPath otherwise."""
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\0" in part:
            raise UnsafeOutputPath(f"{printable(part)!r} is not a file name")
    root = Path(out).resolve()
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root):
        raise UnsafeOutputPath(f"{printable(str(path))} resolves outside {root}")
    return path


def submission_path(out: Path, sub_id: str, filename: str = "") -> Path:
    """`<out>/<folder of sub_id>/<filename>` (the folder itself without a filename)."""
    parts = (submission_folder(sub_id), filename) if filename else (submission_folder(sub_id),)
    return output_path(out, *parts)


def log_path(out: Path, sub_id: str) -> Path:
    """The staff-only runner log of a submission: `<out>/.logs/<folder>.log`."""
    return output_path(out, LOGS, submission_folder(sub_id) + ".log")


def record_path(out: Path, sub_id: str) -> Path:
    """The staff-only result record of a submission (grader/results.py: everything, staff
    notes included): `<out>/.results/<folder>.json`."""
    return output_path(out, RECORDS, submission_folder(sub_id) + ".json")


def record_paths(out: Path) -> list[Path]:
    """Every result record under --out, in folder order."""
    return sorted(output_path(out, RECORDS).glob("*.json"))
