"""Reads and small writes through SQLAlchemy on SQLite: the stock aiosqlite adapter against
Baken's one-trip adapter (store/sqlite_dialect.py), in the same run, alternating.

Each round runs the same work on both: ``--reads`` point reads by primary key (one at a time, and
64 at a time over the pool of readers, as handshakes and catch-ups do) and ``--writes`` single-row
inserts, each in its own transaction on the one writer. Engines are built as
``baken.store.database`` builds them (same pools and pragmas); only the driver differs. Reported
per operation: CPU of this process (all threads, user + system), its voluntary and involuntary
context switches, and operations per second. Pinned to one core (``taskset -c 0``) where possible,
as the server runs in the benchmarks.

    taskset -c 0 .venv/bin/python bench/sqlite_trips.py --json bench/results/sqlite-trips.json
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import uvloop
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

import benchlib as bl
from baken.store.database import READERS, _sqlite_pragmas
from baken.store.sqlite_dialect import DRIVER

DRIVERS = {"stock": "sqlite+aiosqlite", "one_trip": DRIVER}


def engine(driver: str, path: Path, size: int) -> AsyncEngine:
    made = create_async_engine(
        f"{driver}:///{path}", poolclass=AsyncAdaptedQueuePool, pool_size=size, max_overflow=0
    )
    event.listen(made.sync_engine, "connect", _sqlite_pragmas)
    return made


def usage() -> tuple[float, int, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_nvcsw, r.ru_nivcsw


async def measure(name: str, n: int, work: Any) -> dict[str, float]:
    cpu0, vol0, inv0 = usage()
    start = time.perf_counter()
    await work()
    wall = time.perf_counter() - start
    cpu1, vol1, inv1 = usage()
    return {
        "ops_per_s": round(n / wall, 1),
        "cpu_us_per_op": round(1e6 * (cpu1 - cpu0) / n, 1),
        "voluntary_switches_per_op": round((vol1 - vol0) / n, 2),
        "involuntary_switches_per_op": round((inv1 - inv0) / n, 2),
    }


async def one_round(driver: str, reads: int, writes: int) -> dict[str, dict[str, float]]:
    path = Path(tempfile.mkdtemp(prefix="baken-bench-trips-")) / "trips.sqlite"
    writer, reader = engine(driver, path, 1), engine(driver, path, READERS)
    async with writer.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await conn.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": f"row {i}"} for i in range(2000)]
        )

    async def read(i: int) -> None:
        async with reader.connect() as conn:
            row = (await conn.execute(text("SELECT v FROM t WHERE id = :i"), {"i": i})).first()
        if row is None or row[0] != f"row {i - 1}":
            raise bl.BenchError(f"read {i} gave {row!r}")

    async def reads_in_turn() -> None:
        for i in range(reads):
            await read(i % 2000 + 1)

    async def reads_at_once() -> None:
        gate = asyncio.Semaphore(64)

        async def gated(i: int) -> None:
            async with gate:
                await read(i % 2000 + 1)

        await asyncio.gather(*(gated(i) for i in range(reads)))

    async def single_writes() -> None:
        for i in range(writes):
            async with writer.begin() as conn:
                await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"new {i}"})

    await reads_at_once()  # every pooled reader opened before anything is counted
    result = {
        "reads_in_turn": await measure(driver, reads, reads_in_turn),
        "reads_64_at_once": await measure(driver, reads, reads_at_once),
        "single_row_writes": await measure(driver, writes, single_writes),
    }
    await writer.dispose()
    await reader.dispose()
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in DRIVERS}
    for index in range(args.rounds):
        for name, driver in DRIVERS.items():
            rounds[name].append(await one_round(driver, args.reads, args.writes))
            line = ", ".join(
                f"{kind} {v['cpu_us_per_op']} µs CPU {v['ops_per_s']}/s"
                for kind, v in rounds[name][-1].items()
            )
            print(f"round {index + 1} {name:8s}: {line}", flush=True)
    medians: dict[str, dict[str, dict[str, float]]] = {}
    for name, results in rounds.items():
        medians[name] = {
            kind: {
                key: round(statistics.median(r[kind][key] for r in results), 2)
                for key in results[0][kind]
            }
            for kind in results[0]
        }
    return {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "rounds": rounds,
        "medians": medians,
        "machine": bl.machine_info(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reads", type=int, default=6000)
    ap.add_argument("--writes", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = uvloop.run(run(args))
    print("\nmedian per operation     stock → one trip")
    for kind in result["medians"]["stock"]:
        a, b = result["medians"]["stock"][kind], result["medians"]["one_trip"][kind]
        print(
            f"  {kind:18s} CPU {a['cpu_us_per_op']} → {b['cpu_us_per_op']} µs, "
            f"{a['ops_per_s']} → {b['ops_per_s']}/s, switches "
            f"{a['voluntary_switches_per_op'] + a['involuntary_switches_per_op']:.1f} → "
            f"{b['voluntary_switches_per_op'] + b['involuntary_switches_per_op']:.1f}"
        )
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
