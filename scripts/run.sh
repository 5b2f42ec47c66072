#!/usr/bin/env bash
# Set up and start Baken on its embedded default: a SQLite file in ./baken-data, no other services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export BAKEN_DATA_DIR="${BAKEN_DATA_DIR:-$PWD/baken-data}"
exec .venv/bin/baken serve --demo "$@"
