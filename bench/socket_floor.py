"""The floor under the queue benchmark: what one small write to each of N sockets costs here.

An accept moves every waiting visitor up one place, so the server writes one frame to each of their
sockets. This script measures the bare cost of those writes on this machine, without Baken: a
receiving process on the generator's core holds N loopback TCP connections and reads everything; the
sending process, on the server's core, writes a 110-byte chunk (the size of a `place` frame) to
each connection through an event loop's transport (uvloop, as `baken serve` runs), ten rounds.

Compare its "per socket" with the queue benchmark's time per waiting visitor: the difference is what
Baken's own code (the hub, the ASGI/WebSocket send stack) adds.

    .venv/bin/python bench/socket_floor.py              # 2,000 sockets
    .venv/bin/python bench/socket_floor.py --sockets 500
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import select
import socket
import statistics
import sys
import time
from typing import cast

import uvloop

import benchlib as bl

FRAME = b"\x81\x6c" + b"x" * 108  # a WebSocket text frame header + payload, 110 bytes


def _receiver(port: int, sockets: int, seconds: float) -> None:
    os.sched_setaffinity(0, {bl.GENERATOR_CORE})
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(sockets)]
    poller = select.epoll()
    for conn in conns:
        conn.setblocking(False)
        poller.register(conn.fileno(), select.EPOLLIN)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for fd, _ in poller.poll(0.1):
            with contextlib.suppress(BlockingIOError):
                os.read(fd, 65536)
    os._exit(0)


async def _send_rounds(listener: socket.socket, sockets: int, rounds: int) -> list[float]:
    transports: list[asyncio.Transport] = []

    class Keep(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            # uvloop's transports have `write` but do not subclass asyncio.Transport.
            transports.append(cast(asyncio.Transport, transport))

    server = await asyncio.get_running_loop().create_server(Keep, sock=listener)
    while len(transports) < sockets:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    per_round: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        for transport in transports:
            transport.write(FRAME)
        per_round.append(time.perf_counter() - start)
        await asyncio.sleep(0.2)
    server.close()
    return per_round


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sockets", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    seconds = 10.0 + args.rounds * 0.5 + args.sockets / 500
    child = os.fork()
    if child == 0:
        _receiver(port, args.sockets, seconds)
    os.sched_setaffinity(0, {bl.SERVER_CORE})
    uvloop.install()
    rounds = asyncio.run(_send_rounds(listener, args.sockets, args.rounds))
    os.kill(child, 9)
    os.waitpid(child, 0)
    ms = sorted(r * 1000 for r in rounds)
    median = statistics.median(ms)
    print(f"{args.sockets} sockets, {args.rounds} rounds of one {len(FRAME)}-byte write each")
    print(f"round: median {median:.1f} ms, min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms")
    print(f"per socket: median {median / args.sockets * 1000:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
