"""Chat p99 of this checkout against an earlier revision, in the same run (issue 13, Performance).

The chat benchmark (bench/load.py) against Baken, ``--repeat`` times with the server's code from
this checkout ("after") and from another source tree ("before", ``BENCH_BEFORE_SRC``: the ``src``
directory of an unpacked earlier revision, put first on the server's PYTHONPATH), alternating
which goes first. Prints each run, the median end-to-end p99 of each and their ratio; the limit
is "not slower" (after ÷ before ≤ 1.05, the run-to-run spread of this machine). Run it on a
quiet machine; it asserts nothing. Every option of bench/load.py applies:

    git archive <rev> | tar -x -C /tmp/before
    BENCH_BEFORE_SRC=/tmp/before/src .venv/bin/python bench/revision_overhead.py --repeat 3 \\
        --duration 30 --json bench/results/revision-overhead.json
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ab_env

TARGET_RATIO = 1.05
AFTER_SRC = Path(__file__).resolve().parent.parent / "src"


def comparison(before_src: str) -> ab_env.Comparison:
    return ab_env.Comparison(
        label="revision",
        title=f"This checkout (after) vs {before_src} (before)",
        modes={"after": {"PYTHONPATH": str(AFTER_SRC)}, "before": {"PYTHONPATH": before_src}},
        limit=TARGET_RATIO,
    )


def main() -> int:
    before = os.environ.get("BENCH_BEFORE_SRC", "")
    if not before or not (Path(before) / "baken" / "__init__.py").is_file():
        print("BENCH_BEFORE_SRC must name the src directory of another revision", file=sys.stderr)
        return 2
    return ab_env.main(comparison(before))


if __name__ == "__main__":
    raise SystemExit(main())
