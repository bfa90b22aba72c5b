"""Build student notebooks for the notebook-submission tests: the generated template notebooks
(student_template/notebooks/), left unfilled or filled with the reference solution's code taken
from the nbgrader source notebooks (assignments/<lesson>/<lesson>.ipynb), cell by grade_id."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import nbformat

from grader.intake import notebooks
from grader.paths import ASSIGNMENTS, STUDENT_TEMPLATE


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@cache
def _solutions(lesson: str) -> dict[str, str]:
    source = nbformat.read(ASSIGNMENTS / lesson / f"{lesson}.ipynb", as_version=4)
    return {
        grade_id(c): c.source
        for c in source.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


@cache
def _template(lesson: str):
    name = notebooks.load_templates()[lesson].filename
    return nbformat.read(STUDENT_TEMPLATE / "notebooks" / name, as_version=4)


def template_name(lesson: str) -> str:
    return notebooks.load_templates()[lesson].filename


def solution(grade: str) -> str:
    lesson = next(t.lesson for t in notebooks.load_templates().values() if grade in t.solution_ids)
    return _solutions(lesson)[grade]


def student_notebook(lesson: str, filled: bool = True):
    """The lesson's student notebook; filled: its solution cells hold the reference code."""
    nb = copy.deepcopy(_template(lesson))
    if filled:
        for cell in nb.cells:
            if grade_id(cell) in _solutions(lesson):
                cell.source = _solutions(lesson)[grade_id(cell)]
    return nb


def cell_by_id(nb, grade: str):
    return next(c for c in nb.cells if grade_id(c) == grade)


def write_notebook(path: Path, nb) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_all(folder: Path, filled: bool = True, lessons=None) -> Path:
    """Every lesson notebook under its template name in `folder`."""
    for lesson in lessons or notebooks.load_templates():
        write_notebook(Path(folder) / template_name(lesson), student_notebook(lesson, filled))
    return Path(folder)
