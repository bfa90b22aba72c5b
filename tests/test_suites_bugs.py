"""Realistic single bugs cost points, and only in the lesson the bug is in.

Each bug is one exact text edit of a copy of the reference (the edit must apply exactly once, so
this test fails loudly when the reference changes) — or, for the bugs only a closure-style
engine can have (one operation's backward that writes `self.grad = ...` instead of `+=`), of a
copy of alice's karpathy-style example submission. For each, the bug's lesson is graded together
with one cheap other lesson: the bug's lesson must lose points, the other must keep full marks.
One run grades all six lessons.
"""

import shutil

import pytest
from sandbox_helpers import submission_from_reference

from grader.lessons import load_lessons
from grader.paths import EXAMPLES
from grader.suites.runner import run_suites

FULL = {lesson.id: lesson.points for lesson in load_lessons()}

# id: (lesson, file, old text, new text)
BUGS = {
    "forward-difference derivative": (
        "derivatives",
        "derivatives.py",
        "return (f(x + h) - f(x - h)) / (2 * h)",
        "return (f(x + h) - f(x)) / h",
    ),
    "wrong tanh derivative": (
        "value",
        "engine.py",
        "_local_grads=(1 - t * t,)",
        "_local_grads=(1 + t * t,)",
    ),
    "= instead of += in backward": (
        "value",
        "engine.py",
        "child.grad += local_grad * node.grad",
        "child.grad = local_grad * node.grad",
    ),
    "missing __rsub__": ("value", "engine.py", "    def __rsub__(self", "    def _rsub(self"),
    "relu passes no gradient where x > 0": (
        "value",
        "engine.py",
        '"ReLU", _local_grads=(1.0,)',
        '"ReLU", _local_grads=(0.0,)',
    ),
    "sigmoid local grad s instead of s(1 - s)": (
        "value",
        "engine.py",
        "_local_grads=(s * (1 - s),)",
        "_local_grads=(s,)",
    ),
    "rtruediv divides the wrong way": (
        "value",
        "engine.py",
        "return Value(other) / self",
        "return self / Value(other)",
    ),
    "Neuron without bias": ("nn", "nn.py", "return self.w + [self.b]", "return self.w"),
    "last layer not linear": (
        "nn",
        "nn.py",
        'activation="linear" if i == last else activation',
        "activation=activation",
    ),
    "hinge without mean": (
        "losses",
        "losses.py",
        "return total * (1.0 / len(scores))",
        "return total",
    ),
    "BCE sign flipped": (
        "losses",
        "losses.py",
        "return -total * (1.0 / len(probs))",
        "return total * (1.0 / len(probs))",
    ),
    "mse without the square": ("losses", "losses.py", "((p - t) ** 2 for", "((p - t) * 2 for"),
    "Adam without bias correction": (
        "optim",
        "optim.py",
        "m_hat = self.m[i] / correction1",
        "m_hat = self.m[i]",
    ),
    "Momentum with lr inside v": (
        "optim",
        "optim.py",
        "self.velocity[i] = self.beta * self.velocity[i] + p.grad\n"
        "            p.data -= self.lr * self.velocity[i]",
        "self.velocity[i] = self.beta * self.velocity[i] + self.lr * p.grad\n"
        "            p.data -= self.velocity[i]",
    ),
    "optimizer zero_grad leaves the grads": (
        "optim",
        "optim.py",
        "        for p in self.params:\n            p.grad = 0.0",
        "        pass",
    ),
    "StepLR off by one": (
        "optim",
        "optim.py",
        "self.gamma ** (epoch // self.step_size)",
        "self.gamma ** ((epoch + 1) // self.step_size)",
    ),
    "clip_grad_norm returns the norm after clipping": (
        "optim",
        "optim.py",
        "            p.grad *= factor\n    return norm",
        "            p.grad *= factor\n    return math.sqrt(sum(p.grad**2 for p in params))",
    ),
    "swapped moon labels": (
        "training",
        "data.py",
        "y = [-1] * n_outer + [1] * n_inner",
        "y = [1] * n_outer + [-1] * n_inner",
    ),
    "batches drops the last batch": (
        "training",
        "data.py",
        "for start in range(0, len(order), batch_size):",
        "for start in range(0, len(order) - batch_size + 1, batch_size):",
    ),
    "train_val_split floors instead of rounding": (
        "training",
        "data.py",
        "n_val = round(len(X) * val_fraction)",
        "n_val = int(len(X) * val_fraction)",
    ),
    "accuracy counts score 0 as +1": (
        "training",
        "train.py",
        "return 1 if score > 0 else -1",
        "return 1 if score >= 0 else -1",
    ),
    "train forgets zero_grad": ("training", "train.py", "            optimizer.zero_grad()\n", ""),
    "train loss not weighted by batch size": (
        "training",
        "train.py",
        "total += batch_objective.data * len(X_batch)",
        "total += batch_objective.data",
    ),
    "best_epoch counted from 1": (
        "training",
        "train.py",
        "history.best_epoch = val_loss, epoch\n",
        "history.best_epoch = val_loss, epoch + 1\n",
    ),
    "train never clips": (
        "training",
        "train.py",
        "                clip_grad_norm(model.parameters(), clip_norm)\n",
        "                pass\n",
    ),
    "train never steps the scheduler": (
        "training",
        "train.py",
        "            scheduler.step()\n",
        "            pass\n",
    ),
    "benchmark does not reseed before each model": (
        "training",
        "train.py",
        "        random.seed(seed)  # same seed",
        "        pass  # same seed",
    ),
}
# Per-operation accumulation bugs of a closure engine (examples/submissions/alice): only a node
# used twice through that operation shows them (design.md, "Fair checks").
CLOSURE_BUGS = {
    f"{op}'s backward assigns instead of accumulating": (
        "value",
        "engine.py",
        old,
        old.replace("+=", "=", 1),
    )
    for op, old in {
        "tanh": "self.grad += (1 - t ** 2) * out.grad",
        "relu": "self.grad += (out.data > 0) * out.grad",
        "sigmoid": "self.grad += s * (1 - s) * out.grad",
        "exp": "self.grad += e * out.grad",
        "log": "self.grad += out.grad / self.data",
        "pow": "self.grad += other * self.data ** (other - 1) * out.grad",
        "mul": "other.grad += self.data * out.grad",
    }.items()
}
BUGS.update(CLOSURE_BUGS)
# A cheap lesson graded alongside each bug's lesson, to show it keeps its marks.
NEIGHBOUR = {
    "derivatives": "losses",
    "value": "derivatives",
    "nn": "derivatives",
    "losses": "derivatives",
    "optim": "losses",
    "training": "derivatives",
}


