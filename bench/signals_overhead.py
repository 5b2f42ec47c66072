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

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

import orjson

import benchlib as bl
import load

TARGET_RATIO = 1.05
_mode = {"signals": "true"}
_start_server = bl.start_server


def _start_with_mode(*args: Any, **kwargs: Any) -> bl.Server:
    extra = dict(kwargs.pop("extra_env", None) or {})
    extra["BAKEN_SIGNALS"] = _mode["signals"]
    return _start_server(*args, extra_env=extra, **kwargs)


def _p99(result: dict[str, Any]) -> float | None:
    value = result.get("e2e", {}).get("p99_ms")
    return float(value) if isinstance(value, int | float) else None


def run_both(
    args: argparse.Namespace,
    run_target: Any,
    report: Any,
    judge: Any,
) -> int:
    import uvloop

    repeat = max(1, getattr(args, "repeat", 1) or 1)
    results: list[dict[str, Any]] = []
    for i in range(repeat):
        for mode in ("true", "false") if i % 2 == 0 else ("false", "true"):
            _mode["signals"] = mode
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                result = runner.run(run_target("baken", args))
            result["signals"] = mode == "true"
            result["target"] = f"signals {'on' if mode == 'true' else 'off'} #{i + 1}"
            results.append(result)
    report(results, args)

    def usable(r: dict[str, Any]) -> bool:
        return not r.get("aborted") and not r.get("lost", 1) and not r.get("errors_total", 1)

    on = [p for r in results if r["signals"] and usable(r) and (p := _p99(r)) is not None]
    off = [p for r in results if not r["signals"] and usable(r) and (p := _p99(r)) is not None]
    median_on = statistics.median(on) if on else None
    median_off = statistics.median(off) if off else None
    ratio = round(median_on / median_off, 3) if median_on and median_off else None
    if ratio is None:
        verdict = "INVALID (a mode has no usable run)"
    else:
        verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
        if not all(load.generator_ok(r) for r in results):
            verdict += " (the generator lagged: read with care)"
    print()
    print("Detection on vs off (issue 19): end-to-end p99, median over the runs")
    bl.print_table(
        ["signals", "runs", "p99 per run (ms)", "median p99"],
        [
            ["on", str(len(on)), ", ".join(f"{p:.1f}" for p in on), bl.fmt(median_on, " ms")],
            ["off", str(len(off)), ", ".join(f"{p:.1f}" for p in off), bl.fmt(median_off, " ms")],
        ],
    )
    shown = "—" if ratio is None else f"{ratio:.3f} ({100 * (ratio - 1):+.1f} %)"
    print(f"on ÷ off: {shown}; target ≤ {TARGET_RATIO:g} → {verdict}")
    if args.json:
        out = {
            "machine": bl.machine_info(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "results": results,
            "signals_comparison": {
                "p99_on_ms": on,
                "p99_off_ms": off,
                "median_on_ms": median_on,
                "median_off_ms": median_off,
                "ratio": ratio,
                "limit_ratio": TARGET_RATIO,
                "verdict": verdict,
            },
        }
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
        print(f"\nwrote {args.json}")
    return 0


def main() -> int:
    argv = list(sys.argv[1:])
    if "--target" in argv:
        i = argv.index("--target")
        del argv[i : i + 2]
    sys.argv = [sys.argv[0], *argv, "--target", "baken"]
    bl.start_server = _start_with_mode
    bl.run_targets = run_both
    return load.main()


if __name__ == "__main__":
    raise SystemExit(main())
