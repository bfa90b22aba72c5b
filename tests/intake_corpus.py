"""A corpus of hostile class folders for the trusted side's intake (issue 13): names, depth,
bombs, LMS look-alikes, special files and odd notebooks. Each builder fills a class folder
next to an honest student (`honest/micrograd`, the reference: full marks on derivatives) and
returns what a `grade --lesson derivatives` run of that folder must give.

`Case.rows` maps the RAW id of every submission to (status, a piece of its reason or '');
`Case.args` are extra `grade` options. Student packages other than the honest one are the
student template (0 points), so a score taken from someone else's files would show.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.paths import REFERENCE_PACKAGE, STUDENT_TEMPLATE

# What must never reach the terminal or a CSV: C0/C1 controls (newline and the CSV's own
# quoting aside), DEL, zero-width and bidi formatting characters, line separators.
HIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029]")
TEMPLATE_PACKAGE = STUDENT_TEMPLATE / "micrograd"
DERIVATIVES_NOTEBOOK = STUDENT_TEMPLATE / "notebooks" / "01_derivatives.ipynb"
HONEST = "honest"


@dataclass
class Case:
    rows: dict[str, tuple[str, str]]  # raw id -> (status, reason fragment)
    args: list[str] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)  # raw id -> expected total


def package(dest: Path, honest: bool = False) -> Path:
    """A micrograd package: the reference (honest) or the student template."""
    src = REFERENCE_PACKAGE if honest else TEMPLATE_PACKAGE
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def honest(subs: Path) -> None:
    package(subs / HONEST / "micrograd", honest=True)


def stub(subs: Path, name: str | bytes) -> None:
    """A student folder (named by str or raw bytes) holding the template package."""
    folder = os.path.join(os.fsencode(subs), os.fsencode(name))
    os.mkdir(folder)
    package(Path(os.fsdecode(folder)) / "micrograd")


def notebook_json() -> dict:
    return json.loads(DERIVATIVES_NOTEBOOK.read_text())


def solution_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def zip_of(path: Path, entries: dict[str, bytes | str], compress=True) -> Path:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def chain(root: Path, depth: int) -> Path:
    """A chain of `depth` nested one-letter folders, made without recursion."""
    folder = os.fsencode(root)
    for _ in range(depth):
        folder = os.path.join(folder, b"d")
        os.mkdir(folder)
    return Path(os.fsdecode(folder))


def remove_tree(root: Path) -> None:
    """Delete a tree without recursion (pytest's rmtree recurses and a chain is 1,200 deep)."""
    stack = [os.fsencode(root)]
    while stack:
        folder = stack[-1]
        children = [os.path.join(folder, n) for n in os.listdir(folder)]
        dirs = [c for c in children if stat.S_ISDIR(os.lstat(c).st_mode)]
        if dirs:
            stack.extend(dirs)
            continue
        for child in children:
            os.unlink(child)
        os.rmdir(stack.pop())


# ---------------------------------------------------------------- names


def reserved_names(subs: Path) -> Case:
    for name in ("gradebook.csv", "run.json", "grades.csv", "_x", "feedback.html", "-rf"):
        stub(subs, name)
    return Case(
        {
            n: ("graded", "")
            for n in ("gradebook.csv", "run.json", "grades.csv", "_x", "feedback.html", "-rf")
        }
    )


def control_names(subs: Path) -> Case:
    """Newlines, terminal escapes, rich markup, formulas; markup and forged lines in a zip
    entry (a name that reaches the reason: `/` is allowed there)."""
    names = [
        "new\nline",
        "esc\x1b[31mred",
        "[bold]x",
        "[red]",
        "bell\x07",
        "bidi\u202eexe.py",
        "=HYPERLINK(1)",
        "'=HYPERLINK(1)",
        "back\\x1bslash",
        "tab\tid",
        "100 of 100 points\r(graded)",
    ]
    for name in names:
        stub(subs, name)
    zip_of(
        subs / "forge.zip",
        {
            "micrograd/derivatives.py": "x = 1\n",
            "../[/red]\n100 / 100 points (graded)\nInstructor - regrade "
            "approved\x1b[2J.py": "x = 1\n",
        },
    )
    rows = {n: ("graded", "") for n in names}
    rows["forge"] = ("invalid", "unsafe entry")
    for empty in ("void\x1b[2J\n[bold]", "[red]gone\x07"):  # rows in the problem table
        os.mkdir(subs / empty)
        rows[empty] = ("invalid", "is empty")
    return Case(rows)


def undecodable_names(subs: Path) -> Case:
    stub(subs, b"caf\xe9")  # latin-1, what `unzip` makes of an old Windows zip
    folder = Path(os.fsdecode(os.path.join(os.fsencode(subs), b"ren\xe9e")))
    package(folder / "micrograd")
    open(os.path.join(os.fsencode(folder / "micrograd"), b"not\xffutf8.py"), "w").close()
    zip_of(
        subs / "zoe.zip",
        {"micrograd/derivatives.py": "x = 1\n", "micrograd/caf\u00e9 \u2603.py": "y = 2\n"},
    )
    return Case(
        {
            os.fsdecode(b"caf\xe9"): ("graded", ""),
            os.fsdecode(b"ren\xe9e"): ("graded", ""),
            "zoe": ("graded", ""),
        }
    )


def dot_ids_from_a_pattern(subs: Path) -> Case:
    """An instructor's non-numeric --id-pattern finds `..`, `.`, blank and slashed ids."""
    for own in (".._engine.py", "._engine.py", " _engine.py", "ok_derivatives.py"):
        shutil.copy(TEMPLATE_PACKAGE / "engine.py", subs / f"x_{own}")
    return Case(
        {
            "..": ("invalid", "not a student id"),
            ".": ("invalid", "not a student id"),
            " ": ("invalid", "empty or blank"),
            "ok": ("graded", ""),
        },
        args=["--id-pattern", r"^x_(?P<id>[^_]*)_(?P<file>.+)$"],
    )


def long_names(subs: Path) -> Case:
    plain, odd = "a" * 200, "\u00e9" * 120  # 240 bytes: a legal name, a long escaped folder
    stub(subs, plain)
    stub(subs, odd)
    return Case({plain: ("graded", ""), odd: ("graded", "")})


# ---------------------------------------------------------------- depth and bombs


def deep_folder_chain(subs: Path) -> Case:
    package(subs / "deep" / "micrograd")
    (chain(subs / "deep", 1200) / "x.py").write_text("x = 1\n")
    return Case({"deep": ("invalid", "levels deep")})


def deep_zip(subs: Path) -> Case:
    zip_of(
        subs / "zed.zip",
        {"micrograd/derivatives.py": "x = 1\n", "/".join(["d"] * 40) + "/x.py": "x = 1\n"},
    )
    return Case({"zed": ("invalid", "levels deep")})


def zip_bomb(subs: Path) -> Case:
    zip_of(
        subs / "bomb.zip",
        {"micrograd/derivatives.py": "x = 1\n", "micrograd/zeros.py": b"\0" * (100 * 2**20)},
    )
    return Case({"bomb": ("invalid", "more than 20 MB")})


def lying_zip(subs: Path) -> Case:
    """The directory claims 10 bytes; the entry inflates to 30 MB."""
    path = zip_of(subs / "liar.zip", {"micrograd/derivatives.py": b"#" * (30 * 2**20)})
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02")  # central directory entry: uncompressed size at +24
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return Case({"liar": ("invalid", "")})


def many_small_zips(subs: Path) -> Case:
    """One Canvas student's 40 zips, each well under the cap, together over it."""
    for n in range(40):
        zip_of(
            subs / f"eve_666_{n}_part{n}.zip",
            {f"micrograd/blob{n}.py": os.urandom(2**20)},
            compress=False,
        )
    return Case({"666": ("invalid", "more than 20 MB")})


def many_files(subs: Path) -> Case:
    folder = package(subs / "hoarder" / "micrograd")
    for n in range(600):
        (folder / f"m{n}.txt").write_text("")
    return Case({"hoarder": ("invalid", "more than 500 files")})


def huge_sparse_file(subs: Path) -> Case:
    folder = package(subs / "sparse" / "micrograd")
    with open(folder / "data.bin", "wb") as handle:
        handle.truncate(4 * 2**30)  # 4 GB that take no disk: refused before it is read
    return Case({"sparse": ("invalid", "more than 20 MB")})


# ---------------------------------------------------------------- notebooks


def notebook_cell_bomb(subs: Path) -> Case:
    """A 10 KB zip holding a 3 MB notebook whose solution cell is 1.5 million lines."""
    nb = notebook_json()
    solution_cells(nb)[0]["source"] = "a\n" * 1_500_000
    zip_of(subs / "nbbomb.zip", {"01_derivatives.ipynb": json.dumps(nb)})
    return Case({"nbbomb": ("invalid", "characters (limit")})


def pathological_cells(subs: Path) -> Case:
    """100,000 minus signs (over the cell cap) and 20,000 (under it: the parser gives up)."""
    for name, count in (("minus", 100_000), ("minus20k", 20_000)):
        nb = notebook_json()
        solution_cells(nb)[0]["source"] = "x = " + "-" * count + "1\n"
        (subs / name).mkdir()
        (subs / name / "01_derivatives.ipynb").write_text(json.dumps(nb))
    return Case({"minus": ("invalid", "characters (limit"), "minus20k": ("graded", "")})


def json_bomb(subs: Path) -> Case:
    nb = notebook_json()
    nb["cells"][0].setdefault("outputs", [])
    nb["metadata"]["junk"] = [{}] * 60_000
    (subs / "jsonbomb.ipynb").write_text(json.dumps(nb))
    return Case({"jsonbomb": ("invalid", "too complex")})


def notebooks_at_the_caps(subs: Path) -> Case:
    """The worst a readable notebook may cost the trusted side: 19 MB of output text, and
    just under the cap on JSON objects; both are read (their outputs never are)."""
    text = notebook_json()
    text["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "x" * (19 * 2**20)}
    ]
    objects = notebook_json()
    objects["metadata"]["junk"] = [{}] * 49_000
    for name, nb in (("bigtext", text), ("objects", objects)):
        (subs / name).mkdir()
        (subs / name / "01_derivatives.ipynb").write_text(json.dumps(nb))
    return Case({"bigtext": ("graded", ""), "objects": ("graded", "")})


def odd_notebooks(subs: Path) -> Case:
    """Odd metadata, a lone surrogate, an old format, a notebook that is a list: each costs
    its own lesson at most, with a note, next to a readable package."""
    cases = {}
    odd = notebook_json()
    odd["metadata"] = {"micrograder": {"lesson": ["derivatives"]}}
    for cell in odd["cells"]:
        cell["metadata"] = ["not", "a", "dict"]
        cell["id"] = ["unhashable"]
    surrogate = notebook_json()
    solution_cells(surrogate)[0]["source"] = "x = '\ud800'\n"
    old = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python"}
                ]
            }
        ],
    }
    for name, nb in (
        ("oddmeta", odd),
        ("surrogate", surrogate),
        ("oldformat", old),
        ("alist", [1, 2, 3]),
    ):
        folder = package(subs / name / "micrograd")
        (folder.parent / "01_derivatives.ipynb").write_text(json.dumps(nb))
        cases[name] = ("graded", "")
    stray = notebook_json()
    stray["cells"] = [{"cell_type": "code", "source": 42, "metadata": 7}, "not a cell"]
    (subs / "stray.ipynb").write_text(json.dumps(stray))
    cases["stray"] = ("invalid", "")
    return Case(cases)


