"""Campaign visits (issue 18): what counting a visit costs, and that it costs no write per visit.

Starts `baken serve` on SQLite, sends the same number of `GET /c/<code>` and `GET /healthz`
(the cheapest route there is) with the same concurrency, and prints requests/s of both. Then it
stops the server (which writes what it holds) and reads `campaign_counts`: the visits must add up
to exactly the number sent, in one row per code — however many flushes there were. Prints
numbers; asserts nothing but the sum.

Run: ``.venv/bin/python bench/campaign_visits.py [--requests 10000] [--concurrency 32]``
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time

from benchlib import (
    http_request,
    make_data_dir,
    pin_generator,
    start_server,
    stop_server,
    wait_ready,
)

CODES = ("school-2027", "poster-station", "kaart-jeugd", "<script>", "x" * 100)


async def hammer(port: int, paths: list[str], concurrency: int) -> float:
    queue = list(reversed(paths))

    async def worker() -> None:
        while queue:
            path = queue.pop()
            status, _headers, _body = await http_request(port, "GET", path)
            if status not in (200, 303):
                raise RuntimeError(f"{path}: HTTP {status}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(paths) / (time.perf_counter() - started)


async def main(requests: int, concurrency: int) -> None:
    pin_generator()
    data_dir = make_data_dir("campaigns")
    server = start_server("baken", data_dir)
    try:
        await wait_ready(server)
        await hammer(server.port, ["/healthz"] * 500, concurrency)  # warm-up
        visits = [f"/c/{CODES[i % len(CODES)]}" for i in range(requests)]
        health = ["/healthz"] * requests
        rates: dict[str, list[float]] = {"healthz": [], "visit": []}
        for _ in range(2):  # alternating, so drift hits both alike
            rates["healthz"].append(await hammer(server.port, health, concurrency))
            rates["visit"].append(await hammer(server.port, visits, concurrency))
    finally:
        stop_server(server)
    with sqlite3.connect(data_dir / "baken.sqlite3") as db:
        rows = db.execute("SELECT code, visits FROM campaign_counts ORDER BY code").fetchall()
    total = sum(n for _code, n in rows)
    print(f"requests per route and round: {requests}, concurrency {concurrency}")
    for name, values in rates.items():
        print(f"{name:8} " + "  ".join(f"{v:8.0f} req/s" for v in values))
    print(f"rows in campaign_counts: {len(rows)}  {rows}")
    print(f"visits stored: {total} of {2 * requests} sent")
    if total != 2 * requests:
        raise SystemExit("visits lost or counted twice")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
