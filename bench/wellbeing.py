"""How long "Your day" costs (issue 15, item 6; docs/wellbeing.md): the stints query behind
`wellbeing_get` (one counselor) and the "My day" page of a supervisor (the whole organisation),
on a database with a year of chats. Prints numbers; asserts nothing.

    .venv/bin/python bench/wellbeing.py [--chats 200000] [--counselors 60] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from baken.config import Settings
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.tables import conversations, participants, staff
from baken.wellbeing.day import day_start, figures
from baken.wellbeing.repository import WellbeingRepository


async def seed(db: Database, chats: int, counselors: int, now: datetime) -> list[str]:
    await StaffRepository(db).ensure_organisation("Bench")
    ids = [f"s_bench{i:04d}" for i in range(counselors)]
    async with db.writer.begin() as conn:
        await conn.execute(
            insert(staff),
            [
                {
                    "id": s,
                    "organisation_id": DEFAULT_ORGANISATION,
                    "username": s,
                    "display_name": s,
                    "password_hash": "x",
                    "role": "counselor",
                    "active": True,
                    "created_at": now,
                }
                for s in ids
            ],
        )
    step = timedelta(days=365) / chats
    batch: list[tuple[dict[str, object], dict[str, object]]] = []
    for n in range(chats):
        start = now - timedelta(days=365) + n * step
        cid = f"c_b{n:07d}"
        owner = ids[n % counselors]
        batch.append(
            (
                {
                    "id": cid,
                    "organisation_id": DEFAULT_ORGANISATION,
                    "state": "ended",
                    "priority": 0,
                    "lang": "nl",
                    "created_at": start,
                    "accepted_at": start,
                    "ended_at": start + timedelta(minutes=25),
                    "counselor_id": owner,
                    "wrapped_key": secrets.token_bytes(60),
                    "key_id": "bench",
                },
                {
                    "conversation_id": cid,
                    "staff_id": owner,
                    "role": "counselor",
                    "joined_at": start,
                    "left_at": start + timedelta(minutes=25),
                },
            )
        )
        if len(batch) == 5000 or n == chats - 1:
            async with db.writer.begin() as conn:
                await conn.execute(insert(conversations), [c for c, _p in batch])
                await conn.execute(insert(participants), [p for _c, p in batch])
            batch = []
    return ids


def timed(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:.2f} ms, "
        f"max {max(samples) * 1000:.2f} ms over {len(samples)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=200_000)
    parser.add_argument("--counselors", type=int, default=60)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database_url)
    await upgrade_async(settings)
    db = Database(settings)
    now = datetime.now(UTC)
    began = time.perf_counter()
    ids = await seed(db, args.chats, args.counselors, now)
    print(
        f"seeded {args.chats} chats of {args.counselors} counselors in "
        f"{time.perf_counter() - began:.1f} s ({settings.database_url or 'SQLite'})"
    )
    repo = WellbeingRepository(db)
    one, team = [], []
    for i in range(40):
        t0 = time.perf_counter()
        figures(await repo.stints(DEFAULT_ORGANISATION, now - timedelta(hours=24), ids[i]), now)
        one.append(time.perf_counter() - t0)
    for _ in range(10):
        t0 = time.perf_counter()
        figures(await repo.stints(DEFAULT_ORGANISATION, day_start(now)), now)
        team.append(time.perf_counter() - t0)
    print(f"wellbeing_get (one counselor's stints): {timed(one)}")
    print(f"My day, supervisor (the organisation's stints today): {timed(team)}")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
