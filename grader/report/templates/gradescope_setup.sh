#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image, from
# /autograder/source (the unpacked zip). It installs micrograder from the wheel in the zip into
# a venv beside it, and bubblewrap (the sandbox around student code) through apt.
# AUTOGRADER_ROOT (default /autograder) lets course staff try it anywhere (docs/gradescope.md).
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

# Ubuntu 22.04's python3 is 3.10; micrograder needs 3.11 (Gradescope's Ubuntu 24.04 image has it).
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup.sh: micrograder needs Python >= 3.11; choose Gradescope's Ubuntu 24.04 base image" >&2
    exit 1
fi

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "setup.sh: not root or no apt-get here: not installing ${missing[*]}"
    fi
fi

python3 -m venv "$SOURCE/.venv"
"$SOURCE/.venv/bin/python" -m pip install -q "$SOURCE"/micrograder-*.whl
"$SOURCE/.venv/bin/python" -c 'import grader.cli' # fail the image build, not every submission
