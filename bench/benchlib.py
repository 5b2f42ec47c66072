"""Shared helpers for the Baken benchmarks (server process, HTTP, sockets, RSS).

Only ever talks to 127.0.0.1. Imported by bench/load.py and bench/idle.py (run them as scripts,
``.venv/bin/python bench/load.py``, so that this directory is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.speedups import apply_mask
from websockets.typing import Origin

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
RELAY = Path(__file__).resolve().parent / "relay.py"
ALT_SERVER = Path(__file__).resolve().parent / "alt_server.py"
SERVER_CORE = 0
GENERATOR_CORE = 1
VISITOR_COOKIE = "__Host-baken_v"
STAFF_COOKIE = "__Host-baken_s"
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class BenchError(RuntimeError):
    """The target did something the benchmark cannot go on with (reported, never hidden)."""


# --------------------------------------------------------------------------------------------
# process setup


def raise_nofile(wanted: int) -> int:
    """Raise RLIMIT_NOFILE (soft) as far as the hard limit allows; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pin_generator() -> bool:
    """Pin this (load generator) process to core 1; False when the machine has one core."""
    if (os.cpu_count() or 1) < 2:
        return False
    os.sched_setaffinity(0, {GENERATOR_CORE})
    return True


def raise_priority(niceness: int) -> int:
    """Lower this process's nice value (children inherit it); a no-op without the right."""
    with contextlib.suppress(OSError):
        if niceness < os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    return os.getpriority(os.PRIO_PROCESS, 0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def machine_info() -> dict[str, Any]:
    mem = psutil.virtual_memory()
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    git: dict[str, str | int] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git["head"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        git["src_changes_uncommitted"] = len(
            subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "src"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.splitlines()
        )
    return {
        "git": git,
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "mem_total_gib": round(mem.total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------------------------
# server subprocess


@dataclass
class Server:
    target: str  # "baken" or "relay"
    port: int
    proc: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    origin: str = ""

    def __post_init__(self) -> None:
        self.origin = f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def fresh_postgres(url: str) -> Any:
    """A new, randomly named database on the server of ``url`` for one run, dropped afterwards.

    Each run makes its own data dir and so its own master key: rows left in a shared database by
    an earlier run are larger tables to work on and chats whose keys this server cannot unwrap
    (its timeout sweep met them), so no run measures another run's leftovers."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy import make_url

    parsed = make_url(url)
    name = "baken_bench_" + os.urandom(6).hex()
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_data_dir(target: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"baken-bench-{target}-"))


GC_TRACE_HOOK = """
import atexit, gc, os, time
_out = os.environ["BENCH_GC_TRACE"]
_t = {}
_stats = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
_long = []
_worst = {"ms": 0.0}
def _census(ms):
    from collections import Counter
    objs = gc.get_objects()
    _worst.update(ms=ms, objects=len(objs),
                  top=Counter(type(o).__qualname__ for o in objs).most_common(25))
def _cb(phase, info):
    g = info["generation"]
    if phase == "start":
        _t[g] = time.perf_counter()
    elif g in _t:
        d = time.perf_counter() - _t.pop(g)
        _stats[g][0] += 1
        _stats[g][1] += d
        if d > 0.02 and len(_long) < 500:
            _long.append((round(time.monotonic(), 3), g, round(d * 1000, 1), info["collected"]))
        if g == 2 and d * 1000 > _worst["ms"] * 1.2:
            _census(d * 1000)  # what the longest full collection had to walk
gc.callbacks.append(_cb)
def _dump():
    import json
    from collections import Counter
    objs = gc.get_objects()
    top = Counter(type(o).__qualname__ for o in objs).most_common(20)
    with open(_out, "w") as f:
        json.dump({"per_gen": _stats, "pauses_over_20ms": _long,
                   "objects_at_exit": len(objs), "top_types_at_exit": top,
                   "heap_at_longest_full_collection": _worst}, f)
atexit.register(_dump)
if os.environ.get("BENCH_GC_THRESHOLD"):
    gc.set_threshold(*(int(x) for x in os.environ["BENCH_GC_THRESHOLD"].split(",")))
if os.environ.get("BENCH_GC_FREEZE_AFTER"):
    import threading
    _timer = threading.Timer(float(os.environ["BENCH_GC_FREEZE_AFTER"]), gc.freeze)
    _timer.daemon = True
    _timer.start()
"""


def gc_trace_env(data_dir: Path, freeze_after: float | None = None) -> dict[str, str]:
    """Diagnosis only: a sitecustomize that records the server's GC pauses (no server change).

    With ``freeze_after``, it also calls ``gc.freeze()`` that many seconds after the server
    started — an experiment to show what freezing the start-up heap would buy, never a default.
    """
    hook_dir = data_dir / "gc-hook"
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(GC_TRACE_HOOK)
    env = {"PYTHONPATH": str(hook_dir), "BENCH_GC_TRACE": str(data_dir / "gc-trace.json")}
    if freeze_after is not None:
        env["BENCH_GC_FREEZE_AFTER"] = str(freeze_after)
    return env


def start_server(
    target: str,
    data_dir: Path,
    *,
    database_url: str | None = None,
    max_chats: int = 1,
    log_level: str | None = None,
    extra_env: dict[str, str] | None = None,
    core: int | None = SERVER_CORE,
    name: str | None = None,
    port: int | None = None,
    server: str = "baken",
) -> Server:
    """Start Baken (`baken serve`) or the bare relay, pinned to `core` with `taskset` (None: the
    scheduler decides). `name` tells the log files apart when several servers share a data dir;
    `port` restarts a server where its clients knock again (bench/restart.py); `server` other than
    "baken" runs Baken's app under another ASGI server (bench/alt_server.py)."""
    port = port or free_port()
    env = dict(os.environ)
    env.pop("BAKEN_DATABASE_URL", None)
    env["BAKEN_DATA_DIR"] = str(data_dir)
    env["BAKEN_MAX_CHATS"] = str(max_chats)
    if database_url:
        env["BAKEN_DATABASE_URL"] = database_url
    if log_level:
        env["BAKEN_LOG_LEVEL"] = log_level
    env["PYTHONUNBUFFERED"] = "1"
    # Every bench visitor comes from 127.0.0.1 and starts without solving a proof-of-work, so
    # the start-time abuse limits (issue 5) are lifted; the per-message limits stay on.
    env["BAKEN_PROOF_OF_WORK"] = "false"
    # Visitors are started before the counselors' sockets open (issue 15's "open only when
    # staffed" would send them to the closed page).
    env["BAKEN_OPEN_NEEDS_STAFF"] = "false"
    env["BAKEN_ADDRESS_STARTS_PER_10MIN"] = "100000000"
    # Thousands of sockets from one address open at once: not a slowloris (issue 16).
    env["BAKEN_MAX_HALF_OPEN_PER_ADDRESS"] = "100000000"
    if extra_env:
        env.update(extra_env)
    if target == "baken" and server != "baken":
        cmd = [str(VENV_BIN / "python"), str(ALT_SERVER), server, HOST, str(port)]
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ALT_SERVER.parent), env.get("PYTHONPATH", "")) if p
        )
    elif target == "baken":
        cmd = [str(VENV_BIN / "baken"), "serve", "--host", HOST, "--port", str(port)]
    elif target == "relay":
        cmd = [str(VENV_BIN / "python"), str(RELAY), "--host", HOST, "--port", str(port)]
    else:
        raise ValueError(target)
    if core is not None and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    log_path = data_dir / f"{name or target}-server.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(data_dir),
        start_new_session=True,
    )
    log.close()
    return Server(target=target, port=port, proc=proc, data_dir=data_dir, log_path=log_path)


