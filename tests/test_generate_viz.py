"""viz.draw_dot, the helper given whole to students: SVG through `dot`, text tree without it."""

import importlib.util
import shutil
from types import SimpleNamespace

import pytest

from grader.paths import REFERENCE_PACKAGE


@pytest.fixture
def viz():
    spec = importlib.util.spec_from_file_location("viz_under_test", REFERENCE_PACKAGE / "viz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graph():
    a = SimpleNamespace(data=2.0, grad=-3.0, _prev=(), _op="", label="a")
    b = SimpleNamespace(data=-3.0, grad=2.0, _prev=(), _op="", label="b")
    return SimpleNamespace(data=-6.0, grad=1.0, _prev=(a, b), _op="*", label="c")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_draw_dot_renders_svg_with_dot(viz):
    drawing = viz.draw_dot(graph())
    assert drawing._repr_svg_().lstrip().startswith("<?xml") and "<svg" in drawing.svg


def test_draw_dot_falls_back_to_a_text_tree_without_dot(viz, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    drawing = viz.draw_dot(graph())
    assert drawing._repr_svg_() is None
    assert repr(drawing).splitlines() == [
        "c | data -6.0000 | grad 1.0000  [*]",
        "    a | data 2.0000 | grad -3.0000",
        "    b | data -3.0000 | grad 2.0000",
    ]


def test_draw_dot_handles_a_deep_chain(viz, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    node = SimpleNamespace(data=0.0, grad=0.0, _prev=(), _op="", label="")
    for _ in range(1500):  # deeper than Python's recursion limit
        node = SimpleNamespace(data=0.0, grad=0.0, _prev=(node,), _op="+", label="")
    assert len(repr(viz.draw_dot(node)).splitlines()) == 1501
