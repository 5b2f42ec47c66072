"""Return codes (stored only as peppered slow hashes) and the mailbox behind each."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from baken.auth.tokens import new_id
from baken.crypto.envelope import CipherCache, ConversationCipher, new_data_key
from baken.store.clock import now_ms, utcnow
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import conversations, installation_secrets, mailbox_messages, return_codes

PEPPER_NAME = "return_code_pepper"
POST_TRIES = 5


class CodeState:
    ACTIVE = "active"
    DESTROYED = "destroyed"
    COMPROMISED = "compromised"


class Direction:
    TO_VISITOR = "to_visitor"
    TO_STAFF = "to_staff"


@dataclass(frozen=True, slots=True)
class ReturnCode:
    id: str
    state: str
    preferred_staff_id: str | None
    organisation_id: str


@dataclass(frozen=True, slots=True)
class MailboxMessage:
    seq: int
    direction: str
    staff_id: str | None
    text: str
    sent_at_ms: int
    read_at_ms: int | None


class ReturnCodeRepository:
    def __init__(self, db: Database, ciphers: CipherCache) -> None:
        self.db = db
        self.ciphers = ciphers
        self._pepper: bytes | None = None

    async def pepper(self) -> bytes:
        """The installation's pepper, made on first use and kept wrapped by the master key."""
        if self._pepper is not None:
            return self._pepper
        master = self.ciphers.master
        async with self.db.reader.connect() as conn:
            wrapped = await conn.scalar(
                select(installation_secrets.c.wrapped).where(
                    installation_secrets.c.name == PEPPER_NAME
                )
            )
        if wrapped is None:
            candidate = os.urandom(32)
            try:
                async with self.db.writer.begin() as conn:
                    await conn.execute(
                        insert(installation_secrets).values(
                            name=PEPPER_NAME,
                            wrapped=master.wrap(PEPPER_NAME, candidate),
                            key_id=master.key_id,
                            created_at=utcnow(),
                        )
                    )
                self._pepper = candidate
                return candidate
            except IntegrityError:  # another process made it first: use theirs
                return await self.pepper()
        self._pepper = master.unwrap(PEPPER_NAME, wrapped)
        return self._pepper

    async def issue(
        self, conversation_id: str, code_hash: str, preferred_staff_id: str | None
    ) -> str:
        """Attach a code to a conversation. A second request re-keys the same thread: the older
        code stops working, the links and mailbox stay."""
        async with self.db.writer.begin() as conn:
            row = (
                await conn.execute(
                    select(conversations.c.return_code_id, conversations.c.organisation_id).where(
                        conversations.c.id == conversation_id
                    )
                )
            ).first()
            existing = row.return_code_id if row is not None else None
            # The code belongs to the conversation's organisation (issue 14): it opens a chat
            # there and nowhere else.
            organisation_id = row.organisation_id if row is not None else DEFAULT_ORGANISATION
            if existing is not None:
                await conn.execute(
                    update(return_codes)
                    .where(return_codes.c.id == existing)
                    .values(
                        code_hash=code_hash,
                        state=CodeState.ACTIVE,
                        preferred_staff_id=preferred_staff_id,
                    )
                )
                return str(existing)
            code_id = new_id("r")
            await conn.execute(
                insert(return_codes).values(
                    id=code_id,
                    organisation_id=organisation_id,
                    code_hash=code_hash,
                    state=CodeState.ACTIVE,
                    created_at=utcnow(),
                    preferred_staff_id=preferred_staff_id,
                    wrapped_key=self.ciphers.master.wrap(code_id, new_data_key()),
                    key_id=self.ciphers.master.key_id,
                )
            )
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(return_code_id=code_id)
            )
            return code_id

    async def find_active(self, code_hash: str) -> ReturnCode | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        return_codes.c.id,
                        return_codes.c.state,
                        return_codes.c.preferred_staff_id,
                        return_codes.c.organisation_id,
                    ).where(return_codes.c.code_hash == code_hash)
                )
            ).first()
        if row is None or row.state != CodeState.ACTIVE:
            return None
        return ReturnCode(row.id, row.state, row.preferred_staff_id, row.organisation_id)

    async def touch(self, code_id: str) -> None:
        async with self.db.writer.begin() as conn:
            await conn.execute(
                update(return_codes)
                .where(return_codes.c.id == code_id)
                .values(last_used_at=utcnow())
            )

    async def code_of(self, conversation_id: str) -> str | None:
        async with self.db.reader.connect() as conn:
            value = await conn.scalar(
                select(conversations.c.return_code_id).where(conversations.c.id == conversation_id)
            )
        return None if value is None else str(value)

    async def destroy(self, code_id: str) -> None:
        """The visitor's wish: the code stops working and the mailbox is shredded."""
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(mailbox_messages).where(mailbox_messages.c.return_code_id == code_id)
            )
            await conn.execute(
                update(return_codes)
                .where(return_codes.c.id == code_id)
                .values(state=CodeState.DESTROYED, wrapped_key=None)
            )
        self.ciphers.forget(code_id)

    async def mark_compromised(self, code_id: str) -> None:
        async with self.db.writer.begin() as conn:
            await conn.execute(
                update(return_codes)
                .where(return_codes.c.id == code_id)
                .values(state=CodeState.COMPROMISED)
            )

    async def _cipher(self, code_id: str) -> ConversationCipher | None:
        async with self.db.reader.connect() as conn:
            wrapped = await conn.scalar(
                select(return_codes.c.wrapped_key).where(return_codes.c.id == code_id)
            )
        return None if wrapped is None else self.ciphers.get(code_id, wrapped)

    async def post(self, code_id: str, direction: str, staff_id: str | None, text: str) -> int:
        cipher = await self._cipher(code_id)
        if cipher is None:
            raise LookupError("this mailbox no longer exists")
        # Two writers at once (a counselor and a partner professional, or two processes on
        # PostgreSQL) can read the same last seq; the primary key refuses the second insert,
        # which then takes the next number.
        for attempt in range(POST_TRIES):
            try:
                async with self.db.writer.begin() as conn:
                    last = await conn.scalar(
                        select(func.max(mailbox_messages.c.seq)).where(
                            mailbox_messages.c.return_code_id == code_id
                        )
                    )
                    seq = int(last or 0) + 1
                    await conn.execute(
                        insert(mailbox_messages).values(
                            return_code_id=code_id,
                            seq=seq,
                            direction=direction,
                            staff_id=staff_id,
                            body=cipher.encrypt(seq, text),
                            sent_at_ms=now_ms(),
                            read_at_ms=None,
                        )
                    )
                return seq
            except IntegrityError:
                if attempt == POST_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def unread(self, code_id: str, direction: str) -> list[MailboxMessage]:
        """Messages not yet read by their addressee, marked read as they are handed out."""
        cipher = await self._cipher(code_id)
        if cipher is None:
            return []
        async with self.db.writer.begin() as conn:
            rows = (
                await conn.execute(
                    select(mailbox_messages)
                    .where(
                        and_(
                            mailbox_messages.c.return_code_id == code_id,
                            mailbox_messages.c.direction == direction,
                            mailbox_messages.c.read_at_ms.is_(None),
                        )
                    )
                    .order_by(mailbox_messages.c.seq)
                )
            ).all()
            stamp = now_ms()
            if rows:
                await conn.execute(
                    update(mailbox_messages)
                    .where(
                        and_(
                            mailbox_messages.c.return_code_id == code_id,
                            mailbox_messages.c.seq.in_([r.seq for r in rows]),
                        )
                    )
                    .values(read_at_ms=stamp)
                )
        return [
            MailboxMessage(
                int(r.seq),
                r.direction,
                r.staff_id,
                cipher.decrypt(int(r.seq), r.body),
                int(r.sent_at_ms),
                stamp,
            )
            for r in rows
        ]
