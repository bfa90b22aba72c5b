"""Notebook submissions: turn a student's lesson notebooks into `micrograd/<module>.py` files.

Runs on the TRUSTED side and executes nothing: notebooks are parsed with nbformat, never run,
and their outputs are never looked at. Each module is rebuilt from the TEMPLATE notebook
(student_template/notebooks/NN_<lesson>.ipynb, written by `micrograder generate`): its locked
cells (module header, imports) are taken from the template, its solution cells from the student.
The generator guarantees that the module cells of a notebook, joined in order, are the module.

A student cell is matched to a template solution cell by, in this order:
  1. its nbgrader `grade_id` (reordered cells are found; a duplicated cell: the last one counts),
  2. its nbformat cell id (the generator sets it to the grade_id; survives cleared metadata),
  3. the stub's signature: a cell that defines the same top-level def/class,
  4. its position, when the notebook has as many cells as the template.
A solution cell that cannot be found is replaced by the template's stub, so only that part
scores 0. Every departure from the normal path is written down as a one-line note.

IPython magics and shell escapes (`%time`, `!rm -rf ~`, `x = !ls`, a `%%bash` cell) are
commented out, and noted, so they can never run, not even in the sandbox.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from grader.lessons import course
from grader.names import error_line, printable
from grader.paths import STUDENT_TEMPLATE

TEMPLATE_NOTEBOOKS = STUDENT_TEMPLATE / "notebooks"
# A notebook is a few hundred kB at most; outputs can be huge, but we never read them.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
# What the trusted side parses is bounded before it parses it: JSON objects and arrays (each
# costs ~100 bytes of memory for 1 byte of text), cells, and the characters of one code cell
# (a solution cell is a few kB; `ast` needs ~1 kB of memory per character of a pathological
# one, so a 1.5-million-line cell would take gigabytes).
MAX_JSON_CONTAINERS = 50_000
MAX_CELLS = 2_000
MAX_CELL_CHARS = 50_000
PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)  # what `ast` can raise
# A line IPython would run as a magic or shell command: `%...`, `!...` (not `!=`), `x = !ls`.
MAGIC_LINE = re.compile(r"^\s*(?:%|!(?!=)|[A-Za-z_][\w.]*\s*=\s*[!%](?!=))")
DEFINITION = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


class UnreadableNotebook(Exception):
    """The file is not a notebook nbformat can read; the message is the one-line reason."""


@dataclass(frozen=True)
class TemplateCell:
    grade_id: str
    module: str
    source: str
    solution: bool
    position: int  # index among the template notebook's cells
    names: tuple[str, ...]  # top-level def/class names it defines (its stub's signature)


@dataclass(frozen=True)
class TemplateNotebook:
    lesson: str
    filename: str
    cells: tuple[TemplateCell, ...]  # the module cells, in order
    cell_count: int

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell.module for cell in self.cells))

    @property
    def solution_ids(self) -> set[str]:
        return {cell.grade_id for cell in self.cells if cell.solution}

    def module_source(self, module: str) -> str:
        return join_cells(cell.source for cell in self.cells if cell.module == module)


@dataclass
class StudentNotebook:
    path: Path
    name: str  # as the student named it, for notes (e.g. `02_value.ipynb`)
    cells: list  # nbformat cells
    metadata: dict = field(default_factory=dict)


@dataclass
class Conversion:
    """What the notebooks of one submission gave: module file name -> source, and notes."""

    modules: dict[str, str] = field(default_factory=dict)
    edited: dict[str, bool] = field(default_factory=dict)  # module -> student changed a stub
    lessons: dict[str, str] = field(default_factory=dict)  # lesson id -> notebook graded
    notes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # one line per unreadable notebook


# ---------------------------------------------------------------- the template notebooks


def _nbformat():
    """nbformat, imported on first use: it takes seconds to import (its JSON-schema
    validator), which a run without notebooks should not pay."""
    import nbformat

    return nbformat


def _defined_names(source: str) -> tuple[str, ...]:
    """Top-level def/class names; a cell that does not parse is read with a regex instead."""
    try:
        tree = ast.parse(source)
    except PARSE_ERRORS:  # MemoryError: the parser's own stack (100,000 minus signs)
        return tuple(DEFINITION.findall(source))
    return tuple(
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    )


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {})
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


@lru_cache(maxsize=4)
def load_templates(folder: Path = TEMPLATE_NOTEBOOKS) -> dict[str, TemplateNotebook]:
    """lesson id -> its template notebook (from `micrograder generate`)."""
    templates = {}
    for lesson in course():
        path = Path(folder) / lesson.notebook_name
        if not path.is_file():
            continue
        nb = _nbformat().read(path, as_version=4)
        cells = []
        for position, cell in enumerate(nb.cells):
            module = cell.get("metadata", {}).get("micrograder", {}).get("module")
            if cell.cell_type != "code" or not module:
                continue
            meta = _nbgrader(cell)
            cells.append(
                TemplateCell(
                    meta.get("grade_id", cell.get("id", "")),
                    module,
                    cell.source,
                    bool(meta.get("solution")),
                    position,
                    _defined_names(cell.source),
                )
            )
        templates[lesson.id] = TemplateNotebook(lesson.id, path.name, tuple(cells), len(nb.cells))
    return templates


# ---------------------------------------------------------------- reading student notebooks


def find_notebooks(root: Path) -> list[Path]:
    """Regular `.ipynb` files under root (symlinks are never followed: one could point at the
    reference notebooks), skipping checkpoints and hidden folders; the walk is iterative and
    bounded (discovery.walk)."""
    from grader.intake.discovery import walk  # discovery imports this module lazily too

    return [
        entry.path
        for entry in walk(Path(root))
        if entry.regular and entry.rel.lower().endswith(".ipynb")
    ]


def read_notebook(path: Path, name: str) -> StudentNotebook:
    """The notebook's cells and metadata. Everything that could make parsing costly is checked
    on the raw bytes first; cells are checked before anything parses their code."""
    from grader.intake.discovery import open_regular

    name = printable(name)
    try:
        with open_regular(path) as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise UnreadableNotebook(
                f"{name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; "
                "clear its outputs and submit it again"
            )
        if data.count(b"{") + data.count(b"[") > MAX_JSON_CONTAINERS:
            raise UnreadableNotebook(
                f"{name} is too complex to read (more than "
                f"{MAX_JSON_CONTAINERS} JSON objects); clear its outputs"
            )
        try:
            raw = json.loads(data)  # from bytes: no decoded copy of a 20 MB text
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        del data
        # Outputs are never read: nbformat (which copies and validates) never sees them.
        nb = _nbformat().reads(json.dumps(_without_outputs(raw)), as_version=4)
        cells = nb.get("cells")
        if not isinstance(cells, list):
            raise ValueError("it has no list of cells")
    except UnreadableNotebook:
        raise
    except Exception as exc:  # json, nbformat and unicode errors all mean the same to a student
        detail = error_line(exc, 160)
        raise UnreadableNotebook(f"{name} is not a readable notebook ({detail})") from None
    cells = [c for c in cells if isinstance(c, dict)]
    _check_cells(name, cells)
    metadata = nb.get("metadata")
    return StudentNotebook(path, name, cells, metadata if isinstance(metadata, dict) else {})


def _without_outputs(raw):
    """The notebook's JSON with every cell's outputs and attachments emptied (nbformat 4 keeps
    cells in `cells`, nbformat 3 in `worksheets[].cells`)."""
    if not isinstance(raw, dict):
        return raw
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else []
    for cells in [raw.get("cells"), *(w.get("cells") for w in sheets if isinstance(w, dict))]:
        for cell in cells if isinstance(cells, list) else []:
            if isinstance(cell, dict):
                if "outputs" in cell:
                    cell["outputs"] = []
                cell.pop("attachments", None)
    return raw


def _check_cells(name: str, cells: list[dict]) -> None:
    """Refuse a notebook whose code cells the trusted side should not parse: too many, one too
    large for `ast`, or text that cannot be written as UTF-8 (a lone surrogate)."""
    if len(cells) > MAX_CELLS:
        raise UnreadableNotebook(f"{name} has more than {MAX_CELLS} cells")
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source")
        if cell.get("cell_type") != "code" or not isinstance(source, str):
            continue
        if len(source) > MAX_CELL_CHARS:
            raise UnreadableNotebook(
                f"{name}: cell {number} holds {len(source):,} characters "
                f"(limit {MAX_CELL_CHARS:,}); a solution is a few kB"
            )
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableNotebook(
                f"{name}: cell {number} holds text that is not valid "
                "Unicode (a lone surrogate); retype that cell"
            ) from None


def _code_cells(nb: StudentNotebook) -> list[tuple[int, dict]]:
    return [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.get("cell_type") == "code" and isinstance(c.get("source"), str)
    ]


def identify_lesson(
    nb: StudentNotebook, templates: dict[str, TemplateNotebook]
) -> tuple[str | None, str]:
    """(lesson id, how it was recognised) — by grade_ids, cell ids, notebook metadata, file
    name, then the stubs' signatures; (None, "") when it is no lesson notebook."""
    for how, ids in (
        ("grade_id", {str(_nbgrader(c).get("grade_id")) for c in nb.cells}),
        ("cell id", {str(c.get("id")) for c in nb.cells}),
    ):
        counts = {lesson: len(t.solution_ids & ids) for lesson, t in templates.items()}
        best = max(counts, key=counts.get, default=None)
        if best and counts[best]:
            return best, how
    declared = nb.metadata.get("micrograder", {}) if isinstance(nb.metadata, dict) else {}
    if (
        isinstance(declared, dict)
        and isinstance(declared.get("lesson"), str)
        and declared["lesson"] in templates
    ):
        return declared["lesson"], "notebook metadata"
    stem = Path(nb.name).stem.lower()
    for lesson in templates:
        if re.search(rf"(^|[^a-z]){re.escape(lesson)}([^a-z]|$)", stem):
            return lesson, "file name"
    defined = {name for _, c in _code_cells(nb) for name in _defined_names(c["source"])}
    counts = {
        lesson: sum(1 for cell in t.cells if cell.solution and set(cell.names) & defined)
        for lesson, t in templates.items()
    }
    best = max(counts, key=counts.get, default=None)
    if best and counts[best]:
        return best, "signature"
    return None, ""


