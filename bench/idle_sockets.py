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
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

import benchlib as bl
from idle import open_visitor

# Installed in every run (a sitecustomize on PYTHONPATH, no server change). SIGUSR1: collect the
# garbage (the server's GC thresholds are high, and garbage is not what a socket keeps), then, in
# the traced run, snapshot the heap. Tracing starts at the first signal, not at start-up: tracing
# the whole start-up takes minutes on a busy machine, and only what connecting adds is wanted.
# BENCH_WS swaps uvicorn's WebSocket implementation for a comparison (the shipped one is unchanged);
# BENCH_TRIM=1 returns free heap memory to the system after each collection (glibc malloc_trim).
HOOK = """
import ctypes, gc, os, signal, tracemalloc
_out = os.environ["BENCH_HOOK_OUT"]
_n = [0]
def _on_signal(_sig, _frame):
    _n[0] += 1
    gc.collect()
    if os.environ.get("BENCH_TRIM") == "1":
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    if os.environ.get("BENCH_TRACE") == "1":
        if not tracemalloc.is_tracing():
            tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES", "12")))
        snap = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),)
        )
        snap.dump(f"{_out}.{_n[0]}")
    open(f"{_out}.{_n[0]}.done", "w").close()
signal.signal(signal.SIGUSR1, _on_signal)
if os.environ.get("BENCH_WS"):
    import sys, uvicorn
    if os.environ.get("BENCH_SYS_PATH"):  # e.g. wsproto, installed beside, not in the venv
        sys.path.append(os.environ["BENCH_SYS_PATH"])
    _init = uvicorn.Config.__init__
    def _with_ws(self, *args, **kwargs):
        kwargs["ws"] = os.environ["BENCH_WS"]
        _init(self, *args, **kwargs)
    uvicorn.Config.__init__ = _with_ws
"""


async def _signal(server: bl.Server, out: Path, n: int) -> None:
    """Send the server signal ``n`` (collect, and snapshot when traced) and wait until done."""
    os.kill(server.pid, signal.SIGUSR1)
    done = Path(f"{out}.{n}.done")
    deadline = time.monotonic() + 900  # a snapshot of a few thousand sockets takes minutes
    while not done.exists():
        if time.monotonic() > deadline or server.proc.poll() is not None:
            raise bl.BenchError("the server did not answer the bench's signal")
        await asyncio.sleep(0.2)


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


_readers: set[asyncio.Task[None]] = set()


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _frame in ws:
            pass


async def connect(
    server: bl.Server, count: int, concurrency: int, sockets: list[ClientConnection]
) -> None:
    """Open ``count`` waiting visitors, each added to ``sockets`` as soon as it is welcomed."""
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            ws, _heartbeat = await open_visitor(server, 60.0)
            sockets.append(ws)
            # Read what the server sends (pongs, estimate updates): a socket that is not read
            # stops reading at 16 frames, then misses uvicorn's keep-alive ping and is closed.
            _readers.add(asyncio.get_running_loop().create_task(_drain(ws)))

    await asyncio.gather(*(one() for _ in range(count)))


async def keep_alive(sockets: list[ClientConnection], every: float) -> None:
    """Each socket sends the protocol's ``ping`` once per ``every`` seconds: the server closes a
    socket silent for three heartbeats (60 s), and connecting 18,000 (or tracing 3,000 on a busy
    machine) takes longer than that. Rounds, not one sleep per socket: with 18,000 sockets those
    sleeps fell behind while the connecting kept the loop busy."""
    while True:
        started = time.monotonic()
        for i, ws in enumerate(list(sockets)):
            with contextlib.suppress(ConnectionClosed):
                await ws.send('{"type":"ping"}')
            if i % 100 == 99:
                await asyncio.sleep(0)
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))


def still_open(sockets: list[ClientConnection]) -> int:
    return sum(1 for ws in sockets if ws.state is State.OPEN)


