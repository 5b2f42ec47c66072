"""Benchmark: seed 1,000,000 registrations, then make one year's report, on SQLite.

Targets: seeding ≤ 2 minutes (issue 6); ``baken report`` for one year ≤ 5 s with a peak memory
≤ 300 MB, under each counting rule (issue 20). Each step runs as its own process
(``baken demo seed``, ``baken report``) in a fresh temporary data directory; the child reports
its own peak resident memory (``ru_maxrss``) when it exits.

    .venv/bin/python bench/report_bench.py [--per-year 200000] [--years 2019-2023]
                                           [--year 2021] [--format pdf] [--keep]
                                           [--rule first-seen|first-request|both]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SEED_TARGET_S = 120.0
REPORT_TARGET_S = 5.0  # issue 20 (was 10 s in issue 6)
MEMORY_TARGET_MB = 300.0  # issue 20 (was 1 GB in issue 6)
MARK = "BAKEN-BENCH-MAXRSS-KB="

# Runs the real CLI in the child and prints the child's own peak memory at exit.
CHILD = f"""
import atexit, resource, sys
atexit.register(lambda: print("{MARK}" + str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
                              file=sys.stderr))
from baken.cli import app
sys.argv = ["baken", *sys.argv[1:]]
app()
"""


@dataclass
class Step:
    seconds: float
    peak_mb: float
    output: str


def run(args: list[str], data_dir: Path) -> Step:
    env = {**os.environ, "BAKEN_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak_kb = 0
    for line in done.stderr.splitlines():
        if line.startswith(MARK):
            peak_kb = int(line.removeprefix(MARK))
    lines = done.stderr.strip().splitlines()
    return Step(seconds, peak_kb / 1024, lines[-2] if len(lines) > 1 else "")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", default="2019-2023")
    parser.add_argument("--per-year", type=int, default=200_000)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--format", default="pdf", choices=["pdf", "html", "csv", "json"])
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--rule", default="both", choices=["first-seen", "first-request", "both"],
        help="counting rule of the timed report(s)",
    )  # fmt: skip
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="baken-report-bench-"))
    try:
        seeded = run(
            ["demo", "seed", "--years", options.years, "--per-year", str(options.per_year),
             "--seed", "1"],
            data_dir,
        )  # fmt: skip
        out = data_dir / f"report.{options.format}"
        rules = ["first-seen", "first-request"] if options.rule == "both" else [options.rule]
        reports = {
            rule: run(
                ["report", "--year", str(options.year), "--format", options.format,
                 "--out", str(out), "--rule", rule],
                data_dir,
            )
            for rule in rules
        }  # fmt: skip
        size_mb = (data_dir / "baken.sqlite3").stat().st_size / 1e6
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"database: SQLite, {size_mb:,.0f} MB after seeding")
        print(
            f"seed     {seeded.seconds:7.1f} s  (target ≤ {SEED_TARGET_S:.0f} s)   "
            f"peak {seeded.peak_mb:6.0f} MB   {verdict(seeded.seconds <= SEED_TARGET_S)}"
        )
        for rule, reported in reports.items():
            print(
                f"report   {reported.seconds:7.1f} s  (target ≤ {REPORT_TARGET_S:.0f} s)    "
                f"peak {reported.peak_mb:6.0f} MB (target ≤ {MEMORY_TARGET_MB:.0f} MB)   "
                f"{verdict(reported.seconds <= REPORT_TARGET_S)} / "
                f"{verdict(reported.peak_mb <= MEMORY_TARGET_MB)}   rule {rule}"
            )
        print(f"report file: {out.stat().st_size:,} bytes ({options.format}, year {options.year})")
    finally:
        if options.keep:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