# ---------------------------------------------------------------- magics


def strip_magics(source: str) -> tuple[str, list[str]]:
    """(source with magics and shell escapes commented out, the lines commented out).
    A cell that is valid Python holds none (a magic is a syntax error), so it is kept as is;
    this also keeps `!` or `%` at the start of a line inside a string or a bracket."""
    try:
        ast.parse(source)
        return source, []
    except PARSE_ERRORS:
        pass
    lines = source.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python
        body = [line for line in lines if line.strip()]
        return "\n".join("# " + line if line.strip() else line for line in lines), body[:1]
    removed = []
    for number, line in enumerate(lines):
        if MAGIC_LINE.match(line):
            removed.append(line.strip())
            indent = line[: len(line) - len(line.lstrip())]
            # `pass` keeps a block whose only statement was the magic valid
            lines[number] = f"{indent}pass  # not run by the grader: {line.strip()}"
    return "\n".join(lines), removed


# ---------------------------------------------------------------- matching and assembling


def join_cells(sources) -> str:
    """Cells joined into a module: each cell ends with a newline, as the generator writes them."""
    return "".join(s if s.endswith("\n") else s + "\n\n\n" for s in sources)


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def match_cells(
    nb: StudentNotebook, template: TemplateNotebook
) -> tuple[dict[str, str], list[str]]:
    """grade_id -> student source for the template's solution cells that could be found,
    and notes on how the unusual ones were found."""
    notes: list[str] = []
    wanted = [cell for cell in template.cells if cell.solution]
    code = _code_cells(nb)
    found: dict[str, tuple[int, str]] = {}  # grade_id -> (cell index, source)
    claimed: set[int] = set()

    for cell in wanted:  # 1. nbgrader grade_id
        hits = [(i, c) for i, c in code if _nbgrader(c).get("grade_id") == cell.grade_id]
        if hits:
            if len(hits) > 1:
                notes.append(
                    f"{nb.name}: cell {cell.grade_id} appears {len(hits)} times; "
                    "the last one was graded"
                )
            found[cell.grade_id] = (hits[-1][0], hits[-1][1]["source"])
            claimed.update(i for i, _ in hits)
    positions = [found[c.grade_id][0] for c in wanted if c.grade_id in found]
    if positions != sorted(positions):
        notes.append(f"{nb.name}: solution cells were moved; they were matched by their grade_id")

    fallback: dict[str, list[str]] = {"cell id": [], "signature": [], "position": []}
    for cell in wanted:  # 2. cell id, kept by Jupyter when the metadata is cleared
        if cell.grade_id not in found:
            hits = [(i, c) for i, c in code if c.get("id") == cell.grade_id and i not in claimed]
            if hits:
                found[cell.grade_id] = (hits[-1][0], hits[-1][1]["source"])
                claimed.update(i for i, _ in hits)
                fallback["cell id"].append(cell.grade_id)
    for cell in wanted:  # 3. the stub's signature (def/class name)
        if cell.grade_id not in found and cell.names:
            hits = [
                (i, c)
                for i, c in code
                if i not in claimed and cell.names[0] in _defined_names(c["source"])
            ]
            if hits:
                found[cell.grade_id] = (hits[-1][0], hits[-1][1]["source"])
                claimed.add(hits[-1][0])
                fallback["signature"].append(cell.grade_id)
    if len(nb.cells) == template.cell_count:  # 4. same shape as the template: by position
        for cell in wanted:
            if cell.grade_id not in found and cell.position not in claimed:
                candidate = nb.cells[cell.position]
                if candidate.get("cell_type") == "code" and isinstance(
                    candidate.get("source"), str
                ):
                    found[cell.grade_id] = (cell.position, candidate["source"])
                    claimed.add(cell.position)
                    fallback["position"].append(cell.grade_id)
    for how, ids in fallback.items():
        if ids:
            notes.append(
                f"{nb.name}: no nbgrader metadata on cell(s) {', '.join(ids)}; matched by {how}"
            )
    return {grade_id: source for grade_id, (_, source) in found.items()}, notes


