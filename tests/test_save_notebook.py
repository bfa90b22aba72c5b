"""student_template/save_notebook.py: a lesson notebook's module cells become the package file,
and back (--into-notebook): a round trip either way keeps the code byte for byte."""

import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from generate_helpers import IGNORE

from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS, REFERENCE_PACKAGE, STUDENT_TEMPLATE


def filled_notebook(lesson, student_name):
    """The student notebook with every module cell replaced by the source notebook's (the
    reference solution's code), matched by grade_id — as a student who solved it would have it."""
    source = json.loads((ASSIGNMENTS / lesson / f"{lesson}.ipynb").read_text())
    solved = {
        c["metadata"]["nbgrader"]["grade_id"]: c["source"]
        for c in source["cells"]
        if "micrograder" in c["metadata"]
    }
    student = json.loads((STUDENT_TEMPLATE / "notebooks" / student_name).read_text())
    for cell in student["cells"]:
        if "micrograder" in cell["metadata"]:
            cell["source"] = solved[cell["metadata"]["nbgrader"]["grade_id"]]
    return student


def save(template, notebook):
    return subprocess.run(
        [sys.executable, "save_notebook.py", notebook],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_solved_notebook_saves_as_the_solved_module_and_passes_its_self_check(tmp_path):
    template = tmp_path / "student_template"
    shutil.copytree(STUDENT_TEMPLATE, template, ignore=IGNORE)
    notebook = template / "notebooks" / "02_value.ipynb"
    notebook.write_text(json.dumps(filled_notebook("value", "02_value.ipynb")))

    saved = save(template, "notebooks/02_value.ipynb")
    assert saved.returncode == 0, saved.stderr
    assert "micrograd/engine.py" in saved.stdout
    assert (template / "micrograd" / "engine.py").read_bytes() == (
        REFERENCE_PACKAGE / "engine.py"
    ).read_bytes()
    assert (template / "micrograd" / "engine.py.bak").read_bytes() == (
        STUDENT_TEMPLATE / "micrograd" / "engine.py"
    ).read_bytes()

    selfcheck = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_02_value.py"],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert selfcheck.returncode == 0, selfcheck.stdout[-2000:]


def test_an_untouched_notebook_changes_nothing_and_a_stranger_is_refused(tmp_path):
    template = tmp_path / "student_template"
    shutil.copytree(STUDENT_TEMPLATE, template, ignore=IGNORE)
    saved = save(template, "notebooks/03_nn.ipynb")
    assert saved.returncode == 0 and "already up to date" in saved.stdout
    assert not (template / "micrograd" / "nn.py.bak").exists()

    (template / "other.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    (template / "broken.ipynb").write_text("{not json")
    for name in ("other.ipynb", "broken.ipynb"):
        refused = save(template, name)
        assert refused.returncode == 1 and name in refused.stderr
        assert "Traceback" not in refused.stderr


# --- both ways: notebook -> package -> notebook, package -> notebook -> package ------------

LESSONS = load_lessons()


def notebook_text(notebook: dict) -> str:
    """The notebook as Jupyter saves it (nbformat's own writer), so bytes can be compared."""
    return nbformat.writes(nbformat.from_dict(notebook)) + "\n"


def into_notebook(template, notebook):
    return subprocess.run(
        [sys.executable, "save_notebook.py", "--into-notebook", notebook],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=60,
    )


def fresh_template(tmp_path):
    template = tmp_path / "student_template"
    shutil.copytree(STUDENT_TEMPLATE, template, ignore=IGNORE)
    return template


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_notebook_to_package_to_notebook_keeps_the_code_byte_for_byte(tmp_path, lesson):
    template = fresh_template(tmp_path)
    notebook = template / "notebooks" / lesson.notebook_name
    filled = notebook_text(filled_notebook(lesson.id, lesson.notebook_name))
    notebook.write_text(filled, encoding="utf-8")
    assert save(template, f"notebooks/{lesson.notebook_name}").returncode == 0
    for module in lesson.modules:
        assert (template / "micrograd" / f"{module}.py").read_bytes() == (
            REFERENCE_PACKAGE / f"{module}.py"
        ).read_bytes()

    # the package goes back into an untouched notebook: the filled notebook, byte for byte
    shutil.copy(STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name, notebook)
    back = into_notebook(template, f"notebooks/{lesson.notebook_name}")
    assert back.returncode == 0, back.stderr
    assert f"micrograd -> {lesson.notebook_name}" in back.stdout
    assert notebook.read_text(encoding="utf-8") == filled
    assert (template / "notebooks" / f"{lesson.notebook_name}.bak").read_bytes() == (
        STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name
    ).read_bytes()
    again = into_notebook(template, f"notebooks/{lesson.notebook_name}")
    assert "already up to date" in again.stdout


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_package_to_notebook_to_package_keeps_the_code_byte_for_byte(tmp_path, lesson):
    template = fresh_template(tmp_path)
    for module in lesson.modules:
        shutil.copy(REFERENCE_PACKAGE / f"{module}.py", template / "micrograd" / f"{module}.py")
    before = json.loads((STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name).read_text())
    assert into_notebook(template, f"notebooks/{lesson.notebook_name}").returncode == 0
    after = json.loads((template / "notebooks" / lesson.notebook_name).read_text())
    # the same cells, ids and nbgrader metadata: only module cells' sources changed
    assert [(c["id"], c["metadata"]) for c in after["cells"]] == [
        (c["id"], c["metadata"]) for c in before["cells"]
    ]
    assert [c["source"] for c in after["cells"] if "micrograder" not in c["metadata"]] == [
        c["source"] for c in before["cells"] if "micrograder" not in c["metadata"]
    ]
    for module in lesson.modules:  # back to the template's stubs, then saved from the notebook
        shutil.copy(STUDENT_TEMPLATE / "micrograd" / f"{module}.py", template / "micrograd")
    assert save(template, f"notebooks/{lesson.notebook_name}").returncode == 0
    for module in lesson.modules:
        assert (template / "micrograd" / f"{module}.py").read_bytes() == (
            REFERENCE_PACKAGE / f"{module}.py"
        ).read_bytes()


def test_a_helper_added_in_the_package_goes_with_the_cell_above_it(tmp_path):
    template = fresh_template(tmp_path)
    engine = (REFERENCE_PACKAGE / "engine.py").read_text(encoding="utf-8")
    helper = "\n\ndef _twice(x):\n    return 2 * x\n"
    edited = engine.replace("import math\n", "import math\nimport random\n", 1) + helper
    (template / "micrograd" / "engine.py").write_text(edited, encoding="utf-8")
    back = into_notebook(template, "notebooks/02_value.ipynb")
    assert back.returncode == 0, back.stderr
    # the header is read-only in the course: the student is told nbgrader restores it
    assert "note: cell engine-header is read-only" in back.stdout
    cells = json.loads((template / "notebooks" / "02_value.ipynb").read_text())["cells"]
    by_id = {c["id"]: "".join(c["source"]) for c in cells}
    assert "import random\n" in by_id["engine-header"]
    assert by_id["engine-Value"].endswith(helper)
    (template / "micrograd" / "engine.py").unlink()
    assert save(template, "notebooks/02_value.ipynb").returncode == 0
    assert (template / "micrograd" / "engine.py").read_text(encoding="utf-8") == edited


def test_a_package_file_that_cannot_be_cut_into_cells_leaves_the_notebook_alone(tmp_path):
    template = fresh_template(tmp_path)
    notebook = template / "notebooks" / "02_value.ipynb"
    engine = template / "micrograd" / "engine.py"
    cases = {
        "def broken(:\n": "does not compile",
        "": "no top-level `Value`",
    }
    for tail, why in cases.items():
        text = (REFERENCE_PACKAGE / "engine.py").read_text(encoding="utf-8")
        engine.write_text(text.replace("class Value", "class Scalar") + tail, encoding="utf-8")
        refused = into_notebook(template, "notebooks/02_value.ipynb")
        assert refused.returncode == 1 and why in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert (
            notebook.read_bytes()
            == (STUDENT_TEMPLATE / "notebooks" / "02_value.ipynb").read_bytes()
        )
