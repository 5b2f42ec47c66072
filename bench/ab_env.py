"""The chat benchmark's p99 under two server environments, compared in the same run.

bench/load.py's Baken target runs ``--repeat`` times in each mode — a mode is a name and the
``BAKEN_*`` variables its server starts with — alternating which mode goes first, so that a
machine that drifts during the runs favours neither. Prints each run, the median end-to-end p99
of each mode and their ratio (the first mode ÷ the second) against a limit, and with ``--json``
writes every run and the comparison. Every option of bench/load.py applies; ``--target`` is
always baken. A thin caller describes its comparison and calls `main` (bench/signals_overhead.py,
bench/sweep_overhead.py).

Only runs that lost nothing and met no error count; a caller's `check` can rule out more (a run
in which the thing compared did not happen, say), and such runs are listed with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

import benchlib as bl
import load

# (mode name, one run's result, load.py's options) → why the run cannot be used, or None
Check = Callable[[str, dict[str, Any], argparse.Namespace], str | None]


@dataclass(frozen=True)
class Comparison:
    label: str  # the table's first column, each result's flag, the JSON key "<label>_comparison"
    title: str  # printed above the medians
    modes: Mapping[str, Mapping[str, str]]  # name → server env; the first is set against the second
    limit: float  # first ÷ second must stay at or below this
    # Before each timed load, wait until the server has been up this long (work that starts only
    # after a while, like the timeout sweeps, must be running in the measured window).
    settle_s: float = 0.0
    check: Check | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)  # load.py options, unless given

    @property
    def names(self) -> tuple[str, str]:
        first, second = self.modes
        return first, second


class _Patched:
    """The mode the next server starts in, and when it started (for `settle_s`)."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.mode = comparison.names[0]
        self.started = 0.0
        self.start_server = bl.start_server
        self.wait_quiet = bl.wait_quiet

    def start(self, *args: Any, **kwargs: Any) -> bl.Server:
        extra = dict(kwargs.pop("extra_env", None) or {})
        extra.update(self.comparison.modes[self.mode])
        server = self.start_server(*args, extra_env=extra, **kwargs)
        self.started = time.monotonic()
        return server

    async def settled_then_quiet(
        self, limit_s: float, threshold: float = 0.10
    ) -> tuple[float, float]:
        left = self.started + self.comparison.settle_s - time.monotonic()
        if left > 0:
            print(
                f"  waiting {left:.0f} s more: the server is to be up "
                f"{self.comparison.settle_s:g} s before the timed load",
                file=sys.stderr,
                flush=True,
            )
            await asyncio.sleep(left)
        return await self.wait_quiet(limit_s, threshold)


def _p99(result: dict[str, Any]) -> float | None:
    value = result.get("e2e", {}).get("p99_ms")
    return float(value) if isinstance(value, int | float) else None


def _unusable(
    comparison: Comparison, name: str, result: dict[str, Any], args: argparse.Namespace
) -> str | None:
    if result.get("aborted"):
        return f"aborted: {result['aborted']}"
    if result.get("lost", 1) or result.get("errors_total", 1):
        return f"lost {result.get('lost')}, errors {result.get('errors_total')}"
    if _p99(result) is None:
        return "no end-to-end latency"
    return comparison.check(name, result, args) if comparison.check else None


def _run_modes(
    comparison: Comparison, patched: _Patched, args: argparse.Namespace, run_target: Any
) -> list[tuple[str, dict[str, Any]]]:
    import uvloop

    first, second = comparison.names
    runs: list[tuple[str, dict[str, Any]]] = []
    for i in range(max(1, getattr(args, "repeat", 1) or 1)):
        for name in (first, second) if i % 2 == 0 else (second, first):
            patched.mode = name
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                result = runner.run(run_target("baken", args))
            result[comparison.label] = name == first
            result["target"] = f"{comparison.label} {name} #{i + 1}"
            runs.append((name, result))
    return runs


def _compare(
    comparison: Comparison, patched: _Patched, args: argparse.Namespace, run_target: Any
) -> int:
    runs = _run_modes(comparison, patched, args, run_target)
    results = [result for _, result in runs]
    load.report(results, args)

    p99s: dict[str, list[float]] = {name: [] for name in comparison.names}
    left_out: list[str] = []
    for name, result in runs:
        why = _unusable(comparison, name, result, args)
        if why is None:
            p99s[name].append(float(_p99(result) or 0.0))
        else:
            left_out.append(f"{result['target']}: {why}")
    medians = {name: statistics.median(v) if v else None for name, v in p99s.items()}
    first, second = comparison.names
    top, bottom = medians[first], medians[second]
    ratio = round(top / bottom, 3) if top and bottom else None
    if ratio is None:
        verdict = "INVALID (a mode has no usable run)"
    else:
        verdict = "PASS" if ratio <= comparison.limit else "MISS"
        if not all(load.generator_ok(r) for r in results):
            verdict += " (the generator lagged: read with care)"
    print()
    print(f"{comparison.title}: end-to-end p99, median over the runs")
    bl.print_table(
        [comparison.label, "runs", "p99 per run (ms)", "median p99"],
        [
            [
                name,
                str(len(p99s[name])),
                ", ".join(f"{p:.1f}" for p in p99s[name]),
                bl.fmt(medians[name], " ms"),
            ]
            for name in comparison.names
        ],
    )
    for line in left_out:
        print(f"  left out: {line}")
    shown = "—" if ratio is None else f"{ratio:.3f} ({100 * (ratio - 1):+.1f} %)"
    print(f"{first} ÷ {second}: {shown}; target ≤ {comparison.limit:g} → {verdict}")
    if args.json:
        summary: dict[str, Any] = {f"p99_{name}_ms": p99s[name] for name in comparison.names}
        summary.update({f"median_{name}_ms": medians[name] for name in comparison.names})
        summary.update(
            {
                "ratio": ratio,
                "limit_ratio": comparison.limit,
                "verdict": verdict,
                "modes": {name: dict(env) for name, env in comparison.modes.items()},
                "left_out": left_out,
            }
        )
        out = {
            "machine": bl.machine_info(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "results": results,
            f"{comparison.label}_comparison": summary,
        }
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
        print(f"\nwrote {args.json}")
    return 0


def main(comparison: Comparison) -> int:
    """Run bench/load.py (Baken only) with the comparison in place of its usual targets."""
    if len(comparison.modes) != 2:
        raise ValueError("a comparison has exactly two modes")
    argv = list(sys.argv[1:])
    if "--target" in argv:
        i = argv.index("--target")
        del argv[i : i + 2]
    given = {arg.split("=", 1)[0] for arg in argv}
    for option, value in comparison.defaults.items():
        if option not in given:
            argv += [option, value]
    sys.argv = [sys.argv[0], *argv, "--target", "baken"]
    patched = _Patched(comparison)
    bl.start_server = patched.start
    if comparison.settle_s > 0:
        bl.wait_quiet = patched.settled_then_quiet

    def run_targets(args: Any, run_target: Any, report: Any, judge: Any) -> int:
        return _compare(comparison, patched, args, run_target)

    bl.run_targets = run_targets
    return load.main()
