"""What the student reads when their code fails in a worker: a missing third-party module is the
standard-library rule, slow imports are import time, a call that does not fit the API quotes
the signature the course expects, and no message shows the grader's scratch paths."""

import json
import re
import time

import pytest
from sandbox_helpers import submission_from_reference
from test_sandbox import BACKWARD, GRAPH, worker_for

from grader.paths import REFERENCE_PACKAGE
from grader.sandbox.client import Worker
from grader.sandbox.errors import StudentError, WorkerCrashed, WorkerTimeout
from grader.sandbox.jail import Limits
from grader.sandbox.signatures import expected_call
from grader.suites.assemble import assemble_package, read_assembly
from grader.suites.runner import run_suites

NEURON = {"kind": "neuron", "nin": 2, "activation": "relu"}
NN_TOP = ("import random\n", "import random\nimport numpy as np\n")
# The line an import added right after the reference nn.py's `import random` lands on.
ADDED_LINE = (REFERENCE_PACKAGE / "nn.py").read_text().splitlines().index("import random") + 2


def test_an_unused_numpy_import_is_reported_as_the_standard_library_rule(tmp_path):
    with worker_for(tmp_path, lesson="nn", nn=[NN_TOP]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    text = str(caught.value)
    assert text.startswith(
        f"micrograd/nn.py, line {ADDED_LINE} imports numpy, which the grader does not "
        "have: micrograd is written with Python's standard library only"
    )
    assert "remove the import" in text and "ModuleNotFoundError" not in text


def test_a_missing_package_module_is_not_blamed_on_the_standard_library(tmp_path):
    helper = ("import random\n", "import random\nfrom .helpers import scale\n")
    with worker_for(tmp_path, lesson="nn", nn=[helper]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    assert str(caught.value).startswith(
        f"micrograd/nn.py, line {ADDED_LINE} imports micrograd.helpers, "
        "which is not in the package graded for this lesson"
    )


def test_any_module_outside_the_standard_library_is_reported_as_the_rule(tmp_path):
    bad = ("import random\n", "import random\nimport _no_such_stdlib_module_\n")
    with worker_for(tmp_path, lesson="nn", nn=[bad]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    # A name the grader cannot place is a third-party module: the rule applies to it too.
    assert "_no_such_stdlib_module_, which the grader does not have" in str(caught.value)


@pytest.mark.slow
def test_training_at_import_is_reported_as_import_time(tmp_path):
    training = ("import math\n", "import math\nimport time\ntime.sleep(60)\n")
    with worker_for(tmp_path, limits=Limits(request_timeout=2.0), engine=[training]) as worker:
        with pytest.raises(WorkerTimeout) as caught:
            worker.call("value.graph", nodes=GRAPH)
    text = str(caught.value)
    assert re.match(r"your package took more than [12](\.\d)? s to import", text), text
    assert "(micrograd/engine.py was still running its top-level code)" in text
    assert 'under `if __name__ == "__main__":`' in text


@pytest.mark.slow
def test_a_slow_import_inside_another_names_the_module_that_was_running(tmp_path):
    slow = ("import math\n", "import math\nimport time\ntime.sleep(60)\n")
    mine = tmp_path / "mine"
    with worker_for(
        mine, lesson="nn", whole_stack=True, limits=Limits(request_timeout=2.0), engine=[slow]
    ) as worker:
        with pytest.raises(WorkerTimeout) as caught:  # nn.py imports engine.py, which sleeps
            worker.call("nn.parameters", model=NEURON)
    assert "(micrograd/engine.py was still running" in str(caught.value)


@pytest.mark.slow
def test_a_slow_request_after_a_finished_import_is_not_import_time(tmp_path):
    slow_import = ("import math\n", "import math\nimport time\ntime.sleep(1.0)\n")
    hang = (BACKWARD, "        ### BEGIN SOLUTION\n        while True:\n            pass\n")
    with worker_for(
        tmp_path, limits=Limits(request_timeout=3.0), engine=[slow_import, hang]
    ) as worker:
        with pytest.raises(WorkerTimeout) as caught:
            worker.call("value.graph", nodes=GRAPH)
        text = str(caught.value)
        assert text.startswith("no answer within 3 s (an endless loop, or far too slow?)")
        assert "importing your package took 1" in text
        with pytest.raises(WorkerTimeout) as again:  # a fresh worker: imports again, then hangs
            worker.call("value.graph", nodes=GRAPH)
        assert "no answer within" in str(again.value)
        assert worker.call("value.graph", nodes=GRAPH, backward=False)["data"][2] == 6.0


def test_a_request_that_hangs_after_imports_says_nothing_of_imports(tmp_path):
    hang = (BACKWARD, "        ### BEGIN SOLUTION\n        while True:\n            pass\n")
    with worker_for(tmp_path, limits=Limits(request_timeout=1.0), engine=[hang]) as worker:
        with pytest.raises(WorkerTimeout) as caught:
            worker.call("value.graph", nodes=GRAPH)
    assert str(caught.value) == "no answer within 1 s (an endless loop, or far too slow?)"


def test_an_exit_at_import_names_the_module_being_imported(tmp_path):
    exiting = ("import math\n", "import math\nimport os\nos._exit(0)\n")
    with worker_for(tmp_path, engine=[exiting]) as worker:
        with pytest.raises(WorkerCrashed) as caught:
            worker.call("value.leaf", data=1.0)
    assert str(caught.value).endswith(", while importing micrograd/engine.py")


def test_a_patched_reply_encoder_cannot_turn_progress_into_replies(tmp_path):
    patching = (
        "import math\n",
        "import math\nimport sys\n"
        "sys.modules['__main__'].encode = lambda reply: b'{\"ok\": true, \"result\": 0}\\n'\n",
    )
    with worker_for(tmp_path, engine=[patching]) as worker:
        assert worker.call("value.leaf", data=1.5) == 0  # the request's reply: forged, as before
        assert worker.call("value.leaf", data=2.5) == 0  # ... and still one line per request
        with pytest.raises(WorkerTimeout):  # nothing left over on the pipe
            worker._reply(time.monotonic() + 0.5)


def test_a_call_that_does_not_fit_the_signature_quotes_the_courses(tmp_path):
    renamed = (
        '    def __init__(self, nin, activation="tanh"):',
        '    def __init__(self, nin, act="tanh"):\n        activation = act',
    )
    with worker_for(tmp_path, lesson="nn", nn=[renamed]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    assert str(caught.value) == (
        "your code raised TypeError: Neuron.__init__() got an unexpected keyword argument "
        "'activation' — the course expects Neuron(nin, activation='tanh')"
    )


def test_a_type_error_inside_the_students_code_quotes_no_signature(tmp_path):
    # Raised inside Neuron.__init__ by a call of the student's own: not the course's call.
    inner = (
        '    def __init__(self, nin, activation="tanh"):',
        '    def __init__(self, nin, activation="tanh"):\n        Layer(nin)',
    )
    with worker_for(tmp_path, lesson="nn", nn=[inner]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    assert "Layer.__init__() missing 1 required positional argument" in str(caught.value)
    assert "the course expects" not in str(caught.value) and caught.value.where


def test_expected_signatures_come_from_the_reference():
    assert (
        expected_call("MLP.__init__() takes 3 positional arguments")
        == "MLP(nin, nouts, activation='tanh')"
    )
    assert (
        expected_call("numerical_derivative() missing 1 required positional argument: 'x'")
        == "numerical_derivative(f, x, h=1e-06)"
    )
    assert (
        expected_call("Adam.step() takes 1 positional argument but 2 were given") == "Adam.step()"
    )
    assert expected_call("unsupported operand type(s) for +: 'Value' and 'str'") == ""
    assert expected_call("helper() takes no arguments") == ""


@pytest.mark.parametrize(
    "raising",
    [
        "raise ValueError('bad file: ' + __file__)",
        "open(os.path.join(os.path.dirname(__file__), 'weights.txt'))",
        "open(os.path.join(os.getcwd(), 'weights.txt'))",
    ],
    ids=["message", "file-not-found", "cwd"],
)
def test_messages_show_paths_relative_to_the_submission(tmp_path, raising):
    add = """    def __add__(self, other):
        ### BEGIN SOLUTION
"""
    edit = (add, add + f"        import os\n        {raising}\n")
    with worker_for(tmp_path, engine=[edit]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("value.graph", nodes=[["leaf", 1.0], ["add", 0, 0]])
    text = str(caught.value)
    assert str(tmp_path) not in text and "/tmp" not in text, text
    assert "micrograd/engine.py" in text or "'weights.txt'" in text, text


def _graded(tmp_path, **files):
    package = submission_from_reference(tmp_path / "submission", files=files)
    return run_suites(package, seed=3, lessons=["derivatives"], workdir=tmp_path / "work")


def test_graded_numpy_import_costs_its_lesson_with_the_rule_as_the_reason(tmp_path):
    source = (REFERENCE_PACKAGE / "derivatives.py").read_text()
    results = _graded(tmp_path, **{"derivatives.py": "import numpy as np\n" + source})
    assert results["lessons"]["derivatives"]["points"] == 0
    messages = {check["message"] for check in results["checks"]}
    assert messages == {
        "micrograd/derivatives.py, line 1 imports numpy, which the grader does "
        "not have: micrograd is written with Python's standard library only, "
        "so remove the import (use math and random)"
    }


def test_graded_messages_never_show_the_graders_scratch_paths(tmp_path):
    source = (REFERENCE_PACKAGE / "derivatives.py").read_text()
    leaky = source.replace(
        '    """Estimate f\'(x)',
        '    raise ValueError(f"{__file__} in "\n'
        '                     f"{os.getcwd()}")\n    """Estimate f\'(x)',
        1,
    )
    results = _graded(tmp_path, **{"derivatives.py": "import os\n" + leaky})
    failed = [check for check in results["checks"] if check["outcome"] != "passed"]
    assert failed and all("micrograd/derivatives.py in " in c["message"] for c in failed)
    text = json.dumps(results)
    assert str(tmp_path) not in text and "/tmp/" not in text


def test_a_syntax_error_in_a_helper_module_names_it_relatively(tmp_path):
    package = submission_from_reference(
        tmp_path / "submission",
        {"nn.py": [("import random\n", "import random\nfrom .helpers import scale\n")]},
        files={"helpers.py": "def scale(:\n"},
    )
    dest = assemble_package(package, "nn", tmp_path / "assembled")
    with Worker(dest, student_files=read_assembly(dest).student) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("nn.parameters", model=NEURON)
    text = str(caught.value)
    assert text.startswith("your code raised SyntaxError: ") and "helpers.py, line 1" in text
    assert (
        f"micrograd/nn.py, line {ADDED_LINE}" in text
        and "/tmp" not in text
        and str(tmp_path) not in text
    )
