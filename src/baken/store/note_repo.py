"""Private staff notes on a conversation, encrypted with the conversation's own key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from baken.auth.tokens import new_id
from baken.store.clock import as_utc, utcnow
from baken.store.conversation_repo import ConversationRepository
from baken.store.tables import conversation_notes, conversations, staff

NOTE = "note"
TRANSFER_NOTE = "transfer"
NOTES_SHOWN = 200


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    conversation_id: str
    staff_id: str | None
    author: str | None
    kind: str
    text: str
    created_at: datetime


class NoteRepository:
    def __init__(self, conversations_repo: ConversationRepository) -> None:
        self.repo = conversations_repo
        self.db = conversations_repo.db

    async def add(
        self, conversation_id: str, staff_id: str, author: str, kind: str, text: str
    ) -> Note:
        note_id = new_id("n")
        now = utcnow()
        async with self.db.writer.begin() as conn:
            key = await conn.scalar(
                select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
            )
            if key is None:
                raise LookupError(conversation_id)
            body = self.repo.cipher(conversation_id, key).encrypt_note(note_id, text)
            await conn.execute(
                insert(conversation_notes).values(
                    id=note_id,
                    conversation_id=conversation_id,
                    staff_id=staff_id,
                    kind=kind,
                    body=body,
                    created_at=now,
                )
            )
        return Note(note_id, conversation_id, staff_id, author, kind, text, now)

    async def for_conversation(self, conversation_id: str) -> list[Note]:
        """The latest notes, oldest first."""
        notes = await self._read(conversation_id, None)
        notes.reverse()
        return notes

    async def get(self, conversation_id: str, note_id: str) -> Note | None:
        found = await self._read(conversation_id, note_id)
        return found[0] if found else None

    async def _read(self, conversation_id: str, note_id: str | None) -> list[Note]:
        query = (
            select(conversation_notes, staff.c.display_name)
            .select_from(
                conversation_notes.outerjoin(staff, staff.c.id == conversation_notes.c.staff_id)
            )
            .where(conversation_notes.c.conversation_id == conversation_id)
        )
        if note_id is not None:
            query = query.where(conversation_notes.c.id == note_id)
        query = query.order_by(
            conversation_notes.c.created_at.desc(), conversation_notes.c.id
        ).limit(NOTES_SHOWN)
        async with self.db.reader.connect() as conn:
            key = await conn.scalar(
                select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
            )
            if key is None:
                return []
            rows = (await conn.execute(query)).all()
        cipher = self.repo.cipher(conversation_id, key)
        return [
            Note(
                id=row.id,
                conversation_id=conversation_id,
                staff_id=row.staff_id,
                author=row.display_name,
                kind=row.kind,
                text=cipher.decrypt_note(row.id, row.body),
                created_at=as_utc(row.created_at),
            )
            for row in rows
        ]
