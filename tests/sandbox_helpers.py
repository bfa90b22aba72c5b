"""Helpers for tests/test_sandbox*.py and tests/test_suites_core*.py: submissions made from the
reference with exact, checked text edits."""

import shutil
from pathlib import Path

from grader.paths import REFERENCE_PACKAGE

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def submission_from_reference(
    root: Path,
    edits: dict[str, list[tuple[str, str]]] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """root/micrograd: a copy of the reference; each (old, new) edit must apply exactly once;
    `files` adds or replaces whole files (name -> text)."""
    package = Path(root) / "micrograd"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, replacements in (edits or {}).items():
        path = package / name
        text = path.read_text()
        for old, new in replacements:
            assert text.count(old) == 1, f"edit does not apply exactly once to {name}: {old!r}"
            text = text.replace(old, new)
        path.write_text(text)
    for name, text in (files or {}).items():
        (package / name).write_text(text)
    return package


def reference_line(module: str, text: str) -> int:
    """The 1-based number of the first line of the reference's `module` that starts with `text`:
    where an edit of a submission built from the reference lands."""
    lines = (REFERENCE_PACKAGE / module).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(text))
