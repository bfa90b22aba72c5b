"""student_template/save_notebook.py: a lesson notebook's module cells become the package file."""

import json
import shutil
import subprocess
import sys

from generate_helpers import IGNORE

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
