#!/usr/bin/env bash
# Create .venv and install Baken with pinned dependencies. Usage: scripts/setup.sh [run|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-run}"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "Baken needs Python 3.11 or newer." >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "requirements/$kind.lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
# Bytecode for Baken's own sources: an editable install writes none, and where
# PYTHONDONTWRITEBYTECODE is set every start would compile ≈ 500 modules again — 0.6 s of each
# restart (issue 21). Python still checks each file's time, so an edited module is never stale.
.venv/bin/python -m compileall -q src >/dev/null
