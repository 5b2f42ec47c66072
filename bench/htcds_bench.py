"""Benchmark: seed 1,000,000 registrations, then export one year as HTCDS microdata and check it.

Target (issue 20): ``baken export htcds`` over 10^6 registrations ≤ 30 s. Each step runs as its
own process in a fresh temporary data directory (or ``--data-dir`` of an earlier ``--keep`` run)
and reports its own peak resident memory, as in bench/report_bench.py.

    .venv/bin/python bench/htcds_bench.py [--per-year 200000] [--years 2019-2023]
                                          [--year 2021] [--k 11] [--data-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from report_bench import SEED_TARGET_S, run, verdict

EXPORT_TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", default="2019-2023")
    parser.add_argument("--per-year", type=int, default=200_000)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--k", type=int, default=11)
    parser.add_argument("--data-dir", type=Path, help="an already seeded data directory")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    options = parser.parse_args()

    reuse = options.data_dir is not None
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="baken-htcds-bench-"))
    try:
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        if not reuse:
            seeded = run(
                ["demo", "seed", "--years", options.years, "--per-year", str(options.per_year),
                 "--seed", "1"],
                data_dir,
            )  # fmt: skip
            print(
                f"seed     {seeded.seconds:7.1f} s  (target ≤ {SEED_TARGET_S:.0f} s)   "
                f"peak {seeded.peak_mb:6.0f} MB"
            )
        size_mb = (data_dir / "baken.sqlite3").stat().st_size / 1e6
        print(f"database: SQLite, {size_mb:,.0f} MB")
        out = data_dir / "htcds.csv"
        exported = run(
            ["export", "htcds", "--year", str(options.year), "--k", str(options.k),
             "--out", str(out)],
            data_dir,
        )  # fmt: skip
        print(
            f"export   {exported.seconds:7.1f} s  (target ≤ {EXPORT_TARGET_S:.0f} s)   "
            f"peak {exported.peak_mb:6.0f} MB   {verdict(exported.seconds <= EXPORT_TARGET_S)}"
        )
        print(f"  {exported.output}")
        checked = run(["export", "check", str(out), "--k", str(options.k)], data_dir)
        print(f"check    {checked.seconds:7.1f} s   peak {checked.peak_mb:6.0f} MB")
        print(f"export file: {out.stat().st_size:,} bytes (year {options.year}, k={options.k})")
    finally:
        if options.keep or reuse:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