def convert_notebook(
    nb: StudentNotebook, template: TemplateNotebook, conversion: Conversion
) -> None:
    """Add the modules of one lesson notebook to `conversion`."""
    sources, notes = match_cells(nb, template)
    conversion.notes.extend(notes)
    cleaned: dict[str, str] = {}
    for grade_id, source in sources.items():
        source, removed = strip_magics(source)
        if removed:
            conversion.notes.append(
                f"{nb.name}: cell {grade_id}: {len(removed)} IPython magic/shell line(s) "
                "were not run "
                f"(commented out), e.g. {removed[0][:60]!r}"
            )
        try:
            compile(source, f"{nb.name}:{grade_id}", "exec", dont_inherit=True)
        except (MemoryError, RecursionError):
            # Python itself cannot parse it (e.g. 20,000 nested minus signs); the suites could
            # not either, so the stub stands in and only this part scores 0.
            conversion.notes.append(
                f"{nb.name}: cell {grade_id} is nested too deeply for "
                "Python to parse; its stub was graded, so only that part "
                "scores 0"
            )
            source = next(c.source for c in template.cells if c.grade_id == grade_id)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            conversion.notes.append(
                f"{nb.name}: cell {grade_id} is not valid Python"
                + (f" (line {line} of the cell: {exc.msg})" if line else "")
            )
        cleaned[grade_id] = source
    # A missing part keeps its stub, unless a cell the student wrote already defines it
    # (a stub placed after it would replace the student's code).
    defined = {name for source in cleaned.values() for name in _defined_names(source)}
    for module in template.modules:
        parts, edited = [], False
        for cell in (c for c in template.cells if c.module == module):
            if not cell.solution:
                parts.append(cell.source)
            elif cell.grade_id in cleaned:
                parts.append(cleaned[cell.grade_id])
                edited = edited or _normal(cleaned[cell.grade_id]) != _normal(cell.source)
            elif cell.names and set(cell.names) <= defined:
                conversion.notes.append(
                    f"{nb.name}: cell {cell.grade_id} is missing, but another "
                    f"cell defines {', '.join(cell.names)}; that one was graded"
                )
            else:
                parts.append(cell.source)
                conversion.notes.append(
                    f"{nb.name}: cell {cell.grade_id} is missing; its stub was "
                    "graded, so only that part scores 0"
                )
        conversion.modules[f"{module}.py"] = join_cells(parts)
        conversion.edited[f"{module}.py"] = edited


