"""Retention by crypto-shredding: destroying the keys of transcripts that are old enough.

Destroying a conversation's wrapped key is what makes its texts unreadable: the ciphertext in any
copy is useless without it. A backup made before the purge still holds the wrapped key, but
wrapped by the master key of that time; once rotation retires that master key (and its ring
backups are gone), such copies are unreadable too (docs/security.md, "Retention and keys"). The
message rows are deleted as well, to keep the database small. Registrations and the conversation
row itself (times and states, no text) stay, so reports keep working.

Every statement is conditional and idempotent, so several processes may run the purge at once; on
PostgreSQL an advisory lock lets one of them do a batch while the others skip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from baken.domain.conversation import State
from baken.store.database import Database
from baken.store.tables import conversations, mailbox_messages, messages, return_codes

# Stored as key_id of a conversation whose key was destroyed; its wrapped_key is then empty.
SHREDDED_KEY_ID = "shredded"
# The state of a return code whose mailbox was destroyed by retention (it no longer works).
EXPIRED_CODE_STATE = "expired"
BATCH = 500
# Any constant shared by all Baken processes: "a purge batch is running".
_ADVISORY_LOCK = 0x6261_6B65_6E70


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    conversations: int = 0
    messages: int = 0
    mailboxes: int = 0
    mailbox_messages: int = 0

    def __add__(self, other: PurgeCounts) -> PurgeCounts:
        return PurgeCounts(
            self.conversations + other.conversations,
            self.messages + other.messages,
            self.mailboxes + other.mailboxes,
            self.mailbox_messages + other.mailbox_messages,
        )

    @property
    def anything(self) -> bool:
        return bool(self.conversations or self.messages or self.mailboxes or self.mailbox_messages)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which organisations a purge pass covers (issue 14: retention per organisation): these
    ones, or (``others``) every organisation but these. The default covers everyone."""

    organisation_ids: tuple[str, ...] = ()
    others: bool = True

    def applied(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        if self.others:
            return ~column.in_(self.organisation_ids) if self.organisation_ids else true()
        return column.in_(self.organisation_ids)


EVERYONE = Scope()


def _conversation_due(cutoff: datetime, scope: Scope = EVERYONE) -> ColumnElement[bool]:
    return and_(
        conversations.c.state == State.ENDED.value,
        conversations.c.ended_at < cutoff,
        conversations.c.key_id != SHREDDED_KEY_ID,
        scope.applied(conversations.c.organisation_id),
    )


def _mailbox_due(cutoff: datetime, scope: Scope = EVERYONE) -> ColumnElement[bool]:
    """A thread is due when nothing happened in it since the cutoff and no chat of it is open."""
    cutoff_ms = int(cutoff.timestamp() * 1000)
    recent_chat = exists().where(
        and_(
            conversations.c.return_code_id == return_codes.c.id,
            or_(
                conversations.c.state != State.ENDED.value,
                conversations.c.ended_at >= cutoff,
            ),
        )
    )
    recent_mail = exists().where(
        and_(
            mailbox_messages.c.return_code_id == return_codes.c.id,
            mailbox_messages.c.sent_at_ms >= cutoff_ms,
        )
    )
    return and_(
        return_codes.c.wrapped_key.is_not(None),
        func.coalesce(return_codes.c.last_used_at, return_codes.c.created_at) < cutoff,
        ~recent_chat,
        ~recent_mail,
        scope.applied(return_codes.c.organisation_id),
    )


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, cutoff: datetime, scope: Scope = EVERYONE) -> PurgeCounts:
        """What a purge with this cutoff would destroy now (for --dry-run)."""
        due_ids = select(conversations.c.id).where(_conversation_due(cutoff, scope))
        due_codes = select(return_codes.c.id).where(_mailbox_due(cutoff, scope))
        async with self.db.reader.connect() as conn:
            n_conversations = await conn.scalar(
                select(func.count())
                .select_from(conversations)
                .where(_conversation_due(cutoff, scope))
            )
            n_messages = await conn.scalar(
                select(func.count())
                .select_from(messages)
                .where(messages.c.conversation_id.in_(due_ids))
            )
            n_mailboxes = await conn.scalar(
                select(func.count()).select_from(return_codes).where(_mailbox_due(cutoff, scope))
            )
            n_mail = await conn.scalar(
                select(func.count())
                .select_from(mailbox_messages)
                .where(mailbox_messages.c.return_code_id.in_(due_codes))
            )
        return PurgeCounts(
            int(n_conversations or 0), int(n_messages or 0), int(n_mailboxes or 0), int(n_mail or 0)
        )

    async def _may_work(self, conn: AsyncConnection) -> bool:
        if self.db.is_sqlite:
            return True  # one writer at a time anyway
        return bool(await conn.scalar(select(func.pg_try_advisory_xact_lock(_ADVISORY_LOCK))))

    async def purge_conversations(
        self, cutoff: datetime, batch: int = BATCH, scope: Scope = EVERYONE
    ) -> tuple[PurgeCounts, list[str]]:
        """Destroy the keys (and delete the messages) of one batch; returns the ids done."""
        async with self.db.writer.begin() as conn:
            if not await self._may_work(conn):
                return PurgeCounts(), []
            ids = list(
                (
                    await conn.execute(
                        select(conversations.c.id)
                        .where(_conversation_due(cutoff, scope))
                        .order_by(conversations.c.ended_at)
                        .limit(batch)
                    )
                ).scalars()
            )
            if not ids:
                return PurgeCounts(), []
            deleted = await conn.execute(
                delete(messages).where(messages.c.conversation_id.in_(ids))
            )
            shredded = await conn.execute(
                update(conversations)
                .where(and_(conversations.c.id.in_(ids), _conversation_due(cutoff, scope)))
                .values(wrapped_key=b"", key_id=SHREDDED_KEY_ID, nickname_ct=None)
            )
        return PurgeCounts(conversations=shredded.rowcount, messages=deleted.rowcount), ids

    async def purge_mailboxes(
        self, cutoff: datetime, batch: int = BATCH, scope: Scope = EVERYONE
    ) -> tuple[PurgeCounts, list[str]]:
        async with self.db.writer.begin() as conn:
            if not await self._may_work(conn):
                return PurgeCounts(), []
            ids = list(
                (
                    await conn.execute(
                        select(return_codes.c.id).where(_mailbox_due(cutoff, scope)).limit(batch)
                    )
                ).scalars()
            )
            if not ids:
                return PurgeCounts(), []
            deleted = await conn.execute(
                delete(mailbox_messages).where(mailbox_messages.c.return_code_id.in_(ids))
            )
            shredded = await conn.execute(
                update(return_codes)
                .where(and_(return_codes.c.id.in_(ids), return_codes.c.wrapped_key.is_not(None)))
                .values(wrapped_key=None, state=EXPIRED_CODE_STATE)
            )
        return PurgeCounts(mailboxes=shredded.rowcount, mailbox_messages=deleted.rowcount), ids

    async def shredded_since(self, ended_after: datetime) -> list[str]:
        """Conversations shredded by any process whose end lies after this moment: every process
        forgets their keys if it still holds them in memory."""
        async with self.db.reader.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(conversations.c.id).where(
                            and_(
                                conversations.c.key_id == SHREDDED_KEY_ID,
                                conversations.c.ended_at >= ended_after,
                            )
                        )
                    )
                ).scalars()
            )