async def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last_err = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise BenchError(
                f"{server.target} server exited with {server.proc.returncode} during start-up:\n"
                + server.log_tail()
            )
        try:
            status, _, _ = await http_request(server.port, "GET", "/healthz", timeout=2.0)
            if status == 200:
                return
            last_err = f"HTTP {status}"
        except (TimeoutError, OSError, BenchError) as e:
            last_err = repr(e)
        await asyncio.sleep(0.2)
    raise BenchError(f"{server.target} server not ready after {timeout}s ({last_err})")


def stop_server(server: Server, timeout: float = 15.0) -> int | None:
    """SIGINT (graceful), then SIGTERM, then SIGKILL; only ever this server's process group."""
    proc = server.proc
    if proc.poll() is None:
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    return proc.returncode


# --------------------------------------------------------------------------------------------
# resource sampling


@dataclass
class RssSampler:
    """Samples the server's RSS (process + children) and CPU time once a second."""

    pid: int
    interval: float = 1.0
    samples: list[tuple[float, int]] = field(default_factory=list)
    peak: int = 0
    _task: asyncio.Task[None] | None = None
    # More server processes measured as one (bench/load.py --processes 2): RSS and CPU add up.
    other_pids: tuple[int, ...] = ()

    def _proc_tree(self) -> list[psutil.Process]:
        tree: list[psutil.Process] = []
        for pid in (self.pid, *self.other_pids):
            p = psutil.Process(pid)
            tree += [p, *p.children(recursive=True)]
        return tree

    def rss_now(self) -> int:
        total = 0
        try:
            for p in self._proc_tree():
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        except psutil.Error:
            return 0
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        try:
            for p in self._proc_tree():
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
        except psutil.Error:
            return 0.0
        return total

    def sample(self) -> int:
        rss = self.rss_now()
        self.samples.append((time.monotonic(), rss))
        self.peak = max(self.peak, rss)
        return rss

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sample()