def convert_notebooks(
    paths: list[Path],
    root: Path,
    templates: dict[str, TemplateNotebook] | None = None,
    check_time=None,
) -> Conversion:
    """Read every notebook under a submission and rebuild the modules of the lessons found.
    Two notebooks of one lesson: the one with more edited solution cells wins (ties: the last
    by name), and the other is noted as ignored. A notebook that cannot be read, for whatever
    reason, costs its own lesson only. `check_time()` raises when preparation runs too long."""
    templates = load_templates() if templates is None else templates
    conversion = Conversion()
    by_lesson: dict[str, list[tuple[StudentNotebook, int]]] = {}
    for path in paths:
        if check_time:
            check_time()
        name = printable(path.relative_to(root).as_posix() if path != root else path.name)
        try:
            nb = read_notebook(path, name)
            lesson, how = identify_lesson(nb, templates)
            if lesson is None:
                conversion.notes.append(f"{name}: not one of the lesson notebooks; ignored")
                continue
            if how not in ("grade_id", "notebook metadata"):
                conversion.notes.append(
                    f"{name}: recognised as lesson '{lesson}' by its {how} "
                    "(the nbgrader metadata is missing)"
                )
            sources, _ = match_cells(nb, templates[lesson])
            stubs = {c.grade_id: c.source for c in templates[lesson].cells if c.solution}
            score = sum(1 for g, s in sources.items() if _normal(s) != _normal(stubs[g]))
        except Exception as exc:  # UnreadableNotebook, or content nobody foresaw
            _unreadable(conversion, name, exc)
            continue
        by_lesson.setdefault(lesson, []).append((nb, score))
    for lesson, candidates in by_lesson.items():
        chosen = max(reversed(candidates), key=lambda item: item[1])[0]
        for nb, _ in candidates:
            if nb is not chosen:
                conversion.notes.append(
                    f"{nb.name}: another notebook for lesson '{lesson}' "
                    f"({chosen.name}) was graded; this one was ignored"
                )
        try:
            convert_notebook(chosen, templates[lesson], conversion)
            conversion.lessons[lesson] = chosen.name
        except Exception as exc:
            _unreadable(conversion, chosen.name, exc)
    return conversion


