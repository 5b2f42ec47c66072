"""Availability API beside the chat (issue 18, Performance).

Target: ``GET /api/availability`` at ≥ 5,000 requests/s from one Baken process while the chat load
of bench/load.py runs at 1,000 msg/s beside it, and the chat's p99 rises by at most 5 % — measured
in the same run, in alternating windows (default ``off,on,off,on`` × 15 s): "off" is the chat
alone, "on" the chat plus the availability hammer.

One Baken server (SQLite default) on core 0. The chat generator is this process (core 1), using
load.py's own set-up, scheduler and frame handlers. The hammer is a second process on the same
core 1, so the server stays alone on core 0 and the chat's timestamps are not taken behind the
hammer's callbacks: it offers ``--avail-rate`` requests/s open loop (request *k* is due at
``window start + k / rate``; a request that finds every connection busy waits in a backlog and its
latency counts from when it was due), over ``--avail-connections`` keep-alive connections that
send ``Origin`` of a listed partner (so the CORS header is built too). Messages sent in the first
``--settle`` seconds after a switch are left out of both kinds of window.

After the windows, with the chat stopped (its sockets still open), a short closed-loop phase
(``--ceiling`` s) shows how many requests/s the server answers when nothing else runs.

    .venv/bin/python bench/availability.py --json bench/results/availability-sqlite.json
    # smoke run (not a measurement)
    .venv/bin/python bench/availability.py --conversations 100 --window 3 --wait-quiet 1

``--kind directory`` (issue 17, Performance) puts 10,000 synthetic services in the directory before
the server starts and sends the console's searches (``GET /api/staff/directory`` with a counselor's
session, eight kinds of query in turn, 20/s open loop) instead; its target is search p99 ≤ 50 ms in
every window with searches, while the chat runs at 1,000 msg/s:

    .venv/bin/python bench/availability.py --kind directory --json bench/results/directory.json

``--kind nojs`` (issue 13, Performance) starts ``--nojs-visitors`` (500) visitors who wait in the
queue without JavaScript and reloads each one's waiting page (``GET /chat``, its own cookie) every
5 s, as its ``<meta http-equiv=refresh>`` does: 100 requests/s beside the chat at 2,000 msg/s
(``--rate 2000``); it reports the bytes per refresh and the chat's p99 with and without them.

The per-address limit (BAKEN_ADDRESS_AVAILABILITY_PER_MINUTE) is lifted: every bench request
comes from 127.0.0.1. The answer cache (BAKEN_AVAILABILITY_CACHE_SECONDS, 5 s) stays as shipped.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import multiprocessing as mp
import os
import shutil
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

import benchlib as bl
import load
from benchlib import BenchError

TARGET_AVAIL_RATE = 5000.0
TARGET_CHAT_RATE = 1000.0
P99_RISE_LIMIT = 1.05
SERVED_TOLERANCE = 0.99  # served ≥ 99 % of the offered 5,000/s in every "on" window
PARTNER = "https://partner.example"
PATH = "/api/availability"
# --kind directory (issue 17, Performance): console searches over 10,000 services, ≤ 50 ms p99,
# while the chat runs at 1,000 msg/s. 20 searches/s is far above what a team of counselors
# types; the queries are the kinds bench/directory_search.py times in-process.
SEARCH_RATE = 20.0
SEARCH_P99_MS = 50.0
_SEARCH_PATHS = [
    "/api/staff/directory?need=shelter",
    "/api/staff/directory?need=youth_care&age=16&language=nl&region=Utrecht",
    "/api/staff/directory?q=opvang",
    "/api/staff/directory?q=zzzz+nothing",
    "/api/staff/directory?language=uk&region=Noord-Holland&age=16",
    "/api/staff/directory?need=sexual_violence_centre&age=15",
    "/api/staff/directory?language=pl",
    "/api/staff/directory?need=police&region=Zuid-Holland",
]


# --kind nojs (issue 13, Performance): 500 visitors without JavaScript, each reloading the
# waiting page every 5 s (its <meta http-equiv=refresh>), i.e. 100 GETs/s, beside the chat.
NOJS_PATH = "/chat?lang=nl"
NOJS_REFRESH_SECONDS = 5.0


async def _nojs_visitors(server: bl.Server, count: int) -> list[bytes]:
    """`count` visitors started and waiting; one refresh request (with its cookie) each."""
    sem = asyncio.Semaphore(16)

    async def one() -> bytes:
        async with sem:
            _conversation, token = await bl.visitor_start(server)
        return (
            f"GET {NOJS_PATH} HTTP/1.1\r\nHost: {bl.HOST}:{server.port}\r\n"
            f"Cookie: {bl.VISITOR_COOKIE}={token}\r\n"
            "Accept: text/html\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
        ).encode()

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _nojs_cookie(request: bytes) -> str:
    line = next(x for x in request.decode().split("\r\n") if x.startswith("Cookie: "))
    return line.removeprefix("Cookie: ")


def _cookie(token: str) -> str:
    from baken.web.cookies import STAFF_COOKIE

    return f"{STAFF_COOKIE}={token}"


def _search_requests(port: int, token: str) -> list[bytes]:
    return [
        (
            f"GET {path} HTTP/1.1\r\nHost: {bl.HOST}:{port}\r\nCookie: {_cookie(token)}\r\n"
            "Accept: application/json\r\nAccept-Encoding: identity\r\n\r\n"
        ).encode()
        for path in _SEARCH_PATHS
    ]


async def _import_directory(data_dir: Path, count: int) -> int:
    """The synthetic services in the default organisation, before the server starts."""
    from baken.audit.kinds import SYSTEM
    from baken.config import Settings
    from baken.directory import synthetic
    from baken.directory.hsds_file import dump, parse
    from baken.directory.repository import DirectoryRepository
    from baken.store.database import Database
    from baken.store.staff_repo import DEFAULT_ORGANISATION

    db = Database(Settings(data_dir=data_dir))
    try:
        items = parse(dump(synthetic.services(count)))
        await DirectoryRepository(db).import_items(DEFAULT_ORGANISATION, items, SYSTEM)
    finally:
        await db.dispose()
    return len(items)


# --------------------------------------------------------------------------------------------
# the hammer (its own process on the generator's core)


class _HttpConn(asyncio.Protocol):
    """One keep-alive connection, one request in flight (as a browser without pipelining)."""

    def __init__(self, hammer: _Hammer) -> None:
        self.h = hammer
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.due = 0  # when the request in flight was due (ns); 0: idle
        self.alive = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.alive = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        if self.due:
            self.h.errors["closed with a request in flight"] += 1
            self.due = 0
        self.h.conn_lost(self)

    def send(self, due: int) -> None:
        self.due = due
        assert self.transport is not None
        self.transport.write(self.h.next_request())

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            i = buf.find(b"content-length: ", 0, end)
            if i < 0:
                self.h.errors["response without content-length"] += 1
                assert self.transport is not None
                self.transport.close()
                return
            j = buf.find(b"\r\n", i)
            length = int(buf[i + 16 : j])
            if len(buf) < end + 4 + length:
                return
            status = int(buf[9:12])
            cors = buf.find(b"access-control-allow-origin: ", 0, end) >= 0
            del buf[: end + 4 + length]
            self.h.body_bytes += length
            self.h.done(self, status, cors)


class _Hammer:
    def __init__(self, port: int, connections: int, requests: list[bytes] | None = None) -> None:
        self.port = port
        self.n = connections
        # --kind directory: the searches to rotate through; otherwise the one availability GET.
        self.requests = requests or [
            (
                f"GET {PATH} HTTP/1.1\r\nHost: {bl.HOST}:{port}\r\nOrigin: {PARTNER}\r\n"
                # What a browser sends (a partner page's fetch); too small to be gzipped.
                "Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
            ).encode()
        ]
        self.sent = 0
        self.body_bytes = 0
        self.conns: list[_HttpConn] = []
        self.idle: collections.deque[_HttpConn] = collections.deque()
        self.backlog: collections.deque[int] = collections.deque()
        self.closed_loop = False
        self.stopping = False
        self.lat_ns: list[int] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.without_cors = 0
        self.completed = 0
        self.backlog_max = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.n):
            _, c = await loop.create_connection(lambda: _HttpConn(self), bl.HOST, self.port)
            self.conns.append(c)
            self.idle.append(c)

    def next_request(self) -> bytes:
        self.sent += 1
        return self.requests[self.sent % len(self.requests)]

    def close(self) -> None:
        self.stopping = True
        for c in self.conns:
            if c.transport is not None:
                c.transport.close()
        self.conns.clear()
        self.idle.clear()

    def conn_lost(self, c: _HttpConn) -> None:
        if not self.stopping:
            self.errors["connection closed by the server"] += 1
        if c in self.idle:
            self.idle.remove(c)

    def submit(self, due: int) -> None:
        if self.idle:
            self.idle.popleft().send(due)
        else:
            self.backlog.append(due)
            self.backlog_max = max(self.backlog_max, len(self.backlog))

    def done(self, c: _HttpConn, status: int, cors: bool) -> None:
        now = time.monotonic_ns()
        self.lat_ns.append(now - c.due)
        self.statuses[status] += 1
        self.completed += 1
        if not cors:
            self.without_cors += 1
        c.due = 0
        if self.stopping:
            return
        if self.backlog:
            c.send(self.backlog.popleft())
        elif self.closed_loop:
            c.send(now)
        else:
            self.idle.append(c)


async def _open_window(port: int, cfg: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    """Offer cfg['rate'] requests/s from `start` to `end` (monotonic ns); rate 0: closed loop."""
    h = _Hammer(port, cfg["connections"], cfg.get("requests"))
    await asyncio.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9 - 0.3))
    await h.open()
    await asyncio.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9))
    c0 = time.process_time()
    rate = cfg["rate"]
    offered = 0
    if rate <= 0:
        h.closed_loop = True
        for _ in range(len(h.idle)):
            h.idle.popleft().send(time.monotonic_ns())
            offered += 1
        await asyncio.sleep(max(0.0, (end - time.monotonic_ns()) / 1e9))
    else:
        interval = 1e9 / rate
        k = 0
        while True:
            now = time.monotonic_ns()
            if now >= end:
                break
            due = start + int(k * interval)
            if due > now:
                await asyncio.sleep(max((due - now) / 1e9, 0.001))
                continue
            while due <= now and due < end:
                h.submit(due)
                offered += 1
                k += 1
                due = start + int(k * interval)
    completed_in_window = h.completed
    c1 = time.process_time()
    left = len(h.backlog) + sum(1 for c in h.conns if c.due)
    # Answers still owed at the end are waited for (a second at most) but not counted as served.
    drain_until = time.monotonic() + 1.0
    h.closed_loop = False
    while (h.backlog or any(c.due for c in h.conns)) and time.monotonic() < drain_until:
        await asyncio.sleep(0.01)
    unanswered = len(h.backlog) + sum(1 for c in h.conns if c.due)
    h.close()
    seconds = (end - start) / 1e9
    return {
        "seconds": round(seconds, 3),
        "mode": "closed loop" if rate <= 0 else f"open loop {rate:g}/s",
        "connections": cfg["connections"],
        "offered": offered,
        "offered_per_s": round(offered / seconds, 1),
        "served_in_window": completed_in_window,
        "served_per_s": round(completed_in_window / seconds, 1),
        "owed_at_end": left,
        "unanswered": unanswered,
        "statuses": {str(k): v for k, v in sorted(h.statuses.items())},
        "non_200": sum(v for k, v in h.statuses.items() if k != 200),
        "without_cors_header": h.without_cors,
        "errors": dict(h.errors),
        "backlog_max": h.backlog_max,
        "body_bytes_mean": round(h.body_bytes / h.completed) if h.completed else None,
        "latency": bl.latency_summary(h.lat_ns),
        "hammer_cpu": round((c1 - c0) / seconds, 3),
    }


async def _hammer_run(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for start, end, rate in cfg["windows"]:
        out.append(await _open_window(cfg["port"], {**cfg, "rate": rate}, start, end))
    return out


def hammer_process(conn: Connection) -> None:
    """Child process: wait for the plan, run the windows, send the results back."""
    import uvloop

    bl.pin_generator()
    gc.disable()  # short-lived, small heap; a collection mid-window would show as latency
    cfg = conn.recv()
    if cfg is None:
        return
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            conn.send(runner.run(_hammer_run(cfg)))
    except Exception as e:  # reported by the parent, never hidden
        conn.send({"error": repr(e)})


# --------------------------------------------------------------------------------------------
# the chat beside it (load.py's functions)


def windows_of(args: argparse.Namespace, w0: int) -> list[tuple[str, int, int]]:
    span = int(args.window * 1e9)
    return [(kind, w0 + i * span, w0 + (i + 1) * span) for i, kind in enumerate(args.windows)]


def chat_in(run: load.Run, lo: int, hi: int) -> tuple[list[int], list[int], int]:
    """e2e latencies, send lags and lost count of messages sent in [lo, hi)."""
    e2e: list[int] = []
    lags: list[int] = []
    lost = 0
    for k in range(run.k0, run.k1):
        t = run.sent_ns[k]
        if t and lo <= t < hi:
            lags.append(t - run.sched_ns[k])
            if run.recv_ns[k]:
                e2e.append(run.recv_ns[k] - t)
            else:
                lost += 1
    return e2e, lags, lost


async def run_bench(args: argparse.Namespace, hammer: Connection) -> dict[str, Any]:
    n = args.conversations
    windows_total = args.window * len(args.windows)
    total = round(args.rate * (args.warmup + windows_total))
    run = load.Run(
        target="baken",
        conversations=n,
        rate=args.rate,
        warmup=args.warmup,
        duration=windows_total,
        total=total,
        k0=round(args.rate * args.warmup),
        k1=total,
    )
    data_dir = bl.make_data_dir("availability")
    result: dict[str, Any] = {"database": "SQLite (default)", "data_dir": str(data_dir)}
    tokens = await load.make_counselors(data_dir, None, n)
    search_requests: list[bytes] | None = None
    if args.kind == "directory":
        result["services"] = await _import_directory(data_dir, args.services)
    nojs_requests: list[bytes] = []
    env = {
        "BAKEN_ADDRESS_AVAILABILITY_PER_MINUTE": "1000000000",
        "BAKEN_PARTNER_ORIGINS": orjson.dumps([PARTNER]).decode(),
    }
    if args.kind == "nojs":
        env["BAKEN_QUEUE_MAX"] = str(10 * (args.nojs_visitors + n))
    server = bl.start_server("baken", data_dir, extra_env=env)
    print(f"server pid {server.pid} port {server.port}, data {data_dir}", file=sys.stderr)
    pairs: list[load.Pair] = []
    aux: list[asyncio.Task[None]] = []
    sampler: bl.RssSampler | None = None
    marks: list[tuple[float, float, float]] = []
    hammer_sent = False
    try:
        await bl.wait_ready(server)
        if args.kind == "nojs":
            # Before the counselors sign in: a start while 1,000 consoles are open is a queue
            # frame to each of them, and that is set-up, not what is measured.
            nojs_requests = await _nojs_visitors(server, args.nojs_visitors)
            search_requests = nojs_requests
            status, headers, body = await bl.http_request(
                server.port, "GET", NOJS_PATH, headers={"Cookie": _nojs_cookie(nojs_requests[0])}
            )
            result["sample_answer"] = {"status": status, "bytes": len(body)}
            if status != 200 or b"http-equiv" not in body:
                raise BenchError(f"GET {NOJS_PATH} → {status}: {body[:200]!r}")
        elif args.kind == "directory":
            search_requests = _search_requests(server.port, tokens[0])
            status, headers, body = await bl.http_request(
                server.port, "GET", _SEARCH_PATHS[1], headers={"Cookie": _cookie(tokens[0])}
            )
            result["sample_answer"] = {"status": status, "services": body.count(b'"id"')}
            if status != 200:
                raise BenchError(f"GET {_SEARCH_PATHS[1]} → {status}: {body[:200]!r}")
        else:
            status, headers, body = await bl.http_request(
                server.port, "GET", PATH, headers={"Origin": PARTNER}
            )
            result["sample_answer"] = {
                "status": status,
                "body": body.decode(errors="replace"),
                "cors": dict(headers).get("access-control-allow-origin"),
            }
            if status != 200:
                raise BenchError(f"GET {PATH} → {status}: {body[:200]!r}")
        sampler = bl.RssSampler(server.pid)
        sampler.start()

        t_setup = time.monotonic()
        sem = asyncio.Semaphore(16)
        heartbeat = 20
        live: list[bl.LeanWs] = []
        aux.append(asyncio.create_task(load.pinger(run, live, lambda: heartbeat)))

        async def one(i: int) -> None:
            nonlocal heartbeat
            async with sem:
                pair, heartbeat = await load.setup_pair(server, i, tokens[i], 60.0)
                pairs.append(pair)
                load.attach(run, pair.visitor, "visitor")
                load.attach(run, pair.staff, "counselor")
                live.extend((pair.visitor, pair.staff))

        await asyncio.gather(*(one(i) for i in range(n)))
        pairs.sort(key=lambda p: p.idx)
        result["setup_s"] = round(time.monotonic() - t_setup, 1)
        print(f"{n} conversations ready in {result['setup_s']} s", file=sys.stderr, flush=True)
        await asyncio.sleep(1.0)

        busy, _ = await bl.wait_quiet(args.wait_quiet)
        result["pre_run_other_cpu"] = round(busy, 3)
        if busy >= 0.10:
            result["noisy_machine"] = bl.foreign_processes({os.getpid(), server.pid})
            print(f"  WARNING: machine busy: {result['noisy_machine']}", file=sys.stderr)
        gc.collect()
        gc.freeze()
        run.loading = True
        t0 = time.monotonic_ns() + 1_000_000_000  # time for the hammer to get its plan
        w0 = t0 + int(args.warmup * 1e9)
        wins = windows_of(args, w0)
        w_end = wins[-1][2]
        # The ceiling phase starts after the chat's grace period, whatever happens before.
        c_start = w_end + int((args.grace + 1.0) * 1e9)
        plan = [(s, e, args.avail_rate) for kind, s, e in wins if kind == "on"]
        if args.ceiling > 0:
            plan.append((c_start, c_start + int(args.ceiling * 1e9), 0.0))
        hammer.send(
            {
                "port": server.port,
                "connections": args.avail_connections,
                "windows": plan,
                "requests": search_requests,
            }
        )
        hammer_sent = True

        async def window_marks() -> None:
            for t in [w0] + [e for _, _, e in wins]:
                await asyncio.sleep(max(0.0, (t - time.monotonic_ns()) / 1e9))
                marks.append((time.process_time(), sampler.cpu_seconds(), bl.busy_seconds()))

        mark_task = asyncio.create_task(window_marks())
        await load.scheduler(run, pairs, t0, args.text_size)
        await mark_task
        grace_end = time.monotonic() + args.grace
        while time.monotonic() < grace_end:
            if run.recv_count >= run.sent_count and run.ack_count >= run.sent_count:
                break
            await asyncio.sleep(0.05)
        ceiling_marks: tuple[float, float] | None = None
        if args.ceiling > 0:
            await asyncio.sleep(max(0.0, (c_start - time.monotonic_ns()) / 1e9))
            s0, b0 = sampler.cpu_seconds(), bl.busy_seconds()
            await asyncio.sleep(args.ceiling)
            ceiling_marks = (sampler.cpu_seconds() - s0, bl.busy_seconds() - b0)
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, hammer.poll, 30.0):
            raise BenchError("the hammer process sent no results")
        hammer_out = hammer.recv()
    finally:
        run.closing = True
        for task in aux:
            task.cancel()
        if not hammer_sent:
            hammer.send(None)
        if sampler is not None:
            await sampler.stop()
        await bl.close_lean([ws for p in pairs for ws in (p.visitor, p.staff)])
        await asyncio.gather(*aux, return_exceptions=True)
        result["server_exit_code"] = bl.stop_server(server)
        log = server.log_text()
        if "Traceback" in log or "ERROR" in log:
            result["server_log_errors"] = load.extract_errors(log)
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
    if isinstance(hammer_out, dict):
        raise BenchError(f"hammer failed: {hammer_out['error']}")

    # ---- per window
    settle = int(args.settle * 1e9)
    on_results = iter(hammer_out)
    per_window: list[dict[str, Any]] = []
    by_kind: dict[str, dict[str, list[int]]] = {
        "off": {"e2e": [], "lag": []},
        "on": {"e2e": [], "lag": []},
    }
    lost_total = 0
    for i, (kind, s, e) in enumerate(wins):
        e2e, lags, lost = chat_in(run, s + settle, e)
        lost_total += lost
        by_kind[kind]["e2e"] += e2e
        by_kind[kind]["lag"] += lags
        (g0, sv0, b0), (g1, sv1, b1) = marks[i], marks[i + 1]
        secs = (e - s) / 1e9
        w: dict[str, Any] = {
            "window": i + 1,
            "kind": kind,
            "chat_e2e": bl.latency_summary(e2e),
            "chat_gen_lag": bl.latency_summary(lags),
            "chat_lost": lost,
            "server_cpu": round((sv1 - sv0) / secs, 3),
            "chat_gen_cpu": round((g1 - g0) / secs, 3),
        }
        if kind == "on":
            w["availability"] = next(on_results)
            w["hammer_cpu"] = w["availability"]["hammer_cpu"]
        else:
            w["hammer_cpu"] = 0.0
        other = (b1 - b0) - (g1 - g0) - (sv1 - sv0) - w["hammer_cpu"] * secs
        w["other_cpu"] = round(max(0.0, other) / secs, 3)
        per_window.append(w)
    if args.ceiling > 0 and ceiling_marks is not None:
        ceiling = next(on_results)
        ceiling["server_cpu"] = round(ceiling_marks[0] / args.ceiling, 3)
        ceiling["other_cpu"] = round(
            max(0.0, ceiling_marks[1] - ceiling_marks[0] - ceiling["hammer_cpu"] * args.ceiling)
            / args.ceiling,
            3,
        )
        result["ceiling"] = ceiling
    summary = {
        kind: {
            "chat_e2e": bl.latency_summary(v["e2e"]),
            "chat_gen_lag": bl.latency_summary(v["lag"]),
        }
        for kind, v in by_kind.items()
    }
    p_off = summary["off"]["chat_e2e"]["p99_ms"]
    p_on = summary["on"]["chat_e2e"]["p99_ms"]
    result.update(
        {
            "conversations": n,
            "chat_rate": args.rate,
            "kind": args.kind,
            "avail_rate_offered": args.avail_rate,
            "windows": per_window,
            "by_kind": summary,
            "p99_ratio_on_off": round(p_on / p_off, 3) if p_on and p_off else None,
            "p50_ratio_on_off": (
                round(summary["on"]["chat_e2e"]["p50_ms"] / summary["off"]["chat_e2e"]["p50_ms"], 3)
                if summary["on"]["chat_e2e"]["p50_ms"] and summary["off"]["chat_e2e"]["p50_ms"]
                else None
            ),
            "chat_lost_total": sum(
                1 for k in range(run.total) if run.sent_ns[k] and not run.recv_ns[k]
            ),
            "chat_lost_in_windows": lost_total,
            "chat_errors": sum(run.errors.values()) + run.send_errors + len(run.closes),
            "chat_error_samples": run.error_samples[:10],
            "rss_peak_mib": round(sampler.peak / 2**20, 1) if sampler else None,
        }
    )
    result["verdicts"] = judge(result, args)
    return result


# --------------------------------------------------------------------------------------------
# verdict and report


def judge(r: dict[str, Any], args: argparse.Namespace) -> dict[str, str]:
    on = [w for w in r["windows"] if w["kind"] == "on"]
    served = [w["availability"]["served_per_s"] for w in on]
    non_200 = sum(w["availability"]["non_200"] for w in on)
    errors = sum(sum(w["availability"]["errors"].values()) for w in on)
    unanswered = sum(w["availability"]["unanswered"] for w in on)
    full = (
        args.avail_rate >= TARGET_AVAIL_RATE
        and args.rate >= TARGET_CHAT_RATE
        and args.conversations >= load.TARGET_CONVERSATIONS
    )
    rate_ok = (
        bool(served)
        and min(served) >= SERVED_TOLERANCE * args.avail_rate
        and non_200 == 0
        and errors == 0
        and unanswered == 0
    )
    ratio = r["p99_ratio_on_off"]
    p99_ok = ratio is not None and ratio <= P99_RISE_LIMIT and r["chat_lost_total"] == 0
    if args.kind == "directory":
        full = args.rate >= TARGET_CHAT_RATE and args.conversations >= load.TARGET_CONVERSATIONS
        full = full and args.services >= 10_000
        on_p99 = [w["availability"]["latency"]["p99_ms"] for w in on]
        lat_ok = bool(on_p99) and all(p is not None and p <= SEARCH_P99_MS for p in on_p99)
    noisy = max(w["other_cpu"] for w in r["windows"]) >= 0.10
    lag_bad = any(
        (r["by_kind"][k]["chat_gen_lag"]["p99_ms"] or 0) > load.GEN_LAG_P99_LIMIT_MS
        for k in ("off", "on")
    )
    invalid = noisy or lag_bad

    def word(ok: bool) -> str:
        if not full:
            return "pass (n/a: not the target load)" if ok else "miss (n/a: not the target load)"
        if ok:
            return "INVALID (noisy machine or generator lag)" if invalid else "PASS"
        return "MISS" + (" (noisy machine or generator lag)" if invalid else "")

    if args.kind == "nojs":
        return {
            f"{args.nojs_visitors} no-JS visitors refreshing, 0 non-200": word(rate_ok),
            f"chat p99 rise ≤ {round((P99_RISE_LIMIT - 1) * 100)} %": word(p99_ok),
        }
    if args.kind == "directory":
        return {
            f"search p99 ≤ {SEARCH_P99_MS:g} ms in every window with searches": word(
                lat_ok and rate_ok
            ),
            "chat p99 rise ≤ 5 % (not a target of this kind; shown)": word(p99_ok),
        }
    return {
        f"availability ≥ {args.avail_rate:,.0f} req/s, 0 non-200": word(rate_ok),
        f"chat p99 rise ≤ {round((P99_RISE_LIMIT - 1) * 100)} %": word(p99_ok),
    }


def report(r: dict[str, Any]) -> None:
    print(
        f"\nAvailability API beside the chat: {r['conversations']} conversations, "
        f"{r['chat_rate']:g} msg/s; hammer {r['avail_rate_offered']:g} req/s offered "
        f"({r['database']})"
    )
    rows = []
    for w in r["windows"]:
        a = w.get("availability") or {}
        rows.append(
            [
                str(w["window"]),
                w["kind"],
                bl.fmt(a.get("served_per_s")) if a else "—",
                bl.fmt(a.get("non_200")) if a else "—",
                bl.fmt((a.get("latency") or {}).get("p99_ms"), " ms") if a else "—",
                bl.fmt(w["chat_e2e"]["p50_ms"], " ms"),
                bl.fmt(w["chat_e2e"]["p99_ms"], " ms"),
                bl.fmt(w["chat_gen_lag"]["p99_ms"], " ms"),
                f"{w['server_cpu'] * 100:.0f} %",
                f"{w['chat_gen_cpu'] * 100:.0f} % + {w['hammer_cpu'] * 100:.0f} %",
                f"{w['other_cpu'] * 100:.0f} %",
            ]
        )
    bl.print_table(
        [
            "win",
            "kind",
            "avail req/s",
            "non-200",
            "avail p99",
            "chat p50",
            "chat p99",
            "chat gen lag p99",
            "server CPU",
            "gen CPU chat + hammer",
            "other CPU",
        ],
        rows,
    )
    off, on = r["by_kind"]["off"]["chat_e2e"], r["by_kind"]["on"]["chat_e2e"]
    print(
        f"\nchat e2e, windows without the hammer: p50 {bl.fmt(off['p50_ms'])} ms, "
        f"p99 {bl.fmt(off['p99_ms'])} ms; with: p50 {bl.fmt(on['p50_ms'])} ms, "
        f"p99 {bl.fmt(on['p99_ms'])} ms"
    )
    print(
        f"ratio with/without: p50 {bl.fmt(r['p50_ratio_on_off'])}, "
        f"p99 {bl.fmt(r['p99_ratio_on_off'])}; chat lost {r['chat_lost_total']}, "
        f"chat errors {r['chat_errors']}"
    )
    sizes = [w["availability"]["body_bytes_mean"] for w in r["windows"] if w.get("availability")]
    if sizes:
        print(f"bytes per answer (body, mean of each window with requests): {sizes}")
    c = r.get("ceiling")
    if c:
        print(
            f"ceiling (closed loop, {c['connections']} connections, chat stopped): "
            f"{bl.fmt(c['served_per_s'])} req/s, non-200 {c['non_200']}, "
            f"p99 {bl.fmt(c['latency']['p99_ms'])} ms, server CPU {c['server_cpu'] * 100:.0f} %, "
            f"hammer CPU {c['hammer_cpu'] * 100:.0f} %"
        )
    if r.get("server_log_errors"):
        print("server log has errors:\n" + r["server_log_errors"][:2000])
    print()
    for name, verdict in r["verdicts"].items():
        print(f"{name:40} {verdict}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--kind",
        choices=["availability", "directory", "nojs"],
        default="availability",
        help="what runs beside the chat: the availability API, staff directory searches, or "
        "visitors without JavaScript whose waiting page refreshes itself",
    )
    ap.add_argument("--nojs-visitors", type=int, default=500, help="with --kind nojs")
    ap.add_argument("--services", type=int, default=10_000, help="with --kind directory")
    ap.add_argument("--conversations", type=int, default=load.TARGET_CONVERSATIONS)
    ap.add_argument("--rate", type=float, default=TARGET_CHAT_RATE, help="chat msg/s")
    ap.add_argument(
        "--avail-rate",
        type=float,
        default=None,
        help=f"req/s offered (default {TARGET_AVAIL_RATE:g}; {SEARCH_RATE:g} for directory)",
    )
    ap.add_argument("--avail-connections", type=int, default=16)
    ap.add_argument("--window", type=float, default=15.0, help="seconds per window")
    ap.add_argument(
        "--windows",
        type=lambda s: s.split(","),
        default=["off", "on", "off", "on"],
        help="kinds in order, comma-separated (off = chat alone, on = chat + hammer)",
    )
    ap.add_argument("--settle", type=float, default=1.0, help="s after a switch not counted")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--grace", type=float, default=5.0)
    ap.add_argument("--ceiling", type=float, default=5.0, help="closed-loop phase at the end, s")
    ap.add_argument("--text-size", type=int, default=100)
    ap.add_argument("--wait-quiet", type=float, default=120.0)
    ap.add_argument("--nice", type=int, default=-10)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--keep-data", action="store_true")
    args = ap.parse_args()
    if set(args.windows) - {"on", "off"} or {"on", "off"} - set(args.windows):
        ap.error("--windows needs both 'on' and 'off' and nothing else")
    if args.avail_rate is None:
        args.avail_rate = {
            "directory": SEARCH_RATE,
            "nojs": args.nojs_visitors / NOJS_REFRESH_SECONDS,
        }.get(args.kind, TARGET_AVAIL_RATE)
    if args.kind != "availability":
        args.ceiling = 0.0

    import uvloop

    bl.raise_nofile(65536)
    bl.raise_priority(args.nice)
    bl.pin_generator()
    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=hammer_process, args=(child,), daemon=True)
    proc.start()
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(run_bench(args, parent))
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    report(result)
    if args.json:
        out = {
            "machine": bl.machine_info(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "result": result,
        }
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
