"""What the supervisor's live overview reads: the active chats of an organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from baken.domain.conversation import Sender, State
from baken.store.conversation_repo import ConversationRepository, _select_conversations
from baken.store.records import ConversationRecord
from baken.store.tables import conversations, messages


@dataclass(frozen=True, slots=True)
class ActiveChat:
    record: ConversationRecord
    last_activity_ms: int | None
    # Visitor messages after the counselor's read pointer (as last saved; receipts are saved
    # about once a second).
    unread_for_counselor: int


class SupervisionRepository:
    def __init__(self, repo: ConversationRepository) -> None:
        self.repo = repo
        self.db = repo.db

    async def active_chats(self, organisation_id: str) -> list[ActiveChat]:
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    _select_conversations()
                    .where(
                        and_(
                            conversations.c.organisation_id == organisation_id,
                            conversations.c.state == State.ACTIVE.value,
                        )
                    )
                    .order_by(conversations.c.accepted_at)
                )
            ).all()
            ids = [row.id for row in rows]
            last: dict[str, int] = {}
            unread: dict[str, int] = {}
            if ids:
                last_rows = await conn.execute(
                    select(messages.c.conversation_id, func.max(messages.c.sent_at_ms))
                    .where(messages.c.conversation_id.in_(ids))
                    .group_by(messages.c.conversation_id)
                )
                last = {str(r[0]): int(r[1]) for r in last_rows if r[1] is not None}
                unread_rows = await conn.execute(
                    select(messages.c.conversation_id, func.count())
                    .select_from(
                        messages.join(
                            conversations, conversations.c.id == messages.c.conversation_id
                        )
                    )
                    .where(
                        and_(
                            messages.c.conversation_id.in_(ids),
                            messages.c.sender == Sender.VISITOR.value,
                            messages.c.seq > conversations.c.counselor_read_seq,
                        )
                    )
                    .group_by(messages.c.conversation_id)
                )
                unread = {str(r[0]): int(r[1]) for r in unread_rows}
        return [
            ActiveChat(self.repo._record(row), last.get(row.id), unread.get(row.id, 0))
            for row in rows
        ]
