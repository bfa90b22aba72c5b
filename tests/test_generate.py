"""`micrograder generate`: deterministic, idempotent, --check catches edits, clear errors."""

import functools

import nbformat
import pytest
from click.testing import CliRunner
from generate_helpers import course_copy

from grader import cli
from grader.generate import GenerateError, build, check, commands, write
from grader.generate.course import owned_files


@pytest.fixture(scope="module")
def built():
    return build()


def test_the_committed_tree_is_up_to_date(built):
    assert check() == [], "run `micrograder generate` and commit the result"


def test_build_is_deterministic(built):
    assert build() == built


def test_generate_twice_changes_nothing(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    first = write(root)
    assert first and all(change.startswith("missing: ") for change in first)
    snapshot = {rel: (root / rel).read_bytes() for rel in owned_files(root)}
    assert write(root) == []
    assert {rel: (root / rel).read_bytes() for rel in owned_files(root)} == snapshot
    assert check(root) == []


def test_check_names_every_hand_edit_and_writes_nothing(tmp_path):
    root = course_copy(tmp_path)
    assert check(root) == []
    edited = root / "student_template/micrograd/engine.py"
    edited.write_text(edited.read_text() + "\n# a hand edit\n")
    (root / "student_template/tests/test_99_extra.py").write_text("def test_x(): pass\n")
    (root / "assignments/nn/nn.ipynb").unlink()
    before = {rel: (root / rel).read_bytes() for rel in owned_files(root)}

    problems = check(root)

    assert problems == [
        "missing: assignments/nn/nn.ipynb",
        "stale: student_template/micrograd/engine.py",
        "extra: student_template/tests/test_99_extra.py",
    ]
    assert {rel: (root / rel).read_bytes() for rel in owned_files(root)} == before


def test_write_repairs_edits_and_removes_stale_files(tmp_path):
    root = course_copy(tmp_path)
    (root / "student_template/micrograd/engine.py").write_text("broken\n")
    (root / "student_template/notebooks/old").mkdir()
    (root / "student_template/notebooks/old/07_gone.ipynb").write_text("{}")
    changes = write(root)
    assert "stale: student_template/micrograd/engine.py" in changes
    assert not (root / "student_template/notebooks/old").exists()
    assert check(root) == []


def test_cli_check_exits_non_zero_and_names_the_files(tmp_path, monkeypatch):
    root = course_copy(tmp_path)
    (root / "student_template/README.md").write_text("edited\n")
    monkeypatch.setattr(commands, "check", functools.partial(check, root))
    result = CliRunner().invoke(cli.main, ["generate", "--check"])
    assert result.exit_code == 1
    assert "stale: student_template/README.md" in result.output
    assert "out of date" in result.output


def test_cli_check_passes_on_the_real_tree():
    result = CliRunner().invoke(cli.main, ["generate", "--check"])
    assert result.exit_code == 0, result.output


def _one_line_error(root) -> str:
    with pytest.raises(GenerateError) as info:
        build(root)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_malformed_lesson_toml_names_the_file(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    (root / "assignments/nn/lesson.toml").write_text("title = [unclosed\n")
    assert "assignments/nn/lesson.toml" in _one_line_error(root)


def _edit_parts(tmp_path, lesson, old, new):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / f"assignments/{lesson}/lesson.toml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    message = _one_line_error(root)
    assert f"assignments/{lesson}/lesson.toml" in message
    return message


def test_parts_that_do_not_add_up(tmp_path):
    message = _edit_parts(
        tmp_path,
        "losses",
        'points = 2.5\npublic_tests = ["test_mse_by_hand"]',
        'points = 3.5\npublic_tests = ["test_mse_by_hand"]',
    )
    assert "parts' points add up to 11" in message and "`points` = 10" in message


def test_a_public_test_in_no_part(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "assignments/optim/test_optim.py"
    path.write_text(path.read_text() + "\n\ndef test_extra():\n    pass\n")
    message = _one_line_error(root)
    assert "assignments/optim/lesson.toml" in message and "'test_extra' is in no part" in message


def test_a_public_test_in_two_parts(tmp_path):
    message = _edit_parts(
        tmp_path,
        "optim",
        'public_tests = ["test_sgd_step"]',
        'public_tests = ["test_sgd_step", "test_clipping"]',
    )
    assert "'test_clipping' is in two parts, 'sgd' and 'clipping'" in message


def test_a_part_without_public_tests(tmp_path):
    message = _edit_parts(
        tmp_path, "optim", 'public_tests = ["test_clipping"]', "public_tests = []"
    )
    assert "[parts.clipping] has no public test" in message


def test_a_part_naming_a_test_that_does_not_exist(tmp_path):
    message = _edit_parts(
        tmp_path,
        "optim",
        'public_tests = ["test_clipping"]',
        'public_tests = ["test_no_such_test"]',
    )
    assert "[parts.clipping] names public test 'test_no_such_test'" in message


def test_a_part_split_by_hand_must_add_up(tmp_path):
    message = _edit_parts(
        tmp_path,
        "value",
        'public_tests = ["test_forward_of_worked_example", "test_backward_of_worked_example"]',
        "public_tests = { "
        "test_forward_of_worked_example = 5, test_backward_of_worked_example = 6 }",
    )
    assert "[parts.arithmetic]: its public tests' points add up to 11, not the part's 12" in message


def test_the_old_public_tests_table_is_refused(tmp_path):
    message = _edit_parts(
        tmp_path, "nn", "[parts.neuron]", "[public_tests]\ntest_x = 1\n\n[parts.neuron]"
    )
    assert "[public_tests] is gone" in message


def test_a_part_split_by_hand_sets_the_cells_points(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "assignments/value/lesson.toml"
    path.write_text(
        path.read_text().replace(
            'public_tests = ["test_forward_of_worked_example", "test_backward_of_worked_example"]',
            "public_tests = { test_forward_of_worked_example = 4.5, "
            "test_backward_of_worked_example = 7.5 }",
        )
    )
    nb = nbformat.reads(build(root)["assignments/value/value.ipynb"].decode(), as_version=4)
    points = {
        c.id: c.metadata.nbgrader["points"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert points["value-test_forward_of_worked_example"] == 4.5
    assert points["value-test_backward_of_worked_example"] == 7.5
    assert points["value-test_tanh_neuron"] == 2


def test_template_errors_name_the_template_and_line(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "assignments/derivatives/notebook.j2"
    path.write_text(path.read_text().replace("%% code", "%% cod", 1))
    message = _one_line_error(root)
    assert "derivatives/notebook.j2:" in message and "unknown cell kind" in message

    path.write_text("%% markdown\n{% if %}\n")
    assert "derivatives/notebook.j2:2" in _one_line_error(root)


def test_a_module_part_missing_from_the_notebook(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "assignments/losses/notebook.j2"
    path.write_text(path.read_text().replace("%% module losses l2_regularization\n", ""))
    message = _one_line_error(root)
    assert "l2_regularization" in message and "losses/notebook.j2" in message


def test_a_lesson_module_without_solution_regions(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "solutions/micrograd/losses.py"
    path.write_text(
        path.read_text().replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION\n", "")
    )
    assert "losses.py: no '### BEGIN SOLUTION' region" in _one_line_error(root)


def test_an_unclosed_solution_region(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "solutions/micrograd/derivatives.py"
    text = path.read_text()
    path.write_text(text.replace("### END SOLUTION", "", 1))
    assert "derivatives.py" in _one_line_error(root)


def test_public_tests_may_not_import_the_grader(tmp_path):
    root = course_copy(tmp_path, with_outputs=False)
    path = root / "assignments/nn/test_nn.py"
    path.write_text(
        path.read_text().replace("import random\n", "import random\nfrom grader import paths\n")
    )
    assert "must not import the grader" in _one_line_error(root)
