"""The worker protocol: round trips, student exceptions, timeouts, crashes, garbage replies,
budgets, and lesson assembly. Student code here is always a reference copy with one edit."""

import json

import pytest
from sandbox_helpers import submission_from_reference

from grader.sandbox.client import Budget, HarnessError, Worker
from grader.sandbox.errors import BadReply, StudentError, WorkerCrashed, WorkerTimeout
from grader.sandbox.jail import Limits
from grader.suites.assemble import assemble_package, imported_modules, read_assembly, stack_modules

GRAPH = [["leaf", 2.0], ["leaf", 3.0], ["mul", 0, 1]]
ADD = """    def __add__(self, other):
        ### BEGIN SOLUTION
"""
BACKWARD = """        ### BEGIN SOLUTION
        self.grad = 1.0
"""


def worker_for(tmp_path, lesson="value", limits=Limits(), budget=None, whole_stack=False, **edits):
    """A Worker on the reference with `edits` ({file: [(old, new)]}) assembled for `lesson`
    (`whole_stack`: every module the lesson needs from the submission)."""
    package = submission_from_reference(
        tmp_path / "submission", {f"{k}.py": v for k, v in edits.items()}
    )
    dest = assemble_package(package, lesson, tmp_path / "assembled", whole_stack=whole_stack)
    return Worker(dest, limits=limits, budget=budget, student_files=read_assembly(dest).student)


def test_round_trip_returns_plain_json(tmp_path):
    with worker_for(tmp_path) as worker:
        reply = worker.call("value.graph", nodes=GRAPH)
    assert reply == {"data": [2.0, 3.0, 6.0], "grad": [3.0, 2.0, 1.0]}
    assert all(type(x) is float for x in reply["data"] + reply["grad"])


