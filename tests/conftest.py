"""Shared fixtures for the project's own tests."""

import os
import tempfile
from pathlib import Path

import pytest

from grader import scratch
from grader.reference import load_reference


@pytest.fixture(scope="session", autouse=True)
def session_result_cache(tmp_path_factory):
    """Never the user's result cache (grader/grading/cache.py): this one serves what runs
    before a test's own (module-scoped fixtures that grade)."""
    saved = os.environ.get("MICROGRADER_CACHE_DIR")
    os.environ["MICROGRADER_CACHE_DIR"] = str(tmp_path_factory.mktemp("session-result-cache"))
    yield
    if saved is None:
        os.environ.pop("MICROGRADER_CACHE_DIR", None)
    else:
        os.environ["MICROGRADER_CACHE_DIR"] = saved


@pytest.fixture(autouse=True)
def private_result_cache(session_result_cache, tmp_path_factory, monkeypatch):
    """Each test its own result cache, never another test's: a test that grades expects
    grading, unless it tests the cache itself."""
    monkeypatch.setenv("MICROGRADER_CACHE_DIR", str(tmp_path_factory.mktemp("result-cache")))


@pytest.fixture(scope="session")
def reference():
    """The reference solution, loaded as `micrograd_reference` (never as `micrograd`)."""
    return load_reference()


@pytest.fixture
def memory_tmp(tmp_path):
    """A folder in RAM when the machine has a writable /dev/shm, else tmp_path: for tests of
    10,000-deep folder chains (10,000 rmdirs on this busy shared disk take 15-30 s, in tmpfs
    0.5 s; depth is what they test, and rm walks any file system the same way). Removed with
    scratch.remove_tree: pytest's own cleanup of tmp_path recurses."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="micrograder-test-"))
    yield folder
    scratch.remove_tree(folder)
