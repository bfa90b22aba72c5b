"""Every check depends only on the API it declares, and every API name is observed by a check.

For each public name of the student API (design.md: every operation, class, method, function
and module), the reference is graded with that one name taken away, as a student who has not
written it yet would hand it in. Only the checks whose `uses` marker declares the name (or a part
of it, or the module holding it) may lose points, and at least one must. Taking away works as
missing work does: a module file is absent; a module-level function or class is the template's
stub (it raises NotImplementedError when called, so `from .data import batches` in another
module still imports); a method answers AttributeError (a descriptor, so inherited methods such
as zero_grad disappear too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.lessons import load_lessons
from grader.paths import REFERENCE_PACKAGE

pytestmark = pytest.mark.slow

VALUE_METHODS = (
    "__add__",
    "__sub__",
    "__mul__",
    "__truediv__",
    "__pow__",
    "__neg__",
    "__radd__",
    "__rsub__",
    "__rmul__",
    "__rtruediv__",
    "tanh",
    "relu",
    "sigmoid",
    "exp",
    "log",
    "backward",
)
API = [
    "derivatives",
    "derivatives.numerical_derivative",
    "derivatives.numerical_gradient",
    "derivatives.chain_rule",
    "engine",
    "engine.Value",
    *(f"engine.Value.{m}" for m in VALUE_METHODS),
    "nn",
    "nn.Module.zero_grad",
    *(
        name
        for cls in ("Neuron", "Layer", "MLP")
        for name in (f"nn.{cls}", f"nn.{cls}.parameters", f"nn.{cls}.__call__")
    ),
    "losses",
    "losses.mse_loss",
    "losses.hinge_loss",
    "losses.l2_regularization",
    "losses.binary_cross_entropy",
    "optim",
    *(
        name
        for cls in ("SGD", "Momentum", "Adam")
        for name in (f"optim.{cls}", f"optim.{cls}.step", f"optim.{cls}.zero_grad")
    ),
    *(
        name
        for cls in ("StepLR", "ExponentialLR", "CosineAnnealingLR")
        for name in (f"optim.{cls}", f"optim.{cls}.step")
    ),
    "optim.clip_grad_norm",
    "optim.clip_grad_value",
    "data",
    "data.make_moons",
    "data.train_val_split",
    "data.batches",
    "train",
    "train.accuracy",
    "train.History",
    "train.train",
    "train.benchmark_optimizers",
]
# Deliberately not ablated (docs/hidden-suites.md says why): nn.Module.parameters — the base
# class's `return []`, overridden by every model class, so no behaviour depends on it.

MISSING = '''

class _Ablated:
    """A deleted method: looking it up raises AttributeError, as if it were never written."""

    def __get__(self, obj, owner=None):
        raise AttributeError("ablated by the test")


def _not_written(*args, **kwargs):
    """A module-level function or class not written yet: the template's stub."""
    raise NotImplementedError()
'''
LESSON_OF_MODULE = {m: lesson.id for lesson in load_lessons() for m in lesson.modules}
ORDER = {lesson.id: lesson.order for lesson in load_lessons()}


def ablate(package: Path, name: str) -> None:
    module, *rest = name.split(".")
    path = package / f"{module}.py"
    if not rest:
        path.unlink()
    elif len(rest) == 1:
        path.write_text(path.read_text() + MISSING + f"\n{rest[0]} = _not_written\n")
    else:
        cls, method = rest
        path.write_text(path.read_text() + MISSING + f"\n{cls}.{method} = _Ablated()\n")


def covers(declared: str, name: str) -> bool:
    """A check declaring `declared` may fail when `name` is deleted: the same name, a part of
    it (a method of a deleted class, anything of a deleted module), or anything inside a
    declared module (the whole-stack check declares modules). A declared class does not cover
    its methods: a check of SGD.step must not fail for want of SGD.zero_grad."""
    return (
        declared == name
        or declared.startswith(name + ".")
        or "." not in declared
        and name.startswith(declared + ".")
    )


def grade(name: str, folder: Path, slot: int) -> dict:
    package = folder / "micrograd"
    shutil.copytree(REFERENCE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    ablate(package, name)
    first = ORDER[LESSON_OF_MODULE[name.split(".")[0]]]
    lessons = [lid for lid, order in ORDER.items() if order >= first]  # earlier ones cannot change
    out = folder / "results.json"
    argv = [
        sys.executable,
        "-m",
        "grader.suites",
        "--submission",
        str(package),
        "--seed",
        "3",
        "--json",
        str(out),
        "--slot",
        str(slot),
        "--workdir",
        str(folder / "work"),
    ]
    for lesson in lessons:
        argv += ["--lesson", lesson]
    (folder / "work").mkdir()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (name, proc.stderr[-2000:])
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def ablations(tmp_path_factory):
    base = tmp_path_factory.mktemp("ablation")

    def one(args):
        i, name = args
        return name, grade(name, base / f"{i:02d}", slot=i % 2)

    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: one runner per core
        return dict(pool.map(one, enumerate(API)))


def test_every_check_declares_what_it_uses():
    from grader.suites.runner import collect_checks

    undeclared = [c["id"] for c in collect_checks() if not c["uses"]]
    assert undeclared == []


@pytest.mark.parametrize("name", API)
def test_deleting_a_name_costs_only_the_checks_that_declare_it(ablations, name):
    results = ablations[name]
    assert results["internal_errors"] == [], name
    failed = [c for c in results["checks"] if c["outcome"] != "passed"]
    assert failed, f"no check observes {name}"
    undeclared = [c["id"] for c in failed if not any(covers(d, name) for d in c["uses"])]
    assert undeclared == [], f"{name} deleted: these checks failed without declaring it"
