"""Open-loop chat load test: Baken vs the bare relay (bench/relay.py).

For each target it starts the server itself (pinned to core 0 with ``taskset -c 0``; this process
pins itself to core 1), opens N conversations (a visitor socket + a counselor socket each), then
sends messages on a fixed schedule — total ``--rate`` msg/s, alternating visitor→counselor and
counselor→visitor, spread evenly over conversations and time — for ``--warmup`` + ``--duration``
seconds. Only messages scheduled after the warm-up are counted.

Each message text carries ``time.monotonic_ns()`` at send time; end-to-end latency is the arrival
time of the ``message`` frame at the OTHER side's socket minus that; ack latency is send → ``ack``.
The generator's own send lag (actual send time − scheduled time) is reported so that a reader can
see whether the generator kept up.

    .venv/bin/python bench/load.py                      # both targets, 1000 conv, 2000 msg/s, 60 s
    .venv/bin/python bench/load.py --target relay --duration 10
    .venv/bin/python bench/load.py --database-url postgresql+asyncpg://… --json pg.json
    .venv/bin/python bench/load.py --organisations 1,10 --json orgs.json   # issue 14, Baken only

``--organisations N`` (issue 14) spreads the conversations round-robin over N organisations
(visitor i starts at organisation i mod N's entry, and its counselor belongs to that
organisation); ``--organisations 1,10`` runs Baken with each in one invocation and compares the
p99 (target: 10 within 5 % of 1).

``--waiting N`` (issue 15, Baken only): before the pairs are set up, N visitors start a chat
and keep their socket open, waiting in the queue (nobody accepts them; the queue's cap is raised
for them) and pinging like the pairs, so the server counts them as present. The report gives how
many were still waiting at the end (``baken_queue_waiting`` from ``/metrics``, read before the
sockets close) and how many timeout sweeps the server ran in the measured window
(``baken_timeout_sweeps_total``). bench/sweep_overhead.py uses it.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import gc
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

import alt_server
import benchlib as bl
import organisations as orgs
import queue_updates
import security_churn
from benchlib import BenchError, Server

# targets from the brief
TARGET_CONVERSATIONS = 1000
TARGET_RATE = 2000.0
TARGET_DURATION = 60.0
TARGET_P99_MS = 50.0
RATE_TOLERANCE = 0.99  # "held": acks/s over the window ≥ 99 % of the target rate
GEN_LAG_P99_LIMIT_MS = 5.0  # above this the generator, not the server, may be the limit
GEN_CPU_LIMIT = 0.85  # share of core 1


@dataclass
class Pair:
    idx: int
    conv_id: str
    visitor: bl.LeanWs
    staff: bl.LeanWs
    accept_order: str = ""
    visitor_token: str = ""  # bench/restart.py: the visitor's cookie, to come back with


@dataclass
class Run:
    """All measurements of one target. Arrays are indexed by message number k."""

    target: str
    conversations: int
    rate: float
    warmup: float
    duration: float
    total: int
    k0: int  # first measured message
    k1: int  # one past the last measured message
    sent_ns: array.array[int] = field(init=False)
    sched_ns: array.array[int] = field(init=False)
    ack_ns: array.array[int] = field(init=False)
    ack_seq: array.array[int] = field(init=False)
    recv_ns: array.array[int] = field(init=False)
    e2e_ns: list[int] = field(default_factory=list)
    ack_lat_ns: list[int] = field(default_factory=list)
    sent_count: int = 0
    ack_count: int = 0
    recv_count: int = 0
    dup_recv: int = 0
    dup_ack: int = 0
    ack_duplicate_flag: int = 0
    out_of_order: int = 0
    send_errors: int = 0
    pongs: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    other_frames: Counter[str] = field(default_factory=Counter)
    closes: list[str] = field(default_factory=list)
    closing: bool = False
    loading: bool = False
    malformed: int = 0
    dead: str | None = None

    def __post_init__(self) -> None:
        self.sent_ns = array.array("q", bytes(8 * self.total))
        self.sched_ns = array.array("q", bytes(8 * self.total))
        self.ack_ns = array.array("q", bytes(8 * self.total))
        self.ack_seq = array.array("q", bytes(8 * self.total))
        self.recv_ns = array.array("q", bytes(8 * self.total))

    def error(self, what: str) -> None:
        if len(self.error_samples) < 30:
            self.error_samples.append(what)


# --------------------------------------------------------------------------------------------
# setup


async def wait_for(
    ws: bl.LeanWs, want: str, timeout: float, conv_id: str | None = None
) -> dict[str, Any]:
    """Read frames until one of type `want` (for `conv_id`) arrives; `error` frames raise."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BenchError(f"no {want!r} frame within {timeout}s")
        f = await ws.recv(left)
        t = f.get("type")
        if t == "error":
            raise BenchError(f"error frame while waiting for {want!r}: {f}")
        if t != want:
            continue
        if conv_id is not None:
            cid = f.get("conversation_id") or (f.get("conversation") or {}).get("id")
            if cid != conv_id:
                continue
        return f


def sync_frame(conv_id: str) -> bytes:
    return orjson.dumps({"type": "sync", "conversation_id": conv_id, "after_seq": 0})


async def setup_pair(
    server: Server,
    idx: int,
    staff_token: str,
    timeout: float,
    staff_server: Server | None = None,
    proof_pool: ProcessPoolExecutor | None = None,
    prefix: str = "",
    staff: bl.LeanWs | None = None,
) -> tuple[Pair, int]:
    """Visitor i on `server`, counselor i on `staff_server` (another process: --processes 2).
    With `proof_pool` (--security on) the visitor first solves the server's proof-of-work.
    `prefix`: the entry of the visitor's organisation (the counselor must belong to it).
    `staff`: a counselor socket already open (--chats-per-counselor: it accepts this chat too)."""
    proof = None if proof_pool is None else await security_churn.solve_proof(server, proof_pool)
    conv_id, vtoken = await bl.visitor_start(server, proof=proof, prefix=prefix)
    visitor = await bl.open_lean(server, "/ws/visitor", bl.VISITOR_COOKIE, vtoken, timeout=timeout)
    welcome = await wait_for(visitor, "welcome", timeout)
    heartbeat = int(welcome.get("heartbeat") or 20)
    visitor.send_text(sync_frame(conv_id))
    await wait_for(visitor, "messages", timeout, conv_id)
    if staff is None:
        staff = await bl.open_lean(
            staff_server or server, "/ws/staff", bl.STAFF_COOKIE, staff_token, timeout=timeout
        )
        await wait_for(staff, "welcome", timeout)
    staff.send_text(orjson.dumps({"type": "accept", "conversation_id": conv_id}))
    # The protocol says `accepted` comes first and the `conversation` frame follows; accept
    # either order here, but note the order seen (reported as a protocol deviation).
    order: list[str] = []
    deadline = time.monotonic() + timeout
    while len(order) < 2:
        f = await staff.recv(max(0.01, deadline - time.monotonic()))
        t = f.get("type")
        if t == "error":
            raise BenchError(f"error frame answering accept: {f}")
        mine = (t == "accepted" and f.get("conversation_id") == conv_id) or (
            t == "conversation"
            and f["conversation"].get("id") == conv_id
            and f["conversation"].get("state") == "active"
        )
        if mine and t not in order:
            order.append(str(t))
    staff.send_text(sync_frame(conv_id))
    await wait_for(staff, "messages", timeout, conv_id)
    return Pair(idx, conv_id, visitor, staff, " then ".join(order), vtoken), heartbeat