def busy_seconds(cores: Sequence[int] = (SERVER_CORE, GENERATOR_CORE)) -> float:
    """CPU seconds spent busy (anything but idle/iowait) on these cores, by anyone."""
    per = psutil.cpu_times(percpu=True)
    total = 0.0
    for c in cores:
        if c < len(per):
            t = per[c]
            total += sum(t) - t.idle - getattr(t, "iowait", 0.0)
    return total


def foreign_processes(exclude: set[int], min_cpu: float = 5.0) -> list[str]:
    """Processes other than ours using CPU right now (name and %), to explain noisy runs."""
    procs = [p for p in psutil.process_iter(["pid", "name"]) if p.pid not in exclude]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(None)
    time.sleep(0.5)
    out = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            c = p.cpu_percent(None)
            if c >= min_cpu:
                out.append(f"{p.info['name']}({p.pid}) {c:.0f}%")
    return out


async def wait_quiet(limit_s: float, threshold: float = 0.10) -> tuple[float, float]:
    """Wait (up to limit_s) until cores 0–1 are < threshold busy over 1 s; return (busy, waited)."""
    t0 = time.monotonic()
    while True:
        b0 = busy_seconds()
        await asyncio.sleep(1.0)
        busy = (busy_seconds() - b0) / 2.0
        waited = time.monotonic() - t0
        if busy < threshold or waited >= limit_s:
            return busy, waited
        print(
            f"  machine busy ({busy * 100:.0f} % of cores 0–1 used by other processes); waiting",
            file=sys.stderr,
            flush=True,
        )


# --------------------------------------------------------------------------------------------
# HTTP (a tiny HTTP/1.1 client: one request per connection, no dependency)


async def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, list[tuple[str, str]], bytes]:
    async def go() -> tuple[int, list[tuple[str, str]], bytes]:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
            for k, v in (headers or {}).items():
                lines.append(f"{k}: {v}")
            if body is not None:
                lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            raise BenchError(f"bad HTTP response to {method} {path}: {raw[:200]!r}")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        hdrs = [
            (k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)
        ]
        if any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in hdrs):
            rest = _dechunk(rest)
        return status, hdrs, rest

    return await asyncio.wait_for(go(), timeout)


async def server_counters(server: Server) -> dict[str, float]:
    """Baken's `/metrics` values that carry no labels (queue length, sweeps …), by name."""
    status, _, body = await http_request(server.port, "GET", "/metrics", timeout=10.0)
    if status != 200:
        raise BenchError(f"GET /metrics → HTTP {status}")
    counters = {}
    for line in body.decode().splitlines():
        name, _, value = line.partition(" ")
        if line and not line.startswith("#") and "{" not in name:
            counters[name] = float(value)
    return counters


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


def cookie_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for k, v in headers:
        if k == "set-cookie":
            first = v.split(";", 1)[0]
            cname, _, cval = first.partition("=")
            if cname.strip() == name:
                return cval.strip()
    return None


async def visitor_start(
    server: Server, lang: str = "nl", proof: dict[str, Any] | None = None, prefix: str = ""
) -> tuple[str, str]:
    """POST /api/visitor/start → (conversation id, visitor session token); `proof`: a solved
    proof-of-work, for a server that asks one; `prefix`: an organisation's entry, "/o/<slug>"
    (issue 14; "" is the default organisation's). The visitor socket needs no prefix: the
    cookie names the conversation, and the visitor page opens ``/ws/visitor`` at every entry."""
    payload: dict[str, Any] = {"nickname": None, "lang": lang}
    if proof is not None:
        payload["pow"] = proof
    body = orjson.dumps(payload)
    status, hdrs, resp = await http_request(
        server.port,
        "POST",
        f"{prefix}/api/visitor/start",
        body=body,
        headers={"Origin": server.origin, "Content-Type": "application/json"},
    )
    if status != 200:
        raise BenchError(f"POST {prefix}/api/visitor/start → HTTP {status}: {resp[:300]!r}")
    token = cookie_value(hdrs, VISITOR_COOKIE)
    if not token:
        raise BenchError(f"POST /api/visitor/start set no {VISITOR_COOKIE} cookie: {hdrs!r}")
    conv_id = orjson.loads(resp)["conversation"]["id"]
    return str(conv_id), token


