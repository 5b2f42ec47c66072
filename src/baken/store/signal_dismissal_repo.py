"""Dismissed indicator signals, counted per organisation, day and label (issue 19, item 2).

One atomic ``INSERT … ON CONFLICT DO UPDATE SET dismissed = dismissed + 1`` per dismissal (SQLite
and PostgreSQL), so processes counting the same row at once both count. Nothing that says which
chat, which counselor or which words: the count is for improving the lexicons, not for reading
back what happened in a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from baken.store.database import Database
from baken.store.tables import signal_dismissals


@dataclass(frozen=True, slots=True)
class LabelCount:
    label: str
    dismissed: int


async def add_dismissal(db: Database, organisation_id: str, day: date, label: str) -> None:
    insert = sqlite_insert if db.is_sqlite else postgresql_insert
    statement = insert(signal_dismissals).values(
        organisation_id=organisation_id, day=day, label=label, dismissed=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "day", "label"],
        set_={"dismissed": signal_dismissals.c.dismissed + 1},
    )
    async with db.writer.begin() as conn:
        await conn.execute(statement)


async def dismissals_between(
    db: Database, first: date, last: date, organisation_id: str | None = None
) -> list[LabelCount]:
    """Totals per label from ``first`` to ``last`` (inclusive), most dismissed first; all
    organisations together unless one is named."""
    table = signal_dismissals.c
    where = and_(table.day >= first, table.day <= last)
    if organisation_id is not None:
        where = and_(where, table.organisation_id == organisation_id)
    total = func.sum(table.dismissed).label("total")
    query = (
        select(table.label, total)
        .where(where)
        .group_by(table.label)
        .order_by(total.desc(), table.label)
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [LabelCount(row.label, int(row.total)) for row in rows]
