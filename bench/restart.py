"""Back to normal after a `kill -9` (issue 21, item 4): the chat at 1,000 msg/s on 1,250 sockets,
the only server process killed mid-run and started again on the same port and data.

1,000 conversations on 250 counselor sockets (4 chats each) plus 1,000 visitor sockets; open
loop, message k due at t0 + k/rate, alternately from the visitor and the counselor of its chat.
Every client behaves as the web client does (docs/protocol.md, "Reconnecting"): when its socket
drops it retries on the same schedule (0.1–1 s, then 0.5–1 s, 1–2 s, … up to 7.5–15 s, jittered),
after `welcome` it sends `sync` from the last seq it holds without a gap and sends every message
not yet acknowledged again with the same `client_msg_id`; messages due while it is away wait for
that. `busy`, `unavailable` and `rate_limited` answers are sent again 2–4 s later, as the page does.

Reported: when `/healthz` answered again after the kill, when every socket had its `welcome`
again, the end-to-end latency (from the scheduled send to the other side's screen) of the messages
due from 5 s after `/healthz` answered (target p99 ≤ 100 ms), per second after the restart, and
the guarantees: every acknowledged message reached the other side (0 lost), none stored twice
(one seq per message), none shown twice. Asserts nothing; run it on a quiet machine:

    ulimit -n 20000; .venv/bin/python bench/restart.py --json bench/results/restart.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

import benchlib as bl
import load

TARGET_P99_MS = 100.0
RETRY_ERRORS = ("busy", "unavailable", "rate_limited")


def reconnect_delay(failures: int) -> float:
    """static/common.js ``reconnectDelay``, in seconds."""
    if failures <= 0:
        return (100 + random.random() * 900) / 1000
    step = min(15000.0, 500.0 * 2.0 ** min(failures, 10))
    return (step / 2 + random.random() * step / 2) / 1000


@dataclass
class Tally:
    total: int
    sched_ns: list[int] = field(default_factory=list)
    recv_ns: list[int] = field(default_factory=list)
    recv_seq: list[int] = field(default_factory=list)
    acked_seq: list[int] = field(default_factory=list)
    ack_ns: list[int] = field(default_factory=list)
    sent_ns: list[int] = field(default_factory=list)  # when the socket last took it
    receiver: list[int] = field(default_factory=list)  # the endpoint that showed it
    shown_twice: int = 0
    stored_twice: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    welcomes: list[int] = field(default_factory=list)  # ns of every welcome
    drops: int = 0

    def __post_init__(self) -> None:
        self.sched_ns = [0] * self.total
        self.recv_ns = [0] * self.total
        self.recv_seq = [0] * self.total
        self.acked_seq = [0] * self.total
        self.ack_ns = [0] * self.total
        self.sent_ns = [0] * self.total
        self.receiver = [0] * self.total


class Endpoint:
    """One browser tab: a visitor with one chat, or a counselor with several."""

    def __init__(
        self, tally: Tally, server: bl.Server, role: str, token: str, convs: list[str]
    ) -> None:
        self.tally = tally
        self.server = server
        self.role = role
        self.path = "/ws/visitor" if role == "visitor" else "/ws/staff"
        self.cookie = bl.VISITOR_COOKIE if role == "visitor" else bl.STAFF_COOKIE
        self.token = token
        self.convs = convs
        self.ws: bl.LeanWs | None = None
        self.ready = False
        self.failures = 0
        self.seen: dict[str, set[int]] = {c: set() for c in convs}
        self.contiguous: dict[str, int] = dict.fromkeys(convs, 0)
        self.unacked: dict[int, bytes] = {}
        self.stopping = False
        self.welcomed_ns: list[int] = []
        self.attempts = 0

    # -- the socket
    def attach(self, ws: bl.LeanWs, welcomed: bool) -> None:
        self.ws = ws
        self.ready = welcomed
        ws.on_frame = self.on_frame
        ws.on_close = self.on_close
        while not ws.queue.empty():
            self.on_frame(ws.queue.get_nowait(), time.monotonic_ns())

    def on_close(self, _why: str) -> None:
        self.ws = None
        self.ready = False
        self.tally.drops += 1
        if not self.stopping:
            self._retry_later()

    def _retry_later(self) -> None:
        delay = reconnect_delay(self.failures)
        self.failures += 1
        asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(self.connect()))

    async def connect(self) -> None:
        if self.stopping or self.ws is not None:
            return
        self.attempts += 1
        try:
            ws = await bl.open_lean(self.server, self.path, self.cookie, self.token, timeout=5.0)
        except (OSError, TimeoutError, bl.BenchError):
            self._retry_later()
            return
        self.attach(ws, welcomed=False)

    def write(self, payload: bytes) -> bool:
        if self.ws is None or not self.ready:
            return False
        try:
            self.ws.send_text(payload)
        except Exception:  # the socket is going: on_close reconnects, the message waits
            return False
        return True

    # -- what the page does
    def send(self, k: int, payload: bytes) -> None:
        self.unacked[k] = payload
        if self.write(payload):
            self.tally.sent_ns[k] = time.monotonic_ns()

    def on_frame(self, raw: bytes, now: int) -> None:
        f = orjson.loads(raw)
        t = f.get("type")
        if t == "message":
            self.arrived(f["conversation_id"], f["message"], now)
        elif t == "messages":
            cid = f["conversation_id"]
            for m in f.get("messages", ()):
                self.arrived(cid, m, now)
            if f.get("more"):
                self.sync(cid)
        elif t == "ack":
            k = int(f["client_msg_id"][1:])
            self.unacked.pop(k, None)
            seq = int(f["seq"])
            if self.tally.acked_seq[k] and self.tally.acked_seq[k] != seq:
                self.tally.stored_twice += 1
            self.tally.acked_seq[k] = seq
            if not self.tally.ack_ns[k]:
                self.tally.ack_ns[k] = now
        elif t == "welcome":
            self.ready = True
            self.failures = 0
            self.tally.welcomes.append(now)
            self.welcomed_ns.append(now)
            for cid in self.convs:
                self.sync(cid)
            for payload in [self.unacked[k] for k in sorted(self.unacked)]:
                self.write(payload)
        elif t == "error":
            code = str(f.get("code"))
            self.tally.errors[code] += 1
            ref = f.get("ref")
            if code in RETRY_ERRORS and isinstance(ref, str) and ref.startswith("b"):
                k = int(ref[1:])
                asyncio.get_running_loop().call_later(
                    2 + 2 * random.random(), lambda: self._again(k)
                )

    def _again(self, k: int) -> None:
        payload = self.unacked.get(k)
        if payload is not None:
            self.write(payload)

    def sync(self, cid: str) -> None:
        frame = {"type": "sync", "conversation_id": cid, "after_seq": self.contiguous[cid]}
        self.write(orjson.dumps(frame))

    def arrived(self, cid: str, m: dict[str, Any], now: int) -> None:
        seq = int(m["seq"])
        seen = self.seen[cid]
        if seq in seen:
            return  # a catch-up overlapping what came live: the page shows each seq once
        seen.add(seq)
        while self.contiguous[cid] + 1 in seen:
            self.contiguous[cid] += 1
        if m.get("sender") in (self.role, "system"):
            return
        head = str(m.get("text", "")).partition(" ")[0]
        if not head.isdigit():
            return
        k = int(head)
        tally = self.tally
        if tally.recv_ns[k]:
            # The same message under another seq: stored twice. Under the same seq it was
            # dropped above.
            tally.shown_twice += 1
            if tally.recv_seq[k] != seq:
                tally.stored_twice += 1
            return
        tally.recv_ns[k] = now
        tally.recv_seq[k] = seq
        tally.receiver[k] = id(self)


async def healthz_ok(port: int) -> bool:
    try:
        status, _, _ = await bl.http_request(port, "GET", "/healthz", timeout=0.5)
    except (OSError, TimeoutError, bl.BenchError):
        return False
    return status == 200


async def run(args: argparse.Namespace) -> dict[str, Any]:
    n, per = args.conversations, args.chats_per_counselor
    n_staff = -(-n // per)
    total = round(args.rate * args.duration)
    tally = Tally(total)
    data_dir = bl.make_data_dir("restart")
    env = {"BAKEN_VISITOR_MESSAGES_PER_SECOND": str(max(2000, int(args.rate)))}
    tokens = await load.make_counselors(data_dir, args.database_url, n_staff)
    server = bl.start_server(
        "baken", data_dir, database_url=args.database_url, max_chats=per, extra_env=env
    )
    port = server.port
    print(f"[restart] baken pid {server.pid} port {port}, data {data_dir}", file=sys.stderr)
    await bl.wait_ready(server)
    result: dict[str, Any] = {"data_dir": str(data_dir), "args": vars(args) | {"json": None}}
    endpoints: list[Endpoint] = []
    pairs: list[tuple[Endpoint, Endpoint, str]] = []  # visitor, counselor, conversation
    sem = asyncio.Semaphore(16)

    async def group(g: int) -> None:
        async with sem:
            staff_ws: bl.LeanWs | None = None
            convs: list[str] = []
            made: list[tuple[bl.LeanWs, str, str]] = []
            for i in range(g * per, min(n, (g + 1) * per)):
                pair, _ = await load.setup_pair(server, i, tokens[g], 60.0, staff=staff_ws)
                staff_ws = pair.staff
                convs.append(pair.conv_id)
                made.append((pair.visitor, pair.conv_id, pair.visitor_token))
            assert staff_ws is not None
            counselor = Endpoint(tally, server, "counselor", tokens[g], convs)
            counselor.attach(staff_ws, welcomed=True)
            endpoints.append(counselor)
            for ws, cid, vtoken in made:
                visitor = Endpoint(tally, server, "visitor", vtoken, [cid])
                visitor.attach(ws, welcomed=True)
                endpoints.append(visitor)
                pairs.append((visitor, counselor, cid))

    await asyncio.gather(*(group(g) for g in range(n_staff)))
    pairs.sort(key=lambda p: p[2])
    print(f"[restart] {len(endpoints)} sockets set up", file=sys.stderr, flush=True)

    pad = " " + "x" * max(0, args.text_size - 30)
    interval = 1e9 / args.rate
    t0 = time.monotonic_ns() + 500_000_000
    kill_at = t0 + int(args.kill_after * 1e9)
    killed_ns = restarted_ns = health_ns = 0

    async def restart() -> None:
        nonlocal killed_ns, restarted_ns, health_ns, server
        await asyncio.sleep(max(0.0, (kill_at - time.monotonic_ns()) / 1e9))
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        killed_ns = time.monotonic_ns()
        print("[restart] killed (SIGKILL)", file=sys.stderr, flush=True)
        server = bl.start_server(
            "baken",
            data_dir,
            database_url=args.database_url,
            max_chats=per,
            extra_env=env,
            port=port,
        )
        restarted_ns = time.monotonic_ns()
        for endpoint in endpoints:
            endpoint.server = server
        while not await healthz_ok(port):
            await asyncio.sleep(0.05)
        health_ns = time.monotonic_ns()
        print(
            f"[restart] /healthz again {(health_ns - killed_ns) / 1e9:.2f} s after the kill",
            file=sys.stderr,
            flush=True,
        )

    restarting = asyncio.create_task(restart())
    k = 0
    while k < total:
        due = t0 + int(k * interval)
        now = time.monotonic_ns()
        if due > now:
            await asyncio.sleep(max((due - now) / 1e9, 0.001))
            continue
        while k < total and t0 + int(k * interval) <= now:
            visitor, counselor, cid = pairs[k % n]
            sender = visitor if (k // n) % 2 == 0 else counselor
            payload = orjson.dumps(
                {
                    "type": "send",
                    "conversation_id": cid,
                    "client_msg_id": f"b{k}",
                    "text": f"{k} {now}{pad}",
                }
            )
            tally.sched_ns[k] = t0 + int(k * interval)
            sender.send(k, payload)
            k += 1
    await restarting
    # Grace: until every message was acknowledged and reached the other side, or time is up.
    deadline = time.monotonic() + args.grace
    while time.monotonic() < deadline:
        acked = [i for i in range(total) if tally.acked_seq[i]]
        if len(acked) == total and all(tally.recv_ns[i] for i in acked):
            break
        await asyncio.sleep(0.2)
    for endpoint in endpoints:
        endpoint.stopping = True
    await bl.close_lean([e.ws for e in endpoints if e.ws is not None])
    bl.stop_server(server)

    window_from = health_ns + int(args.settle * 1e9)
    if args.explain:
        _explain(tally, endpoints, total, window_from, health_ns)
    measured = [
        tally.recv_ns[i] - tally.sched_ns[i]
        for i in range(total)
        if tally.sched_ns[i] >= window_from and tally.recv_ns[i]
    ]
    in_window = sum(1 for i in range(total) if tally.sched_ns[i] >= window_from)
    acked = [i for i in range(total) if tally.acked_seq[i]]
    lost = [i for i in acked if not tally.recv_ns[i]]
    # Each socket's first welcome after the kill, from when /healthz answered (negative: before).
    back = sorted(
        min((w for w in e.welcomed_ns if w > killed_ns), default=0) - health_ns for e in endpoints
    )
    never_back = sum(1 for e in endpoints if not any(w > killed_ns for w in e.welcomed_ns))
    all_back_ns = health_ns + back[-1] if back and not never_back else 0
    attempts = Counter(e.attempts for e in endpoints)
    per_second = []
    for s in range(int((t0 + total * interval - health_ns) / 1e9) + 1):
        lo, hi = health_ns + s * 10**9, health_ns + (s + 1) * 10**9
        lat = sorted(
            tally.recv_ns[i] - tally.sched_ns[i]
            for i in range(total)
            if lo <= tally.sched_ns[i] < hi and tally.recv_ns[i]
        )
        if lat:
            per_second.append({"second": s, "n": len(lat), "p99_ms": bl.ms(bl.percentile(lat, 99))})
    result.update(
        {
            "sockets": len(endpoints),
            "messages": total,
            "rate": args.rate,
            "healthz_after_kill_s": round((health_ns - killed_ns) / 1e9, 2),
            "process_start_to_healthz_s": round((health_ns - restarted_ns) / 1e9, 2),
            "all_sockets_back_after_healthz_s": round((all_back_ns - health_ns) / 1e9, 2)
            if all_back_ns
            else None,
            "sockets_back_after_healthz_ms": {
                "p50": bl.ms(bl.percentile(back, 50)),
                "p90": bl.ms(bl.percentile(back, 90)),
                "p99": bl.ms(bl.percentile(back, 99)),
                "max": bl.ms(back[-1]) if back else None,
                "never": never_back,
            },
            "reconnect_attempts": {str(k): v for k, v in sorted(attempts.items())},
            "window": f"messages due from {args.settle:g} s after /healthz answered",
            "window_messages": in_window,
            "window_delivered": len(measured),
            "e2e_window": bl.latency_summary(measured),
            "per_second_after_healthz": per_second,
            "acknowledged": len(acked),
            "never_acknowledged": total - len(acked),
            "lost_acknowledged": len(lost),
            "stored_twice": tally.stored_twice,
            "shown_twice": tally.shown_twice,
            "socket_drops": tally.drops,
            "errors": dict(tally.errors),
        }
    )
    return result


def _explain(
    tally: Tally, endpoints: list[Endpoint], total: int, window_from: int, health_ns: int
) -> None:
    """Where the late messages of the window were: sent late, acknowledged late, or shown late."""
    by_id = {id(e): e for e in endpoints}
    late = [
        i
        for i in range(total)
        if tally.sched_ns[i] >= window_from
        and tally.recv_ns[i]
        and tally.recv_ns[i] - tally.sched_ns[i] > 500_000_000
    ]
    print(f"[explain] {len(late)} messages of the window shown > 500 ms late", file=sys.stderr)
    receivers = Counter(tally.receiver[i] for i in late)
    for rid, count in receivers.most_common(8):
        e = by_id[rid]
        back = [round((w - health_ns) / 1e9, 2) for w in e.welcomed_ns]
        print(f"  {e.role} {e.convs[0][:10]}…: {count} late, welcomes at {back}", file=sys.stderr)
    for i in late[:10]:
        print(
            f"  k={i}: sent +{(tally.sent_ns[i] - tally.sched_ns[i]) / 1e6:.0f} ms, "
            f"acked +{(tally.ack_ns[i] - tally.sched_ns[i]) / 1e6:.0f} ms, "
            f"shown +{(tally.recv_ns[i] - tally.sched_ns[i]) / 1e6:.0f} ms",
            file=sys.stderr,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--chats-per-counselor", type=int, default=4)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--duration", type=float, default=45.0, help="s of scheduled messages")
    ap.add_argument("--kill-after", type=float, default=10.0, help="s into the load")
    ap.add_argument("--settle", type=float, default=5.0, help="s after /healthz, then measured")
    ap.add_argument("--grace", type=float, default=30.0)
    ap.add_argument("--text-size", type=int, default=120)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--explain", action="store_true", help="where the late messages were")
    args = ap.parse_args()
    bl.raise_nofile(20_000)
    bl.pin_generator()
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(run(args))
    result["machine"] = bl.machine_info()
    e2e = result["e2e_window"]
    print()
    print(f"sockets {result['sockets']}, {args.rate:g} msg/s, kill -9 at {args.kill_after:g} s")
    print(f"/healthz again after the kill: {result['healthz_after_kill_s']} s")
    print(f"every socket welcomed again: {result['all_sockets_back_after_healthz_s']} s after it")
    print(f"  sockets back after /healthz (ms): {result['sockets_back_after_healthz_ms']}")
    print(f"  connection attempts per socket: {result['reconnect_attempts']}")
    print(
        f"messages due from {args.settle:g} s after /healthz: {result['window_delivered']} of "
        f"{result['window_messages']} delivered, p50 {e2e.get('p50_ms')} ms, "
        f"p99 {e2e.get('p99_ms')} ms, max {e2e.get('max_ms')} ms "
        f"(target p99 ≤ {TARGET_P99_MS:g} ms: "
        f"{'PASS' if (e2e.get('p99_ms') or 1e9) <= TARGET_P99_MS else 'MISS'})"
    )
    for row in result["per_second_after_healthz"][:15]:
        second, count, p99 = row["second"], row["n"], row["p99_ms"]
        print(f"  second {second:>2} after /healthz: {count:>5} msgs, p99 {p99} ms")
    print(
        f"acknowledged {result['acknowledged']} (never {result['never_acknowledged']}), "
        f"lost {result['lost_acknowledged']}, stored twice {result['stored_twice']}, "
        f"shown twice {result['shown_twice']}, drops {result['socket_drops']}, "
        f"errors {result['errors']}"
    )
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