# --------------------------------------------------------------------------------------------
# WebSockets


async def open_ws(
    server: Server, path: str, cookie_name: str, token: str, *, timeout: float = 30.0
) -> ClientConnection:
    """Open a socket the way a browser would: Origin + cookie, no compression, no WS pings."""
    return await connect(
        f"ws://{HOST}:{server.port}{path}",
        origin=Origin(server.origin),
        additional_headers={"Cookie": f"{cookie_name}={token}"},
        compression=None,
        ping_interval=None,  # browsers do not send protocol pings; the app sends `ping` frames
        open_timeout=timeout,
        close_timeout=2.0,
        max_size=2**20,
        user_agent_header=None,
    )


class LeanWs(asyncio.Protocol):
    """A minimal RFC 6455 client for the timed load: no task per frame, no per-frame awaits.

    Server frames are parsed in ``data_received`` and handed to ``on_frame(payload, t_ns)``
    synchronously, ``t_ns`` being ``time.monotonic_ns()`` when the bytes reached the event loop.
    Until ``on_frame`` is set, frames are queued for ``recv()`` (used while setting up).
    Client frames are masked as the RFC requires; no compression, no extensions.
    """

    def __init__(self, host_header: str, path: str, headers: dict[str, str]) -> None:
        self._key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host_header}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self._request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_frame: Callable[[bytes, int], None] | None = None
        self.on_close: Callable[[str], None] | None = None
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.close_code: int | None = None
        self.close_reason = ""
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self._handshake = True
        self._closing = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:  # small frames must not wait for Nagle (browsers set it too)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(BenchError(f"connection lost during handshake: {exc!r}"))
        if not self.closed.done():
            self.closed.set_result(None)
        if self.on_close is not None and not self._closing:
            self.on_close(
                f"closed by server: code {self.close_code} {self.close_reason!r} exc {exc!r}"
            )

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buf = self._buf
        buf += data
        if self._handshake:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            self._handshake = False
            status = head.split(" ", 2)[1] if " " in head else "?"
            expected = base64.b64encode(
                hashlib.sha1((self._key + _WS_GUID).encode()).digest()  # RFC 6455 handshake
            ).decode()
            if status != "101" or expected not in head:
                self.opened.set_exception(BenchError(f"WebSocket upgrade refused: {head[:300]!r}"))
                self._closing = True
                if self.transport is not None:
                    self.transport.close()
                return
            self.opened.set_result(None)
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            hdr = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                hdr = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                hdr = 10
            end = pos + hdr + length
            if end > n:
                break
            payload = bytes(buf[pos + hdr : end])
            pos = end
            opcode = b0 & 0x0F
            if opcode == 1 or opcode == 0:
                if not b0 & 0x80:
                    self._fragments.append(payload)
                    continue
                if self._fragments:
                    payload = b"".join([*self._fragments, payload])
                    self._fragments.clear()
                if self.on_frame is not None:
                    self.on_frame(payload, now)
                else:
                    self.queue.put_nowait(payload)
            elif opcode == 9:  # ping → pong
                self._write(0xA, payload)
            elif opcode == 8:  # close
                if len(payload) >= 2:
                    self.close_code = int.from_bytes(payload[:2], "big")
                    self.close_reason = payload[2:].decode(errors="replace")
                if not self._closing:
                    self._write(0x8, payload[:2])
                if self.transport is not None:
                    self.transport.close()
                break
            elif opcode == 2:
                self.queue.put_nowait(b'{"type":"__binary__"}')
        if pos:
            del buf[:pos]

    # -- sending
    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("socket closed")
        n = len(payload)
        mask = random.randbytes(4)
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0xFF)) + n.to_bytes(8, "big")
        self.transport.write(head + mask + apply_mask(payload, mask))

    def send_text(self, payload: bytes) -> None:
        self._write(0x1, payload)

    def write_buffer_size(self) -> int:
        return 0 if self.transport is None else self.transport.get_write_buffer_size()

    async def recv(self, timeout: float) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.queue.get(), timeout)
        frame = orjson.loads(raw)
        if not isinstance(frame, dict):
            raise BenchError(f"non-object frame: {raw[:200]!r}")
        return frame

    async def close(self, timeout: float = 2.0) -> None:
        self._closing = True
        if self.transport is None or self.transport.is_closing():
            return
        with contextlib.suppress(Exception):
            self._write(0x8, (1000).to_bytes(2, "big"))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        self.transport.abort()


