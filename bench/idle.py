"""Idle-connection memory test: 5,000 visitor sockets kept alive, server RSS measured.

Each connection is its own conversation (``POST /api/visitor/start`` then ``/ws/visitor``), so the
server holds 5,000 queued conversations and 5,000 open WebSockets. The sockets then only send the
protocol's app-level ``ping`` (once per ``heartbeat`` from ``welcome``, spread evenly) for
``--hold`` seconds while the server's RSS (process + children) is sampled every second.
Target: RSS < 500 MB (500·10⁶ bytes).

    .venv/bin/python bench/idle.py                      # both targets, 5,000 sockets, 30 s
    .venv/bin/python bench/idle.py --target relay --connections 1000 --hold 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import psutil
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

import benchlib as bl
from benchlib import BenchError

TARGET_CONNECTIONS = 5000
TARGET_RSS_BYTES = 500 * 10**6


async def open_visitor(server: bl.Server, timeout: float) -> tuple[ClientConnection, int]:
    _, token = await bl.visitor_start(server)
    ws = await bl.open_ws(server, "/ws/visitor", bl.VISITOR_COOKIE, token, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        f = await bl.recv_frame(ws, max(0.1, deadline - time.monotonic()))
        if f.get("type") == "welcome":
            return ws, int(f.get("heartbeat") or 20)
        if f.get("type") == "error":
            raise BenchError(f"error frame before welcome: {f}")


async def run_target(target: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = bl.make_data_dir(target)
    server = bl.start_server(
        target,
        data_dir,
        database_url=args.database_url if target == "baken" else None,
        log_level=args.server_log_level,
        # Baken caps the waiting queue (BAKEN_QUEUE_MAX, default 500): 5,000 waiting visitors
        # need a higher cap. This is configuration, stated in the report.
        extra_env={"BAKEN_QUEUE_MAX": str(args.queue_max)} if args.queue_max else None,
    )
    result: dict[str, Any] = {"target": target, "connections_wanted": args.connections}
    if target == "baken":
        result["baken_queue_max"] = args.queue_max or "default"

    result["database"] = (
        "relay (memory)"
        if target == "relay"
        else ("PostgreSQL" if args.database_url else "SQLite (default)")
    )
    print(f"[{target}] server pid {server.pid} on port {server.port}", file=sys.stderr, flush=True)
    sampler = bl.RssSampler(server.pid)
    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    frames: Counter[str] = Counter()
    closes: list[str] = []
    samples: list[str] = []
    state = {"closing": False, "pongs": 0, "pings": 0}

    async def reader(ws: ClientConnection) -> None:
        try:
            while True:
                f = orjson.loads(await ws.recv(decode=False))
                t = str(f.get("type"))
                frames[t] += 1
                if t == "pong":
                    state["pongs"] += 1
                elif t == "error" and len(samples) < 20:
                    samples.append(repr(f))
        except ConnectionClosed as e:
            if not state["closing"]:
                closes.append(repr(e))
        except Exception as e:
            closes.append(f"reader failed: {e!r}")

    try:
        await bl.wait_ready(server)
        with contextlib.suppress(psutil.Error):
            soft, _ = psutil.Process(server.pid).rlimit(psutil.RLIMIT_NOFILE)
            result["server_nofile"] = soft
        sampler.start()
        await asyncio.sleep(1.0)
        result["rss_base_mb"] = round(sampler.sample() / 1e6, 1)

        t0 = time.monotonic()
        sem = asyncio.Semaphore(args.concurrency)
        errors: list[str] = []
        hb = {"heartbeat": 20.0}
        progress: list[tuple[int, float]] = []

        async def pinger() -> None:
            """Every open socket pings once per heartbeat — also while the others connect."""
            i = 0
            next_t = time.monotonic()
            while True:
                interval = args.ping_interval or hb["heartbeat"]
                next_t += interval / max(1, len(sockets))
                delay = next_t - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(max(delay, 0.001))
                if not sockets:
                    continue
                ws = sockets[i % len(sockets)]
                i += 1
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(b'{"type":"ping","t":%d}' % i, text=True)
                    state["pings"] += 1

        async def one() -> None:
            async with sem:
                if len(errors) >= 20:
                    return
                try:
                    ws, heartbeat = await open_visitor(server, 60.0)
                except Exception as e:
                    errors.append(repr(e))
                    return
                hb["heartbeat"] = heartbeat
                sockets.append(ws)
                readers.append(asyncio.create_task(reader(ws)))
                if len(sockets) % 1000 == 0:
                    progress.append((len(sockets), round(time.monotonic() - t0, 1)))
                    print(f"  [{target}] {len(sockets)} connected", file=sys.stderr, flush=True)

        ping_task = asyncio.create_task(pinger())
        await asyncio.wait_for(
            asyncio.gather(*(one() for _ in range(args.connections))), args.connect_timeout
        )
        result["connect_s"] = round(time.monotonic() - t0, 1)
        result["connect_progress"] = progress
        result["connected"] = len(sockets)
        result["connect_errors"] = errors[:20]
        result["rss_connected_mb"] = round(sampler.sample() / 1e6, 1)
        print(
            f"[{target}] {len(sockets)} sockets open in {result['connect_s']} s; "
            f"holding {args.hold:g} s",
            file=sys.stderr,
            flush=True,
        )

        # ---- hold: app-level pings only (the pinger keeps going)
        t_end = time.monotonic() + args.hold
        while time.monotonic() < t_end:
            if server.proc.poll() is not None:
                raise BenchError(f"server exited with {server.proc.returncode}")
            await asyncio.sleep(0.5)
        ping_task.cancel()
        await asyncio.sleep(1.0)
        result["rss_end_mb"] = round(sampler.sample() / 1e6, 1)
        result["still_open"] = sum(1 for ws in sockets if ws.state.name == "OPEN")
    except (TimeoutError, BenchError, OSError) as e:
        result["aborted"] = repr(e)
        print(f"[{target}] ABORTED: {e!r}", file=sys.stderr, flush=True)
    finally:
        state["closing"] = True
        await sampler.stop()
        await bl.close_all(sockets, timeout=20)
        for t in readers:
            t.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        result["server_exit_code"] = bl.stop_server(server)

    base = result.get("rss_base_mb") or 0.0
    peak = round(sampler.peak / 1e6, 1)
    n = result.get("connected") or 0
    result.update(
        {
            "rss_peak_mb": peak,
            "rss_peak_mib": round(sampler.peak / 2**20, 1),
            "kb_per_connection": round((peak - base) * 1000 / n, 1) if n else None,
            "pings": state["pings"],
            "pongs": state["pongs"],
            "frames": dict(frames),
            "unexpected_closes": len(closes),
            "close_samples": closes[:10],
            "error_samples": samples,
        }
    )
    log = server.log_text()
    if "Traceback" in log or "ERROR" in log or result.get("aborted"):
        result["server_log_tail"] = server.log_tail(60)
    if not args.keep_data:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def verdict(r: dict[str, Any], args: argparse.Namespace) -> str:
    ok = (
        not r.get("aborted")
        and r.get("connected", 0) >= args.connections
        and r.get("unexpected_closes", 1) == 0
        and r["rss_peak_mb"] < TARGET_RSS_BYTES / 1e6
    )
    if args.connections < TARGET_CONNECTIONS:
        return ("pass" if ok else "miss") + " (n/a: fewer than 5,000 sockets)"
    return "PASS" if ok else "MISS"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    def row(label: str, key: str, unit: str = "") -> list[str]:
        return [label, *(bl.fmt(r.get(key), unit) for r in results)]

    rows = [[label, *(str(r.get("database")) for r in results)] for label in ["database"]] + [
        row("sockets open", "connected"),
        row("time to open them", "connect_s", " s"),
        row("server RLIMIT_NOFILE", "server_nofile"),
        row("RSS before connecting", "rss_base_mb", " MB"),
        row("RSS all connected", "rss_connected_mb", " MB"),
        row("RSS at end of hold", "rss_end_mb", " MB"),
        row("RSS peak (1 s samples)", "rss_peak_mb", " MB"),
        row("RSS peak", "rss_peak_mib", " MiB"),
        row("per connection (peak − base)", "kb_per_connection", " kB"),
        row("pings sent", "pings"),
        row("pongs", "pongs"),
        row("unexpected closes", "unexpected_closes"),
        row("still open at the end", "still_open"),
    ]
    print()
    print(
        f"Idle: {args.connections:,} visitor sockets (one conversation each), held {args.hold:g} s"
    )
    bl.print_table(["metric", *(r["target"] for r in results)], rows)
    print()
    bl.print_table(
        ["target", *(r["target"] for r in results)],
        [
            [
                f"{TARGET_CONNECTIONS:,} idle sockets, RSS < 500 MB",
                *(f"{bl.fmt(r.get('rss_peak_mb'), ' MB')} → {verdict(r, args)}" for r in results),
            ]
        ],
    )
    for r in results:
        if r.get("aborted"):
            print(f"\n[{r['target']}] ABORTED: {r['aborted']}")
        for key in ("connect_errors", "close_samples", "error_samples"):
            if r.get(key):
                print(f"[{r['target']}] {key}: {r[key][:5]}")
        if r.get("server_log_tail"):
            print(f"[{r['target']}] server log tail:\n    " + r["server_log_tail"][-3000:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--connections", type=int, default=TARGET_CONNECTIONS)
    ap.add_argument("--hold", type=float, default=30.0, help="seconds to keep them open")
    ap.add_argument("--ping-interval", type=float, default=None, help="default: heartbeat")
    ap.add_argument("--target", choices=["baken", "relay", "both"], default="both")
    ap.add_argument("--database-url", default=None, help="BAKEN_DATABASE_URL for the Baken run")
    ap.add_argument("--concurrency", type=int, default=64, help="connections opened in parallel")
    ap.add_argument("--connect-timeout", type=float, default=600.0)
    ap.add_argument("--server-log-level", default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--queue-max",
        type=int,
        default=10000,
        help="BAKEN_QUEUE_MAX for the Baken run (0: leave the server's default, 500)",
    )
    ap.add_argument("--nice", type=int, default=-10, help="niceness (root only)")
    ap.add_argument("--keep-data", action="store_true")
    args = ap.parse_args()

    pinned = bl.pin_generator()
    bl.raise_priority(args.nice)  # inherited by the server we spawn
    # Both this process (clients) and the server (inherits the limit) need > 5,000 descriptors.
    nofile = bl.raise_nofile(max(20000, 2 * args.connections + 1000))
    if nofile < args.connections + 500:
        print(f"RLIMIT_NOFILE is only {nofile}; raise the hard limit", file=sys.stderr)
        return 2
    print(
        f"generator pid {os.getpid()} pinned to core {bl.GENERATOR_CORE if pinned else '-'}; "
        f"RLIMIT_NOFILE {nofile}",
        file=sys.stderr,
    )
    return bl.run_targets(args, run_target, report, verdict)


if __name__ == "__main__":
    sys.exit(main())
