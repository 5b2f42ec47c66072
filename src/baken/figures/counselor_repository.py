"""SQL of the per-counselor figures (figures/per_counselor.py): the organisation's staff who chat,
everyone's first reply in the chats they joined, and registrations still pending. Only times,
states and ids are read; a message's body never is (its time and author are enough)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from baken.domain.conversation import Role, Sender, State
from baken.figures.per_counselor import FirstReply
from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import conversations, messages, participants, registrations, staff
from baken.wellbeing.repository import WellbeingRepository

CHAT_ROLES = (Role.COUNSELOR.value, Role.SUPERVISOR.value, Role.ADMIN.value)


class CounselorFigures:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.wellbeing = WellbeingRepository(db)

    async def people(self, organisation_id: str) -> list[tuple[str, str, str, bool]]:
        """The organisation's staff who may chat: (id, display name, role, active)."""
        async with self.db.reader.connect() as conn:
            found = await conn.execute(
                select(staff.c.id, staff.c.display_name, staff.c.role, staff.c.active).where(
                    staff.c.organisation_id == organisation_id, staff.c.role.in_(CHAT_ROLES)
                )
            )
            return [(r.id, r.display_name, r.role, bool(r.active)) for r in found]

    async def first_replies(
        self, organisation_id: str, start: datetime, end: datetime
    ) -> list[FirstReply]:
        """Each counselor's chats joined in [start, end), with the time of their first message."""
        # Per row, not one grouped subquery: the messages of these chats only, by the primary
        # key's conversation prefix, instead of every counselor message ever.
        first = (
            select(func.min(messages.c.sent_at_ms))
            .where(
                messages.c.conversation_id == participants.c.conversation_id,
                messages.c.staff_id == participants.c.staff_id,
                messages.c.sender == Sender.COUNSELOR.value,
            )
            .scalar_subquery()
        )
        joined = (
            select(
                participants.c.staff_id,
                participants.c.conversation_id,
                participants.c.joined_at,
                first.label("first_ms"),
            )
            .select_from(participants.join(staff, staff.c.id == participants.c.staff_id))
            .where(
                staff.c.organisation_id == organisation_id,
                participants.c.role == "counselor",
                participants.c.joined_at >= start,
                participants.c.joined_at < end,
            )
        )
        async with self.db.reader.connect() as conn:
            found = (await conn.execute(joined)).all()
        return [
            FirstReply(
                staff_id=r.staff_id,
                conversation_id=r.conversation_id,
                joined_at=as_utc(r.joined_at),
                first_at=(
                    datetime.fromtimestamp(int(r.first_ms) / 1000, tz=UTC)
                    if r.first_ms is not None
                    else None
                ),
            )
            for r in found
        ]

    async def pending(self, organisation_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """Per counselor: their chats that ended in [start, end) without a completed
        registration."""
        query = (
            select(conversations.c.counselor_id, func.count().label("n"))
            .select_from(
                conversations.outerjoin(
                    registrations, registrations.c.conversation_id == conversations.c.id
                )
            )
            .where(
                conversations.c.organisation_id == organisation_id,
                conversations.c.state == State.ENDED.value,
                conversations.c.counselor_id.is_not(None),
                conversations.c.ended_at >= start,
                conversations.c.ended_at < end,
                or_(
                    registrations.c.conversation_id.is_(None),
                    registrations.c.completed_at.is_(None),
                ),
            )
            .group_by(conversations.c.counselor_id)
        )
        async with self.db.reader.connect() as conn:
            return {r.counselor_id: int(r.n) for r in await conn.execute(query)}

    async def shares(self, organisation_id: str) -> dict[str, datetime]:
        """Who of the organisation chose to share their wellbeing figures, and since when."""
        return await self.wellbeing.shared_since(organisation_id)
