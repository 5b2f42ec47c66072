"""How fast the partner directory search is (issue 17, item 1; docs/directory.md): 10,000
synthetic HSDS services imported into one organisation, then searches through the per-process
index as the console and `GET /api/staff/directory` make them — each one including the
primary-key read of the directory's version that tells a process its index is stale. Prints
p50/p99 per kind of query, the import and the index rebuild; asserts nothing (target ≤ 50 ms p99).

    .venv/bin/python bench/directory_search.py [--services 10000] [--rounds 300]
        [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from baken.audit.kinds import SYSTEM
from baken.config import Settings
from baken.directory import synthetic
from baken.directory.hsds_file import dump, parse
from baken.directory.model import SERVICE_TYPES
from baken.directory.repository import DirectoryRepository
from baken.directory.search import DirectoryIndexes, Query
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def queries(rng: random.Random) -> dict[str, list[Query]]:
    def some(make: object) -> list[Query]:
        return [make() for _ in range(50)]  # type: ignore[operator]

    return {
        "everything": some(Query),
        "need": some(lambda: Query(need=rng.choice(SERVICE_TYPES))),
        "need+age+language+region": some(
            lambda: Query(
                need=rng.choice(SERVICE_TYPES),
                age=rng.randint(10, 70),
                language=rng.choice(synthetic.LANGUAGES),
                region=rng.choice(synthetic.REGIONS),
            )
        ),
        "free text": some(lambda: Query(text=f"{rng.choice(synthetic.WORDS)}")),
        "free text, no match": some(lambda: Query(text="zzzz nothing")),
        "rare language + region": some(
            lambda: Query(language="uk", region=rng.choice(synthetic.REGIONS), age=16)
        ),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database_url)
    await upgrade_async(settings)
    db = Database(settings)
    try:
        await StaffRepository(db).ensure_organisation("Bench")
        data = dump(synthetic.services(args.services))
        began = time.perf_counter()
        items = parse(data)
        parsed = time.perf_counter() - began
        began = time.perf_counter()
        await DirectoryRepository(db).import_items(DEFAULT_ORGANISATION, items, SYSTEM)
        imported = time.perf_counter() - began
        print(
            f"{args.services} services, {len(data) / 1e6:.1f} MB: parse and validate "
            f"{parsed:.2f} s, import {imported:.2f} s ({settings.database_url or 'SQLite'})"
        )
        indexes = DirectoryIndexes(db)
        began = time.perf_counter()
        index = await indexes.index(DEFAULT_ORGANISATION)
        print(f"index rebuild (load + build): {time.perf_counter() - began:.2f} s, {len(index)}")
        rng = random.Random(17)
        # "search": as the page and the API do it, the version read included; "memory": the
        # in-memory part alone, to tell the database's share from the scan's.
        print(
            f"{'query':<28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'hits':>6}"
            f" {'memory p50':>10} {'memory p99':>10}"
        )
        everything: list[float] = []
        for name, batch in queries(rng).items():
            timings: list[float] = []
            memory: list[float] = []
            hits = 0
            for n in range(args.rounds):
                query = batch[n % len(batch)]
                began = time.perf_counter()
                found = await indexes.search(DEFAULT_ORGANISATION, query)
                timings.append((time.perf_counter() - began) * 1000)
                hits += len(found)
                began = time.perf_counter()
                index.search(query)
                memory.append((time.perf_counter() - began) * 1000)
            everything += timings
            print(
                f"{name:<28} {statistics.median(timings):>8.2f} {percentile(timings, 0.99):>8.2f}"
                f" {max(timings):>8.2f} {hits / args.rounds:>6.1f}"
                f" {statistics.median(memory):>10.2f} {percentile(memory, 0.99):>10.2f}"
            )
        print(
            f"{'all':<28} {statistics.median(everything):>8.2f} "
            f"{percentile(everything, 0.99):>8.2f} {max(everything):>8.2f}"
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
