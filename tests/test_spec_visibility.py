"""Every graded sentence of the student API is stated where the student reads it.

tests/spec_visibility.toml maps each sentence of design.md's API (the fixed API and the decided
conventions) to a place in the GENERATED template (a stub's docstring, the module docstring, the
README; the lesson notebook's markdown counts too) and to the phrases that say it. The sentences
no hidden check observes are listed with the reason. docs/hidden-suites.md mirrors the table.
"""

import ast
import re
import shutil
import tomllib
from pathlib import Path

import nbformat
import pytest

from grader.lessons import load_lessons
from grader.paths import ROOT, STUDENT_TEMPLATE

TABLE = Path(__file__).with_name("spec_visibility.toml")
ROWS = tomllib.loads(TABLE.read_text(encoding="utf-8"))["sentence"]
GRADED = [row for row in ROWS if "not_graded" not in row]
MODULE_LESSON = {module: lesson for lesson in load_lessons() for module in lesson.modules}
DOCS = ROOT / "docs" / "hidden-suites.md"
DOCS_HEADING = "## Where the student reads each sentence (spec-visibility)"


def flat(text: str) -> str:
    """Line breaks and indentation of a docstring are not part of what it says."""
    return " ".join(text.split())


def definition(scope, name: str):
    """The class or function `name` defined directly in `scope` (a module or a class), or None."""
    defs = (ast.ClassDef, ast.FunctionDef)
    return next((n for n in scope.body if isinstance(n, defs) and n.name == name), None)


def lookup(module: ast.Module, dotted: str):
    """The node of `Class.method`, `function` or (for "") the module itself, or None."""
    node = module
    for name in filter(None, dotted.split(".")):
        node = definition(node, name) if node is not None else None
    return node


def docstring(module: ast.Module, dotted: str) -> str:
    node = lookup(module, dotted)
    return (ast.get_docstring(node) if node is not None else None) or ""


def parameters(module: ast.Module, dotted: str) -> str:
    """The parameters of a function as written (a class: of its __init__, or its base's)."""
    node = lookup(module, dotted)
    while isinstance(node, ast.ClassDef):
        init = definition(node, "__init__")
        if init is not None:
            return ast.unparse(init.args)
        node = definition(module, node.bases[0].id) if node.bases else None
    return ast.unparse(node.args) if node is not None else ""


def readable_text(template: Path, where: str) -> str:
    """What a student reads at `where` in the template folder `template`."""
    if where == "README":
        return flat((template / "README.md").read_text(encoding="utf-8"))
    module, _, dotted = where.partition(".")
    tree = ast.parse((template / "micrograd" / f"{module}.py").read_text(encoding="utf-8"))
    notebook = nbformat.read(template / "notebooks" / MODULE_LESSON[module].notebook_name, 4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    return flat("\n".join([docstring(tree, dotted), *markdown]))


def unstated(template: Path, rows=GRADED) -> list[str]:
    """One line per phrase of `rows` that the template does not say where the table says."""
    missing = []
    for row in rows:
        text = readable_text(template, row["where"])
        missing += [
            f"{row['where']}: {phrase!r} ({row['api']})"
            for phrase in row["phrases"]
            if flat(phrase) not in text
        ]
    return missing


def wrong_signatures(template: Path, rows=GRADED) -> list[str]:
    """One line per row whose function's parameters in the template differ from the table's."""
    wrong = []
    for row in (row for row in rows if "signature" in row):
        module, _, dotted = row["where"].partition(".")
        tree = ast.parse((template / "micrograd" / f"{module}.py").read_text(encoding="utf-8"))
        if parameters(tree, dotted) != row["signature"]:
            wrong.append(f"{row['where']}: not ({row['signature']})")
    return wrong


def test_every_graded_sentence_is_stated_in_the_generated_template():
    assert unstated(STUDENT_TEMPLATE) == [], "state it in the stub's docstring, then generate"


def test_every_graded_signature_and_default_is_in_the_generated_template():
    assert wrong_signatures(STUDENT_TEMPLATE) == []
    assert sum("signature" in row for row in GRADED) >= 20


def test_a_changed_default_fails_the_signature_check(tmp_path):
    template = _template_copy(tmp_path)
    optim = template / "micrograd" / "optim.py"
    optim.write_text(optim.read_text().replace("eps=1e-8", "eps=1e-6"))
    assert wrong_signatures(template) == [
        "optim.Adam: not (self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-08)"
    ]


def test_every_row_is_either_stated_or_not_graded_with_a_reason():
    for row in ROWS:
        assert row["api"].strip()
        if "not_graded" in row:
            assert row["not_graded"].strip() and not {"phrases", "where", "signature"} & set(row)
        else:
            assert row["phrases"] and all(len(flat(p)) >= 10 for p in row["phrases"]), row
    assert len({row["api"] for row in ROWS}) == len(ROWS)


def _template_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "student_template"
    for folder in ("micrograd", "notebooks"):
        shutil.copytree(STUDENT_TEMPLATE / folder, copy / folder)
    shutil.copy(STUDENT_TEMPLATE / "README.md", copy / "README.md")
    return copy


def _remove(text: str, phrase: str) -> str:
    """`text` without `phrase`, wherever its words are wrapped or indented."""
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.sub(words, "", text)


def _remove_everywhere(template: Path, where: str, phrase: str) -> int:
    """Delete `phrase` from the file behind `where` and from its notebook; how many files."""
    module = where.partition(".")[0]
    files = [template / "README.md"]
    if where != "README":
        files = [template / "micrograd" / f"{module}.py"]
        files.append(template / "notebooks" / MODULE_LESSON[module].notebook_name)
    changed = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            notebook = nbformat.reads(text, 4)
            text = nbformat.writes(notebook)  # so that only the removal can change it
            for cell in notebook.cells:
                cell.source = _remove(cell.source, phrase)
            edited = nbformat.writes(notebook)
        else:
            edited = _remove(text, phrase)
        changed += edited != text
        path.write_text(edited, encoding="utf-8")
    return changed


@pytest.mark.parametrize("row", GRADED, ids=lambda row: row["where"])
def test_removing_the_sentence_from_the_template_fails_the_check(tmp_path, row):
    template = _template_copy(tmp_path)
    phrase = row["phrases"][0]
    assert _remove_everywhere(template, row["where"], phrase) >= 1
    assert unstated(template, [row]) == [f"{row['where']}: {phrase!r} ({row['api']})"]


def test_a_phrase_stated_in_another_place_does_not_count(tmp_path):
    """The place matters: Adam's equations in SGD's docstring would not state Adam."""
    adam = next(row for row in GRADED if row["where"] == "optim.Adam")
    assert unstated(STUDENT_TEMPLATE, [{**adam, "where": "optim.SGD"}])


def docs_table() -> str:
    """The spec-visibility table of docs/hidden-suites.md, rendered from the toml."""
    lines = [
        "| API sentence | where the student reads it | the words that say it |",
        "|---|---|---|",
    ]
    for row in ROWS:
        if "not_graded" in row:
            lines.append(f"| {row['api']} | not graded | {row['not_graded']} |")
        else:
            phrases = "; ".join(f"`` {phrase} ``" for phrase in row["phrases"])
            if "signature" in row:
                phrases = f"`({row['signature']})`; {phrases}"
            lines.append(f"| {row['api']} | `{row['where']}` | {phrases} |")
    return "\n".join(lines)


def test_docs_mirror_the_table():
    docs = DOCS.read_text(encoding="utf-8")
    assert DOCS_HEADING in docs
    section = docs.split(DOCS_HEADING, 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == docs_table(), "copy docs_table() of this test into docs/hidden-suites.md"
