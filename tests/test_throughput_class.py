"""The class benchmarks/throughput.py grades: what it holds, and how a student's package
becomes nbgrader's notebook cells (docs/throughput.md)."""

import ast
import importlib.util

import pytest

from grader.paths import CHECKOUT, REFERENCE_PACKAGE


@pytest.fixture(scope="module")
def throughput():
    spec = importlib.util.spec_from_file_location(
        "throughput", CHECKOUT / "benchmarks" / "throughput.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_class_mixes_correct_buggy_and_broken(throughput, tmp_path):
    kinds = throughput.make_class(tmp_path, 40, ["losses"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kinds)
    values = list(kinds.values())
    assert values.count("broken") == 2 and values.count("correct") == 26
    bugs = [kind for kind in values if kind.startswith("bug: ")]
    assert len(bugs) == 12
    assert {throughput.BUGS[kind[5:]][0] for kind in bugs} == {"losses"}  # the graded lesson
    broken = [tmp_path / sub for sub, kind in kinds.items() if kind == "broken"]
    assert not any(broken[1].iterdir())  # the empty one
    with pytest.raises(SyntaxError):
        ast.parse((broken[0] / "micrograd" / "engine.py").read_text())


def test_every_bug_changes_its_module(throughput, tmp_path):
    for number, (name, bug) in enumerate(throughput.BUGS.items()):
        throughput.with_bug(name)(tmp_path / str(number))
        origin = throughput.KARPATHY_STYLE if name in throughput.CLOSURE_BUGS else REFERENCE_PACKAGE
        changed = (tmp_path / str(number) / "micrograd" / bug[1]).read_text()
        assert changed != (origin / bug[1]).read_text(), name