async def open_lean(
    server: Server, path: str, cookie_name: str, token: str, *, timeout: float = 30.0
) -> LeanWs:
    loop = asyncio.get_running_loop()
    headers = {"Origin": server.origin, "Cookie": f"{cookie_name}={token}"}
    _, proto = await asyncio.wait_for(
        loop.create_connection(
            lambda: LeanWs(f"{HOST}:{server.port}", path, headers), HOST, server.port
        ),
        timeout,
    )
    await asyncio.wait_for(proto.opened, timeout)
    return proto


async def close_lean(sockets: Sequence[LeanWs], timeout: float = 10.0) -> None:
    tasks = [asyncio.ensure_future(ws.close(min(timeout, 2.0))) for ws in sockets]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
    for ws in sockets:
        if ws.transport is not None:
            ws.transport.abort()


async def recv_frame(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(decode=False), timeout)
    frame = orjson.loads(raw)
    if not isinstance(frame, dict):
        raise BenchError(f"non-object frame: {raw[:200]!r}")
    return frame


async def close_all(sockets: Sequence[ClientConnection], timeout: float = 10.0) -> None:
    async def close_one(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            await ws.close()

    tasks = [asyncio.ensure_future(close_one(ws)) for ws in sockets]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            ws.transport.abort()


# --------------------------------------------------------------------------------------------
# statistics


def percentile(sorted_values: Sequence[int], p: float) -> int | None:
    """Exact nearest-rank percentile of an already sorted sequence."""
    n = len(sorted_values)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100.0 * n))
    return sorted_values[min(rank, n) - 1]


def ms(ns: int | None) -> float | None:
    return None if ns is None else round(ns / 1e6, 2)


def latency_summary(values_ns: list[int]) -> dict[str, Any]:
    values_ns.sort()
    return {
        "count": len(values_ns),
        "p50_ms": ms(percentile(values_ns, 50)),
        "p95_ms": ms(percentile(values_ns, 95)),
        "p99_ms": ms(percentile(values_ns, 99)),
        "p999_ms": ms(percentile(values_ns, 99.9)),
        "max_ms": ms(values_ns[-1] if values_ns else None),
    }


def fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}{unit}"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return f"{v}{unit}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], file: Any = None) -> None:
    out = file or sys.stdout
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)), file=out)


def run_targets(
    args: Any,
    run_target: Callable[[str, Any], Any],
    report: Callable[[list[dict[str, Any]], Any], None],
    judge: Callable[[dict[str, Any], Any], Any],
) -> int:
    """Run the benchmark against Baken and/or the reference relay, print and optionally save."""
    import uvloop

    targets = ["baken", "relay"] if args.target == "both" else [args.target]
    results: list[dict[str, Any]] = []
    for target in targets:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            results.append(runner.run(run_target(target, args)))
    report(results, args)
    if args.json:
        out = {
            "machine": machine_info(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "results": results,
            "verdicts": {r["target"]: judge(r, args) for r in results},
        }
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
        print(f"\nwrote {args.json}")
    return 0


DATABASE_PROCESS_NAMES = ("postgres", "redis-server")


def database_cpu_seconds() -> float:
    """CPU seconds used so far by PostgreSQL and Redis: part of the system under test, not noise."""
    total = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in DATABASE_PROCESS_NAMES:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
    return total


def pin_database(core: int) -> Callable[[], None]:
    """Move PostgreSQL/Redis to ``core`` (the generator's) so that the server's core is its own,
    as it would be with the database on its own machine. Returns a function that undoes it."""
    before: dict[int, list[int]] = {}
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in DATABASE_PROCESS_NAMES:
            with contextlib.suppress(psutil.Error):
                before[p.pid] = p.cpu_affinity()
                p.cpu_affinity([core])

    def restore() -> None:
        for pid, cores in before.items():
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).cpu_affinity(cores)

    return restore
