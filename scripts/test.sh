#!/usr/bin/env bash
# Set up everything and run the whole test suite: lint, types, unit, protocol (SQLite and
# PostgreSQL) and browser tests in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Browser tests drive Debian's Chromium; Playwright cannot download browsers here.
if ! command -v chromium >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# The poster tests (issue 18) read the PDF back with poppler's pdftotext, pdfinfo and pdftoppm.
if ! command -v pdftoppm >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi

# The PostgreSQL tests need the local server; start it when it is installed but down.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# The multi-process tests need Redis; start the local one when it is installed but down.
if command -v redis-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  mkdir -p /tmp/baken-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/baken-redis --logfile /tmp/baken-redis/redis.log || true
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 1; done
fi

.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# The whole suite on two workers (pytest-xdist), a test file per worker at a time so that each
# file's server, browser and module fixtures stay in one process: 32 minutes serially on this
# 2-core machine kind, 14 in parallel. The schemathesis cases all share one node id, which xdist
# cannot hand out one by one (it ran one of them and dropped the rest), so that file runs after,
# on its own.
.venv/bin/pytest -n 2 --dist loadfile --ignore=tests/test_openapi_fuzz.py
.venv/bin/pytest tests/test_openapi_fuzz.py
