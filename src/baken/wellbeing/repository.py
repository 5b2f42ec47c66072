"""SQL of counselor wellbeing: heavy marks, the choice to share one's figures, and the stints in
chats that the day's figures are computed from (wellbeing/day.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, delete, insert, select, union_all
from sqlalchemy.exc import IntegrityError

from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import (
    conversations,
    heavy_marks,
    participants,
    registrations,
    staff,
    wellbeing_shares,
)
from baken.wellbeing.day import Stint, registration_is_heavy


class WellbeingRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- heavy marks ----------------------------------------------------------------------------

    async def took_part(self, staff_id: str, conversation_id: str, organisation_id: str) -> bool:
        """Whether this staff member was a counselor in this chat of their organisation."""
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(participants.c.staff_id)
                .select_from(
                    participants.join(
                        conversations, conversations.c.id == participants.c.conversation_id
                    )
                )
                .where(
                    participants.c.staff_id == staff_id,
                    participants.c.conversation_id == conversation_id,
                    conversations.c.organisation_id == organisation_id,
                )
            )
        return found is not None

    async def mark(self, staff_id: str, conversation_id: str, heavy: bool) -> None:
        which = and_(
            heavy_marks.c.staff_id == staff_id, heavy_marks.c.conversation_id == conversation_id
        )
        try:
            async with self.db.writer.begin() as conn:
                if not heavy:
                    await conn.execute(delete(heavy_marks).where(which))
                elif await conn.scalar(select(heavy_marks.c.staff_id).where(which)) is None:
                    await conn.execute(
                        insert(heavy_marks).values(
                            staff_id=staff_id, conversation_id=conversation_id
                        )
                    )
        except IntegrityError:
            pass  # marked at the same moment from another tab: marked either way

    async def marked(self, staff_id: str, conversation_ids: list[str]) -> set[str]:
        if not conversation_ids:
            return set()
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(heavy_marks.c.conversation_id).where(
                    heavy_marks.c.staff_id == staff_id,
                    heavy_marks.c.conversation_id.in_(conversation_ids),
                )
            )
            return {row[0] for row in rows}

    # --- sharing ----------------------------------------------------------------------------------

    async def shares(self, staff_id: str) -> datetime | None:
        """Since when this staff member shares their figures; None: they do not."""
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(wellbeing_shares.c.since).where(wellbeing_shares.c.staff_id == staff_id)
            )
        return as_utc(found) if found is not None else None

    async def set_share(self, staff_id: str, share: bool, now: datetime) -> bool:
        """Record the choice; whether it changed anything (sharing again keeps the first
        moment, stopping twice stops once)."""
        which = wellbeing_shares.c.staff_id == staff_id
        try:
            async with self.db.writer.begin() as conn:
                if not share:
                    gone = await conn.execute(delete(wellbeing_shares).where(which))
                    return bool(gone.rowcount)
                if await conn.scalar(select(wellbeing_shares.c.staff_id).where(which)) is not None:
                    return False
                await conn.execute(insert(wellbeing_shares).values(staff_id=staff_id, since=now))
                return True
        except IntegrityError:
            return False  # chosen at the same moment in another tab: shared either way

    async def sharing(self, organisation_id: str) -> dict[str, str]:
        """Staff of the organisation who share their figures: id → display name."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff.c.id, staff.c.display_name)
                .select_from(
                    wellbeing_shares.join(staff, staff.c.id == wellbeing_shares.c.staff_id)
                )
                .where(staff.c.organisation_id == organisation_id, staff.c.active.is_(True))
            )
            return {row.id: row.display_name for row in rows}

    async def shared_since(self, organisation_id: str) -> dict[str, datetime]:
        """Staff of the organisation who share their figures: id → since when."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(wellbeing_shares.c.staff_id, wellbeing_shares.c.since)
                .select_from(
                    wellbeing_shares.join(staff, staff.c.id == wellbeing_shares.c.staff_id)
                )
                .where(staff.c.organisation_id == organisation_id)
            )
            return {row.staff_id: as_utc(row.since) for row in rows}

    # --- stints -----------------------------------------------------------------------------------

    async def stints(
        self, organisation_id: str, since: datetime, staff_id: str | None = None
    ) -> list[Stint]:
        """Counselors' time in chats of the organisation that lasted into ``since`` or later:
        one staff member's, or everyone's (``staff_id`` None)."""
        mark = and_(
            heavy_marks.c.staff_id == participants.c.staff_id,
            heavy_marks.c.conversation_id == participants.c.conversation_id,
        )
        columns = select(
            participants.c.staff_id,
            participants.c.conversation_id,
            participants.c.joined_at,
            participants.c.left_at,
            registrations.c.risk_level,
            registrations.c.exploitation_types,
            heavy_marks.c.staff_id.label("marked"),
        ).select_from(
            participants.join(staff, staff.c.id == participants.c.staff_id)
            .outerjoin(
                registrations,
                registrations.c.conversation_id == participants.c.conversation_id,
            )
            .outerjoin(heavy_marks, mark)
        )
        # By the staff member's organisation, not the chat's: the same (a chat is taken, handed
        # on and taken over only within its organisation), and without statistics SQLite would
        # start from every chat of the organisation instead of from the index of today's stints.
        mine = [
            staff.c.organisation_id == organisation_id,
            participants.c.role == "counselor",
        ]
        if staff_id is not None:
            mine.append(participants.c.staff_id == staff_id)
        # Two index ranges, not one OR: with the OR, SQLite scanned every chat ever.
        query = union_all(
            columns.where(*mine, participants.c.left_at.is_(None)),
            # In UTC: SQLite compares stored times as text, and "today" starts in Amsterdam.
            columns.where(*mine, participants.c.left_at >= since.astimezone(UTC)),
        )
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Stint(
                staff_id=row.staff_id,
                conversation_id=row.conversation_id,
                start=as_utc(row.joined_at),
                end=as_utc(row.left_at) if row.left_at is not None else None,
                heavy=row.marked is not None
                or registration_is_heavy(row.risk_level, row.exploitation_types),
            )
            for row in rows
        ]
