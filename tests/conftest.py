"""Shared fixtures for the project's own tests."""
import pytest

from grader.reference import load_reference


@pytest.fixture(scope="session")
def reference():
    """The reference solution, loaded as `micrograd_reference` (never as `micrograd`)."""
    return load_reference()
