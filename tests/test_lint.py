"""The project's own code passes ruff's lint and format check at 100 columns (configured in
pyproject.toml), so CI — which runs exactly the README's test command — enforces it."""

from __future__ import annotations

import subprocess
import sys

from grader.paths import ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    """ruff, from the project's `test` extra (install.sh installs it), run on the checkout."""
    command = [sys.executable, "-m", "ruff", *args, "--no-cache"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_lint_is_clean():
    proc = ruff("check", ".")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_format_is_clean():
    proc = ruff("format", "--check", ".")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_lint_configuration_is_the_projects():
    """The checks above read pyproject.toml's settings (100 columns), not ruff's defaults."""
    proc = ruff("check", "--show-settings", "grader/cli.py")
    assert proc.returncode == 0, proc.stderr
    assert "line_length = 100" in proc.stdout
