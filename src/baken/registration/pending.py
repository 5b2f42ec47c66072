"""Conversations a counselor still has to register: ended, theirs, and not marked complete.

Registration may happen well after the chat (the next shift, after a busy night), so the console
lists these instead of relying on chat panels that are closed once a chat ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from baken.domain.conversation import State
from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import conversations, registrations

MAX_LISTED = 200


@dataclass(frozen=True, slots=True)
class PendingConversation:
    id: str
    nickname: str | None
    created_at: datetime
    ended_at: datetime | None
    has_draft: bool


async def pending_for(
    db: Database,
    staff_id: str,
    organisation_id: str,
    nickname_of: Callable[[Any], str | None],
) -> list[PendingConversation]:
    """Newest first. ``nickname_of`` decrypts a row's nickname (the store holds the keys)."""
    query = (
        select(
            conversations.c.id,
            conversations.c.created_at,
            conversations.c.ended_at,
            conversations.c.nickname_ct,
            conversations.c.wrapped_key,
            registrations.c.conversation_id.label("registered"),
        )
        .select_from(
            conversations.outerjoin(
                registrations, registrations.c.conversation_id == conversations.c.id
            )
        )
        .where(
            and_(
                conversations.c.counselor_id == staff_id,
                conversations.c.organisation_id == organisation_id,
                conversations.c.state == State.ENDED.value,
                or_(
                    registrations.c.conversation_id.is_(None),
                    registrations.c.completed_at.is_(None),
                ),
            )
        )
        .order_by(conversations.c.ended_at.desc(), conversations.c.id)
        .limit(MAX_LISTED)
    )
    async with db.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        PendingConversation(
            id=row.id,
            nickname=nickname_of(row),
            created_at=as_utc(row.created_at),
            ended_at=as_utc(row.ended_at) if row.ended_at is not None else None,
            has_draft=row.registered is not None,
        )
        for row in rows
    ]
