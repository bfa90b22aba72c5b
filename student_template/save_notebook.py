"""Save the code of a lesson notebook into the micrograd package.

    python save_notebook.py notebooks/02_value.ipynb     # writes micrograd/engine.py

In a course notebook, the cells that make up a module (its locked header and the cells you
fill in) are tagged with the module's name; joined in order they are the module's file. This
script writes them to micrograd/<module>.py, keeping the previous file as <module>.py.bak, so
that the self-check (`python -m pytest`) and later lessons see your notebook's code.
It needs only the standard library.
"""

import json
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "micrograd"


def module_texts(notebook: dict) -> dict:
    """{module name: file text} from the notebook's module cells, in notebook order."""
    texts = {}
    for cell in notebook.get("cells", []):
        module = cell.get("metadata", {}).get("micrograder", {}).get("module")
        if cell.get("cell_type") == "code" and module:
            source = cell.get("source", "")
            texts[module] = texts.get(module, "") + (
                source if isinstance(source, str) else "".join(source)
            )
    return texts


def save(notebook_path: Path) -> list:
    """Write the notebook's modules into the package; returns one line per module."""
    try:
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{notebook_path}: cannot read this notebook ({exc})") from None
    texts = module_texts(notebook)
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


def main(argv):
    if not argv:
        print(__doc__.strip())
        return 2
    for arg in argv:
        for line in save(Path(arg)):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
