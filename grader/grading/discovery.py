"""Find the submissions in a folder and make a private, size-capped copy of each one.

A submission is an entry of SUBMISSIONS_DIR; its name is the student id:
- a folder `<id>/` holding `micrograd/` (or the modules themselves, e.g. `<id>/engine.py`),
- a zip `<id>.zip` of one of those (also accepted: one wrapping folder inside the zip).
Notebooks count too (grader/grading/notebooks.py): a folder or zip of lesson notebooks, or a
single `<id>.ipynb`. Loose `.py`/`.ipynb`/`.zip` files named like an LMS bulk download
(`smith_12345_67890_engine.py`, `12345-value.ipynb`) are grouped by the student id that
`--id-pattern` finds in their names (grader/grading/lms.py). An nbgrader course folder is read
through its `submitted/` folder (grader/grading/nbgrader_course.py).
Hidden entries (`.name`) and other files are ignored. Student files are only copied and
hashed here, never imported.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.grading import lms, nbgrader_course
from grader.lessons import load_lessons

# Caps for one submission (folder or zip contents): micrograd is a handful of small files.
MAX_FILES = 500
MAX_BYTES = 20 * 1024 * 1024
# How many single wrapping folders (e.g. zip -> dave/ -> micrograd/) we look through.
MAX_WRAPPERS = 3
# Build debris that is never graded (and must not shadow the copied sources).
SKIPPED_NAMES = {"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


class InvalidSubmission(Exception):
    """Nothing gradable in a submission; the message is the one-line reason."""


@dataclass(frozen=True)
class Submission:
    id: str
    source: Path  # the folder or zip inside SUBMISSIONS_DIR
    kind: str  # "folder", "zip" or "files" (loose files: an LMS download or one .ipynb)
    problem: str = ""  # set when discovery already knows the submission is invalid
    files: tuple[tuple[str, Path], ...] = ()  # kind "files": (the file's own name, path)


def module_names() -> set[str]:
    """File names of the graded modules (engine.py, nn.py, ...), from the lesson definitions."""
    return {f"{m}.py" for lesson in load_lessons() for m in lesson.modules}


def discover(submissions_dir: Path, id_pattern: str | None = None) -> list[Submission]:
    """All submissions in SUBMISSIONS_DIR, sorted by id. Raises lms.PatternError for a bad
    `id_pattern` (default: lms.DEFAULT_ID_PATTERN)."""
    base = nbgrader_course.submitted_dir(submissions_dir) or Path(submissions_dir)
    found: dict[str, list[Submission]] = {}
    loose = []
    for entry in sorted(base.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED_NAMES or entry.is_symlink():
            continue
        if entry.is_dir():
            sub = Submission(entry.name, entry, "folder")
        elif entry.is_file() and entry.suffix.lower() in lms.SUBMITTED_SUFFIXES:
            loose.append(entry)
            continue
        else:
            continue
        found.setdefault(sub.id, []).append(sub)
    for sub in _loose_submissions(loose, lms.compile_pattern(id_pattern)):
        found.setdefault(sub.id, []).append(sub)
    subs = []
    for sub_id, entries in sorted(found.items()):
        if len(entries) > 1:
            names = " and ".join(e.source.name + ("/" if e.kind == "folder" else "") for e in entries)
            subs.append(Submission(sub_id, entries[0].source, entries[0].kind,
                                   problem=f"both {names} exist; keep only one"))
        else:
            subs.append(entries[0])
    return subs


def _loose_submissions(paths: list[Path], pattern) -> list[Submission]:
    """Loose files: grouped by the id in their names; else `<id>.zip` / `<id>.ipynb`."""
    groups, unmatched = lms.group_files(paths, pattern)
    subs = []
    for sub_id, files in groups.items():
        if len(files) == 1 and files[0][1].suffix.lower() == ".zip":
            subs.append(Submission(sub_id, files[0][1], "zip"))
        else:
            subs.append(Submission(sub_id, files[0][1], "files", files=tuple(files)))
    for path in unmatched:
        if path.suffix.lower() == ".zip":
            subs.append(Submission(path.stem, path, "zip"))
        elif path.suffix.lower() == ".ipynb":
            subs.append(Submission(path.stem, path, "files", files=((path.name, path),)))
        else:
            subs.append(Submission(path.stem, path, "files", problem=(
                f"{path.name} lies loose in the submissions folder and its name holds no student "
                "id; put it in a folder named after the student, or pass --id-pattern")))
    return subs


def fingerprint(sub: Submission) -> str:
    """A digest of the submission's files, so a resumed run regrades a changed submission."""
    digest = hashlib.sha256()
    if sub.kind == "files":
        for name, path in sub.files:
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read(MAX_BYTES + 1)).digest())
        return digest.hexdigest()
    if sub.kind == "zip" or sub.source.is_file():
        with open(sub.source, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    budget = MAX_BYTES
    for path in sorted(_regular_files(sub.source)):
        rel = path.relative_to(sub.source).as_posix()
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        with open(path, "rb") as handle:
            data = handle.read(max(budget, 0) + 1)
        budget -= len(data)
        digest.update(hashlib.sha256(data).digest())
        if budget < 0:
            break
    return digest.hexdigest()


def prepare(sub: Submission, workdir: Path, notes: list[str] | None = None) -> Path:
    """Copy the submission's package into workdir and return the copy (a folder named
    `micrograd`). Raises InvalidSubmission with a one-line reason if nothing is gradable.
    Lesson notebooks are turned into modules; what happened on the way (a notebook cell
    matched by its signature, a magic commented out, ...) is appended to `notes`."""
    from grader.grading import notebooks  # it reads the lesson list; keep discovery light

    if sub.problem:
        raise InvalidSubmission(sub.problem)
    notes = [] if notes is None else notes
    workdir = Path(workdir)
    if sub.kind == "zip":
        root = workdir / "unzipped"
        extract_zip(sub.source, root)
        where = sub.source.name
    elif sub.kind == "files":
        root = workdir / "files"
        notes.extend(lms.stage_files(list(sub.files), root, extract_zip))
        where = sub.source.name if len(sub.files) == 1 else f"the files of {sub.id}"
    else:
        root = sub.source
        where = sub.source.name + "/"
    if not any(_visible(p) for p in root.iterdir()):
        raise InvalidSubmission(f"{where} is empty; expected {sub.id}/micrograd/engine.py etc.")
    package = find_package(root)
    found_notebooks = notebooks.find_notebooks(root)
    if package is None and not found_notebooks:
        raise InvalidSubmission(
            f"{where} has no micrograd/ package (expected {sub.id}/micrograd/engine.py etc.)")
    dest = workdir / "package" / "micrograd"
    if package is not None:
        copy_sources(package, dest)
    if found_notebooks:
        try:
            notes.extend(notebooks.add_to_package(root, found_notebooks, dest,
                                                  has_package=package is not None))
        except notebooks.UnreadableNotebook as exc:
            raise InvalidSubmission(str(exc)) from None
    if not any(p.suffix == ".py" for p in dest.iterdir()):
        rel = package.relative_to(root).as_posix()
        raise InvalidSubmission(f"{where}{'' if rel == '.' else rel + '/'} holds no Python modules")
    return dest


def find_package(root: Path) -> Path | None:
    """The folder holding the student's modules: root/micrograd, or root itself when the
    modules lie directly in it, looking through single wrapping folders (zip -> dave/ -> ...)."""
    known = module_names()
    folder = root
    for _ in range(MAX_WRAPPERS + 1):
        if (folder / "micrograd").is_dir() and not (folder / "micrograd").is_symlink():
            return folder / "micrograd"
        if any((folder / name).is_file() for name in known):
            return folder
        children = [p for p in folder.iterdir() if _visible(p)]
        if len(children) != 1 or not children[0].is_dir() or children[0].is_symlink():
            return None
        folder = children[0]
    return None


def copy_sources(src: Path, dest: Path) -> None:
    """Copy regular files only (symlinks could point at the hidden suites or the reference
    solution; compiled .pyc files could disagree with the sources we check), within the caps."""
    files = bytes_total = 0
    for path in _regular_files(src):
        rel = path.relative_to(src)
        files += 1
        bytes_total += path.stat().st_size
        if files > MAX_FILES or bytes_total > MAX_BYTES:
            raise InvalidSubmission(
                f"{src.name}/ is too large (limit {MAX_FILES} files, {MAX_BYTES // 2**20} MB)")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target, follow_symlinks=False)