@dataclass
class Queued:
    """--waiting: the visitors left in the queue beside the chats, and what their sockets got."""

    run: Run
    sockets: list[bl.LeanWs] = field(default_factory=list)
    frames: Counter[str] = field(default_factory=Counter)

    def on_frame(self, raw: bytes, _now: int) -> None:
        try:
            kind = str(orjson.loads(raw).get("type"))
        except orjson.JSONDecodeError:
            self.run.malformed += 1
            self.run.error(f"waiting visitor: unreadable frame {raw[:200]!r}")
            return
        if kind == "error":
            self.run.errors["waiting visitor"] += 1
            self.run.error(f"waiting visitor: {raw[:300]!r}")
        self.frames[kind + (" (during load)" if self.run.loading else "")] += 1

    def on_close(self, why: str) -> None:
        # A waiting visitor the server let go changes the queue the run is about: an error.
        if not self.run.closing:
            self.run.closes.append(f"waiting visitor: {why}")
            self.run.error(f"waiting visitor socket {why}")


async def setup_waiting(
    server: Server, queued: Queued, n: int, concurrency: int, pinged: list[bl.LeanWs]
) -> None:
    """Start n visitors who stay in the queue with their socket open, `concurrency` at a time;
    each joins `pinged` (the pinger's list) as soon as it is connected."""
    sem = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    async def one(i: int) -> None:
        async with sem:
            if errors:
                return
            try:
                visitor = await queue_updates.open_visitor(server, 60.0)
            except (TimeoutError, BenchError, OSError) as e:
                errors.append(f"waiting visitor {i}: {e!r}")
                return
            ws = visitor.ws
            ws.on_frame = queued.on_frame
            ws.on_close = queued.on_close
            while not ws.queue.empty():
                queued.on_frame(ws.queue.get_nowait(), 0)
            queued.sockets.append(ws)
            pinged.append(ws)
            if len(queued.sockets) % 500 == 0:
                print(
                    f"  [baken] {len(queued.sockets)} visitors waiting",
                    file=sys.stderr,
                    flush=True,
                )

    await asyncio.gather(*(one(i) for i in range(n)))
    if errors:
        raise BenchError(f"{len(errors)} waiting visitor(s) failed to start, first: {errors[0]}")


async def server_counter(server: Server, name: str) -> float | None:
    """One of the server's `/metrics` values; None when it cannot be read (reported as such)."""
    try:
        return (await bl.server_counters(server)).get(name)
    except (OSError, TimeoutError, BenchError):
        return None


# --------------------------------------------------------------------------------------------
# the running load


def attach(run: Run, ws: bl.LeanWs, role: str, shown: set[str] | None = None) -> None:
    """Switch a set-up socket to the synchronous frame handler (no task per frame).

    Records `message` arrivals from the other side (also inside `messages` frames, which the
    server may send unasked to a client it thinks is behind) and `ack`s.

    `shown` (--receipts): answer each message from the other side as the web clients do
    (static/common.js ``sendReceipts``): a `read` receipt for the conversations in `shown` (read
    implies delivered), a `delivered` receipt for the others. `shown` holds the one on screen (a
    visitor's only chat; the first of a counselor's chats, the others wait in their tabs).
    """
    loads = orjson.loads
    dumps = orjson.dumps
    last_seq: dict[str, int] = {}

    def receipts(cid: str, seq: int) -> None:
        assert shown is not None
        # Read implies delivered: the chat on screen sends `read` only, the others `delivered`.
        kind = "read" if cid in shown else "delivered"
        frame = {"type": "receipt", "conversation_id": cid, "kind": kind, "seq": seq}
        send(run, ws, dumps(frame))

    def arrived(cid: str, m: dict[str, Any], now: int) -> None:
        seq = m.get("seq", 0)
        if seq <= last_seq.get(cid, 0):
            run.out_of_order += 1
        else:
            last_seq[cid] = seq
        sender = m.get("sender")
        if sender == role or sender == "system":
            return
        if shown is not None and run.loading:
            receipts(cid, seq)
        head, _, rest = m.get("text", "").partition(" ")
        k = int(head)
        t_sent = int(rest.partition(" ")[0])
        if run.recv_ns[k]:
            run.dup_recv += 1
            return
        run.recv_ns[k] = now
        run.recv_count += 1
        if run.k0 <= k < run.k1:
            run.e2e_ns.append(now - t_sent)

    def on_frame(raw: bytes, now: int) -> None:
        try:
            f = loads(raw)
            t = f.get("type")
            if t == "message":
                arrived(f.get("conversation_id", ""), f["message"], now)
            elif t == "ack":
                k = int(f["client_msg_id"][1:])
                if f.get("duplicate"):
                    run.ack_duplicate_flag += 1
                if run.ack_ns[k]:
                    run.dup_ack += 1
                    return
                run.ack_ns[k] = now
                run.ack_seq[k] = int(f.get("seq") or 0)
                run.ack_count += 1
                if run.k0 <= k < run.k1:
                    run.ack_lat_ns.append(now - run.sent_ns[k])
            elif t == "pong":
                run.pongs += 1
            elif t == "error":
                run.errors[str(f.get("code"))] += 1
                run.error(f"{role}: {raw[:300]!r}")
            else:
                name = str(t)
                if run.loading:
                    name += " (during load)"
                    if t == "messages":
                        for m in f.get("messages", ()):
                            arrived(f.get("conversation_id", ""), m, now)
                run.other_frames[name] += 1
        except Exception as e:  # a malformed frame is a finding, not a crash of the bench
            run.malformed += 1
            run.error(f"{role}: unreadable frame {raw[:200]!r}: {e!r}")

    def on_close(why: str) -> None:
        if not run.closing:
            run.closes.append(f"{role}: {why}")
            run.error(f"{role} socket {why}")

    ws.on_frame = on_frame
    ws.on_close = on_close
    while not ws.queue.empty():  # frames that arrived after set-up (queue updates …)
        on_frame(ws.queue.get_nowait(), time.monotonic_ns())


def send(run: Run, ws: bl.LeanWs, payload: bytes) -> None:
    try:
        ws.send_text(payload)
    except Exception as e:
        run.send_errors += 1
        run.error(f"send failed: {e!r}")


