"""Chat p99 with indicator detection on and off, in the same run (issue 19, Performance).

The chat benchmark (bench/load.py) against Baken, ``--repeat`` times with ``BAKEN_SIGNALS=true``
and ``BAKEN_SIGNALS=false``, alternating which goes first so that a machine that drifts during the
runs favours neither. Prints each run, the median end-to-end p99 of each mode and their ratio.
Target: detection raises the chat p99 by at most 5 % at 2,000 msg/s (on ÷ off ≤ 1.05). Run it
on a quiet machine; it asserts nothing.

Every option of bench/load.py applies (``--target`` is always baken):

    .venv/bin/python bench/signals_overhead.py --repeat 3    # 1000 conv, 2000 msg/s, 60 s
    .venv/bin/python bench/signals_overhead.py --repeat 1 --duration 10 --phase 5 --rate 200
    .venv/bin/python bench/signals_overhead.py --repeat 3 --text-size 200 --json signals.json

The load's visitor texts are the benchmark's own (a timestamp and padding, ``--text-size``
characters): the detector reads every one of them in full but finds nothing, so this measures
its reading cost on every message, not the (rarer) cost of a `signals` frame.
"""

from __future__ import annotations

import ab_env

TARGET_RATIO = 1.05

COMPARISON = ab_env.Comparison(
    label="signals",
    title="Detection on vs off (issue 19)",
    modes={"on": {"BAKEN_SIGNALS": "true"}, "off": {"BAKEN_SIGNALS": "false"}},
    limit=TARGET_RATIO,
)


def main() -> int:
    return ab_env.main(COMPARISON)


if __name__ == "__main__":
    raise SystemExit(main())
