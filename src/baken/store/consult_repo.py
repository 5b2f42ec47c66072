"""The consultation channel between staff: stored encrypted, each message under a key of its own.

A consult is not part of any conversation's transcript (the team room has no conversation), so it
cannot use a conversation key. Each message gets a fresh data key, wrapped by the master key ring
with the message id as associated data — the same envelope as a conversation, so key rotation
re-wraps these rows too and retention can destroy them by deleting the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import aliased

from baken.auth.tokens import new_id
from baken.crypto.envelope import CipherCache, ConversationCipher, new_data_key
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import consult_messages, staff

HISTORY_SHOWN = 100


@dataclass(frozen=True, slots=True)
class ConsultMessage:
    id: str
    organisation_id: str
    sender_id: str
    sender_name: str | None
    recipient_id: str | None  # None: the organisation's team room
    conversation_id: str | None
    text: str
    created_at: datetime


class ConsultRepository:
    def __init__(self, db: Database, ciphers: CipherCache) -> None:
        self.db = db
        self.ciphers = ciphers

    async def add(
        self,
        organisation_id: str,
        sender_id: str,
        sender_name: str,
        recipient_id: str | None,
        conversation_id: str | None,
        text: str,
    ) -> ConsultMessage:
        message_id = new_id("k")
        data_key = new_data_key()
        master = self.ciphers.master
        body = ConversationCipher(message_id, data_key).encrypt_field(text)
        now = utcnow()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(consult_messages).values(
                    id=message_id,
                    organisation_id=organisation_id,
                    sender_id=sender_id,
                    recipient_id=recipient_id,
                    conversation_id=conversation_id,
                    created_at=now,
                    wrapped_key=master.wrap(message_id, data_key),
                    key_id=master.key_id,
                    body=body,
                )
            )
        return ConsultMessage(
            message_id,
            organisation_id,
            sender_id,
            sender_name,
            recipient_id,
            conversation_id,
            text,
            now,
        )

    async def get(self, message_id: str) -> ConsultMessage | None:
        found = await self._read(consult_messages.c.id == message_id, 1)
        return found[0] if found else None

    async def team(self, organisation_id: str) -> list[ConsultMessage]:
        """The latest messages of the organisation's team room, oldest first."""
        return await self._history(
            and_(
                consult_messages.c.organisation_id == organisation_id,
                consult_messages.c.recipient_id.is_(None),
            )
        )

    async def between(
        self, organisation_id: str, one_staff_id: str, other_staff_id: str
    ) -> list[ConsultMessage]:
        """The latest direct messages between two colleagues, oldest first."""
        c = consult_messages.c
        return await self._history(
            and_(
                c.organisation_id == organisation_id,
                or_(
                    and_(c.sender_id == one_staff_id, c.recipient_id == other_staff_id),
                    and_(c.sender_id == other_staff_id, c.recipient_id == one_staff_id),
                ),
            )
        )

    async def _history(self, where: object) -> list[ConsultMessage]:
        found = await self._read(where, HISTORY_SHOWN)
        found.reverse()
        return found

    async def _read(self, where: object, limit: int) -> list[ConsultMessage]:
        sender = aliased(staff)
        query = (
            select(consult_messages, sender.c.display_name)
            .select_from(
                consult_messages.outerjoin(sender, sender.c.id == consult_messages.c.sender_id)
            )
            .where(where)  # type: ignore[arg-type]
            .order_by(consult_messages.c.created_at.desc(), consult_messages.c.id.desc())
            .limit(limit)
        )
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        master = self.ciphers.master

        def text(row: Any) -> str:
            cipher = ConversationCipher(row.id, master.unwrap(row.id, row.wrapped_key))
            return cipher.decrypt_field(row.body)

        return [
            ConsultMessage(
                id=row.id,
                organisation_id=row.organisation_id,
                sender_id=row.sender_id,
                sender_name=row.display_name,
                recipient_id=row.recipient_id,
                conversation_id=row.conversation_id,
                text=text(row),
                created_at=as_utc(row.created_at),
            )
            for row in rows
        ]


async def purge_consults_before(db: Database, cutoff: datetime) -> int:
    """Destroy consults older than the retention period (row and wrapped key together)."""
    async with db.writer.begin() as conn:
        result = await conn.execute(
            delete(consult_messages).where(consult_messages.c.created_at < cutoff)
        )
    return int(result.rowcount or 0)
