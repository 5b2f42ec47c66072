"""SQL of team operations: each counselor's capacity (chats at once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from baken.store.database import Database
from baken.store.tables import staff, staff_capacity


class CapacityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, staff_id: str) -> int | None:
        """The capacity set for this staff member, or None (the default applies)."""
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(staff_capacity.c.max_chats).where(staff_capacity.c.staff_id == staff_id)
            )
        return None if found is None else int(found)

    async def of_organisation(self, organisation_id: str) -> dict[str, int]:
        """Every capacity set in this organisation, per staff id."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff_capacity.c.staff_id, staff_capacity.c.max_chats)
                .select_from(staff_capacity.join(staff, staff.c.id == staff_capacity.c.staff_id))
                .where(staff.c.organisation_id == organisation_id)
            )
            return {str(r.staff_id): int(r.max_chats) for r in rows}

    async def set(self, staff_id: str, max_chats: int | None, now: datetime) -> None:
        """Set one staff member's capacity; None removes it (back to the default)."""
        async with self.db.writer.begin() as conn:
            if max_chats is None:
                await conn.execute(
                    delete(staff_capacity).where(staff_capacity.c.staff_id == staff_id)
                )
                return
            changed = await conn.execute(
                update(staff_capacity)
                .where(staff_capacity.c.staff_id == staff_id)
                .values(max_chats=max_chats, set_at=now)
            )
            if changed.rowcount == 0:
                await conn.execute(
                    insert(staff_capacity).values(
                        staff_id=staff_id, max_chats=max_chats, set_at=now
                    )
                )
