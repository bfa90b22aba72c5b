"""Find the submissions in a folder and make a private, size-capped copy of each one.

A submission is an entry of SUBMISSIONS_DIR; its name is the student id:
- a folder `<id>/` holding `micrograd/` (or the modules themselves, e.g. `<id>/engine.py`),
- a zip `<id>.zip` of one of those (also accepted: one wrapping folder inside the zip).
Notebooks count too (grader/intake/notebooks.py): a folder or zip of lesson notebooks, or a
single `<id>.ipynb`. Loose `.py`/`.ipynb`/`.zip` files named like an LMS bulk download
(`smith_12345_67890_engine.py`, `12345-value.ipynb`) are grouped by the student id that
`--id-pattern` finds in their names (grader/intake/lms.py). An nbgrader course folder is read
through its `submitted/` folder (grader/intake/nbgrader_course.py).
Hidden entries (`.name`) and other regular files are ignored; symlinks, FIFOs, sockets and
devices get a row saying why they were not read. Student files are only copied and hashed here,
never imported.

Intake is bounded (docs/grading.md, "Limits"): one Budget per submission counts files,
folders, bytes and folder depth across ALL of its folders, zips and loose files before anything
is extracted or parsed, and a deadline bounds the time it may take. Walks are iterative
(os.walk recurses in Python 3.11) and never follow symlinks.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.intake import lms, nbgrader_course
from grader.lessons import course
from grader.names import error_line, printable, visible

# Caps for one submission, counted across all its folders, zips and files (micrograd is a
# handful of small files; a notebook a few hundred kB).
MAX_FILES = 500
MAX_FOLDERS = 200
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 16  # folder levels below the submission (zip entries too)
PREPARE_SECONDS = 60.0  # reading, hashing and staging one submission
# How many single wrapping folders (e.g. zip -> dave/ -> micrograd/) we look through.
MAX_WRAPPERS = 3
# Build debris that is never graded (and must not shadow the copied sources).
SKIPPED_NAMES = {"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".DS_Store"}
HASH_BLOCK = 1 << 20


class InvalidSubmission(Exception):
    """Nothing gradable in a submission; the message is the one-line reason."""


@dataclass(frozen=True)
class Submission:
    id: str
    source: Path  # the folder or zip inside SUBMISSIONS_DIR
    kind: str  # "folder", "zip", "files" (loose files: an LMS download or one .ipynb), "other"
    problem: str = ""  # set when discovery already knows the submission is invalid
    files: tuple[tuple[str, Path], ...] = ()  # kind "files": (the file's own name, path)


# ---------------------------------------------------------------- the budget of one submission


class Budget:
    """What one submission may still use while it is read. Shared by all its folders, zips and
    files, so 40 small zips add up; `written` counts the bytes really staged (a zip's directory
    can lie about sizes)."""

    def __init__(self, where: str, seconds: float | None = None):
        self.where = where
        self.files = self.folders = self.bytes = self.written = 0
        self.deadline = time.monotonic() + (PREPARE_SECONDS if seconds is None else seconds)

    def _refuse(self, what: str) -> None:
        raise InvalidSubmission(
            f"{self.where} {what} (limits per submission: {MAX_FILES} files, {MAX_FOLDERS} "
            f"folders, {MAX_BYTES // 2**20} MB, {MAX_DEPTH} folder levels); submit only "
            "micrograd/ and the lesson notebooks"
        )

    def add_file(self, size: int, depth: int = 1) -> None:
        self.files += 1
        self.bytes += max(size, 0)
        self.check_depth(depth)
        if self.files > MAX_FILES:
            self._refuse(f"holds more than {MAX_FILES} files")
        if self.bytes > MAX_BYTES:
            self._refuse(f"holds more than {MAX_BYTES // 2**20} MB")

    def add_folder(self, depth: int) -> None:
        self.folders += 1
        self.check_depth(depth)
        if self.folders > MAX_FOLDERS:
            self._refuse(f"holds more than {MAX_FOLDERS} folders")

    def check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._refuse(f"nests folders more than {MAX_DEPTH} levels deep")

    def add_written(self, size: int) -> None:
        """Bytes really read or written (hashing, copying, unzipping)."""
        self.written += size
        if self.written > MAX_BYTES:
            self._refuse(f"holds or unpacks to more than {MAX_BYTES // 2**20} MB")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise InvalidSubmission(
                f"{self.where} took longer than {PREPARE_SECONDS:.0f} s to "
                "read; submit only micrograd/ and the lesson notebooks"
            )


# ---------------------------------------------------------------- walking a folder


@dataclass(frozen=True)
class Entry:
    path: Path
    rel: str  # relative to the walked root, '/'-separated
    regular: bool  # a regular file; otherwise a symlink, FIFO, socket or device (never opened)
    size: int


def walk(root: Path, budget: Budget | None = None) -> list[Entry]:
    """Every visible non-folder entry under root, sorted by path. Iterative (a 10,000-deep
    chain costs no recursion), never through symlinks; the budget counts files, folders,
    bytes and depth as it goes and stops the walk at the first limit."""
    budget = budget or Budget(root.name + "/")
    found: list[Entry] = []
    stack: list[tuple[Path, str, int]] = [(Path(root), "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        budget.check_time()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:  # unreadable folder (permissions, a path past PATH_MAX)
            raise InvalidSubmission(
                f"{budget.where}{printable(prefix)} cannot be read "
                f"({exc.strerror or type(exc).__name__})"
            ) from None
        for item in entries:
            if not _visible_name(item.name):
                continue
            rel = prefix + item.name
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:  # vanished since it was listed: nothing to grade there
                continue
            if stat.S_ISDIR(info.st_mode):
                budget.add_folder(depth + 1)
                stack.append((Path(item.path), rel + "/", depth + 1))
            elif stat.S_ISREG(info.st_mode):
                if item.name.endswith(".pyc"):
                    continue
                budget.add_file(info.st_size, depth + 1)
                found.append(Entry(Path(item.path), rel, True, info.st_size))
            else:
                budget.add_file(0, depth + 1)
                found.append(Entry(Path(item.path), rel, False, 0))
    return sorted(found, key=lambda e: e.rel.encode("utf-8", "surrogateescape"))


def _visible_name(name: str) -> bool:
    return not name.startswith(".") and name not in SKIPPED_NAMES


def open_regular(path: Path):
    """Open a file for reading only if it is a regular file: never a FIFO (which would block),
    a device or a symlink, even one swapped in after it was listed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_regular(Path(path))
    return os.fdopen(fd, "rb")


