"""The campaign counts in the database: add a batch, read one organisation's days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from baken.store.database import Database
from baken.store.tables import campaign_counts

# (organisation id, day, code)
Key = tuple[str, date, str]
COUNTERS = ("visits", "started", "answered")


@dataclass(frozen=True, slots=True)
class Tally:
    visits: int = 0
    started: int = 0
    answered: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.visits + other.visits,
            self.started + other.started,
            self.answered + other.answered,
        )


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    code: str
    tally: Tally


async def add_counts(db: Database, batch: Mapping[Key, Tally]) -> None:
    """Add a batch to the stored totals in one transaction.

    ``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` is one atomic statement on SQLite
    and PostgreSQL, so processes flushing the same row at once both count. Rows go in key order:
    two PostgreSQL transactions that lock the same rows in the same order cannot deadlock."""
    if not batch:
        return
    rows = [
        {
            "organisation_id": organisation_id,
            "day": day,
            "code": code,
            "visits": tally.visits,
            "started": tally.started,
            "answered": tally.answered,
        }
        for (organisation_id, day, code), tally in sorted(batch.items())
    ]
    insert = sqlite_insert if db.is_sqlite else postgresql_insert
    statement = insert(campaign_counts)
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "day", "code"],
        set_={name: campaign_counts.c[name] + statement.excluded[name] for name in COUNTERS},
    )
    async with db.writer.begin() as conn:
        await conn.execute(statement, rows)


async def counts_between(
    db: Database, organisation_id: str, first: date, last: date
) -> list[DayCount]:
    """One organisation's rows from ``first`` to ``last`` (inclusive), newest day first."""
    table = campaign_counts.c
    query = (
        select(table.day, table.code, table.visits, table.started, table.answered)
        .where(
            and_(table.organisation_id == organisation_id, table.day >= first, table.day <= last)
        )
        .order_by(table.day.desc(), table.code)
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [DayCount(r.day, r.code, Tally(r.visits, r.started, r.answered)) for r in rows]