def test_student_exception_names_only_the_students_file(tmp_path):
    raising = (ADD, ADD + "        raise ZeroDivisionError('boom')\n")
    with worker_for(tmp_path, engine=[raising]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("value.graph", nodes=[["leaf", 1.0], ["add", 0, 0]])
        assert caught.value.exc_type == "ZeroDivisionError"
        assert (
            caught.value.where.startswith("micrograd/engine.py, line ")
            and "__add__" in caught.value.where
        )
        # the worker survives a student exception
        assert worker.call("value.leaf", data=1.5)["data"] == 1.5
        assert worker.starts == 1


def test_reference_frames_are_never_named(tmp_path):
    # lesson nn: the student's nn.py runs on the REFERENCE engine; an error raised inside the
    # reference engine must point at the student's nn.py, not at reference code.
    bad_call = (
        "        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)\n",
        "        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)\n"
        "        act = (act * 0).log()\n",
    )
    with worker_for(tmp_path, lesson="nn", nn=[bad_call]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call(
                "nn.forward",
                model={"kind": "neuron", "nin": 2},
                weights=[1, 2, 3],
                inputs=[[1.0, 1.0]],
            )
    assert caught.value.where.startswith("micrograd/nn.py, line ")
    assert "engine" not in str(caught.value)


def test_printed_text_is_never_parsed_as_a_reply(tmp_path):
    forged = json.dumps({"ok": True, "result": {"data": [0, 0, 0], "grad": [0, 0, 0]}})
    printing = (ADD, ADD + f"        print({forged!r}, flush=True)\n")
    with worker_for(tmp_path, engine=[printing]) as worker:
        reply = worker.call("value.graph", nodes=[["leaf", 1.0], ["leaf", 2.0], ["add", 0, 1]])
        assert reply["data"] == [1.0, 2.0, 3.0]
        assert forged in worker.output()  # captured for staff, nothing more


@pytest.mark.parametrize("junk", ["b'garbage\\n'", "b'[' * 100000 + b'\\n'", "b'{\"ok\": 1}\\n'"])
def test_garbage_on_the_reply_pipe_is_a_bad_reply_and_the_next_call_gets_a_fresh_worker(
    tmp_path, junk
):
    garbage = (
        ADD,
        ADD + "        import os, sys\n"
        f"        os.write(int(sys.argv[sys.argv.index('--replies') + 1]), {junk})\n",
    )
    with worker_for(tmp_path, engine=[garbage]) as worker:
        with pytest.raises(BadReply):
            worker.call("value.graph", nodes=[["leaf", 1.0], ["add", 0, 0]])
        assert worker.call("value.leaf", data=2.5)["data"] == 2.5
        assert worker.starts == 2


def test_a_hung_request_times_out_kills_the_worker_and_the_next_call_restarts(tmp_path):
    hang = (BACKWARD, "        ### BEGIN SOLUTION\n        while True:\n            pass\n")
    with worker_for(tmp_path, limits=Limits(request_timeout=2.0), engine=[hang]) as worker:
        with pytest.raises(WorkerTimeout):
            worker.call("value.graph", nodes=GRAPH)
        assert worker._proc is None  # killed, process group and all
        assert worker.call("value.graph", nodes=GRAPH, backward=False)["data"][2] == 6.0
        assert worker.starts == 2


def test_a_spent_budget_times_out_every_later_call_without_running_it(tmp_path):
    hang = (BACKWARD, "        ### BEGIN SOLUTION\n        while True:\n            pass\n")
    budget = Budget(0.6)
    with worker_for(tmp_path, budget=budget, engine=[hang]) as worker:
        with pytest.raises(WorkerTimeout):
            worker.call("value.graph", nodes=GRAPH)
        assert budget.left() <= 0
        starts = worker.starts
        with pytest.raises(WorkerTimeout, match="budget"):
            worker.call("value.leaf", data=1.0)
        assert worker.starts == starts  # nothing was started for it


def test_exit_at_import_is_a_crash(tmp_path):
    exiting = ("import math\n", "import math\nimport os\nos._exit(0)\n")
    with worker_for(tmp_path, engine=[exiting]) as worker:
        for _ in range(5):
            with pytest.raises(WorkerCrashed, match="exited with code 0"):
                worker.call("value.leaf", data=1.0)
        assert worker.starts == 3  # not restarted after three crashes in a row


def test_objects_that_are_not_json_come_back_as_a_type_name(tmp_path):
    odd = ("        self.data = data\n", "        self.data = object()\n")
    with worker_for(tmp_path, engine=[odd]) as worker:
        reply = worker.call("value.leaf", data=1.0)
    assert reply["data"] == {"__unserializable__": "object"}


def test_float_subclass_arrives_as_a_plain_float(tmp_path):
    liar = (
        "        self.data = data\n",
        "        class Liar(float):\n"
        "            __eq__ = lambda self, other: True\n"
        "        self.data = Liar(1e300)\n",
    )
    with worker_for(tmp_path, engine=[liar]) as worker:
        data = worker.call("value.leaf", data=1.0)["data"]
    assert type(data) is float and data == 1e300


def test_unknown_op_is_a_grader_error_and_the_worker_survives(tmp_path):
    with worker_for(tmp_path) as worker:
        with pytest.raises(HarnessError):
            worker.call("value.no_such_op")
        with pytest.raises(HarnessError):
            worker.call("nosuchlesson.op")
        assert worker.call("value.leaf", data=1.0)["data"] == 1.0
        assert worker.starts == 1


def test_worker_imports_the_submission_last_and_without_site_packages(tmp_path):
    spy = (
        "        self.label = label\n",
        "        import sys, json\n        self.label = json.dumps(sys.path)\n",
    )
    with worker_for(tmp_path, engine=[spy]) as worker:
        path = json.loads(worker.call("value.leaf", data=1.0)["label"])
    assert path[-1] == str(tmp_path / "assembled" / "home")  # where the worker copied it
    assert not any("site-packages" in p or "dist-packages" in p for p in path)


def test_assemble_takes_only_imported_earlier_modules_and_nothing_later(tmp_path):
    package = submission_from_reference(
        tmp_path / "sub",
        {"engine.py": [("import math\n", "import math  # student\n")]},
        files={"helpers.py": "X = 1\n", "notes.txt": "hi", "__init__.py": "raise SystemExit"},
    )
    (package / "extra_dir").mkdir()
    dest = assemble_package(package, "nn", tmp_path / "nn")
    built = dest / "micrograd"
    # nn.py imports .engine; nothing imports derivatives.py, so it stays out (an answer key)
    assert sorted(p.name for p in built.iterdir()) == [
        "__init__.py",
        "engine.py",
        "helpers.py",
        "nn.py",
        "viz.py",
    ]
    assert (built / "__init__.py").read_text() == ""
    assert "# student" not in (built / "engine.py").read_text()  # reference engine for lesson 3
    assembly = read_assembly(dest)
    assert assembly.student == ["nn.py", "helpers.py", "viz.py"]  # extras travel along
    assert assembly.reference == ["engine.py"]
    assert set(assembly.ignored) >= {"notes.txt", "extra_dir"}
    whole = assemble_package(package, "training", tmp_path / "whole", whole_stack=True)
    assert "# student" in (whole / "micrograd" / "engine.py").read_text()
    assert read_assembly(whole).reference == []
    # the stack lesson 6 needs: never derivatives.py (nothing imports it)
    assert not (whole / "micrograd" / "derivatives.py").exists()
    assert stack_modules(package, "training") == [
        "engine",
        "nn",
        "losses",
        "optim",
        "data",
        "train",
    ]
    (package / "derivatives.py").unlink()
    (package / "losses.py").unlink()  # needed and missing: stays missing, never the course's
    whole = assemble_package(package, "training", tmp_path / "whole2", whole_stack=True)
    assert read_assembly(whole).reference == [] and "losses" in stack_modules(package, "training")


def test_assemble_uses_the_students_earlier_module_once_its_lesson_earned_full_marks(tmp_path):
    package = submission_from_reference(
        tmp_path / "sub", {"engine.py": [("import math\n", "import math  # student\n")]}
    )
    dest = assemble_package(
        package, "training", tmp_path / "training", own_earlier={"engine", "nn", "losses", "optim"}
    )
    assembly = read_assembly(dest)
    assert assembly.reference == []
    assert "# student" in (dest / "micrograd" / "engine.py").read_text()
    # optim earned less than full marks: the course's optim.py, and the worker is restricted
    dest = assemble_package(
        package, "training", tmp_path / "training2", own_earlier={"engine", "nn", "losses"}
    )
    assert read_assembly(dest).reference == ["optim.py"]


def test_lessons_one_two_and_a_self_contained_optim_hold_no_reference(tmp_path):
    package = submission_from_reference(tmp_path / "sub")
    for lesson in ("derivatives", "value", "optim"):
        assert read_assembly(assemble_package(package, lesson, tmp_path / lesson)).reference == []


@pytest.mark.parametrize(
    "line",
    [
        "from .engine import Value",
        "from micrograd.engine import Value",
        "from . import engine",
        "from micrograd import engine",
        "import micrograd.engine",
        "import micrograd.engine as e",
        "importlib.import_module('micrograd.engine')",
        "from .engine.sub import x",
    ],
)
def test_every_way_of_importing_an_earlier_module_is_found(line):
    assert imported_modules(line.encode(), {"engine", "nn"}) == {"engine"}


def test_no_import_and_unparsable_source_need_nothing():
    assert imported_modules(b"import math\nx = 'engine'\n", {"engine"}) == set()
    assert imported_modules(b"m = import_module('.engine', 'micrograd')", {"engine"}) == {"engine"}
    assert imported_modules(b"def (:\n", {"engine"}) == set()


def test_assemble_skips_symlinks(tmp_path):
    package = submission_from_reference(tmp_path / "sub")
    (package / "engine.py").unlink()
    (package / "engine.py").symlink_to("/etc/hostname")
    dest = assemble_package(package, "value", tmp_path / "value")
    assert not (dest / "micrograd" / "engine.py").exists()


def test_endless_output_is_stopped_by_the_file_size_limit(tmp_path):
    flood = (ADD, ADD + "        while True:\n            print('x' * 65536)\n")
    with worker_for(tmp_path, engine=[flood]) as worker:
        # Python ignores SIGXFSZ: the write that crosses RLIMIT_FSIZE fails in the student's code
        with pytest.raises(StudentError, match="File too large"):
            worker.call("value.graph", nodes=[["leaf", 1.0], ["add", 0, 0]])
        assert len(worker.output()) <= Limits().output_cap
        assert worker.call("value.leaf", data=1.0)["data"] == 1.0


def test_a_memory_bomb_is_a_memory_error_in_the_students_code(tmp_path):
    bomb = (ADD, ADD + "        hog = [0] * 10**10\n")
    with worker_for(tmp_path, engine=[bomb]) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("value.graph", nodes=[["leaf", 1.0], ["add", 0, 0]])
        assert caught.value.exc_type == "MemoryError"
        assert worker.call("value.leaf", data=1.0)["data"] == 1.0


def test_a_worker_that_cannot_start_is_a_grader_error_not_the_students(tmp_path, monkeypatch):
    import grader.sandbox.client as client

    monkeypatch.setattr(
        client, "WORKER_SCRIPT", client.WORKER_SCRIPT.with_name("no_such_worker.py")
    )
    with worker_for(tmp_path) as worker:
        with pytest.raises(HarnessError, match="did not start"):
            worker.call("value.leaf", data=1.0)


def test_inputs_key_follows_every_name_and_byte_of_the_submission(tmp_path):
    from grader.suites.runner import inputs_key

    package = submission_from_reference(tmp_path / "sub")
    key = inputs_key(package)
    assert inputs_key(package) == key
    (package / "notes.txt").write_text("x")
    renamed = inputs_key(package)
    assert renamed != key
    (package / "notes.txt").write_text("y")
    assert inputs_key(package) not in (key, renamed)
    (package / "notes.txt").unlink()
    assert inputs_key(package) == key
