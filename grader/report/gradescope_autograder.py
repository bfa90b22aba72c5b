"""`micrograder export gradescope`: the zip Gradescope's "autograder" upload takes
(docs/gradescope.md). Gradescope unpacks it into /autograder/source, runs `setup.sh` once to
build its image, then `run_autograder` once per submission.

The zip holds:
- `setup.sh` and `run_autograder` (grader/report/templates/gradescope_*);
- micrograder's wheel, built here from this checkout (`pip wheel --no-deps`);
- `course/`: the course folders grading reads at run time (grader/paths.py, COURSE_FOLDERS),
  which live outside the package; run_autograder points MICROGRADER_ROOT at them;
- `micrograder-autograder.json`: what was fixed at export time (the course seed, the lessons,
  the sandbox policy), read by grader/report/gradescope_run.py.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from grader import paths
from grader.lessons import Lesson

CONFIG = "micrograder-autograder.json"
CONFIG_SCHEMA = "micrograder-gradescope/1"
COURSE = "course"
TEMPLATES = Path(__file__).parent / "templates"
SCRIPTS = {"setup.sh": "gradescope_setup.sh", "run_autograder": "gradescope_run_autograder"}
WHEEL_SOURCES = ("pyproject.toml", "README.md", "grader")  # what `pip wheel` needs
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # the same course and seed export the same bytes
SOURCE_DATE_EPOCH = 946684800  # FIXED_TIME for the wheel's own entries


class ExportError(Exception):
    """A problem the user can fix; its message says how."""


@dataclass(frozen=True)
class AutograderConfig:
    seed: int  # the course seed; each student's seed is derived from it and their id
    lessons: list[str]
    require_sandbox: bool = False
    schema: str = CONFIG_SCHEMA


def export_autograder(
    dest: Path, lessons: list[Lesson], seed: int | None = None, require_sandbox: bool = False
) -> str:
    """Write the autograder zip to `dest`; returns the line to show."""
    config = AutograderConfig(
        seed=secrets.randbelow(2**31) if seed is None else seed,
        lessons=[lesson.id for lesson in lessons],
        require_sandbox=require_sandbox,
    )
    with tempfile.TemporaryDirectory(prefix="micrograder-export-") as tmp:
        wheel = build_wheel(Path(tmp))
        entries = {**script_entries(), wheel.name: wheel.read_bytes(), **course_entries()}
        entries[CONFIG] = json.dumps(asdict(config), indent=2).encode() + b"\n"
        write_zip(dest, entries)
    names = ", ".join(config.lessons)
    return (
        f"wrote {dest}: Gradescope autograder for lessons {names}, course seed {config.seed} "
        f"({len(entries)} files); upload it as the assignment's autograder (docs/gradescope.md)"
    )


def build_wheel(tmp: Path) -> Path:
    """micrograder's wheel, built from a copy of the package's sources so the checkout is left
    without build/ or egg-info folders."""
    source, out = tmp / "src", tmp / "wheel"
    source.mkdir()
    for name in WHEEL_SOURCES:
        origin = paths.CHECKOUT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=SKIPPED)
        else:
            shutil.copy2(origin, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)}  # no build time inside
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wheels = sorted(out.glob("micrograder-*.whl")) if done.returncode == 0 else []
    if len(wheels) != 1:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise ExportError(f"pip could not build micrograder's wheel ({tail or 'no wheel'})")
    return wheels[0]


def script_entries() -> dict[str, bytes]:
    return {name: (TEMPLATES / template).read_bytes() for name, template in SCRIPTS.items()}


def course_entries() -> dict[str, bytes]:
    """`course/<folder>/...` for every course folder grading reads, caches and dot files left
    out."""
    entries = {}
    for folder in paths.COURSE_FOLDERS:
        top = paths.ROOT / folder
        if not top.is_dir():
            raise ExportError(f"{top} not found; run `micrograder generate` or restore it")
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(paths.ROOT)
            if path.is_file() and not any(_skipped(part) for part in relative.parts):
                entries[f"{COURSE}/{relative.as_posix()}"] = path.read_bytes()
    return entries


def _skipped(part: str) -> bool:
    return part.startswith(".") or part == "__pycache__" or part.endswith(".pyc")


def write_zip(dest: Path, entries: dict[str, bytes]) -> None:
    """The zip, with the scripts executable (Gradescope runs them as they are unpacked)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".tmp")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            mode = 0o755 if name in SCRIPTS else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    partial.replace(dest)
