"""Split a reference module into named parts, so notebooks take their code from the package.

A module is its *header* (docstring, imports, constants: everything before the first `def` or
`class`) followed by one part per top-level `def`/`class`, named after it. A part starts at its
decorators or the comment lines right above it and runs up to the next part, blank lines
included, so joining the parts in order gives back the module byte for byte. Statements between
two definitions belong to the part above them."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.generate.errors import GenerateError

# One rule for where a part starts, shared with the student's save_notebook.py, which cuts a
# package module back into the notebook's cells.
from grader.generate.student.save_notebook import definition_start

HEADER = "header"


@dataclass(frozen=True)
class Part:
    name: str
    text: str


def split_module(text: str, where: str) -> list[Part]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise GenerateError(f"{where}:{exc.lineno}: not valid Python ({exc.msg})") from None
    lines = text.splitlines(keepends=True)
    starts = [(HEADER, 0)]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            starts.append((node.name, definition_start(node, lines)))
    if len(starts) > 1 and starts[1][1] == 0:
        starts.pop(0)  # no header at all: the module opens with a definition
    names = [name for name, _ in starts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GenerateError(f"{where}: top-level name(s) defined twice: {', '.join(duplicates)}")
    ends = [start for _, start in starts[1:]] + [len(lines)]
    return [Part(name, "".join(lines[start:end])) for (name, start), end in zip(starts, ends)]
