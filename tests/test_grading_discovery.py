"""Finding submissions and copying them safely (folders, zips, hostile zips, empty folders)."""

import os
import zipfile

import pytest
from grading_helpers import make_submission, make_zip

from grader.intake import discovery
from grader.intake.discovery import InvalidSubmission, Submission, discover, prepare


def test_discovers_folders_and_zips_and_ignores_the_rest(tmp_path):
    make_submission(tmp_path, "alice")
    make_zip(tmp_path / "dave.zip", {"micrograd/engine.py": "x = 1\n"})
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("not a submission")
    subs = discover(tmp_path)
    assert [(s.id, s.kind) for s in subs] == [("alice", "folder"), ("dave", "zip")]
    assert all(not s.problem for s in subs)


def test_folder_and_zip_with_the_same_id_is_one_invalid_row(tmp_path):
    make_submission(tmp_path, "erin")
    make_zip(tmp_path / "erin.zip", {"micrograd/engine.py": "x = 1\n"})
    (sub,) = discover(tmp_path)
    assert sub.id == "erin" and "erin/" in sub.problem and "erin.zip" in sub.problem
    with pytest.raises(InvalidSubmission, match="keep only one"):
        prepare(sub, tmp_path / "work")


def test_prepare_copies_the_package_and_leaves_debris_behind(tmp_path):
    package = make_submission(tmp_path / "in", "alice")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "in" / "alice" / "pytest.py").write_text("# stray top-level file\n")
    copy = prepare(Submission("alice", tmp_path / "in" / "alice", "folder"), tmp_path / "work")
    assert copy.name == "micrograd" and copy.parent.parent == tmp_path / "work"
    assert sorted(p.name for p in copy.iterdir()) == ["__init__.py", "engine.py", "nn.py"]
    (copy / "engine.py").write_text("changed")  # grading works on the copy, never in place
    assert (package / "engine.py").read_text() == "# student code\n"


def test_modules_directly_in_the_folder_are_accepted(tmp_path):
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "engine.py").write_text("x = 1\n")
    copy = prepare(Submission("bob", tmp_path / "bob", "folder"), tmp_path / "work")
    assert copy.name == "micrograd" and (copy / "engine.py").read_text() == "x = 1\n"


def test_symlinks_are_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("HIDDEN = 42\n")
    package = make_submission(tmp_path / "in", "mallory")
    os.symlink(secret, package / "losses.py")
    copy = prepare(Submission("mallory", tmp_path / "in" / "mallory", "folder"), tmp_path / "w")
    assert not (copy / "losses.py").exists()


@pytest.mark.parametrize(
    "entries",
    [
        {"micrograd/engine.py": "x = 1\n"},
        {"dave/micrograd/engine.py": "x = 1\n", "__MACOSX/._dave": ""},
        {"engine.py": "x = 1\n"},
    ],
)
def test_zip_layouts(tmp_path, entries):
    make_zip(tmp_path / "dave.zip", entries)
    copy = prepare(Submission("dave", tmp_path / "dave.zip", "zip"), tmp_path / "work")
    assert (copy / "engine.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    "bad_name",
    ["../../escaped.py", "/tmp/absolute.py", "micrograd/../../escaped.py", "..\\escaped.py"],
)
def test_traversal_zip_is_invalid_and_writes_nothing(tmp_path, bad_name):
    zip_path = make_zip(
        tmp_path / "eve.zip", {"micrograd/engine.py": "x = 1\n", bad_name: "pwned\n"}
    )
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidSubmission, match="unsafe entry"):
        prepare(Submission("eve", zip_path, "zip"), tmp_path / "work" / "deep")
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not os.path.exists("/tmp/absolute.py")


def test_zip_with_a_symlink_entry_is_invalid(tmp_path):
    zip_path = tmp_path / "eve.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        link = zipfile.ZipInfo("micrograd/engine.py")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        prepare(Submission("eve", zip_path, "zip"), tmp_path / "work")


def test_zip_over_the_size_cap_is_invalid(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_BYTES", 1000)
    zip_path = make_zip(tmp_path / "big.zip", {"micrograd/engine.py": "#" * 5000})
    with pytest.raises(InvalidSubmission, match="more than"):
        prepare(Submission("big", zip_path, "zip"), tmp_path / "work")


def test_zip_with_too_many_files_is_invalid(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_FILES", 3)
    zip_path = make_zip(tmp_path / "many.zip", {f"micrograd/m{i}.py": "" for i in range(5)})
    with pytest.raises(InvalidSubmission, match="more than 3 entries"):
        prepare(Submission("many", zip_path, "zip"), tmp_path / "work")


def test_not_a_zip_is_invalid(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip file")
    with pytest.raises(InvalidSubmission, match="not a readable zip"):
        prepare(Submission("junk", tmp_path / "junk.zip", "zip"), tmp_path / "work")


def test_empty_folder_is_invalid(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidSubmission, match="is empty"):
        prepare(Submission("empty", tmp_path / "empty", "folder"), tmp_path / "work")


def test_folder_without_a_package_is_invalid(tmp_path):
    (tmp_path / "frank").mkdir()
    (tmp_path / "frank" / "README.md").write_text("I forgot my code")
    with pytest.raises(InvalidSubmission, match="no micrograd/ package"):
        prepare(Submission("frank", tmp_path / "frank", "folder"), tmp_path / "work")


def test_package_without_python_modules_is_invalid(tmp_path):
    (tmp_path / "gina" / "micrograd").mkdir(parents=True)
    (tmp_path / "gina" / "micrograd" / "notes.txt").write_text("todo")
    with pytest.raises(InvalidSubmission, match="holds no Python modules"):
        prepare(Submission("gina", tmp_path / "gina", "folder"), tmp_path / "work")


def test_fingerprint_follows_the_files(tmp_path):
    package = make_submission(tmp_path, "alice")
    sub = Submission("alice", tmp_path / "alice", "folder")
    first = discovery.fingerprint(sub)
    assert discovery.fingerprint(sub) == first
    (package / "engine.py").write_text("# fixed a bug\n")
    assert discovery.fingerprint(sub) != first