def not_regular(path: Path) -> InvalidSubmission:
    return InvalidSubmission(
        f"{printable(path.name)} is not a regular file (a symbolic link, "
        "FIFO or device); the grader does not read it"
    )


def _special_note(entry: Entry, where: str) -> str:
    return (
        f"{where}{printable(entry.rel)} is not a regular file (a symbolic link, FIFO or "
        "device); it was not read"
    )


# ---------------------------------------------------------------- finding the submissions


def discover(submissions_dir: Path, id_pattern: str | None = None) -> list[Submission]:
    """All submissions in SUBMISSIONS_DIR, sorted by id. Every entry that could be a submission
    gets one, even one that cannot be read (its `problem` says why). Raises lms.PatternError
    for a bad `id_pattern` (default: Canvas, Moodle, `<id>-<file>`)."""
    pattern = lms.compile_pattern(id_pattern)
    base = nbgrader_course.submitted_dir(submissions_dir) or Path(submissions_dir)
    found: dict[str, list[Submission]] = {}
    loose = []
    with os.scandir(base) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        if not _visible_name(entry.name):
            continue
        try:
            sub = _classify(Path(entry.path))
        except Exception as exc:  # one entry we cannot even look at still gets its row
            sub = Submission(
                entry.name,
                Path(entry.path),
                "other",
                problem=f"{printable(entry.name)} cannot be read ({error_line(exc)})",
            )
        if isinstance(sub, Path):
            loose.append(sub)
        elif sub is not None:
            found.setdefault(sub.id, []).append(sub)
    for sub in _loose_submissions(loose, pattern):
        found.setdefault(sub.id, []).append(sub)
    return [_checked(sub_id, entries) for sub_id, entries in sorted(found.items())]


def _classify(path: Path) -> Submission | Path | None:
    """A Submission, a loose file to group by its LMS name (a Path), or None (ignored)."""
    mode = path.lstat().st_mode
    submitted = path.suffix.lower() in lms.SUBMITTED_SUFFIXES
    if stat.S_ISDIR(mode):
        return Submission(path.name, path, "folder")
    if submitted:  # regular or not: staging refuses anything but a regular file, in the row
        return path
    if stat.S_ISREG(mode):
        return None  # an LMS index, notes.txt, ...
    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file or folder"
    return Submission(
        path.name,
        path,
        "other",
        problem=(
            f"{printable(path.name)} is {what}; the grader never follows links or reads special "
            "files: put the student's real folder or file here"
        ),
    )


