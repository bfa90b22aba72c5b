"""Solution regions: `### BEGIN SOLUTION` ... `### END SOLUTION` in the reference.

The stubbing is nbgrader's own ClearSolutions preprocessor, run on a one-cell notebook that holds
the text, so a module and a notebook cell are cleared by exactly the same rule."""

from __future__ import annotations

import logging

import nbformat
from nbgrader.preprocessors import ClearSolutions

from grader.generate.errors import GenerateError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


def has_solution(text: str) -> bool:
    return any(BEGIN in line for line in text.splitlines())


def solution_lines(text: str) -> list[str]:
    """The lines inside solution regions (stripped), i.e. what a student must write."""
    lines, inside = [], False
    for line in text.splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def _quiet_clear_solutions() -> ClearSolutions:
    preprocessor = ClearSolutions()
    # nbgrader logs the whole cell before raising on a broken region; our error says it in a line
    preprocessor.log.setLevel(logging.CRITICAL)
    return preprocessor


def clear_solutions(text: str, where: str) -> str:
    """`text` with every solution region replaced by nbgrader's stub at the region's indent."""
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False}
    nb = nbformat.v4.new_notebook(cells=[cell])
    try:
        _quiet_clear_solutions().preprocess(nb, {})
    except RuntimeError as exc:
        raise GenerateError(f"{where}: broken solution region ({exc})") from None
    return nb.cells[0].source


def clear_notebook_solutions(nb, where: str):
    try:
        return _quiet_clear_solutions().preprocess(nb, {})[0]
    except RuntimeError as exc:
        raise GenerateError(f"{where}: broken solution region ({exc})") from None