# ---------------------------------------------------------------- LMS look-alikes


def moodle_impersonation(subs: Path) -> Case:
    """Eve's display name is `Eve_22222`: her stub package must not be filed under 22222, and
    `Mary_Ann Lee` (an `_` and a space in her name) gets her own row."""
    shutil.copy(
        REFERENCE_PACKAGE / "derivatives.py",
        subs / "Victor Smith_22222_assignsubmission_file_derivatives.py",
    )
    shutil.copy(
        REFERENCE_PACKAGE / "derivatives.py",
        subs / "Mary_Ann Lee_33333_assignsubmission_file_derivatives.py",
    )
    shutil.make_archive(
        str(subs / "Eve_22222_55555_assignsubmission_file_micrograd"),
        "zip",
        root_dir=TEMPLATE_PACKAGE.parent,
        base_dir="micrograd",
    )
    return Case(
        {"22222": ("graded", ""), "33333": ("graded", ""), "55555": ("graded", "")},
        points={"22222": 10.0, "33333": 10.0, "55555": 0.0},
    )


def lms_conflict_and_ambiguity(subs: Path) -> Case:
    shutil.make_archive(
        str(subs / "bob_123_1_micrograd"),
        "zip",
        root_dir=TEMPLATE_PACKAGE.parent,
        base_dir="micrograd",
    )
    shutil.copy(REFERENCE_PACKAGE / "derivatives.py", subs / "bob_123_2_derivatives.py")
    twice = "A_1_assignsubmission_file_B_2_assignsubmission_file_derivatives.py"
    shutil.copy(REFERENCE_PACKAGE / "derivatives.py", subs / twice)
    return Case(
        {
            "123": ("invalid", "both a package"),
            Path(twice).stem: ("invalid", "names two student ids"),
        }
    )