def _unreadable(conversion: Conversion, name: str, exc: Exception) -> None:
    reason = (
        str(exc)
        if isinstance(exc, UnreadableNotebook)
        else (f"{name} could not be read ({type(exc).__name__}); its lesson was not graded from it")
    )
    conversion.unreadable.append(reason)
    conversion.notes.append(reason)


def merge_into_package(
    conversion: Conversion, package: Path, templates: dict[str, TemplateNotebook] | None = None
) -> tuple[list[str], list[str]]:
    """Write the notebook modules into `package` (the copied micrograd folder, which may
    already hold .py files). Per module the notebook wins, unless the notebook's solution cells
    were left as stubs while the .py file was edited; if both were edited the .py file wins.
    Returns (notes, the module files written from the notebooks)."""
    templates = load_templates() if templates is None else templates
    stubs = {f"{m}.py": t.module_source(m) for t in templates.values() for m in t.modules}
    notes, written = [], []
    package.mkdir(parents=True, exist_ok=True)
    for filename, source in conversion.modules.items():
        target = package / filename
        py_edited = target.is_file() and _normal(
            target.read_text(encoding="utf-8", errors="replace")
        ) != _normal(stubs.get(filename, ""))
        if py_edited and not conversion.edited[filename]:
            notes.append(
                f"micrograd/{filename} was graded (its notebook cells are still the stubs)"
            )
            continue
        if py_edited:
            notes.append(
                f"both micrograd/{filename} and its notebook cells were edited; "
                f"micrograd/{filename} was graded"
            )
            continue
        target.write_text(source, encoding="utf-8")
        written.append(filename)
    return notes, written


def graded_from_notebooks(
    conversion: Conversion, templates: dict[str, TemplateNotebook], written: list[str]
) -> str:
    """The note naming each notebook and the modules really graded from it: a module whose .py
    file won (merge_into_package's notes say so) is not claimed for its notebook."""
    parts = []
    for lesson, name in conversion.lessons.items():
        mine = [f"{m}.py" for m in templates[lesson].modules if f"{m}.py" in written]
        if mine:
            parts.append(f"{name} ({', '.join(mine)})")
    return "graded from notebooks: " + ", ".join(parts) if parts else ""


def add_to_package(
    root: Path, paths: list[Path], package: Path, *, has_package: bool, check_time=None
) -> list[str]:
    """Turn the notebooks found under `root` into modules of `package` (see merge_into_package)
    and return the notes. Raises UnreadableNotebook when they give nothing to grade and there
    is no package either: the one-line reason is the parse error, or what was expected."""
    templates = load_templates()
    if not templates:
        raise UnreadableNotebook(
            f"the template notebooks are missing in {TEMPLATE_NOTEBOOKS}; "
            "the teacher must run `micrograder generate`"
        )
    conversion = convert_notebooks(paths, root, templates, check_time)
    if not conversion.modules and not has_package:
        if conversion.unreadable:
            raise UnreadableNotebook("; ".join(conversion.unreadable))
        names = ", ".join(p.relative_to(root).as_posix() for p in paths[:3])
        expected = ", ".join(t.filename for t in templates.values())
        raise UnreadableNotebook(
            f"{names}: not a lesson notebook (expected one of {expected}, with its solution cells)"
        )
    merged, written = merge_into_package(conversion, package, templates)
    summary = graded_from_notebooks(conversion, templates, written)
    # A notebook none of whose modules was graded: its cell notes ("its stub was graded")
    # would contradict the note that its .py file was.
    unused = tuple(
        f"{name}: "
        for lesson, name in conversion.lessons.items()
        if not any(f"{m}.py" in written for m in templates[lesson].modules)
    )
    notes = [note for note in conversion.notes if not note.startswith(unused)]
    return ([summary] if summary else []) + notes + merged