async def run(args: argparse.Namespace, trace: bool) -> dict[str, Any]:
    data_dir = bl.make_data_dir("baken")
    out = data_dir / "heap"
    extra = {"BAKEN_QUEUE_MAX": str(max(args.connections * 2, 500))}
    hook = data_dir / "bench-hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    extra |= {
        "PYTHONPATH": str(hook),
        "BENCH_HOOK_OUT": str(out),
        "BENCH_TRACE": "1" if trace else "",
    }
    if args.ws:
        extra["BENCH_WS"] = args.ws
    server = bl.start_server(
        "baken", data_dir, database_url=args.database_url, extra_env=extra, core=None
    )
    sampler = bl.RssSampler(server.pid)
    sockets: list[ClientConnection] = []
    result: dict[str, Any] = {
        "traced": trace,
        "connections": args.connections,
        "ws": args.ws or "shipped",
        "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX", ""),
        "trim": os.environ.get("BENCH_TRIM") == "1",
    }
    pinger = asyncio.create_task(keep_alive(sockets, 15.0))
    try:
        await bl.wait_ready(server, timeout=600.0)  # also on a busy machine
        # Warm the paths once (imports, caches, compiled statements) so they are in "before".
        await connect(server, 5, 5, sockets)
        await asyncio.sleep(1.0)
        await _signal(server, out, 1)
        before_rss = sampler.sample()
        t0 = time.monotonic()
        await connect(server, args.connections, args.concurrency, sockets)
        result["connect_s"] = round(time.monotonic() - t0, 1)
        await asyncio.sleep(2.0)  # let the welcome frames and place broadcasts settle
        after_rss = sampler.sample()
        result["open_at_measure"] = still_open(sockets)
        # Why the others closed: 4000 = silent for three heartbeats (Baken), 1011 = no pong to
        # uvicorn's keep-alive ping in time (a client too busy to answer), None = not closed yet.
        result["close_codes"] = {
            str(code): n
            for code, n in Counter(
                ws.close_code for ws in sockets if ws.state is not State.OPEN
            ).items()
        }
        await _signal(server, out, 2)
        collected_rss = sampler.sample()
        n = args.connections
        result |= {
            "rss_before_mb": round(before_rss / 1e6, 1),
            "rss_after_mb": round(after_rss / 1e6, 1),
            "rss_bytes_per_visitor": round((after_rss - before_rss) / n),
            "rss_after_collect_mb": round(collected_rss / 1e6, 1),
            "rss_bytes_per_visitor_after_collect": round((collected_rss - before_rss) / n),
        }
        if trace:
            before = tracemalloc.Snapshot.load(f"{out}.1")
            after = tracemalloc.Snapshot.load(f"{out}.2")
            result |= breakdown(before, after, n, args.top)
    finally:
        pinger.cancel()
        for reader in _readers:
            reader.cancel()
        _readers.clear()
        await bl.close_all(sockets, timeout=30)
        bl.stop_server(server)
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


def report(results: list[dict[str, Any]]) -> None:
    for r in results:
        label = "with tracemalloc" if r["traced"] else "plain"
        print(
            f"\n{label}: {r['connections']} waiting visitors connected in {r['connect_s']} s "
            f"({r['open_at_measure']} sockets open when measured, 5 of them opened before; "
            f"closed ones by code: {r.get('close_codes') or 'none'}); "
            f"RSS {r['rss_before_mb']} → {r['rss_after_mb']} MB = "
            f"{r['rss_bytes_per_visitor'] / 1000:.1f} kB per visitor; after a full collection "
            f"{r['rss_after_collect_mb']} MB = "
            f"{r['rss_bytes_per_visitor_after_collect'] / 1000:.1f} kB per visitor "
            f"(ws {r['ws']}, MALLOC_ARENA_MAX {r['malloc_arena_max'] or 'unset'}, trim {r['trim']})"
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
    parser.add_argument(
        "--ws",
        default=None,
        help="uvicorn WebSocket implementation to compare (websockets, websockets-sansio, "
        "wsproto, or module:Class); default: the shipped one",
    )
    args = parser.parse_args()
    bl.raise_nofile(args.connections * 2 + 1000)
    results = []
    for trace in (False, True):
        if (trace and args.skip_trace) or (not trace and args.skip_plain):
            continue
        results.append(asyncio.run(run(args, trace)))
        report(results[-1:])  # at once: a failure of the traced run must not lose the plain one
    if args.json:
        with contextlib.suppress(OSError):
            args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