def _checked(sub_id: str, entries: list[Submission]) -> Submission:
    """One submission per id: two sources of one id, or an id that is no plain name, become a
    row that says so."""
    first = entries[0]
    if len(entries) > 1:
        names = " and ".join(
            printable(e.source.name) + ("/" if e.kind == "folder" else "") for e in entries
        )
        return Submission(
            sub_id, first.source, first.kind, problem=f"both {names} exist; keep only one"
        )
    problem = id_problem(sub_id)
    if problem and not first.problem:
        return Submission(sub_id, first.source, first.kind, problem=problem, files=first.files)
    return first


def id_problem(sub_id: str) -> str:
    """Why an id cannot be a student id ('' when it can): it must be a plain name."""
    if not sub_id.strip():
        return "the submission's name is empty or blank; rename it after the student"
    if sub_id in (".", ".."):
        return f"{sub_id!r} is not a student id; rename the submission after the student"
    if "/" in sub_id or "\0" in sub_id:
        return f"the id '{visible(sub_id)}' is not a plain name; check --id-pattern"
    return ""


def _loose_submissions(paths: list[Path], pattern: lms.Patterns) -> list[Submission]:
    """Loose files: grouped by the id in their names; else `<id>.zip` / `<id>.ipynb`."""
    groups, unmatched, ambiguous = lms.group_files(paths, pattern)
    subs = []
    for sub_id, files in groups.items():
        if len(files) == 1 and files[0][1].suffix.lower() == ".zip":
            subs.append(Submission(sub_id, files[0][1], "zip"))
        else:
            subs.append(Submission(sub_id, files[0][1], "files", files=tuple(files)))
    for path, reason in ambiguous:
        subs.append(Submission(path.stem, path, "files", problem=reason))
    for path in unmatched:
        if path.suffix.lower() == ".zip":
            subs.append(Submission(path.stem, path, "zip"))
        elif path.suffix.lower() == ".ipynb":
            subs.append(Submission(path.stem, path, "files", files=((path.name, path),)))
        else:
            subs.append(
                Submission(
                    path.stem,
                    path,
                    "files",
                    problem=(
                        f"{printable(path.name)} lies loose in the submissions folder and its "
                        "name holds no student id; put it in a folder named after the student, "
                        "or pass --id-pattern"
                    ),
                )
            )
    return subs


# ---------------------------------------------------------------- resume fingerprint


def fingerprint(sub: Submission) -> str:
    """A digest of every name and every byte the submission is graded from, so a resumed run
    regrades any change. Fails closed: raises InvalidSubmission (over a limit) or OSError
    (unreadable) instead of returning a digest that covers less."""
    digest = hashlib.sha256(f"{sub.kind}\0{sub.problem}\0".encode("utf-8", "surrogateescape"))
    budget = Budget(_where(sub))
    if sub.kind == "files":
        for name, path in sub.files:
            _hash_file(digest, f"{name}\0{path.name}", path, budget)
    elif sub.kind == "zip":
        _hash_file(digest, sub.source.name, sub.source, budget)
    elif sub.kind == "folder":
        for entry in walk(sub.source, budget):
            if entry.regular:
                _hash_file(digest, entry.rel, entry.path, budget)
            else:
                digest.update(b"special\0" + _bytes(entry.rel) + b"\0")
    return digest.hexdigest()


def _hash_file(digest, name: str, path: Path, budget: Budget) -> None:
    """Name, bytes and length of one file; past the byte cap the budget refuses (a digest of
    the first 20 MB would miss a change after them)."""
    digest.update(b"file\0" + _bytes(name) + b"\0")
    size = 0
    with open_regular(path) as handle:
        while block := handle.read(HASH_BLOCK):
            budget.add_written(len(block))
            size += len(block)
            digest.update(block)
    digest.update(b"\0" + str(size).encode() + b"\0")