async def scheduler(run: Run, pairs: list[Pair], t0: int, text_size: int) -> None:
    """Open loop: message k is due at t0 + k/rate, whatever happened to earlier messages.

    Sending never waits for the server (the transport buffers), so a slow server cannot slow
    the schedule down; it shows up as latency, not as a lower offered rate.
    """
    n = len(pairs)
    interval = 1e9 / run.rate
    monotonic_ns = time.monotonic_ns
    dumps = orjson.dumps
    pad_len = max(0, text_size - 30)
    pad = " " + "x" * pad_len if pad_len else ""
    k = 0
    while k < run.total and run.dead is None:
        due = t0 + int(k * interval)
        now = monotonic_ns()
        if due > now:
            # uvloop timers have 1 ms resolution: a shorter sleep would spin. Sleep ≥ 1 ms and
            # send whatever became due in one batch (the lateness shows up as send lag).
            await asyncio.sleep(max((due - now) / 1e9, 0.001))
            continue
        while k < run.total:
            due = t0 + int(k * interval)
            if due > now:
                break
            p = pairs[k % n]
            ws = p.visitor if (k // n) % 2 == 0 else p.staff
            ts = monotonic_ns()
            payload = dumps(
                {
                    "type": "send",
                    "conversation_id": p.conv_id,
                    "client_msg_id": f"b{k}",
                    "text": f"{k} {ts}{pad}",
                }
            )
            run.sched_ns[k] = due
            run.sent_ns[k] = ts
            run.sent_count += 1
            send(run, ws, payload)
            k += 1
            now = monotonic_ns()


async def pinger(run: Run, sockets: list[bl.LeanWs], heartbeat: Callable[[], float]) -> None:
    """App-level `ping` on every socket once per heartbeat, spread evenly (as a tab would).

    It runs from the first set-up socket on: `sockets` grows while conversations are set up,
    and a socket that sends nothing for three heartbeats is closed by the server (as it should
    be: a real tab pings). A set-up slower than that (proof-of-work) would otherwise lose its
    first conversations before the load starts."""
    tick = 0.01
    owed = 0.0
    i = 0
    next_t = time.monotonic()
    while True:
        next_t += tick
        delay = next_t - time.monotonic()
        if delay > 0:
            await asyncio.sleep(max(delay, 0.001))
        if not sockets:
            continue
        owed += len(sockets) * tick / heartbeat()
        while owed >= 1.0:
            owed -= 1.0
            send(run, sockets[i % len(sockets)], b'{"type":"ping","t":%d}' % i)
            i += 1


async def progress(run: Run, servers: list[Server], sampler: bl.RssSampler, t0: int) -> None:
    last_sent = last_ack = last_recv = 0
    while True:
        await asyncio.sleep(5)
        el = (time.monotonic_ns() - t0) / 1e9
        print(
            f"  [{run.target} t={el:5.1f}s] sent {run.sent_count - last_sent:6d} "
            f"acks {run.ack_count - last_ack:6d} recv {run.recv_count - last_recv:6d} (last 5 s) "
            f"err {sum(run.errors.values())} rss {sampler.peak / 2**20:.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
        last_sent, last_ack, last_recv = run.sent_count, run.ack_count, run.recv_count
        for server in servers:
            if server.proc.poll() is not None and run.dead is None:
                run.dead = f"server exited with code {server.proc.returncode}"


def per_second(run: Run, w0: int, w1: int) -> list[dict[str, Any]]:
    """Per second of the window (by send time): messages, e2e p99 and max — shows stalls."""
    seconds = max(1, (w1 - w0 + 999_999_999) // 1_000_000_000)
    buckets: list[list[int]] = [[] for _ in range(seconds)]
    lags = [0] * seconds
    for k in range(run.k0, run.k1):
        t = run.sent_ns[k]
        if t and w0 <= t < w1:
            i = (t - w0) // 1_000_000_000
            lags[i] = max(lags[i], t - run.sched_ns[k])
            if run.recv_ns[k]:
                buckets[i].append(run.recv_ns[k] - t)
    out = []
    for i, b in enumerate(buckets):
        b.sort()
        out.append(
            {
                "second": i,
                "received": len(b),
                "p99_ms": bl.ms(bl.percentile(b, 99)) or 0.0,
                "max_ms": bl.ms(b[-1] if b else None) or 0.0,
                "gen_lag_max_ms": bl.ms(lags[i]) or 0.0,
            }
        )
    return out


def by_phase(run: Run, churn: security_churn.Churn, w0: int, w1: int) -> dict[str, list[int]]:
    """End-to-end latencies of the window's messages, split by the churn phase they were sent in."""
    out: dict[str, list[int]] = {"off": [], "on": []}
    for k in range(run.k0, run.k1):
        t = run.sent_ns[k]
        if t and w0 <= t < w1 and run.recv_ns[k]:
            out["on" if churn.phase_on(t) else "off"].append(run.recv_ns[k] - t)
    return out


def count_in(arr: array.array[int], lo: int, hi: int) -> int:
    return sum(1 for v in arr if lo <= v < hi)


async def run_target(target: str, args: argparse.Namespace) -> dict[str, Any]:
    n = args.conversations
    win = args.duration
    total = round(args.rate * (args.warmup + args.duration))
    run = Run(
        target=target,
        conversations=n,
        rate=args.rate,
        warmup=args.warmup,
        duration=args.duration,
        total=total,
        k0=round(args.rate * args.warmup),
        k1=total,
    )
    data_dir = bl.make_data_dir(target)
    result: dict[str, Any] = {"target": target, "data_dir": str(data_dir)}
    db = "relay (memory)"
    churn: security_churn.Churn | None = None
    login: tuple[str, str] | None = None
    n_orgs = args.organisations[0]
    prefixes = [""] * n
    per = args.chats_per_counselor
    # Conversation i is served by counselor i // per (one socket each).
    n_staff = -(-n // per)
    if target == "baken":
        db = "PostgreSQL" if args.database_url else "SQLite (default)"
        t = time.monotonic()
        if n_orgs == 1:
            staff_tokens = await make_counselors(data_dir, args.database_url, n_staff)
        else:
            # Conversation i belongs to organisation i mod N, and so does counselor i.
            made = await orgs.create(
                data_dir,
                args.database_url,
                [orgs.share(n, n_orgs, k) for k in range(n_orgs)],
            )
            staff_tokens = [made[i % n_orgs].tokens[i // n_orgs] for i in range(n)]
            prefixes = [made[i % n_orgs].prefix for i in range(n)]
        result["counselor_setup_s"] = round(time.monotonic() - t, 1)
        result["organisations"] = n_orgs
        if args.security is not None:
            churn = security_churn.Churn(
                security=args.security in ("on", "interleave"),
                starts_per_s=args.churn_starts,
                returns_per_s=args.churn_returns,
                logins_per_min=args.churn_logins,
                phase_s=args.phase if args.security == "interleave" else 0.0,
            )
            result["security"] = args.security
            if churn.security:
                login = await demo_login(data_dir, args.database_url)
    else:
        import secrets

        staff_tokens = [secrets.token_urlsafe(24) for _ in range(n_staff)]
    two = target == "baken" and args.processes == 2
    if two:
        db += " + Redis, 2 processes"
    result["database"] = db
    env = (
        bl.gc_trace_env(data_dir, args.gc_freeze_after)
        if args.gc_trace or args.gc_freeze_after is not None
        else {}
    )
    if two:
        env["BAKEN_REDIS_URL"] = args.redis_url
    if churn is not None and churn.security:
        env["BAKEN_PROOF_OF_WORK"] = "true"  # bl.start_server turns it off for the plain load
    if args.rate / 2 > 1000:
        # The flood guard on all visitors' messages together (BAKEN_VISITOR_MESSAGES_PER_SECOND,
        # 2,000/s by default) would turn away what is offered here: a helpline this busy raises
        # it, and the bench measures the chat, not the guard.
        env["BAKEN_VISITOR_MESSAGES_PER_SECOND"] = str(int(args.rate))
    if args.waiting:
        # Room for everyone, and far below the cap: a "queue nearly full" alert is not measured.
        env["BAKEN_QUEUE_MAX"] = str(2 * (args.waiting + n))
    queued = Queued(run)
    servers: list[Server] = []
    # With the proof-of-work on, set-up visitors solve it too, in another process (as on a phone).
    proof_pool = security_churn.solver_pool() if churn is not None and churn.security else None
    pairs: list[Pair] = []
    aux: list[asyncio.Task[None]] = []
    sampler: bl.RssSampler | None = None
    try:
        # Two processes share the data directory (and so the master key), as they would share a
        # secret store in production; the second starts once the first has migrated the schema.
        for name in ("baken-a", "baken-b") if two else (target,):
            server = bl.start_server(
                target,
                data_dir,
                database_url=args.database_url if target == "baken" else None,
                max_chats=per,
                log_level=args.server_log_level,
                extra_env=env or None,
                # Two servers on two cores share them with the generator and the database:
                # the scheduler places everyone, and all CPU on the machine is accounted for.
                core=None if two else bl.SERVER_CORE,
                name=name,
                server=args.server,
            )
            servers.append(server)
            print(
                f"[{target}] {name} pid {server.pid} on port {server.port}, data {data_dir}",
                file=sys.stderr,
                flush=True,
            )
            await bl.wait_ready(server)
        server, staff_server = servers[0], servers[-1]
        result["server_pid"] = [s.pid for s in servers] if two else server.pid
        sampler = bl.RssSampler(server.pid, other_pids=tuple(s.pid for s in servers[1:]))
        sampler.start()
        result["rss_idle_mib"] = round(sampler.sample() / 2**20, 1)

        # ---- set up the conversations (visitor i ↔ counselor i), a few in parallel
        t_setup = time.monotonic()
        sem = asyncio.Semaphore(args.setup_concurrency)
        heartbeat = 20
        setup_errors: list[str] = []
        live: list[bl.LeanWs] = []
        aux.append(asyncio.create_task(pinger(run, live, lambda: heartbeat)))

        async def one(g: int) -> None:
            """Counselor g and their conversations g*per … (g+1)*per - 1, one after another
            on one counselor socket (an accept's frames are read before the next one)."""
            nonlocal heartbeat
            async with sem:
                if setup_errors:
                    return
                group: list[Pair] = []
                for i in range(g * per, min(n, (g + 1) * per)):
                    try:
                        pair, heartbeat = await setup_pair(
                            server,
                            i,
                            staff_tokens[g],
                            60.0,
                            staff_server,
                            proof_pool,
                            prefixes[i],
                            staff=group[0].staff if group else None,
                        )
                    except (TimeoutError, BenchError, OSError) as e:
                        setup_errors.append(f"pair {i}: {e!r}")
                        return
                    except Exception as e:
                        setup_errors.append(f"pair {i}: {e!r}")
                        return
                    group.append(pair)
                on_screen = {group[0].conv_id} if args.receipts else None
                for pair in group:
                    pairs.append(pair)
                    attach(run, pair.visitor, "visitor", {pair.conv_id} if args.receipts else None)
                    live.append(pair.visitor)
                attach(run, group[0].staff, "counselor", on_screen)
                live.append(group[0].staff)
                if len(pairs) % 200 < per:
                    print(
                        f"  [{target}] {len(pairs)} conversations set up",
                        file=sys.stderr,
                        flush=True,
                    )

        if args.waiting:
            # Before the counselors sign in: each start while 1,000 consoles are open is a queue
            # frame to every one of them — set-up work, not what is measured.
            t_waiting = time.monotonic()
            await asyncio.wait_for(
                setup_waiting(server, queued, args.waiting, args.waiting_concurrency, live),
                timeout=args.setup_timeout,
            )
            result["waiting_setup_s"] = round(time.monotonic() - t_waiting, 1)
            result["waiting_started"] = len(queued.sockets)
        await asyncio.wait_for(
            asyncio.gather(*(one(g) for g in range(n_staff))), timeout=args.setup_timeout
        )
        result["setup_s"] = round(time.monotonic() - t_setup, 1)
        result["conversations_ok"] = len(pairs)
        if setup_errors:
            result["setup_errors"] = setup_errors[:20]
            raise BenchError(
                f"{len(setup_errors)} conversation(s) failed to set up, first: {setup_errors[0]}"
            )
        pairs.sort(key=lambda p: p.idx)
        result["accept_frame_order"] = dict(Counter(p.accept_order for p in pairs))
        result["rss_after_setup_mib"] = round(sampler.sample() / 2**20, 1)
        if churn is not None and proof_pool is not None:
            await security_churn.prepare(
                churn, server, proof_pool, args.warmup + args.duration + args.grace
            )
        await asyncio.sleep(1.0)  # let queue/conversation frames settle
        print(
            f"[{target}] {len(pairs)} conversations ready in {result['setup_s']} s; "
            f"load {args.rate:g} msg/s for {args.warmup:g}+{args.duration:g} s",
            file=sys.stderr,
            flush=True,
        )

        # ---- the timed load
        busy, _waited = await bl.wait_quiet(args.wait_quiet)
        result["pre_run_other_cpu"] = round(busy, 3)
        if busy >= 0.10:
            result["noisy_machine"] = bl.foreign_processes({os.getpid(), *(s.pid for s in servers)})
            print(
                f"  WARNING: machine busy before the run: {result['noisy_machine']}",
                file=sys.stderr,
                flush=True,
            )
        gc.collect()
        gc.freeze()  # keep the generator's full collections short during the timed load
        run.loading = True
        t0 = time.monotonic_ns() + 200_000_000
        w0 = t0 + int(args.warmup * 1e9)
        w1 = w0 + int(args.duration * 1e9)
        aux.append(asyncio.create_task(progress(run, servers, sampler, t0)))

        async def sweeps_so_far() -> float | None:
            """--waiting: the server's timeout sweeps until now (after the CPU marks)."""
            if not args.waiting:
                return None
            return await server_counter(server, "baken_timeout_sweeps_total")

        async def window_marks() -> tuple[float, float, float, float]:
            await asyncio.sleep(max(0.0, (w0 - time.monotonic_ns()) / 1e9))
            c0, s0, b0 = time.process_time(), sampler.cpu_seconds(), bl.busy_seconds()
            d0 = bl.database_cpu_seconds()
            sweeps0 = await sweeps_so_far()
            await asyncio.sleep(max(0.0, (w1 - time.monotonic_ns()) / 1e9))
            c1, s1, b1 = time.process_time(), sampler.cpu_seconds(), bl.busy_seconds()
            d1 = bl.database_cpu_seconds()
            sweeps1 = await sweeps_so_far()
            if sweeps0 is not None and sweeps1 is not None:
                result["sweeps_in_window"] = int(sweeps1 - sweeps0)
            # The database engine is part of what is measured; only the rest is noise.
            result["database_cpu"] = round((d1 - d0) / win, 3)
            other = (b1 - b0) - (c1 - c0) - (s1 - s0) - (d1 - d0)
            result["other_cpu"] = round(max(0.0, other) / win, 3)
            return c0, c1, s0, s1

        marks = asyncio.create_task(window_marks())
        if churn is not None:
            churn.origin_ns = w0
            aux.append(asyncio.create_task(security_churn.run_churn(churn, server, w1, login)))
        await scheduler(run, pairs, t0, args.text_size)
        c0, c1, s0, s1 = await marks
        sched_end = time.monotonic_ns()

        # ---- grace: wait for the last messages and acks
        grace_end = time.monotonic() + args.grace
        while time.monotonic() < grace_end and run.dead is None:
            if run.recv_count >= run.sent_count and run.ack_count >= run.sent_count:
                break
            await asyncio.sleep(0.05)
        result["drain_s"] = round((time.monotonic_ns() - sched_end) / 1e9, 2)
        if args.waiting:
            # Still queued, every one of them? Read before the sockets close.
            still = await server_counter(server, "baken_queue_waiting")
            result["waiting_at_end"] = None if still is None else int(still)
        for one_server in servers:
            if one_server.proc.poll() is not None and run.dead is None:
                run.dead = f"server exited with code {one_server.proc.returncode}"
    except BenchError as e:
        run.dead = run.dead or str(e)
        print(f"[{target}] ABORTED: {e}", file=sys.stderr, flush=True)
        c0 = c1 = s0 = s1 = 0.0
        w0 = w1 = 0
    except TimeoutError:
        run.dead = run.dead or f"setup not finished within {args.setup_timeout}s"
        print(f"[{target}] ABORTED: {run.dead}", file=sys.stderr, flush=True)
        c0 = c1 = s0 = s1 = 0.0
        w0 = w1 = 0
    finally:
        run.closing = True
        for task in aux:
            task.cancel()
        if proof_pool is not None:
            proof_pool.shutdown(cancel_futures=True)
        if sampler is not None:
            await sampler.stop()
        socks = list(dict.fromkeys(ws for p in pairs for ws in (p.visitor, p.staff)))
        await bl.close_lean(socks + queued.sockets)
        await asyncio.gather(*aux, return_exceptions=True)
        codes = [bl.stop_server(one_server) for one_server in servers]
        result["server_exit_code"] = next((c for c in codes if c not in (0, None, -2)), codes[0])

    # ---- results
    sent_w = run.k1 - run.k0
    lags = [run.sent_ns[k] - run.sched_ns[k] for k in range(run.k0, run.k1) if run.sent_ns[k]]
    lag = bl.latency_summary(lags)
    lost = sum(1 for k in range(run.total) if run.sent_ns[k] and not run.recv_ns[k])
    unacked = sum(1 for k in range(run.total) if run.sent_ns[k] and not run.ack_ns[k])
    # per-conversation uniqueness of acked seqs
    seq_dupes = 0
    by_conv: dict[int, set[int]] = {}
    for k in range(run.total):
        s = run.ack_seq[k]
        if s:
            seen = by_conv.setdefault(k % n, set())
            if s in seen:
                seq_dupes += 1
            seen.add(s)
    timeline = per_second(run, w0, w1) if w1 else []
    if churn is not None and churn.phase_s and w1:
        result["_phase_ns"] = by_phase(run, churn, w0, w1)
        result["phases"] = {
            name: bl.latency_summary(list(values)) for name, values in result["_phase_ns"].items()
        }
    acks_in_window = count_in(run.ack_ns, w0, w1) if w1 else 0
    recv_in_window = count_in(run.recv_ns, w0, w1) if w1 else 0
    result.update(
        {
            "conversations": n,
            "offered_rate": round(
                sum(1 for k in range(run.k0, run.k1) if w0 <= run.sent_ns[k] < w1) / win, 1
            )
            if w1
            else 0.0,
            "scheduled_in_window": sent_w,
            "persisted_rate": round(acks_in_window / win, 1),
            "received_rate": round(recv_in_window / win, 1),
            "e2e": bl.latency_summary(run.e2e_ns),
            "ack": bl.latency_summary(run.ack_lat_ns),
            "gen_lag": lag,
            "gen_cpu": round((c1 - c0) / win, 3) if c1 else None,
            "server_cpu": round((s1 - s0) / win, 3) if s1 else None,
            "sent_total": run.sent_count,
            "acked_total": run.ack_count,
            "received_total": run.recv_count,
            "lost": lost,
            "unacked": unacked,
            "duplicate_deliveries": run.dup_recv,
            "duplicate_acks": run.dup_ack,
            "acks_flagged_duplicate": run.ack_duplicate_flag,
            "seq_out_of_order": run.out_of_order,
            "seq_reused_in_acks": seq_dupes,
            "send_errors": run.send_errors,
            "error_frames": dict(run.errors),
            "errors_total": sum(run.errors.values())
            + run.send_errors
            + len(run.closes)
            + run.malformed,
            "malformed_frames": run.malformed,
            "unexpected_closes": len(run.closes),
            "error_samples": run.error_samples,
            "other_frames": dict(run.other_frames),
            "pongs": run.pongs,
            "rss_peak_mib": round(sampler.peak / 2**20, 1) if sampler else None,
            "aborted": run.dead,
            "timeline": timeline,
            "worst_second": max(timeline, key=lambda x: x["max_ms"]) if timeline else None,
        }
    )
    if args.waiting:
        result["waiting"] = args.waiting
        result["waiting_frames"] = dict(queued.frames)
    if churn is not None:
        result["churn"] = churn.summary()
    if run.dead or result.get("server_exit_code") not in (0, None, -2):
        result["server_log_tail"] = "\n".join(s.log_tail(80) for s in servers)
    log = "\n".join(s.log_text() for s in servers)
    if "Traceback" in log or "ERROR" in log:
        result["server_log_errors"] = extract_errors(log)
    if args.gc_trace or args.gc_freeze_after is not None:
        try:
            gc_info = orjson.loads((data_dir / "gc-trace.json").read_bytes())
            result["server_gc"] = gc_info
            pauses = gc_info["pauses_over_20ms"]
            print(
                f"[{target}] server GC: per generation [count, seconds] {gc_info['per_gen']}; "
                f"{len(pauses)} pauses > 20 ms, longest "
                f"{max((p[2] for p in pauses), default=0)} ms",
                file=sys.stderr,
            )
        except (OSError, ValueError) as e:
            result["server_gc"] = f"no trace: {e!r}"
    if not args.keep_data:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def extract_errors(log: str, limit: int = 6000) -> str:
    """The server log's ERROR lines and tracebacks (first few), for the report."""
    out: list[str] = []
    lines = log.splitlines()
    i = 0
    while i < len(lines) and sum(len(x) for x in out) < limit:
        line = lines[i]
        if "Traceback" in line or "ERROR" in line:
            j = i + 1
            while j < len(lines) and (
                lines[j].startswith((" ", "\t"))
                or "Error" in lines[j]
                or lines[j].startswith("Traceback")
                or lines[j].startswith("During handling")
                or lines[j].startswith("The above")
                or not lines[j]
            ):
                j += 1
            out.extend(lines[i : j + 1])
            i = j + 1
        else:
            i += 1
    return "\n".join(out)[:limit]


async def demo_login(data_dir: Path, database_url: str | None) -> tuple[str, str]:
    """An account to sign in with during --security on (a fresh password, argon2id-hashed)."""
    from baken.config import Settings
    from baken.devtools import reset_demo_counselor

    kwargs: dict[str, Any] = {"data_dir": data_dir}
    if database_url:
        kwargs["database_url"] = database_url
    return await reset_demo_counselor(Settings(**kwargs))


async def make_counselors(data_dir: Path, database_url: str | None, n: int) -> list[str]:
    """Counselor accounts + sessions via the lead's devtools (skips 1,000 argon2 logins)."""
    try:
        from baken.config import Settings
        from baken.devtools import create_bench_counselors
    except ImportError as e:
        raise SystemExit(
            f"cannot import baken.devtools.create_bench_counselors ({e}); "
            "run with --target relay until the server provides it"
        ) from e
    kwargs: dict[str, Any] = {"data_dir": data_dir}
    if database_url:
        kwargs["database_url"] = database_url
    settings = Settings(**kwargs)
    tokens = await create_bench_counselors(settings, n)
    if len(tokens) != n:
        raise BenchError(f"create_bench_counselors returned {len(tokens)} tokens, wanted {n}")
    return list(tokens)


# --------------------------------------------------------------------------------------------
# report


def verdicts(r: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows for one result.

    A PASS needs a trustworthy run: generator lag p99 ≤ 5 ms, generator CPU ≤ 85 %, and < 10 %
    of cores 0–1 used by other processes. A MISS stands regardless when it cannot be blamed on the
    generator: the rate missed although the offered rate was right, or p99 minus the generator's
    worst send lag is still above the limit.
    """
    full = (
        args.conversations >= TARGET_CONVERSATIONS
        and args.rate >= TARGET_RATE
        and args.duration >= TARGET_DURATION
    )
    trusted = generator_ok(r) and (r.get("other_cpu") or 0.0) < 0.10
    rows: list[tuple[str, str, str]] = []

    def mark(ok: bool, miss_is_robust: bool, pass_is_robust: bool = False) -> str:
        if r.get("aborted"):
            return "MISS (aborted)"
        if not full:
            return ("pass" if ok else "miss") + " (n/a: not the target load)"
        if ok:
            if trusted or pass_is_robust:
                return "PASS"
            return "INVALID (generator lag or noisy machine)"
        return "MISS" if trusted or miss_is_robust else "INVALID (generator lag or noisy machine)"

    ok_conv = r.get("conversations_ok", 0) >= TARGET_CONVERSATIONS and not r.get("aborted")
    rows.append(
        (
            f"{TARGET_CONVERSATIONS:,} concurrent conversations",
            f"{r.get('conversations_ok', 0):,}",
            mark(ok_conv, True, True),
        )
    )
    clean = r.get("lost", 1) == 0 and r.get("errors_total", 1) == 0
    ok_rate = r.get("persisted_rate", 0) >= RATE_TOLERANCE * TARGET_RATE and clean
    offered_ok = r.get("offered_rate", 0) >= RATE_TOLERANCE * TARGET_RATE
    rows.append(
        (
            f"{TARGET_RATE:,.0f} persisted msg/s held {TARGET_DURATION:.0f} s, 0 lost, 0 errors",
            f"{r.get('persisted_rate', 0):,.1f}/s, lost {r.get('lost')}, "
            f"err {r.get('errors_total')}",
            mark(ok_rate, offered_ok or not clean),
        )
    )
    p99 = r.get("e2e", {}).get("p99_ms")
    lag_max = r.get("gen_lag", {}).get("max_ms") or 0.0
    rows.append(
        (
            f"end-to-end p99 ≤ {TARGET_P99_MS:.0f} ms",
            bl.fmt(p99, " ms"),
            mark(
                p99 is not None and p99 <= TARGET_P99_MS,
                p99 is not None and p99 - lag_max > TARGET_P99_MS,
            ),
        )
    )
    return rows


def generator_ok(r: dict[str, Any]) -> bool:
    lag99 = r.get("gen_lag", {}).get("p99_ms")
    cpu = r.get("gen_cpu")
    return (
        lag99 is not None
        and lag99 <= GEN_LAG_P99_LIMIT_MS
        and (cpu is None or cpu <= GEN_CPU_LIMIT)
    )


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    names = [r["target"] for r in results]

    def row(label: str, f: Any) -> list[str]:
        return [label, *(f(r) for r in results)]

    def lat(key: str, p: str) -> Any:
        return lambda r: bl.fmt(r.get(key, {}).get(p), " ms")

    rows = [
        row("database", lambda r: r.get("database", "")),
        row("conversations set up", lambda r: bl.fmt(r.get("conversations_ok"))),
        row("setup time", lambda r: bl.fmt(r.get("setup_s"), " s")),
        row("offered rate (sent/s in window)", lambda r: bl.fmt(r.get("offered_rate"), "/s")),
        row("persisted rate (acks/s)", lambda r: bl.fmt(r.get("persisted_rate"), "/s")),
        row("received rate (other side, /s)", lambda r: bl.fmt(r.get("received_rate"), "/s")),
        row("e2e latency p50", lat("e2e", "p50_ms")),
        row("e2e latency p95", lat("e2e", "p95_ms")),
        row("e2e latency p99", lat("e2e", "p99_ms")),
        row("e2e latency p99.9", lat("e2e", "p999_ms")),
        row("e2e latency max", lat("e2e", "max_ms")),
        row("e2e samples", lambda r: bl.fmt(r.get("e2e", {}).get("count"))),
        row("ack latency p50", lat("ack", "p50_ms")),
        row("ack latency p99", lat("ack", "p99_ms")),
        row("ack latency max", lat("ack", "max_ms")),
        row("lost (never received)", lambda r: bl.fmt(r.get("lost"))),
        row("unacked", lambda r: bl.fmt(r.get("unacked"))),
        row("errors (frames+send+closes)", lambda r: bl.fmt(r.get("errors_total"))),
        row(
            "duplicates / seq anomalies",
            lambda r: (
                f"{r.get('duplicate_deliveries', 0)} / "
                f"{r.get('seq_out_of_order', 0) + r.get('seq_reused_in_acks', 0)}"
            ),
        ),
        row(
            "server RSS idle → after setup",
            lambda r: (
                f"{bl.fmt(r.get('rss_idle_mib'))} → {bl.fmt(r.get('rss_after_setup_mib'))} MiB"
            ),
        ),
        row("server RSS peak (1 s samples)", lambda r: bl.fmt(r.get("rss_peak_mib"), " MiB")),
        row("server CPU (core 0)", lambda r: bl.fmt(_pct(r.get("server_cpu")))),
        row("generator CPU (core 1)", lambda r: bl.fmt(_pct(r.get("gen_cpu")))),
        row("database CPU (PostgreSQL/Redis)", lambda r: bl.fmt(_pct(r.get("database_cpu")))),
        row("other processes' CPU (cores 0–1)", lambda r: bl.fmt(_pct(r.get("other_cpu")))),
        row("generator send lag p50", lat("gen_lag", "p50_ms")),
        row("generator send lag p99", lat("gen_lag", "p99_ms")),
        row("generator send lag max", lat("gen_lag", "max_ms")),
        row("drain after last send", lambda r: bl.fmt(r.get("drain_s"), " s")),
    ]
    if any(r.get("organisations", 1) > 1 for r in results):
        rows.insert(1, row("organisations", lambda r: bl.fmt(r.get("organisations"))))
    if any(r.get("waiting") for r in results):
        rows[2:2] = [
            row(
                "visitors waiting: started → at end",
                lambda r: f"{bl.fmt(r.get('waiting_started'))} → {bl.fmt(r.get('waiting_at_end'))}",
            ),
            row("timeout sweeps in the window", lambda r: bl.fmt(r.get("sweeps_in_window"))),
        ]
    print()
    print(
        f"Load: {args.conversations:,} conversations, {args.rate:,.0f} msg/s offered, "
        f"{args.duration:g} s measured after {args.warmup:g} s warm-up, "
        f"text {args.text_size} chars"
    )
    bl.print_table(["metric", *names], rows)
    for r in results:
        print()
        print(f"Targets — {r['target']} ({r.get('database')}):")
        bl.print_table(["target", "measured", "verdict"], verdicts(r, args))
        lag99 = r.get("gen_lag", {}).get("p99_ms")
        print(
            f"  generator: send lag p99 {bl.fmt(lag99, ' ms')}, "
            f"CPU {bl.fmt(_pct(r.get('gen_cpu')))}"
            f" → {'kept up' if generator_ok(r) else 'LATE (see README: generator lag)'}; "
            f"other processes used {bl.fmt(_pct(r.get('other_cpu')))} of cores 0–1"
        )
        if r.get("worst_second"):
            w = r["worst_second"]
            print(
                f"  worst second of the window: #{w['second']} ({w['received']} msgs, "
                f"p99 {w['p99_ms']} ms, max {w['max_ms']} ms)"
            )
        if r.get("churn"):
            churn = r["churn"]
            print(f"  security churn ({churn['security']}): {churn['done']}")
            for failure in churn["failures"][:5]:
                print(f"    failed: {failure}")
        if r.get("aborted"):
            print(f"  ABORTED: {r['aborted']}")
        if r.get("error_frames"):
            print(f"  error frames: {r['error_frames']}")
        for s in r.get("error_samples", [])[:10]:
            print(f"  sample: {s}")
        if r.get("server_log_errors"):
            print("  server log errors:")
            print("    " + r["server_log_errors"][:3000].replace("\n", "\n    "))
        if r.get("server_log_tail") and r.get("aborted"):
            print("  server log tail:")
            print("    " + r["server_log_tail"][-3000:].replace("\n", "\n    "))


def _pct(v: float | None) -> str | None:
    return None if v is None else f"{v * 100:.0f} %"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, default=TARGET_CONVERSATIONS)
    ap.add_argument("--rate", type=float, default=TARGET_RATE, help="total messages/s")
    ap.add_argument("--duration", type=float, default=TARGET_DURATION, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of load not counted")
    ap.add_argument("--grace", type=float, default=5.0, help="wait for stragglers (s)")
    ap.add_argument("--target", choices=["baken", "relay", "both"], default="both")
    ap.add_argument("--database-url", default=None, help="BAKEN_DATABASE_URL for the Baken run")
    ap.add_argument(
        "--server",
        choices=["baken", *alt_server.SERVERS],
        default="baken",
        help="baken: `baken serve`; the others run Baken's app under that server "
        "(bench/alt_server.py; granian and hypercorn must be on PYTHONPATH)",
    )
    ap.add_argument(
        "--processes",
        type=int,
        choices=[1, 2],
        default=1,
        help="2: two Baken processes sharing PostgreSQL and Redis; every visitor on the first, "
        "every counselor on the second, so each message crosses the broker",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="with --processes 2")
    ap.add_argument(
        "--security",
        choices=["off", "on", "both", "interleave"],
        default=None,
        help="issue 5: during the load, also start chats (off), or start chats with a "
        "proof-of-work, try return codes and sign staff in (on); 'both' runs Baken twice, "
        "alternating, --repeat times each; 'interleave' alternates the hashing work in "
        "--phase-second phases within each of --repeat runs (see bench/security_churn.py)",
    )
    ap.add_argument("--phase", type=float, default=10.0, help="with --security interleave, s")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="with --security both, or several --organisations counts: runs of each",
    )
    ap.add_argument(
        "--organisations",
        type=orgs.parse_counts,
        default=[1],
        help="issue 14: spread the conversations over N organisations; '1,10' runs Baken with "
        "each (alternating with --repeat) and compares the p99 (the first is the baseline)",
    )
    ap.add_argument(
        "--waiting",
        type=int,
        default=0,
        help="issue 15, Baken only: this many more visitors wait in the queue beside the chats, "
        "their sockets open and pinging, nobody accepting them",
    )
    ap.add_argument(
        "--waiting-concurrency",
        type=int,
        default=64,
        help="waiting visitors started at once: more starts share one queue broadcast to the "
        "counselors",
    )
    ap.add_argument("--churn-starts", type=float, default=1.0, help="chat starts per second")
    ap.add_argument("--churn-returns", type=float, default=0.2, help="code tries per second")
    ap.add_argument("--churn-logins", type=float, default=2.0, help="staff sign-ins per minute")
    ap.add_argument("--json", type=Path, default=None, help="write all results here")
    ap.add_argument("--text-size", type=int, default=100, help="characters per message text")
    ap.add_argument(
        "--chats-per-counselor",
        type=int,
        default=1,
        help="conversations on one counselor socket (issue 21's topology: 4)",
    )
    ap.add_argument(
        "--receipts",
        action="store_true",
        help="answer every message with a receipt (read when on screen, else delivered), as "
        "the web clients do",
    )
    ap.add_argument("--setup-concurrency", type=int, default=16)
    ap.add_argument("--setup-timeout", type=float, default=600.0)
    ap.add_argument("--server-log-level", default=None, help="BAKEN_LOG_LEVEL for the server")
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=120.0,
        help="before each timed load, wait up to this long for cores 0–1 to be idle",
    )
    ap.add_argument(
        "--nice",
        type=int,
        default=-10,
        help="niceness for generator and server (root only; shields them from other work)",
    )
    ap.add_argument(
        "--gc-trace",
        action="store_true",
        help="diagnosis: record the server's GC pauses via a sitecustomize hook (PYTHONPATH)",
    )
    ap.add_argument(
        "--gc-freeze-after",
        type=float,
        default=None,
        help="experiment: gc.freeze() in the server this many seconds after it starts",
    )
    ap.add_argument("--keep-data", action="store_true", help="keep the temporary data dirs")
    args = ap.parse_args()
    if args.conversations < 1 or args.rate <= 0 or args.duration <= 0:
        ap.error("conversations, rate and duration must be positive")
    if args.security in ("both", "interleave") and args.target != "baken":
        ap.error(f"--security {args.security} compares Baken with itself: use --target baken")
    # Phases exist only in --security interleave; a short plain run need not fit them.
    if args.security == "interleave" and (args.phase <= 0 or args.duration < 2 * args.phase):
        ap.error("--phase must be positive and fit twice into --duration")
    if args.waiting < 0 or (args.waiting and args.target != "baken"):
        ap.error("--waiting must be 0 or more, and needs --target baken (the relay has no queue)")
    if args.waiting_concurrency < 1:
        ap.error("--waiting-concurrency must be at least 1")
    if args.processes == 2 and not args.database_url:
        ap.error("--processes 2 needs --database-url (PostgreSQL): SQLite is for one process")
    if len(args.organisations) > 1 and (args.security is not None or args.target == "relay"):
        ap.error(
            "--organisations with several counts compares Baken with itself: "
            "no --security, no --target relay"
        )

    if args.chats_per_counselor < 1:
        ap.error("--chats-per-counselor must be at least 1")
    if args.chats_per_counselor > 1 and max(args.organisations) > 1:
        ap.error("--chats-per-counselor above 1 works with one organisation only")

    # With two servers nothing is pinned: four busy parties share two cores.
    pinned = bl.pin_generator() if args.processes == 1 else False
    niceness = bl.raise_priority(args.nice)  # inherited by the server we spawn
    nofile = bl.raise_nofile(max(65536, 8 * args.conversations))
    print(
        f"generator pid {os.getpid()} pinned to core {bl.GENERATOR_CORE if pinned else '-'}, "
        f"server on core {bl.SERVER_CORE}; nice {niceness}; RLIMIT_NOFILE {nofile}",
        file=sys.stderr,
    )
    # A database on this machine would otherwise compete with the server for core 0.
    restore = (
        bl.pin_database(bl.GENERATOR_CORE)
        if args.database_url and args.processes == 1
        else (lambda: None)
    )
    # PostgreSQL: a database of this run's own (benchlib.fresh_postgres); the URL given names
    # the server and the credentials.
    fresh = bl.fresh_postgres(args.database_url) if args.database_url else contextlib.nullcontext()
    try:
        with fresh as url:
            if url:
                args.database_url = url
            if args.security == "both":
                return compare_security(args)
            if args.security == "interleave":
                return compare_phases(args)
            if len(args.organisations) > 1:
                return compare_organisations(args)
            return bl.run_targets(args, run_target, report, verdicts)
    finally:
        restore()


SECURITY_COST_LIMIT = 1.05  # issue 5: the security work adds at most 5 % to the p99
ORGANISATIONS_LIMIT = 1.05  # issue 14: p99 with 10 organisations within 5 % of one


def compare_organisations(args: argparse.Namespace) -> int:
    """--organisations 1,10: Baken with each count (alternating with --repeat; the relay has no
    organisations and is left out); compares the median end-to-end p99 with the first count's."""
    if args.target == "both":
        print("(the relay has no organisations: Baken only)", file=sys.stderr)
    results = orgs.run_each(args, run_target)
    report(results, args)
    metrics = {
        "e2e_p50_ms": lambda r: r.get("e2e", {}).get("p50_ms"),
        "e2e_p99_ms": lambda r: r.get("e2e", {}).get("p99_ms"),
        "e2e_p999_ms": lambda r: r.get("e2e", {}).get("p999_ms"),
        "persisted_rate": lambda r: r.get("persisted_rate"),
    }

    def valid(r: dict[str, Any]) -> bool:
        return generator_ok(r) and (r.get("other_cpu") or 0.0) < 0.10

    comparison = orgs.compare(results, metrics, "e2e_p99_ms", ORGANISATIONS_LIMIT, valid)
    # A faster run that lost messages or met errors is no pass.
    broken = [r["target"] for r in results if r.get("lost", 1) or r.get("errors_total", 1)]
    if broken:
        comparison["verdict"] = f"MISS (lost messages or errors in {', '.join(broken)})"
    full = args.conversations >= TARGET_CONVERSATIONS and args.rate >= TARGET_RATE
    if not full or args.duration < TARGET_DURATION:
        comparison["verdict"] = comparison["verdict"].lower() + " (n/a: not the target load)"
    units = {"e2e_p50_ms": " ms", "e2e_p99_ms": " ms", "e2e_p999_ms": " ms", "persisted_rate": "/s"}
    orgs.print_comparison(
        comparison, "Organisations (issue 14): the same load spread over more organisations", units
    )
    write_comparison(args, results, "organisations_comparison", comparison)
    return 0


def write_comparison(
    args: argparse.Namespace, results: list[dict[str, Any]], key: str, comparison: dict[str, Any]
) -> None:
    """With --json: every run's results and verdicts, and the comparison under `key`."""
    if not args.json:
        return
    out = {
        "machine": bl.machine_info(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "results": results,
        "verdicts": {r["target"]: verdicts(r, args) for r in results},
        key: comparison,
    }
    args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
    print(f"\nwrote {args.json}")


def compare_phases(args: argparse.Namespace) -> int:
    """--security interleave: `--repeat` runs, each alternating phases without and with the
    hashing work; compares the p99 of the messages sent in each kind of phase, per run and pooled
    over the valid runs (issue 5: at most 5 % more)."""
    import statistics

    import uvloop

    results: list[dict[str, Any]] = []
    for i in range(args.repeat):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(run_target("baken", args))
        result["target"] = f"interleaved #{i + 1}"
        results.append(result)
    phase_ns = [r.pop("_phase_ns", None) for r in results]
    report(results, args)
    print()
    print(f"Security work (issue 5), phases of {args.phase:g} s within each run:")
    pooled: dict[str, list[int]] = {"off": [], "on": []}
    ratios: list[float] = []
    rows: list[dict[str, Any]] = []
    for r, split in zip(results, phase_ns, strict=True):
        if split is None or r.get("aborted"):
            continue
        valid = generator_ok(r) and (r.get("other_cpu") or 0.0) < 0.10
        p99 = {name: bl.percentile(sorted(v), 99) for name, v in split.items()}
        ratio = p99["on"] / p99["off"] if p99["off"] and p99["on"] else None
        rows.append({"target": r["target"], "valid": valid, "ratio": ratio, **r["phases"]})
        print(
            f"  {r['target']}: p99 off {bl.ms(p99['off'])} ms, on {bl.ms(p99['on'])} ms"
            + (f" ({100 * (ratio - 1):+.1f} %)" if ratio else "")
            + ("" if valid else " — invalid (generator lag or foreign CPU)")
        )
        if valid:
            for name, values in split.items():
                pooled[name].extend(values)
            if ratio:
                ratios.append(ratio)
    comparison: dict[str, Any] = {"runs": rows}
    if pooled["off"] and pooled["on"]:
        summary = {name: bl.latency_summary(values) for name, values in pooled.items()}
        ratio = summary["on"]["p99_ms"] / summary["off"]["p99_ms"]
        verdict = "PASS" if ratio <= SECURITY_COST_LIMIT else "MISS"
        comparison.update(
            {
                "pooled": summary,
                "ratio_pooled": round(ratio, 3),
                "median_run_ratio": round(statistics.median(ratios), 3),
                "valid_runs": len(ratios),
                "verdict": verdict,
            }
        )
        print(
            f"  pooled over {len(ratios)} valid run(s): p99 off {summary['off']['p99_ms']} ms, "
            f"on {summary['on']['p99_ms']} ms: {100 * (ratio - 1):+.1f} %; median of the runs' "
            f"ratios {100 * (statistics.median(ratios) - 1):+.1f} % "
            f"(limit +{100 * (SECURITY_COST_LIMIT - 1):.0f} %) → {verdict}"
        )
    else:
        comparison["verdict"] = "INVALID (no valid run)"
        print("  no valid run: nothing to compare")
    write_comparison(args, results, "security_phases", comparison)
    return 0


def compare_security(args: argparse.Namespace) -> int:
    """Baken with the security churn off and on, alternating, `--repeat` runs each; compares
    the median end-to-end p99 of the two (issue 5: at most 5 % more)."""
    import statistics

    import uvloop

    results: list[dict[str, Any]] = []
    for i in range(args.repeat):
        # Alternate which goes first, so a machine that drifts during the runs favours neither.
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            one = argparse.Namespace(**{**vars(args), "security": mode})
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                result = runner.run(run_target("baken", one))
            result["target"] = f"security {mode} #{i + 1}"
            results.append(result)
    report(results, args)

    def p99s(mode: str) -> list[float]:
        return [
            r["e2e"]["p99_ms"]
            for r in results
            if r.get("security") == mode and not r.get("aborted") and r["e2e"].get("p99_ms")
        ]

    off, on = p99s("off"), p99s("on")
    comparison: dict[str, Any] = {"p99_off_ms": off, "p99_on_ms": on}
    if off and on:
        med_off, med_on = statistics.median(off), statistics.median(on)
        ratio = med_on / med_off
        valid = all(generator_ok(r) and (r.get("other_cpu") or 0.0) < 0.10 for r in results)
        verdict = "PASS" if ratio <= SECURITY_COST_LIMIT else "MISS"
        if not valid:
            verdict = "INVALID (generator lag or noisy machine)"
        comparison.update(
            {
                "median_p99_off_ms": med_off,
                "median_p99_on_ms": med_on,
                "ratio": round(ratio, 3),
                "verdict": verdict,
            }
        )
        print()
        print(
            f"Security work (issue 5): median e2e p99 off {med_off:.1f} ms ({len(off)} runs), "
            f"on {med_on:.1f} ms ({len(on)} runs): {100 * (ratio - 1):+.1f} % "
            f"(limit +{100 * (SECURITY_COST_LIMIT - 1):.0f} %) → {verdict}"
        )
        for r in results:
            print(f"  {r['target']}: churn {r.get('churn', {}).get('done')}")
    write_comparison(args, results, "security_comparison", comparison)
    return 0


if __name__ == "__main__":
    sys.exit(main())
