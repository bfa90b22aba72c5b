#!/usr/bin/env bash
# Install micrograder and what it needs, on a fresh Debian-like machine or in a venv.
#  - system packages (when run as root): bubblewrap, setpriv and Debian's own python3 (the grading
#    sandbox runs workers with them), graphviz (`dot`, for
#    drawing computation graphs in the notebooks), chromium (the browser tests/test_browser.py
#    drives through Playwright: no browser download); without them the grader falls back to
#    process-level limits and the notebooks to plain-text graphs.
#  - the project itself, editable, with its Python dependencies, and a Jupyter kernel for the
#    notebooks: `micrograder`, installed into the active environment (--sys-prefix), never the
#    user's own kernels. MICROGRADER_SKIP_APT=1 skips everything apt-related.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

# apt: only as root on Debian-like systems; MICROGRADER_SKIP_APT=1 skips it (tests, CI, venvs).
# A held apt lock is waited for (APT_LOCK_TIMEOUT seconds), then reported in one line.
APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-120}
apt_install() {
  local apt=(apt-get -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT" -qq)
  echo "install.sh: apt-get install $*" >&2
  if ! "${apt[@]}" update >/dev/null 2>&1 \
    || ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y "$@" >/dev/null 2>&1; then
    echo "install.sh: apt-get could not install $* (apt busy for ${APT_LOCK_TIMEOUT}s or failed): run 'sudo apt-get install $*' when apt is free, then run install.sh again." >&2
  fi
}

if [ "${MICROGRADER_SKIP_APT:-0}" = 1 ]; then
  echo "install.sh: MICROGRADER_SKIP_APT=1: skipping system packages (apt)." >&2
elif [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || [ ! -f /etc/debian_version ]; then
  echo "install.sh: not root or not Debian: skipping system packages (bubblewrap, graphviz, chromium; see README)." >&2
else
  missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v dot >/dev/null || missing+=(graphviz)
  command -v setpriv >/dev/null || missing+=(util-linux)
  command -v chromium >/dev/null || missing+=(chromium)  # tests/test_browser.py's browser
  [ -x /usr/bin/python3 ] || missing+=(python3-minimal)  # the sandboxed worker's stdlib-only Python
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
fi

"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[test]"
# The notebooks' kernel, in this environment (--sys-prefix) under the project's name: the
# user's own kernels (~/.local/share/jupyter, the global `python3`) are left alone.
"$PYTHON" -m ipykernel install --sys-prefix --name micrograder --display-name "Python 3 (micrograder)" >/dev/null