def extract_zip(zip_path: Path, dest: Path) -> None:
    """Extract a student's zip safely: every entry is checked before anything is written;
    absolute paths, `..` parts, symlinks, too many files or too many bytes make it invalid."""
    name = Path(zip_path).name
    try:
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
            _check_entries(name, infos)
            dest.mkdir(parents=True, exist_ok=True)
            budget = MAX_BYTES
            for info in infos:
                target = dest.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # The sizes in the zip directory can lie; count the bytes really written.
                with archive.open(info) as src, open(target, "wb") as out:
                    while block := src.read(1 << 16):
                        budget -= len(block)
                        if budget < 0:
                            raise InvalidSubmission(
                                f"{name} unpacks to more than {MAX_BYTES // 2**20} MB")
                        out.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError) as exc:
        # RuntimeError: encrypted entry; NotImplementedError: unknown compression.
        raise InvalidSubmission(f"{name} is not a readable zip file ({_one_line(exc)})") from None


def _check_entries(name: str, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_FILES:
        raise InvalidSubmission(f"{name} has more than {MAX_FILES} entries")
    if sum(info.file_size for info in infos) > MAX_BYTES:
        raise InvalidSubmission(f"{name} unpacks to more than {MAX_BYTES // 2**20} MB")
    for info in infos:
        entry = info.filename
        parts = PurePosixPath(entry).parts
        if (entry.startswith("/") or "\\" in entry or ".." in parts or ":" in entry
                or "\0" in entry):
            raise InvalidSubmission(
                f"{name} has an unsafe entry {entry!r} (absolute path or '..'); "
                "zip the micrograd folder itself")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InvalidSubmission(f"{name} has a symbolic link {entry!r}; zip real files only")


def _regular_files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):  # os.walk never follows symlinks
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_NAMES)
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if filename in SKIPPED_NAMES or filename.endswith(".pyc"):
                continue
            if stat.S_ISREG(path.lstat().st_mode):
                yield path


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in SKIPPED_NAMES


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
