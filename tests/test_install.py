"""install.sh respects the user's machine: run twice, in two fresh venvs, with HOME pointing at a
scratch folder, it installs the `micrograder` kernel into each venv (--sys-prefix) and leaves the
user's own Jupyter folder (~/.local/share/jupyter, its global `python3` kernel) untouched."""

from __future__ import annotations

import json
import os
import subprocess
import venv

import pytest

from grader.generate.notebook import KERNELSPEC
from grader.paths import ROOT

pytestmark = pytest.mark.slow


def snapshot(folder):
    """{relative path: bytes} of every file under `folder`."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def run_install(env_dir, home):
    # the venv sees the installed dependencies, so pip only links the project (no downloads)
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    env = dict(os.environ, HOME=str(home), MICROGRADER_SKIP_APT="1")
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["PYTHON"] = str(env_dir / "bin" / "python")  # pip: the base's, through site-packages
    return subprocess.run(
        ["bash", str(ROOT / "install.sh")], env=env, capture_output=True, text=True, timeout=170
    )


def test_install_twice_leaves_the_users_jupyter_folder_alone(tmp_path):
    home = tmp_path / "home"
    jupyter = home / ".local" / "share" / "jupyter"
    user_kernels = jupyter / "kernels" / "python3"
    user_kernels.mkdir(parents=True)
    (user_kernels / "kernel.json").write_text(
        json.dumps({"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher"], "language": "python"})
    )
    before = snapshot(jupyter)
    for name in ("venv-a", "venv-b"):
        done = run_install(tmp_path / name, home)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "skipping system packages" in done.stderr  # apt skipped, said in one line
        kernel = tmp_path / name / "share" / "jupyter" / "kernels" / KERNELSPEC["name"]
        spec = json.loads((kernel / "kernel.json").read_text())
        assert spec["display_name"] == KERNELSPEC["display_name"]
        assert spec["argv"][0].startswith(str(tmp_path / name))  # this venv's Python
    assert snapshot(jupyter) == before


def fake_command(folder, name, script):
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_a_held_apt_lock_is_reported_in_one_line_and_the_install_goes_on(tmp_path):
    """As root on Debian with apt's lock held past the wait: one line that says what to do,
    then the rest of the install (here PYTHON=true: pip and the kernel are no-ops)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_command(bin_dir, "id", "echo 0")  # root
    fake_command(bin_dir, "dirname", 'echo "${1%/*}"')
    calls = tmp_path / "apt-calls"
    fake_command(
        bin_dir,
        "apt-get",
        f'echo "$@" >> {calls}; echo "E: Could not get lock /var/lib/dpkg/lock" >&2; exit 100',
    )
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHON": "true", "APT_LOCK_TIMEOUT": "1"}
    done = subprocess.run(
        ["/bin/bash", str(ROOT / "install.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    if os.path.exists("/etc/debian_version"):
        assert "apt-get install bubblewrap graphviz util-linux chromium" in lines[0]
        assert len(lines) == 2 and "sudo apt-get install" in lines[1]
        assert "run install.sh again" in lines[1]
        assert "-o DPkg::Lock::Timeout=1" in calls.read_text()  # apt waited for its lock
    else:
        assert len(lines) == 1 and "not Debian" in lines[0]
