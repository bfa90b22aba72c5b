"""Helpers for the generator's tests: a throwaway copy of the course inputs."""

import shutil
from pathlib import Path

from grader.paths import ROOT

IGNORE = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ipynb_checkpoints")


def course_copy(tmp_path: Path, with_outputs: bool = True) -> Path:
    """solutions/ and assignments/ (and, if asked, the generated student_template/) in tmp_path,
    so a test can break or edit them without touching the real tree."""
    root = tmp_path / "course"
    for name in ["solutions", "assignments"] + (["student_template"] if with_outputs else []):
        shutil.copytree(ROOT / name, root / name, ignore=IGNORE)
    return root