def buggy(tmp_path, name):
    lesson, path, old, new = BUGS[name]
    if name in CLOSURE_BUGS:
        package = tmp_path / "sub" / "micrograd"
        shutil.copytree(EXAMPLES / "alice" / "micrograd", package)
        text = (package / path).read_text()
        assert text.count(old) == 1, f"edit does not apply exactly once to {path}: {old!r}"
        (package / path).write_text(text.replace(old, new))
        return lesson, package
    return lesson, submission_from_reference(tmp_path / "sub", {path: [(old, new)]})


def grade(package, tmp_path, lessons):
    results = run_suites(package, seed=7, lessons=lessons, workdir=tmp_path / "work")
    assert results["internal_errors"] == []
    return results, {lesson: info["points"] for lesson, info in results["lessons"].items()}


def params():
    for name, (lesson, *_rest) in BUGS.items():
        marks = [pytest.mark.slow] if lesson == "training" else []  # a training run takes seconds
        yield pytest.param(name, id=name, marks=marks)


def test_there_are_enough_bugs_in_every_lesson():
    lessons = [lesson for lesson, *_rest in BUGS.values()]
    assert len(BUGS) >= 15 and set(lessons) == set(FULL)


@pytest.mark.parametrize("name", list(params()))
def test_a_bug_costs_points_in_its_own_lesson_only(tmp_path, name):
    lesson, package = buggy(tmp_path, name)
    neighbour = NEIGHBOUR[lesson]
    results, points = grade(package, tmp_path, [lesson, neighbour])
    assert points[lesson] < FULL[lesson], f"{name}: no points lost"
    assert points[neighbour] == FULL[neighbour]
    failed = [c for c in results["checks"] if c["outcome"] != "passed"]
    assert all(c["lesson"] == lesson and c["message"] for c in failed)


@pytest.mark.slow
def test_all_six_lessons_with_one_bug(tmp_path):
    lesson, package = buggy(tmp_path, "swapped moon labels")
    _, points = grade(package, tmp_path, None)
    assert sum(points.values()) < 100
    assert points == {**FULL, lesson: points[lesson]}


@pytest.mark.slow
def test_an_engine_bug_costs_the_training_lesson_only_its_whole_stack_check(tmp_path):
    """Lesson 6 runs on the reference engine, except the one integration check (by design)."""
    _, package = buggy(tmp_path, "= instead of += in backward")
    results, _ = grade(package, tmp_path, ["training"])
    failed = [c["id"] for c in results["checks"] if c["outcome"] != "passed"]
    assert failed == ["training/test_whole_stack_learns_the_moons"]
