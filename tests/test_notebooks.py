"""The lesson notebooks run: every source notebook executes top to bottom (reference on the
path), the real nbgrader accepts the source notebooks (`validate`) and the student notebooks
(`validate --invert`: every test cell fails before the student writes anything). The closing
section's PyTorch comparison runs when torch is importable and says it is skipped when not."""

import importlib.util
import os
import subprocess
import sys

import nbformat
import pytest
from jupyter_client.kernelspec import find_kernel_specs
from nbclient import NotebookClient

from grader.generate.notebook import KERNELSPEC
from grader.lessons import load_lessons
from grader.paths import ASSIGNMENTS, ROOT, SOLUTIONS, STUDENT_TEMPLATE

sys.path.insert(0, str(ROOT / "benchmarks"))
from nbgrader_vs_micrograder import kernel_environment  # noqa: E402

LESSONS = load_lessons()
pytestmark = pytest.mark.slow
# A source notebook runs with the reference as its package and, as a student notebook finds it
# in ../tests, the self-check's words module (student_template/tests/words.py).
SOURCE_PATH = os.pathsep.join([str(SOLUTIONS), str(STUDENT_TEMPLATE / "tests")])


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """The kernel the notebooks name (`micrograder`, which install.sh installs into the
    environment); when missing, installed for this Python under a scratch prefix that Jupyter
    finds through JUPYTER_PATH, never into the user's own kernels."""
    with pytest.MonkeyPatch.context() as patch:
        if KERNELSPEC["name"] not in find_kernel_specs():
            for name, value in kernel_environment(tmp_path_factory.mktemp("kernel")).items():
                patch.setenv(name, value)
        yield KERNELSPEC["name"]


@pytest.fixture
def reference_on_path(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", SOURCE_PATH)  # the kernel inherits the environment
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend records the plots


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_source_notebook_executes(lesson, kernel, reference_on_path):
    path = ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    if lesson.id == "value":  # draw_dot rendered the graph inline
        assert any(
            "image/svg+xml" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])
        )
    if lesson.id == "training":  # loss curves and decision boundary
        assert (
            sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
            >= 3
        )


def full_picture_code(nb) -> list[str]:
    """The code cells of lesson 6's closing section, "The Full Picture" (up to the self-check)."""
    sources, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# The Full Picture"):
            inside = True
        elif cell.cell_type == "markdown" and cell.source.startswith("## Check your work"):
            inside = False
        elif inside and cell.cell_type == "code":
            sources.append(cell.source)
    return sources


def test_full_picture_compares_with_pytorch_only_when_torch_is_installed(
    kernel, reference_on_path, record_property
):
    """Installs nothing: with torch importable the cells compare the neuron and Adam with
    PyTorch's; without it they print that the comparison is skipped (torch is never needed)."""
    path = ASSIGNMENTS / "training" / "training.ipynb"
    sources = full_picture_code(nbformat.read(path, as_version=4))
    assert any("import torch" in source for source in sources)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(
        nb, timeout=120, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.outputs)
    torch_installed = importlib.util.find_spec("torch") is not None
    mode = "torch importable: comparison ran" if torch_installed else "torch absent: note only"
    print(f"The Full Picture's PyTorch cells: {mode}")
    record_property("pytorch_comparison", mode)
    if torch_installed:
        assert "PyTorch agrees on the neuron: True" in text
        assert "PyTorch agrees on Adam: True" in text
    else:
        assert "PyTorch is not installed, so the comparison is skipped" in text
        assert "PyTorch agrees" not in text
    assert "micrograd" in text  # micrograd's own numbers are printed either way


def nbgrader_validate(paths, *flags, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    proc = subprocess.run(
        ["nbgrader", "validate", *flags, *map(str, paths)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc.stdout + proc.stderr


def test_nbgrader_validate_accepts_the_source_notebooks(kernel):
    paths = [ASSIGNMENTS / lesson.id / f"{lesson.id}.ipynb" for lesson in LESSONS]
    output = nbgrader_validate(paths, pythonpath=SOURCE_PATH)
    assert output.count("Success! Your notebook passes all the tests.") == len(paths), output[
        -4000:
    ]


def test_nbgrader_validate_invert_accepts_the_student_notebooks(kernel):
    paths = [STUDENT_TEMPLATE / "notebooks" / lesson.notebook_name for lesson in LESSONS]
    output = nbgrader_validate(paths, "--invert")
    assert output.count("Success! The notebook does not pass any tests.") == len(paths), output[
        -4000:
    ]
