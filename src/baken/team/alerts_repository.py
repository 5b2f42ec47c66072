"""SQL behind the supervisors' alerts (issue 15, item 3; realtime/alerts.py): counts and times
only, never a message's text (nothing here decrypts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from baken.domain.conversation import Sender, State
from baken.store.database import Database
from baken.store.return_code_repo import CodeState, Direction
from baken.store.tables import (
    conversations,
    mailbox_messages,
    messages,
    return_codes,
)


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """An active chat: its counselor, and when the visitor and a counselor last wrote."""

    conversation_id: str
    counselor_id: str | None
    last_visitor_ms: int | None
    last_counselor_ms: int | None


class AlertRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def active_turns(self, organisation_id: str) -> list[ChatTurn]:
        visitor = func.max(messages.c.sent_at_ms).filter(messages.c.sender == Sender.VISITOR.value)
        counselor = func.max(messages.c.sent_at_ms).filter(
            messages.c.sender == Sender.COUNSELOR.value
        )
        query = (
            select(
                conversations.c.id,
                conversations.c.counselor_id,
                visitor.label("last_visitor_ms"),
                counselor.label("last_counselor_ms"),
            )
            .select_from(
                conversations.outerjoin(messages, messages.c.conversation_id == conversations.c.id)
            )
            .where(
                conversations.c.organisation_id == organisation_id,
                conversations.c.state == State.ACTIVE.value,
            )
            .group_by(conversations.c.id, conversations.c.counselor_id)
        )
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ChatTurn(r.id, r.counselor_id, r.last_visitor_ms, r.last_counselor_ms) for r in rows
        ]

    async def unanswered_left_messages(self, organisation_id: str, before_ms: int) -> int:
        """Threads of this organisation with a message to staff, sent before ``before_ms``, that
        no answer followed."""
        answer = aliased(mailbox_messages)
        answered_up_to = (
            select(func.coalesce(func.max(answer.c.seq), 0))
            .where(
                answer.c.return_code_id == mailbox_messages.c.return_code_id,
                answer.c.direction == Direction.TO_VISITOR,
            )
            .scalar_subquery()
        )
        query = (
            select(func.count(func.distinct(mailbox_messages.c.return_code_id)))
            .select_from(
                mailbox_messages.join(
                    return_codes, return_codes.c.id == mailbox_messages.c.return_code_id
                )
            )
            .where(
                and_(
                    return_codes.c.organisation_id == organisation_id,
                    return_codes.c.state == CodeState.ACTIVE,
                    mailbox_messages.c.direction == Direction.TO_STAFF,
                    mailbox_messages.c.sent_at_ms <= before_ms,
                    mailbox_messages.c.seq > answered_up_to,
                )
            )
        )
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(query)
        return int(found or 0)
