"""Chat p99 with the timeout sweeps on and off, in the same run (issue 15, Performance).

Issue 15: "The timeout sweeps must not cost the chat: with 5,000 waiting and 1,000 active chats,
[…] the chat benchmark's p99 at 2,000 msg/s stays within 5 %." bench/timeout_sweep.py measures
the sweep's own CPU; this bench asks what it does to the chat. The chat benchmark
(bench/load.py) runs against Baken ``--repeat`` times in each mode, alternating which goes first,
with ``--waiting`` visitors (5,000) in the queue beside the ``--conversations`` chats (1,000),
their sockets open and pinging so that the server counts them as present:

- **sweeps on**: the shipped interval (``BAKEN_SWEEP_SECONDS=10``, queue limit 60 s);
- **sweeps off**: ``BAKEN_SWEEP_SECONDS=1800`` with ``BAKEN_QUEUE_GONE_SECONDS=3600`` and
  ``BAKEN_TIMEOUT_WARNING_MINUTES=60``, the largest values the settings allow (the interval stays
  within the queue limit and half the warning's window): the first round comes after 30 minutes
  and does nothing before an hour's uptime, far beyond a run.

Both modes write visitors' presence every 15 s: that is the same in both, and its cost is in
bench/timeout_sweep.py. A process sweeps only once it has been up for the queue's limit, so
before each timed load the server must have been up 75 s (a small set-up is otherwise too quick
for any sweep to fall in the window); both modes wait alike. A run counts only if nothing was
lost, no error came, every waiting visitor was still waiting at the end, and the server's
``baken_timeout_sweeps_total`` rose in the measured window with sweeps on and stayed put with
them off. Prints each run, the median end-to-end p99 of each mode and the ratio; target
on ÷ off ≤ 1.05. Run it on a quiet machine; it asserts nothing.

Every option of bench/load.py applies (``--target`` is always baken):

    .venv/bin/python bench/sweep_overhead.py --repeat 3 --json bench/results/sweep-overhead.json
    .venv/bin/python bench/sweep_overhead.py --repeat 3 --database-url postgresql://…
    .venv/bin/python bench/sweep_overhead.py --conversations 50 --rate 100 --waiting 200 \\
        --duration 8 --repeat 1                                   # a quick look, not a result
"""

from __future__ import annotations

import argparse
from typing import Any

import ab_env
from baken.config import Settings

TARGET_RATIO = 1.05
WAITING = 5000

_DEFAULTS = Settings.model_fields
SETTLE_S = _DEFAULTS["queue_gone_seconds"].default + _DEFAULTS["sweep_seconds"].default + 5.0


def check(mode: str, result: dict[str, Any], args: argparse.Namespace) -> str | None:
    """A run in which the sweeps did not do what its mode says, or the queue did not stay."""
    still = result.get("waiting_at_end")
    if still != args.waiting:
        return f"{still} of {args.waiting} visitors still waiting at the end"
    sweeps = result.get("sweeps_in_window")
    if sweeps is None:
        return "the server's sweep count could not be read"
    if mode == "on" and sweeps == 0:
        return "no sweep ran in the measured window"
    if mode == "off" and sweeps > 0:
        return f"{sweeps} sweep(s) ran in the measured window"
    return None


COMPARISON = ab_env.Comparison(
    label="sweeps",
    title="Timeout sweeps on vs off (issue 15)",
    modes={
        "on": {"BAKEN_SWEEP_SECONDS": str(_DEFAULTS["sweep_seconds"].default)},
        "off": {
            "BAKEN_SWEEP_SECONDS": "1800",
            "BAKEN_QUEUE_GONE_SECONDS": "3600",
            "BAKEN_TIMEOUT_WARNING_MINUTES": "60",
        },
    },
    limit=TARGET_RATIO,
    settle_s=SETTLE_S,
    check=check,
    defaults={"--waiting": str(WAITING)},
)


def main() -> int:
    return ab_env.main(COMPARISON)


if __name__ == "__main__":
    raise SystemExit(main())
