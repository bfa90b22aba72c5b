#!/usr/bin/env bash
# Install micrograder and what it needs, on a fresh Debian-like machine or in a venv.
#  - system packages (when run as root): bubblewrap, setpriv and Debian's own python3 (the grading
#    sandbox runs workers with them), graphviz (`dot`, for
#    drawing computation graphs in the notebooks), chromium (the browser tests/test_browser.py
#    drives through Playwright: no browser download); without them the grader falls back to
#    process-level limits and the notebooks to plain-text graphs.
#  - the project itself, editable, with its Python dependencies, and a Jupyter kernel for the
#    notebooks.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v dot >/dev/null || missing+=(graphviz)
  command -v setpriv >/dev/null || missing+=(util-linux)
  command -v chromium >/dev/null || missing+=(chromium)  # tests/test_browser.py's browser
  [ -x /usr/bin/python3 ] || missing+=(python3-minimal)  # the sandboxed worker's stdlib-only Python
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install.sh: apt-get install ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  command -v bwrap >/dev/null || echo "install.sh: bubblewrap is missing and I am not root: grading will run without the sandbox (see README)." >&2
fi

"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[test]"
"$PYTHON" -m ipykernel install --user --name python3 >/dev/null
