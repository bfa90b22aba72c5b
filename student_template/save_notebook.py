"""Move your code between a lesson notebook and the micrograd package, either way.

    python save_notebook.py notebooks/02_value.ipynb                  # notebook -> package
    python save_notebook.py --into-notebook notebooks/02_value.ipynb  # package -> notebook

In a course notebook, the cells that make up a module (its read-only header and the cells you
fill in) are tagged with the module's name; joined in order they are the module's file.
The first command writes them to micrograd/<module>.py (keeping the previous file as
<module>.py.bak), so that the self-check (`python -m pytest`) and later lessons see your
notebook's code. The second puts micrograd/<module>.py back into those cells (keeping the
previous notebook as <notebook>.ipynb.bak): each cell starts at the function or class it is
named after (its nbgrader grade_id, e.g. engine-Value), and helpers you added go with the cell
above them. Save and close the notebook in Jupyter before you run it, then reopen it.
Either way the code is kept byte for byte. It needs only the standard library.
"""

import argparse
import ast
import json
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "micrograd"
HEADER = "header"  # the part of a module before its first def or class


def read_notebook(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: cannot read this notebook ({exc})") from None


def write_notebook(path: Path, notebook: dict) -> None:
    """Jupyter's own layout (nbformat's): sorted keys, one-space indent, sources as lines."""
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def module_cells(notebook: dict) -> dict:
    """{module name: its code cells, in notebook order}."""
    cells = {}
    for cell in notebook.get("cells", []):
        module = cell.get("metadata", {}).get("micrograder", {}).get("module")
        if cell.get("cell_type") == "code" and module:
            cells.setdefault(module, []).append(cell)
    return cells


def module_texts(notebook: dict) -> dict:
    """{module name: file text} from the notebook's module cells, in notebook order."""
    return {
        module: "".join(source_text(cell) for cell in cells)
        for module, cells in module_cells(notebook).items()
    }


def definition_start(node: ast.stmt, lines: list) -> int:
    """0-based first line of a definition: its first decorator, or the comments right above.
    (The course generator cuts a module into cells by the same rule.)"""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return start


def cell_part(cell: dict, module: str) -> str:
    """The name of the definition a module cell starts with, from its grade_id."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
    return grade_id[len(module) + 1 :] if grade_id.startswith(f"{module}-") else ""


def split_for_cells(text: str, cells: list, module: str) -> list:
    """The module's text cut into one piece per cell: each cell from the definition it is
    named after up to the next cell's. Raises SystemExit when a definition is missing or out
    of order."""
    where = f"micrograd/{module}.py"
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise SystemExit(f"{where}, line {exc.lineno} does not compile: {exc.msg}") from None
    lines = text.splitlines(keepends=True)
    starts = {
        node.name: definition_start(node, lines)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    cuts = [0]
    for cell in cells[1:]:
        part = cell_part(cell, module)
        if part not in starts:
            raise SystemExit(f"{where}: no top-level `{part}` for the notebook's cell of it")
        if starts[part] < cuts[-1]:
            raise SystemExit(f"{where}: `{part}` comes too early; keep the notebook's order")
        cuts.append(starts[part])
    ends = cuts[1:] + [len(lines)]
    return ["".join(lines[start:end]) for start, end in zip(cuts, ends)]


def save(notebook_path: Path) -> list:
    """Write the notebook's modules into the package; returns one line per module."""
    texts = module_texts(read_notebook(notebook_path))
    if not texts:
        raise SystemExit(
            f"{notebook_path}: no module cells here (is it one of the course notebooks?)"
        )
    report = []
    for module, text in texts.items():
        target = PACKAGE / f"{module}.py"
        if target.exists() and target.read_text(encoding="utf-8") == text:
            report.append(f"micrograd/{module}.py is already up to date")
            continue
        if target.exists():
            target.with_name(f"{module}.py.bak").write_text(
                target.read_text(encoding="utf-8"), encoding="utf-8"
            )
        target.write_text(text, encoding="utf-8")
        report.append(f"{notebook_path.name} -> micrograd/{module}.py")
    return report


def fill_cells(notebook: dict) -> list:
    """Put each module's file into its cells; returns one line per module (and per changed
    read-only cell)."""
    report = []
    for module, cells in module_cells(notebook).items():
        source = PACKAGE / f"{module}.py"
        if not source.exists():
            raise SystemExit(f"micrograd/{module}.py: missing, nothing to bring into the notebook")
        pieces = split_for_cells(source.read_text(encoding="utf-8"), cells, module)
        changed = [cell for cell, piece in zip(cells, pieces) if source_text(cell) != piece]
        for cell, piece in zip(cells, pieces):
            cell["source"] = piece.splitlines(keepends=True)
        report.append(f"micrograd/{module}.py: {len(changed)} cell(s) changed")
        report += [
            f"note: cell {cell.get('id', '?')} is read-only in the course: nbgrader restores it"
            " when it grades, so keep your additions in the cells you fill in"
            for cell in changed
            if cell.get("metadata", {}).get("nbgrader", {}).get("locked")
        ]
    return report


def into_notebook(notebook_path: Path) -> list:
    """Write the package's modules into the notebook's cells; returns one line per module."""
    notebook = read_notebook(notebook_path)
    before = module_texts(notebook)
    if not before:
        raise SystemExit(
            f"{notebook_path}: no module cells here (is it one of the course notebooks?)"
        )
    report = fill_cells(notebook)
    if module_texts(notebook) == before:
        return [f"{notebook_path.name} is already up to date"]
    backup = notebook_path.with_name(f"{notebook_path.name}.bak")
    backup.write_bytes(notebook_path.read_bytes())
    write_notebook(notebook_path, notebook)
    return report + [f"micrograd -> {notebook_path.name} (previous notebook: {backup.name})"]


def main(argv):
    command_line = argparse.ArgumentParser(
        prog="python save_notebook.py",
        description="Notebook cells -> micrograd/<module>.py, or back with --into-notebook.",
    )
    command_line.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    command_line.add_argument(
        "--into-notebook",
        action="store_true",
        help="bring micrograd/<module>.py into the notebook's cells instead",
    )
    args = command_line.parse_args(argv)
    for path in args.notebooks:
        for line in (into_notebook if args.into_notebook else save)(path):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