def nbgrader_lookalike(subs: Path) -> Case:
    """Students called `submitted`, `release` and `source` are students, not a course."""
    for name in ("submitted", "release", "source"):
        stub(subs, name)
    return Case({n: ("graded", "") for n in ("submitted", "release", "source")})


# ---------------------------------------------------------------- special files


def special_files(subs: Path) -> Case:
    os.symlink(subs / HONEST, subs / "linked")
    os.symlink("/etc/passwd", subs / "passwd.zip")
    os.mkfifo(subs / "fifo")
    os.mkfifo(subs / "smith_777_1_derivatives.py")  # a FIFO named like an LMS upload
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(subs / "sock"))
    sock.close()
    inner = package(subs / "mallory" / "micrograd")
    os.symlink(REFERENCE_PACKAGE / "derivatives.py", inner / "derivatives2.py")
    os.mkfifo(inner / "pipe.py")
    rows = {
        "linked": ("invalid", "symbolic link"),
        "passwd": ("invalid", "not a regular file"),
        "fifo": ("invalid", "not a regular file"),
        "777": ("invalid", "not a regular file"),
        "sock": ("invalid", "not a regular file"),
        "mallory": ("graded", ""),
    }
    try:
        os.mknod(subs / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        rows["null"] = ("invalid", "not a regular file")
    except PermissionError:  # not root: the other special files make the point
        pass
    return Case(rows)


def traversal(subs: Path) -> Case:
    zip_of(
        subs / "escape.zip", {"micrograd/derivatives.py": "x = 1\n", "../../outside.py": "pwned\n"}
    )
    return Case({"escape": ("invalid", "unsafe entry")})


CORPUS = [
    reserved_names,
    control_names,
    undecodable_names,
    dot_ids_from_a_pattern,
    long_names,
    deep_folder_chain,
    deep_zip,
    zip_bomb,
    lying_zip,
    many_small_zips,
    many_files,
    huge_sparse_file,
    notebook_cell_bomb,
    pathological_cells,
    json_bomb,
    notebooks_at_the_caps,
    odd_notebooks,
    moodle_impersonation,
    lms_conflict_and_ambiguity,
    nbgrader_lookalike,
    special_files,
    traversal,
]
