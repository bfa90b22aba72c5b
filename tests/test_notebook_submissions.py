"""Notebook submissions turned into the micrograd package (no grading here: see
test_notebook_submissions_grading.py). Every student notebook is built from the generated
template notebooks, so these tests follow the course as it is generated."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from notebook_submission_helpers import (
    cell_by_id,
    grade_id,
    solution,
    student_notebook,
    template_name,
    write_all,
    write_notebook,
)

from grader.intake import discovery, notebooks
from grader.intake.discovery import InvalidSubmission, Submission
from grader.paths import ASSIGNMENTS, REFERENCE_PACKAGE, STUDENT_TEMPLATE

REFERENCE = {
    p.name: p.read_text() for p in REFERENCE_PACKAGE.glob("*.py") if p.name != "__init__.py"
}
TEMPLATE = {p.name: p.read_text() for p in (STUDENT_TEMPLATE / "micrograd").glob("*.py")}


def prepare(tmp_path: Path, source: Path, kind: str = "folder", sub_id: str = "stu"):
    """(the prepared micrograd folder, the notes) for one submission."""
    notes: list[str] = []
    workdir = tmp_path / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    files = ((source.name, source),) if kind == "files" else ()
    package = discovery.prepare(Submission(sub_id, source, kind, files=files), workdir, notes)
    return package, notes


def modules(package: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in package.glob("*.py")}


def test_filled_notebooks_give_back_the_reference_modules(tmp_path):
    write_all(tmp_path / "stu" / "notebooks")
    package, notes = prepare(tmp_path, tmp_path / "stu")
    for name, text in REFERENCE.items():
        if name in TEMPLATE and name != "viz.py":  # viz.py is a helper, in no notebook
            assert modules(package)[name] == text, name
    assert notes and notes[0].startswith("graded from notebooks: notebooks/01_derivatives.ipynb")


def test_unfilled_notebooks_give_back_the_template_stubs(tmp_path):
    package, _ = prepare(tmp_path, write_all(tmp_path / "stu", filled=False))
    got = modules(package)
    assert got and all(got[name] == TEMPLATE[name] for name in got)


def test_locked_cells_and_other_cells_come_from_the_template_not_the_student(tmp_path):
    nb = student_notebook("value")
    cell_by_id(nb, "engine-header").source = "import os\nos.system('touch pwned')\n"
    nb.cells.append(nbformat.v4.new_code_cell("class Value:\n    pass\n"))  # a scratch cell
    write_notebook(tmp_path / "stu" / "02_value.ipynb", nb)
    package, _ = prepare(tmp_path, tmp_path / "stu")
    assert modules(package)["engine.py"] == REFERENCE["engine.py"]


def test_a_duplicated_cell_counts_once_the_last_copy(tmp_path):
    nb = student_notebook("derivatives")
    cell = cell_by_id(nb, "derivatives-chain_rule")
    early = nbformat.from_dict(json.loads(json.dumps(cell)))  # Jupyter's copy & paste
    early.source = "def chain_rule(df, g, dg):\n    return None  # first try\n"
    early.id = "pasted-copy"
    nb.cells.insert(nb.cells.index(cell), early)
    write_notebook(tmp_path / "stu" / "01_derivatives.ipynb", nb)
    package, notes = prepare(tmp_path, tmp_path / "stu")
    assert modules(package)["derivatives.py"] == REFERENCE["derivatives.py"]
    assert any(
        "derivatives-chain_rule appears 2 times; the last one was graded" in n for n in notes
    )


def test_a_deleted_cell_costs_only_its_part(tmp_path):
    nb = student_notebook("derivatives")
    nb.cells.remove(cell_by_id(nb, "derivatives-numerical_gradient"))
    write_notebook(tmp_path / "stu" / "01_derivatives.ipynb", nb)
    package, notes = prepare(tmp_path, tmp_path / "stu")
    text = modules(package)["derivatives.py"]
    stub = next(
        c.source
        for c in notebooks.load_templates()["derivatives"].cells
        if c.grade_id == "derivatives-numerical_gradient"
    )
    assert stub in text  # the template's stub stands in for the missing part
    assert solution("derivatives-numerical_derivative") in text  # the rest is the student's
    assert solution("derivatives-chain_rule") in text
    assert any("derivatives-numerical_gradient is missing; its stub was graded" in n for n in notes)


def test_reordered_cells_are_matched_by_grade_id(tmp_path):
    nb = student_notebook("nn")
    code = [i for i, c in enumerate(nb.cells) if grade_id(c) in ("nn-Neuron", "nn-MLP")]
    nb.cells[code[0]], nb.cells[code[1]] = nb.cells[code[1]], nb.cells[code[0]]
    write_notebook(tmp_path / "stu" / "03_nn.ipynb", nb)
    package, notes = prepare(tmp_path, tmp_path / "stu")
    assert modules(package)["nn.py"] == REFERENCE["nn.py"]
    assert any("moved; they were matched by their grade_id" in n for n in notes)


def _strip(nb, ids: bool):
    nb.metadata = {}
    for cell in nb.cells:
        cell.metadata = {}
        if ids:
            cell.pop("id", None)
    return nb


@pytest.mark.parametrize("strip_ids, how", [(False, "cell id"), (True, "signature")])
def test_stripped_metadata_is_matched_by_cell_id_or_signature(tmp_path, strip_ids, how):
    nb = _strip(student_notebook("losses"), strip_ids)
    path = tmp_path / "stu" / "homework.ipynb"
    path.parent.mkdir()
    # nbformat would add fresh ids on write; write the JSON as a tool that drops them would
    path.write_text(json.dumps({**nb, "nbformat_minor": 4 if strip_ids else 5}))
    package, notes = prepare(tmp_path, tmp_path / "stu")
    assert modules(package)["losses.py"] == REFERENCE["losses.py"]
    assert any(f"matched by {how}" in n for n in notes), notes
    assert any(f"recognised as lesson 'losses' by its {how}" in n for n in notes), notes


def test_stripped_metadata_and_renamed_definitions_are_matched_by_position(tmp_path):
    nb = _strip(student_notebook("derivatives"), ids=True)
    for cell in nb.cells:  # the student renamed every function: no signature matches
        cell.source = cell.source.replace("def numerical_", "def my_numerical_")
    path = tmp_path / "stu" / "01_derivatives.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps({**nb, "nbformat_minor": 4}))
    package, notes = prepare(tmp_path, tmp_path / "stu")
    assert "def my_numerical_derivative" in modules(package)["derivatives.py"]
    assert any("matched by position" in n for n in notes), notes


def test_a_malformed_notebook_is_invalid_with_the_parse_error(tmp_path):
    path = tmp_path / "stu.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "source": "x = 1"')
    with pytest.raises(InvalidSubmission, match=r"stu.ipynb is not a readable notebook \(.*JSON"):
        prepare(tmp_path, path, kind="files")


def test_one_malformed_notebook_among_good_ones_costs_its_lesson_only(tmp_path):
    folder = write_all(tmp_path / "stu", lessons=["derivatives", "value"])
    (folder / template_name("value")).write_text("{ not json")
    package, notes = prepare(tmp_path, folder)
    assert set(modules(package)) == {"derivatives.py"}
    assert any("02_value.ipynb is not a readable notebook" in n for n in notes)


def test_enormous_outputs_are_ignored(tmp_path):
    nb = student_notebook("value")
    cell = cell_by_id(nb, "engine-Value")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 5_000_000)]
    cell.execution_count = 7
    write_notebook(tmp_path / "stu" / "02_value.ipynb", nb)
    package, _ = prepare(tmp_path, tmp_path / "stu")
    assert modules(package)["engine.py"] == REFERENCE["engine.py"]


def test_magics_and_shell_escapes_are_commented_out_and_never_run(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "alive.txt").write_text("still here")
    nb = student_notebook("derivatives")
    cell = cell_by_id(nb, "derivatives-numerical_derivative")
    cell.source = f"!rm -rf {canary}\nfiles = !ls {canary}\n%time x = 1\n" + cell.source
    bash = cell_by_id(nb, "derivatives-chain_rule")
    bash.source = f"%%bash\nrm -rf {canary}\n"
    write_notebook(tmp_path / "stu" / "01_derivatives.ipynb", nb)
    package, notes = prepare(tmp_path, tmp_path / "stu")
    text = modules(package)["derivatives.py"]
    compile(text, "derivatives.py", "exec")  # still a valid module
    assert f"\n!rm -rf {canary}" not in "\n" + text and "\n%%bash" not in "\n" + text
    assert solution("derivatives-numerical_derivative") in text
    assert (canary / "alive.txt").read_text() == "still here"
    assert any(
        "derivatives-numerical_derivative: 3 IPython magic/shell line(s) were not run" in n
        for n in notes
    ), notes
    assert any(
        "derivatives-chain_rule: 1 IPython magic/shell line(s) were not run" in n for n in notes
    ), notes


@pytest.mark.parametrize(
    "source",
    [
        "x = (1\n     != 2)\n",  # `!=` continuing a line is Python, not a shell escape
        'doc = """\n!not a command\n%not a magic\n"""\n',
    ],
)
def test_python_that_merely_looks_like_a_magic_is_kept(source):
    assert notebooks.strip_magics(source) == (source, [])


def test_a_single_notebook_and_a_zip_of_notebooks(tmp_path):
    single = write_notebook(tmp_path / "dave.ipynb", student_notebook("value"))
    package, _ = prepare(tmp_path, single, kind="files")
    assert modules(package)["engine.py"] == REFERENCE["engine.py"]
    folder = write_all(tmp_path / "erin" / "notebooks", lessons=["nn", "optim"])
    archive = tmp_path / "erin.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"erin/notebooks/{path.name}")
    package, _ = prepare(tmp_path, archive, kind="zip")
    assert {"nn.py", "optim.py"} <= set(modules(package))
    assert modules(package)["optim.py"] == REFERENCE["optim.py"]


def test_the_edited_form_wins_when_package_and_notebooks_are_both_there(tmp_path):
    folder = tmp_path / "stu"
    shutil.copytree(STUDENT_TEMPLATE / "micrograd", folder / "micrograd")  # stubs
    (folder / "micrograd" / "nn.py").write_text(REFERENCE["nn.py"])  # nn done in the file
    write_all(folder / "notebooks", lessons=["value"])  # value done in the notebook
    write_all(folder / "notebooks", filled=False, lessons=["nn"])
    package, notes = prepare(tmp_path, folder)
    assert modules(package)["engine.py"] == REFERENCE["engine.py"]
    assert modules(package)["nn.py"] == REFERENCE["nn.py"]
    assert any(
        "micrograd/nn.py was graded (its notebook cells are still the stubs)" in n for n in notes
    )


def test_symlinked_notebooks_are_not_followed(tmp_path):
    folder = tmp_path / "stu"
    folder.mkdir()
    os.symlink(ASSIGNMENTS / "value" / "value.ipynb", folder / "02_value.ipynb")
    with pytest.raises(InvalidSubmission, match="no micrograd/ package"):
        prepare(tmp_path, folder)


def test_a_notebook_that_is_no_lesson_says_what_was_expected(tmp_path):
    path = write_notebook(
        tmp_path / "x.ipynb",
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hello')")]),
    )
    with pytest.raises(
        InvalidSubmission,
        match=r"x.ipynb: not a lesson notebook \(expected one of 01_derivatives.ipynb",
    ):
        prepare(tmp_path, path, kind="files")
