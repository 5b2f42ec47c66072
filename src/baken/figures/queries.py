"""Reading what the figures need: conversation timestamps and states, and feedback answers.

Only these columns are selected; the message table is never touched.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, select

from baken.figures.compute import Contact, FeedbackAnswer, MailboxLine
from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.return_code_repo import Direction
from baken.store.tables import conversations, mailbox_messages, return_codes, visitor_feedback


async def contacts_between(
    db: Database, organisation_id: str, start: datetime, end: datetime
) -> list[Contact]:
    query = select(
        conversations.c.created_at,
        conversations.c.accepted_at,
        conversations.c.ended_at,
        conversations.c.ended_by,
    ).where(
        and_(
            conversations.c.organisation_id == organisation_id,
            # In UTC: SQLite compares stored times as text, and a bound in Amsterdam time
            # would move the day's edges by the offset.
            conversations.c.created_at >= start.astimezone(UTC),
            conversations.c.created_at < end.astimezone(UTC),
        )
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        Contact(
            as_utc(r.created_at),
            as_utc(r.accepted_at) if r.accepted_at is not None else None,
            as_utc(r.ended_at) if r.ended_at is not None else None,
            r.ended_by,
        )
        for r in rows
    ]


async def feedback_between(
    db: Database, organisation_id: str, start: datetime, end: datetime
) -> list[FeedbackAnswer]:
    query = select(
        visitor_feedback.c.submitted_hour, visitor_feedback.c.helped, visitor_feedback.c.come_back
    ).where(
        and_(
            visitor_feedback.c.organisation_id == organisation_id,
            visitor_feedback.c.submitted_hour >= start.astimezone(UTC),
            visitor_feedback.c.submitted_hour < end.astimezone(UTC),
        )
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [FeedbackAnswer(as_utc(r.submitted_hour), r.helped, r.come_back) for r in rows]


async def mailbox_lines_since(
    db: Database, organisation_id: str, start: datetime
) -> list[MailboxLine]:
    """The organisation's left-message threads' lines from ``start`` on (directions and times
    only; no body is read)."""
    start_ms = int(start.timestamp() * 1000)
    query = (
        select(
            mailbox_messages.c.return_code_id,
            mailbox_messages.c.seq,
            mailbox_messages.c.direction,
            mailbox_messages.c.sent_at_ms,
        )
        .select_from(
            mailbox_messages.join(
                return_codes, return_codes.c.id == mailbox_messages.c.return_code_id
            )
        )
        .where(
            and_(
                return_codes.c.organisation_id == organisation_id,
                mailbox_messages.c.sent_at_ms >= start_ms,
            )
        )
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        MailboxLine(
            r.return_code_id, int(r.seq), r.direction == Direction.TO_STAFF, int(r.sent_at_ms)
        )
        for r in rows
    ]
