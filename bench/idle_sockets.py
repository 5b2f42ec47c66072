"""What a waiting visitor's socket costs the server in memory, and where (issue 21, item 3).

Opens N waiting visitors (each ``POST /api/visitor/start`` then ``/ws/visitor`` until ``welcome``)
against a real ``baken serve`` and reports:

* **RSS per visitor**: (RSS with N connected − RSS before) / N, from a run without tracing;
* **where it goes**: a second run with ``tracemalloc`` on in the server (a sitecustomize hook on
  PYTHONPATH, no server change) snapshots the Python heap before and after connecting; the
  difference, grouped by allocation site (file:line, the innermost frame inside Baken or
  its libraries), divided by N, is the Python heap per visitor. What tracemalloc does not see
  (the C library's buffers, the kernel's socket buffers, fragmentation) is the gap to the RSS.

Memory is safe to measure on a busy machine (unlike time).

    .venv/bin/python bench/idle_sockets.py --connections 1000
    .venv/bin/python bench/idle_sockets.py --connections 5000 --json bench/results/idle-sockets.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection

import benchlib as bl
from idle import open_visitor

TRACE_HOOK = """
import os, signal, tracemalloc
tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES", "12")))
_out = os.environ["BENCH_TRACE_OUT"]
_n = [0]
def _snapshot(_sig, _frame):
    _n[0] += 1
    snap = tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__),)
    )
    snap.dump(f"{_out}.{_n[0]}")
    open(f"{_out}.{_n[0]}.done", "w").close()
signal.signal(signal.SIGUSR1, _snapshot)
"""


async def _snapshot(server: bl.Server, out: Path, n: int) -> tracemalloc.Snapshot:
    """Ask the server for heap snapshot ``n`` and wait until it is written."""
    os.kill(server.pid, signal.SIGUSR1)
    done = Path(f"{out}.{n}.done")
    deadline = time.monotonic() + 120
    while not done.exists():
        if time.monotonic() > deadline or server.proc.poll() is not None:
            raise bl.BenchError("the server wrote no heap snapshot")
        await asyncio.sleep(0.2)
    return tracemalloc.Snapshot.load(f"{out}.{n}")


def _site(trace: tracemalloc.Traceback, src: str) -> str:
    """The innermost frame in Baken's own code, else the innermost frame at all."""
    frames = list(trace)  # tracemalloc lists the most recent call last
    for frame in reversed(frames):
        if frame.filename.startswith(src):
            return f"{Path(frame.filename).relative_to(src)}:{frame.lineno}"
    last = frames[-1]
    return f"{_short(last.filename)}:{last.lineno}"


def _short(filename: str) -> str:
    marker = "site-packages/"
    if marker in filename:
        return filename.split(marker, 1)[1]
    return filename.rsplit("/lib/python", 1)[-1]


def _innermost(trace: tracemalloc.Traceback) -> str:
    last = list(trace)[-1]
    return f"{_short(last.filename)}:{last.lineno}"


def breakdown(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, n: int, top: int
) -> dict[str, Any]:
    src = str(Path(__file__).resolve().parent.parent / "src") + "/"
    grown: dict[str, int] = {}
    grown_inner: dict[str, int] = {}
    for stat in after.compare_to(before, "traceback"):
        if stat.size_diff <= 0:
            continue
        site = _site(stat.traceback, src)
        grown[site] = grown.get(site, 0) + stat.size_diff
        key = _innermost(stat.traceback)
        grown_inner[key] = grown_inner.get(key, 0) + stat.size_diff
    total = sum(grown.values())

    def rows(table: dict[str, int]) -> list[dict[str, Any]]:
        ordered = sorted(table.items(), key=lambda item: -item[1])[:top]
        return [{"site": site, "bytes_per_visitor": round(size / n)} for site, size in ordered]

    return {
        "python_heap_growth_bytes_per_visitor": round(total / n),
        "by_baken_site": rows(grown),
        "by_innermost_site": rows(grown_inner),
    }


async def connect(server: bl.Server, count: int, concurrency: int) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            ws, _heartbeat = await open_visitor(server, 60.0)
            sockets.append(ws)

    await asyncio.gather(*(one() for _ in range(count)))
    return sockets


async def run(args: argparse.Namespace, trace: bool) -> dict[str, Any]:
    data_dir = bl.make_data_dir("baken")
    out = data_dir / "heap"
    extra = {"BAKEN_QUEUE_MAX": str(max(args.connections * 2, 500))}
    if trace:
        hook = data_dir / "trace-hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(TRACE_HOOK)
        extra |= {"PYTHONPATH": str(hook), "BENCH_TRACE_OUT": str(out)}
    server = bl.start_server(
        "baken", data_dir, database_url=args.database_url, extra_env=extra, core=None
    )
    sampler = bl.RssSampler(server.pid)
    sockets: list[ClientConnection] = []
    result: dict[str, Any] = {"traced": trace, "connections": args.connections}
    try:
        await bl.wait_ready(server, timeout=180.0)  # also on a busy machine
        # Warm the paths once (imports, caches, compiled statements) so they are in "before".
        sockets += await connect(server, 5, 5)
        await asyncio.sleep(1.0)
        before_rss = sampler.sample()
        before = await _snapshot(server, out, 1) if trace else None
        t0 = time.monotonic()
        sockets += await connect(server, args.connections, args.concurrency)
        result["connect_s"] = round(time.monotonic() - t0, 1)
        await asyncio.sleep(2.0)  # let the welcome frames and place broadcasts settle
        after_rss = sampler.sample()
        n = args.connections
        result |= {
            "rss_before_mb": round(before_rss / 1e6, 1),
            "rss_after_mb": round(after_rss / 1e6, 1),
            "rss_bytes_per_visitor": round((after_rss - before_rss) / n),
        }
        if trace:
            assert before is not None
            after = await _snapshot(server, out, 2)
            result |= breakdown(before, after, n, args.top)
    finally:
        await bl.close_all(sockets, timeout=30)
        bl.stop_server(server)
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


def report(results: list[dict[str, Any]]) -> None:
    for r in results:
        label = "with tracemalloc" if r["traced"] else "plain"
        print(
            f"\n{label}: {r['connections']} waiting visitors connected in {r['connect_s']} s; "
            f"RSS {r['rss_before_mb']} → {r['rss_after_mb']} MB = "
            f"{r['rss_bytes_per_visitor'] / 1000:.1f} kB per visitor"
        )
        if r["traced"]:
            print(
                f"Python heap growth: {r['python_heap_growth_bytes_per_visitor'] / 1000:.1f} kB "
                "per visitor (tracemalloc)"
            )
            for title, key in (
                ("by site in Baken's code (innermost Baken frame)", "by_baken_site"),
                ("by innermost allocation site", "by_innermost_site"),
            ):
                print(f"  {title}:")
                for row in r[key]:
                    print(f"    {row['bytes_per_visitor']:>7,} B  {row['site']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--skip-plain", action="store_true", help="only the traced run")
    parser.add_argument("--skip-trace", action="store_true", help="only the plain RSS run")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep-data", action="store_true")
    args = parser.parse_args()
    bl.raise_nofile(args.connections * 2 + 1000)
    results = []
    for trace in (False, True):
        if (trace and args.skip_trace) or (not trace and args.skip_plain):
            continue
        results.append(asyncio.run(run(args, trace)))
    report(results)
    if args.json:
        with contextlib.suppress(OSError):
            args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