def _bytes(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def _where(sub: Submission) -> str:
    if sub.kind == "folder":
        return printable(sub.source.name) + "/"
    if sub.kind == "files" and len(sub.files) != 1:
        return f"the files of {visible(sub.id)}"
    return printable(sub.source.name)


# ---------------------------------------------------------------- staging


def prepare(sub: Submission, workdir: Path, notes: list[str] | None = None) -> Path:
    """Copy the submission's package into workdir and return the copy (a folder named
    `micrograd`). Raises InvalidSubmission with a one-line reason if nothing is gradable or a
    limit is passed. Lesson notebooks are turned into modules; what happened on the way (a
    notebook cell matched by its signature, a magic commented out, ...) is appended to
    `notes`."""
    from grader.intake import notebooks  # it reads the lesson list; keep discovery light

    if sub.problem:
        raise InvalidSubmission(sub.problem)
    notes = [] if notes is None else notes
    workdir = Path(workdir)
    where = _where(sub)
    budget = Budget(where)
    if sub.kind == "zip":
        root = workdir / "unzipped"
        extract_zip(sub.source, root, budget)
    elif sub.kind == "files":
        root = workdir / "files"
        notes.extend(stage_files(sub.id, list(sub.files), root, budget))
    elif sub.kind == "folder":
        root = sub.source
        # Everything is counted before anything is read: the whole folder, not just micrograd/.
        notes.extend(_special_note(e, where) for e in walk(root, budget) if not e.regular)
    else:
        raise InvalidSubmission(f"{where} is not a folder, zip or notebook")
    if not any(_visible_name(p.name) for p in root.iterdir()):
        raise InvalidSubmission(
            f"{where} is empty; expected {visible(sub.id)}/micrograd/engine.py etc."
        )
    package = find_package(root)
    found_notebooks = notebooks.find_notebooks(root)
    if package is None and not found_notebooks:
        raise InvalidSubmission(
            f"{where} has no micrograd/ package "
            f"(expected {visible(sub.id)}/micrograd/engine.py etc.)"
        )
    dest = workdir / "package" / "micrograd"
    if package is not None:
        notes.extend(copy_sources(package, dest, Budget(where)))
    if found_notebooks:
        try:
            notes.extend(
                notebooks.add_to_package(
                    root,
                    found_notebooks,
                    dest,
                    has_package=package is not None,
                    check_time=budget.check_time,
                )
            )
        except notebooks.UnreadableNotebook as exc:
            raise InvalidSubmission(str(exc)) from None
    if not dest.is_dir() or not any(p.suffix == ".py" for p in dest.iterdir()):
        rel = package.relative_to(root).as_posix() if package is not None else "."
        raise InvalidSubmission(
            f"{where}{'' if rel == '.' else printable(rel) + '/'} holds no Python modules"
        )
    return dest


def stage_files(
    sub_id: str, files: list[tuple[str, Path]], dest: Path, budget: Budget
) -> list[str]:
    """Put one student's loose files into dest under their own names, zips extracted there.
    Every file and every zip entry is counted against the budget before anything is written.
    Returns notes."""
    chosen, notes = lms.choose_files(files)
    conflict = lms.package_conflict(sub_id, chosen)
    if conflict:
        raise InvalidSubmission(conflict)
    zips = {}
    for name, path in sorted(chosen.items()):
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise not_regular(path)
        if name.lower().endswith(".zip"):
            zips[name] = read_zip_directory(path, budget)
        else:
            budget.add_file(info.st_size)
    dest.mkdir(parents=True, exist_ok=True)
    for name, path in sorted(chosen.items()):
        if name in zips:
            _extract(path, zips[name], dest, budget)
        else:
            _copy_file(path, dest / name, budget)
    return notes


def find_package(root: Path) -> Path | None:
    """The folder holding the student's modules: root/micrograd, or root itself when the
    modules lie directly in it, looking through single wrapping folders (zip -> dave/ -> ...)."""
    known = course().module_files
    folder = root
    for _ in range(MAX_WRAPPERS + 1):
        if (folder / "micrograd").is_dir() and not (folder / "micrograd").is_symlink():
            return folder / "micrograd"
        if any((folder / name).is_file() and not (folder / name).is_symlink() for name in known):
            return folder
        children = [p for p in folder.iterdir() if _visible_name(p.name)]
        if len(children) != 1 or not children[0].is_dir() or children[0].is_symlink():
            return None
        folder = children[0]
    return None


def copy_sources(src: Path, dest: Path, budget: Budget | None = None) -> list[str]:
    """Copy regular files only (symlinks could point at the hidden suites or the reference
    solution; compiled .pyc files could disagree with the sources we check), within the caps.
    A name that is not valid UTF-8 can never be imported, so it is left out too. Returns
    notes on what was left out."""
    budget = budget or Budget(printable(src.name) + "/")
    notes = []
    for entry in walk(src, budget):
        if not entry.regular:  # prepare's first walk of the submission noted it already
            continue
        if not _is_utf8(entry.rel):
            notes.append(
                f"micrograd/{printable(entry.rel)}: the name is not valid UTF-8; not graded"
            )
            continue
        _copy_file(entry.path, dest.joinpath(*entry.rel.split("/")), budget)
    return notes


def _copy_file(src: Path, target: Path, budget: Budget) -> None:
    if target.exists():  # two uploads with one name: never resolved silently by order
        raise InvalidSubmission(
            f"two files of this submission are both {printable(target.name)}; keep only one"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_regular(src) as handle, open(target, "wb") as out:
        while block := handle.read(1 << 16):
            budget.add_written(len(block))
            out.write(block)


def staged_bytes(root: Path) -> int:
    """Bytes under a staging folder (the grader's own copy; iterative, never through links)."""
    total, stack = 0, [Path(root)]
    while stack:
        with os.scandir(stack.pop()) as scan:
            for item in scan:
                info = item.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    stack.append(Path(item.path))
                else:
                    total += info.st_size
    return total


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# ---------------------------------------------------------------- zips


# What reading a damaged or hostile zip can raise (RuntimeError: an encrypted entry;
# NotImplementedError: an unknown compression; struct.error: a truncated header).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    struct.error,
)


def extract_zip(zip_path: Path, dest: Path, budget: Budget | None = None) -> None:
    """Extract a student's zip safely: every entry is checked and counted before anything is
    written; absolute paths, `..` parts, symlinks, too many files, folders, levels or bytes
    make it invalid."""
    budget = budget or Budget(printable(Path(zip_path).name))
    _extract(zip_path, read_zip_directory(zip_path, budget), dest, budget)


def read_zip_directory(zip_path: Path, budget: Budget) -> list[zipfile.ZipInfo]:
    """The zip's entries, checked and counted against the budget. The entry count is read from
    the end record first, so a zip claiming millions of entries is refused before zipfile
    builds an object for each."""
    name = printable(Path(zip_path).name)
    if not stat.S_ISREG(os.lstat(zip_path).st_mode):
        raise not_regular(Path(zip_path))
    try:
        if Path(zip_path).stat().st_size > MAX_BYTES:
            raise InvalidSubmission(f"{name} is more than {MAX_BYTES // 2**20} MB (zipped)")
        count = _zip_entry_count(zip_path)
        if count is not None and count > MAX_FILES + MAX_FOLDERS:
            raise InvalidSubmission(f"{name} has more than {MAX_FILES} entries")
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise InvalidSubmission(f"{name} is not a readable zip file ({error_line(exc)})") from None
    if len(infos) > MAX_FILES + MAX_FOLDERS or sum(not i.is_dir() for i in infos) > MAX_FILES:
        raise InvalidSubmission(f"{name} has more than {MAX_FILES} entries")
    for info in infos:
        _check_entry(name, info)
        depth = len(PurePosixPath(info.filename).parts)
        if info.is_dir():
            budget.add_folder(depth)
        else:
            budget.add_file(info.file_size, depth)
    return infos


def _zip_entry_count(zip_path: Path) -> int | None:
    """Entries announced by the zip's end-of-central-directory record (None if not found;
    zipfile then reports the damage)."""
    with open_regular(zip_path) as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - (1 << 16) - 22))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    total = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return None if total == 0xFFFF else total  # 0xFFFF: zip64, counted by len(infos) after


def _extract(zip_path: Path, infos: list[zipfile.ZipInfo], dest: Path, budget: Budget) -> None:
    name = printable(Path(zip_path).name)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path) as archive:
            for info in infos:
                target = dest.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if target.exists():
                    raise InvalidSubmission(
                        f"{name} and another upload both hold "
                        f"{printable(info.filename)}; keep only one"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                # The sizes in the zip directory can lie; count the bytes really written.
                with archive.open(info) as src, open(target, "wb") as out:
                    while block := src.read(1 << 16):
                        budget.add_written(len(block))
                        out.write(block)
    except ZIP_ERRORS as exc:
        raise InvalidSubmission(f"{name} is not a readable zip file ({error_line(exc)})") from None


def _check_entry(name: str, info: zipfile.ZipInfo) -> None:
    entry = info.filename
    parts = PurePosixPath(entry).parts
    if entry.startswith("/") or "\\" in entry or ".." in parts or ":" in entry or "\0" in entry:
        raise InvalidSubmission(
            f"{name} has an unsafe entry '{printable(entry)}' (absolute path or '..'); "
            "zip the micrograd folder itself"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidSubmission(
            f"{name} has a symbolic link '{printable(entry)}'; zip real files only"
        )
