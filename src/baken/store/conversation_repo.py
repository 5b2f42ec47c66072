"""Conversations: creating, finding, accepting, ending, and reading their messages back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.auth.tokens import new_id, new_token, token_hash
from baken.crypto.envelope import CipherCache, ConversationCipher, new_data_key
from baken.domain.conversation import (
    EVENT_ACCEPTED,
    EndedBy,
    Move,
    Sender,
    State,
    ended_event,
    rule,
)
from baken.domain.counselor_tools import EVENT_REQUEUED, EVENT_TRANSFERRED
from baken.domain.queue import ESTIMATE_WINDOW
from baken.store.clock import as_utc, now_ms, utcnow
from baken.store.database import Database
from baken.store.group_commit import GroupCommit
from baken.store.records import ConversationRecord, StoredMessage
from baken.store.retention_repo import SHREDDED_KEY_ID
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import conversations, messages, participants, staff

PAGE_SIZE = 200


class NotQueued(Exception):
    """The conversation is no longer waiting: someone else accepted it, or it ended."""


class AtCapacity(Exception):
    """The counselor already has the maximum number of chats."""


class ConversationEnded(Exception):
    pass


class NotHeld(Exception):
    """The chat is not (any more) active with this counselor: ended, requeued or handed on."""


@dataclass(frozen=True, slots=True)
class Transition:
    conversation: ConversationRecord
    event: StoredMessage


def _select_conversations() -> Any:
    return select(conversations, staff.c.display_name.label("counselor_name")).select_from(
        conversations.outerjoin(staff, staff.c.id == conversations.c.counselor_id)
    )


# Built once: every visitor's socket, stream and page looks its chat up by token, and building
# the statement and its cache key cost more than the read itself (issue 21's restart profile).
_BY_VISITOR_TOKEN = _select_conversations().where(
    conversations.c.visitor_token_hash == bindparam("token_hash")
)


def _move(move: Move, conversation_id: str, holder: str | None = None) -> Any:
    """The UPDATE for one move, guarded by the domain's rule: only from its source states (and,
    for a hand-on, only by the holder), so a forbidden transition changes no row."""
    r = rule(move)
    conditions = [
        conversations.c.id == conversation_id,
        conversations.c.state.in_([s.value for s in r.sources]),
    ]
    if r.holder_only:
        if holder is None:
            raise ValueError(f"{move} needs the counselor who holds the chat")
        conditions.append(conversations.c.counselor_id == holder)
    return update(conversations).where(and_(*conditions)).values(state=r.target.value)


_SEEN_BATCH = 500
# Starts written together in one transaction at most (`create`).
CREATE_BATCH_MAX = 200
# Issue 19, item 3: the queue's reading of the first messages lives only while the visitor waits.
_NO_QUEUE_SIGNALS: dict[str, Any] = {"queue_acute": False, "queue_signal_points": 0}


@dataclass(frozen=True, slots=True)
class Liveness:
    conversation_id: str
    since: datetime
    visitor_seen_at: datetime | None
    last_words_ms: int | None
    last_event: str | None


class ConversationRepository:
    def __init__(self, db: Database, ciphers: CipherCache) -> None:
        self.db = db
        self.ciphers = ciphers
        self._creates = GroupCommit(self._insert_all, CREATE_BATCH_MAX, "conversations")

    def cipher(self, conversation_id: str, wrapped_key: bytes) -> ConversationCipher:
        return self.ciphers.get(conversation_id, wrapped_key)

    def _record(self, row: Any) -> ConversationRecord:
        nickname = None
        if row.nickname_ct is not None:
            nickname = self.cipher(row.id, row.wrapped_key).decrypt_field(row.nickname_ct)
        return ConversationRecord(
            id=row.id,
            organisation_id=row.organisation_id,
            state=State(row.state),
            priority=row.priority,
            lang=row.lang,
            created_at=as_utc(row.created_at),
            accepted_at=as_utc(row.accepted_at) if row.accepted_at else None,
            ended_at=as_utc(row.ended_at) if row.ended_at else None,
            ended_by=EndedBy(row.ended_by) if row.ended_by else None,
            counselor_id=row.counselor_id,
            counselor_name=row.counselor_name,
            nickname=nickname,
            last_seq=row.last_seq,
            visitor_read_seq=row.visitor_read_seq,
            visitor_delivered_seq=row.visitor_delivered_seq,
            counselor_read_seq=row.counselor_read_seq,
            counselor_delivered_seq=row.counselor_delivered_seq,
            return_code_id=row.return_code_id,
            preferred_staff_id=row.preferred_staff_id,
            expired=row.key_id == SHREDDED_KEY_ID,
            queue_acute=bool(row.queue_acute),
            queue_signal_points=row.queue_signal_points or 0,
        )

    async def create(
        self,
        nickname: str | None,
        lang: str,
        priority: int = 0,
        organisation_id: str = DEFAULT_ORGANISATION,
        return_code_id: str | None = None,
        preferred_staff_id: str | None = None,
    ) -> tuple[ConversationRecord, str]:
        """Open a queued conversation; returns it and the visitor's bearer token. Starts asked
        for at once share a transaction (`GroupCommit`): a burst of visitors is not a disk sync
        each on the one writer."""
        conversation_id = new_id("c")
        data_key = new_data_key()
        cipher = ConversationCipher(conversation_id, data_key)
        self.ciphers.put(cipher)
        token = new_token()
        created_at = utcnow()
        await self._creates.submit(
            {
                "id": conversation_id,
                "organisation_id": organisation_id,
                "state": State.QUEUED.value,
                "priority": priority,
                "lang": lang,
                "created_at": created_at,
                "wrapped_key": self.ciphers.master.wrap(conversation_id, data_key),
                "key_id": self.ciphers.master.key_id,
                "nickname_ct": cipher.encrypt_field(nickname) if nickname else None,
                "visitor_token_hash": token_hash(token),
                "last_seq": 0,
                "visitor_read_seq": 0,
                "visitor_delivered_seq": 0,
                "counselor_read_seq": 0,
                "counselor_delivered_seq": 0,
                "return_code_id": return_code_id,
                "preferred_staff_id": preferred_staff_id,
            }
        )
        # What the row now holds, without reading it back (a read per start held the readers
        # up during a burst); tests/test_start_cost.py compares it with the stored row.
        record = ConversationRecord(
            id=conversation_id,
            organisation_id=organisation_id,
            state=State.QUEUED,
            priority=priority,
            lang=lang,
            created_at=created_at,
            accepted_at=None,
            ended_at=None,
            ended_by=None,
            counselor_id=None,
            counselor_name=None,
            nickname=nickname if nickname else None,
            last_seq=0,
            visitor_read_seq=0,
            visitor_delivered_seq=0,
            counselor_read_seq=0,
            counselor_delivered_seq=0,
            return_code_id=return_code_id,
            preferred_staff_id=preferred_staff_id,
        )
        return record, token

    async def _insert_all(self, rows: list[dict[str, Any]]) -> list[None]:
        async with self.db.writer.begin() as conn:
            await conn.execute(insert(conversations), rows)
        return [None] * len(rows)

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    _select_conversations().where(conversations.c.id == conversation_id)
                )
            ).first()
        return None if row is None else self._record(row)

    async def by_visitor_token(self, token: str) -> ConversationRecord | None:
        async with self.db.reader.connect() as conn:
            row = (await conn.execute(_BY_VISITOR_TOKEN, {"token_hash": token_hash(token)})).first()
        return None if row is None else self._record(row)

    async def queued(self) -> list[ConversationRecord]:
        return await self._in_states(State.QUEUED)

    async def unended(self) -> list[ConversationRecord]:
        """Every queued and active conversation, in one read."""
        return await self._in_states(State.QUEUED, State.ACTIVE)

    async def _in_states(self, *states: State) -> list[ConversationRecord]:
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    _select_conversations().where(
                        conversations.c.state.in_([state.value for state in states])
                    )
                )
            ).all()
        return [self._record(row) for row in rows]

    async def raise_queue_signals(
        self, conversation_id: str, acute: bool, points: int
    ) -> ConversationRecord | None:
        """Raise a waiting conversation's queue signals (issue 19, item 3) to at least these;
        they never fall while it waits. None when it no longer waits or nothing rose."""
        col = conversations.c
        rises = col.queue_signal_points < points
        if acute:
            rises = or_(rises, col.queue_acute.is_(False))
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(conversations)
                .where(and_(col.id == conversation_id, col.state == State.QUEUED.value, rises))
                .values(
                    queue_acute=or_(col.queue_acute, literal(acute)),
                    queue_signal_points=case(
                        (col.queue_signal_points < points, points),
                        else_=col.queue_signal_points,
                    ),
                )
            )
            if result.rowcount != 1:
                return None
        return await self.get(conversation_id)

    async def recent_accepts(
        self, window: timedelta = ESTIMATE_WINDOW
    ) -> list[tuple[str, datetime]]:
        """(organisation, accepted at) of the chats taken within the window, oldest first."""
        since = utcnow() - window
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(conversations.c.organisation_id, conversations.c.accepted_at).where(
                        conversations.c.accepted_at >= since
                    )
                )
            ).all()
        return sorted(
            ((row.organisation_id, as_utc(row.accepted_at)) for row in rows), key=lambda p: p[1]
        )

    async def active_for(self, staff_id: str) -> list[ConversationRecord]:
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    _select_conversations()
                    .where(
                        and_(
                            conversations.c.counselor_id == staff_id,
                            conversations.c.state == State.ACTIVE.value,
                        )
                    )
                    .order_by(conversations.c.accepted_at)
                )
            ).all()
        return [self._record(row) for row in rows]

    async def _append_event(
        self,
        conn: AsyncConnection,
        conversation_id: str,
        event: str,
        staff_id: str | None,
        name: str | None,
    ) -> StoredMessage:
        """Add a system line to the transcript inside the caller's transaction."""
        row = (
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(last_seq=conversations.c.last_seq + 1)
                .returning(conversations.c.last_seq, conversations.c.wrapped_key)
            )
        ).one()
        seq = int(row.last_seq)
        sent_at = now_ms()
        body = self.cipher(conversation_id, row.wrapped_key).encrypt(seq, "")
        await conn.execute(
            insert(messages).values(
                conversation_id=conversation_id,
                seq=seq,
                author="system",
                sender=Sender.SYSTEM.value,
                staff_id=staff_id,
                client_msg_id=None,
                event=event,
                body=body,
                sent_at_ms=sent_at,
            )
        )
        return StoredMessage(
            conversation_id=conversation_id,
            seq=seq,
            author="system",
            sender=Sender.SYSTEM,
            staff_id=staff_id,
            name=name,
            client_msg_id=None,
            event=event,
            text="",
            sent_at_ms=sent_at,
        )

    async def accept(
        self, conversation_id: str, staff_id: str, display_name: str, max_chats: int
    ) -> Transition:
        """Give a waiting conversation to a counselor. Exactly one of simultaneous accepts wins."""
        now = utcnow()
        async with self.db.writer.begin() as conn:
            # The staff row lock serialises one counselor's accepts on PostgreSQL (SQLite has
            # a single writer anyway), so the capacity check cannot be raced.
            await conn.execute(select(staff.c.id).where(staff.c.id == staff_id).with_for_update())
            active = await conn.scalar(
                select(func.count())
                .select_from(conversations)
                .where(
                    and_(
                        conversations.c.counselor_id == staff_id,
                        conversations.c.state == State.ACTIVE.value,
                    )
                )
            )
            if (active or 0) >= max_chats:
                raise AtCapacity()
            result = await conn.execute(
                _move(Move.ACCEPT, conversation_id).values(
                    counselor_id=staff_id, accepted_at=now, **_NO_QUEUE_SIGNALS
                )
            )
            if result.rowcount != 1:
                raise NotQueued()
            await _join(conn, conversation_id, staff_id, now)
            event = await self._append_event(
                conn, conversation_id, EVENT_ACCEPTED, staff_id, display_name
            )
        record = await self.get(conversation_id)
        assert record is not None
        return Transition(record, event)

    async def end(
        self,
        conversation_id: str,
        ended_by: EndedBy,
        staff_id: str | None = None,
        display_name: str | None = None,
        end_reason: str | None = None,
        event_code: str | None = None,
    ) -> Transition | None:
        """End a conversation; None when it had already ended (ending twice changes nothing)."""
        now = utcnow()
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                _move(Move.END, conversation_id).values(
                    ended_at=now,
                    ended_by=ended_by.value,
                    end_reason=end_reason,
                    # The visitor's token dies with the chat: a found phone cannot reopen it.
                    visitor_token_hash=None,
                    **_NO_QUEUE_SIGNALS,
                )
            )
            if result.rowcount != 1:
                return None
            await conn.execute(
                update(participants)
                .where(
                    and_(
                        participants.c.conversation_id == conversation_id,
                        participants.c.left_at.is_(None),
                    )
                )
                .values(left_at=now)
            )
            event = await self._append_event(
                conn, conversation_id, event_code or ended_event(ended_by), staff_id, display_name
            )
        record = await self.get(conversation_id)
        assert record is not None
        return Transition(record, event)

    # --- presence and liveness (issue 15, realtime/timeouts.py) ------------------------------

    async def mark_visitors_seen(self, conversation_ids: list[str], at: datetime) -> None:
        for start in range(0, len(conversation_ids), _SEEN_BATCH):
            chunk = conversation_ids[start : start + _SEEN_BATCH]
            async with self.db.writer.begin() as conn:
                if not self.db.is_sqlite:
                    # Row locks first, in id order as the message writer and the receipts take
                    # them: an UPDATE … IN (…) locks in the order its plan reads the table, and
                    # against a message batch that deadlocked under load (PostgreSQL waits a
                    # second, then refuses one side). "C": the byte order Python's sort uses.
                    await conn.execute(
                        select(conversations.c.id)
                        .where(conversations.c.id.in_(chunk))
                        .order_by(conversations.c.id.collate("C"))
                        .with_for_update()
                    )
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id.in_(chunk))
                    .values(visitor_seen_at=at)
                )

    async def queued_unseen_since(self, cutoff: datetime) -> list[str]:
        """Waiting conversations whose visitor was last seen (or, never seen, started) before."""
        seen = func.coalesce(conversations.c.visitor_seen_at, conversations.c.created_at)
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(conversations.c.id).where(
                        and_(conversations.c.state == State.QUEUED.value, seen < cutoff)
                    )
                )
            ).all()
        return [row.id for row in rows]

    async def active_liveness(self, due: tuple[datetime, datetime] | None = None) -> list[Liveness]:
        """Per active conversation: since when it is active, when its visitor was last seen,
        when a person last wrote, and the event of its last line (all without decrypting).

        ``due`` = (seen by, spoke by): only chats whose visitor was last seen (or whose last
        words were) no later than that, the ones a warning or a timeout can be due for. The
        database leaves out the rest, so a sweep over 1,000 lively chats hands the event loop
        none of them (a sweep's rows held the chat up, issue 15)."""
        # The newest person's line, walking the (conversation_id, seq) key backwards: it stops at
        # the first one instead of reading the whole transcript as max(sent_at_ms) did, so the
        # sweep's cost does not grow with the chats' length (bench/timeout_sweep.py, issue 15).
        last_words = (
            select(messages.c.sent_at_ms)
            .where(
                and_(
                    messages.c.conversation_id == conversations.c.id,
                    messages.c.sender != Sender.SYSTEM.value,
                )
            )
            .order_by(messages.c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        last_event = (
            select(messages.c.event)
            .where(messages.c.conversation_id == conversations.c.id)
            .order_by(messages.c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        maybe_due = []
        if due is not None:
            seen_by, spoke_by = due
            since = func.coalesce(conversations.c.accepted_at, conversations.c.created_at)
            maybe_due.append(
                or_(
                    and_(
                        since <= seen_by,
                        func.coalesce(conversations.c.visitor_seen_at, since) <= seen_by,
                    ),
                    and_(
                        since <= spoke_by,
                        func.coalesce(last_words, 0) <= int(spoke_by.timestamp() * 1000),
                    ),
                )
            )
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        conversations.c.id,
                        conversations.c.accepted_at,
                        conversations.c.created_at,
                        conversations.c.visitor_seen_at,
                        last_words.label("last_words_ms"),
                        last_event.label("last_event"),
                    ).where(and_(conversations.c.state == State.ACTIVE.value, *maybe_due))
                )
            ).all()
        return [
            Liveness(
                conversation_id=row.id,
                since=as_utc(row.accepted_at or row.created_at),
                visitor_seen_at=as_utc(row.visitor_seen_at) if row.visitor_seen_at else None,
                last_words_ms=row.last_words_ms,
                last_event=row.last_event,
            )
            for row in rows
        ]

    async def add_event(
        self,
        conversation_id: str,
        event_code: str,
        staff_id: str | None = None,
        name: str | None = None,
    ) -> StoredMessage | None:
        """A system line in an active chat (issue 15: the timeout warning; issue 17: a partner
        joined or left, with their ``staff_id`` and ``name``); None when the chat is no longer
        active."""
        async with self.db.writer.begin() as conn:
            state = await conn.scalar(
                select(conversations.c.state).where(conversations.c.id == conversation_id)
            )
            if state != State.ACTIVE.value:
                return None
            return await self._append_event(conn, conversation_id, event_code, staff_id, name)

    # --- handing a chat on (counselor tools, issue 3) ------------------------------------------

    async def transfer(
        self,
        conversation_id: str,
        from_staff_id: str,
        to_staff_id: str,
        to_name: str,
        max_chats: int,
    ) -> Transition:
        """Hand an active chat from one counselor to another, in one transaction.

        Locked like accept: the target's staff row serialises everything that adds a chat to
        them, so two transfers (or a transfer and an accept) cannot both fill their last place;
        the conditional UPDATE makes a transfer and a requeue/end/another transfer of the same
        chat exclusive — exactly one of them changes it.
        """
        now = utcnow()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                select(staff.c.id).where(staff.c.id == to_staff_id).with_for_update()
            )
            if await _active_count(conn, to_staff_id) >= max_chats:
                raise AtCapacity()
            result = await conn.execute(
                _move(Move.TRANSFER, conversation_id, holder=from_staff_id).values(
                    counselor_id=to_staff_id
                )
            )
            if result.rowcount != 1:
                raise NotHeld()
            await _leave(conn, conversation_id, from_staff_id, now)
            await _join(conn, conversation_id, to_staff_id, now)
            event = await self._append_event(
                conn, conversation_id, EVENT_TRANSFERRED, to_staff_id, to_name
            )
        record = await self.get(conversation_id)
        assert record is not None
        return Transition(record, event)

    async def requeue(self, conversation_id: str, from_staff_id: str, from_name: str) -> Transition:
        """Put an active chat back in the queue (cold transfer).

        It keeps its priority and its arrival time, so it goes back to the place it had: the
        visitor already waited once and is not sent to the back. It is no longer held for the
        counselor who gave it back.
        """
        now = utcnow()
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                _move(Move.REQUEUE, conversation_id, holder=from_staff_id).values(
                    counselor_id=None,
                    accepted_at=None,
                    preferred_staff_id=None,
                )
            )
            if result.rowcount != 1:
                raise NotHeld()
            await _leave(conn, conversation_id, from_staff_id, now)
            event = await self._append_event(
                conn, conversation_id, EVENT_REQUEUED, from_staff_id, from_name
            )
        record = await self.get(conversation_id)
        assert record is not None
        return Transition(record, event)

    async def active_counts(self, staff_ids: Sequence[str]) -> dict[str, int]:
        """Open chats per counselor (the load shown when choosing whom to hand a chat to)."""
        if not staff_ids:
            return {}
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(conversations.c.counselor_id, func.count())
                    .where(
                        and_(
                            conversations.c.counselor_id.in_(list(staff_ids)),
                            conversations.c.state == State.ACTIVE.value,
                        )
                    )
                    .group_by(conversations.c.counselor_id)
                )
            ).all()
        return {str(row[0]): int(row[1]) for row in rows}

    async def set_end_reason(self, conversation_id: str, reason: str) -> bool:
        """Record why an ended chat ended (the visitor may have left before the counselor could)."""
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(conversations)
                .where(
                    and_(
                        conversations.c.id == conversation_id,
                        conversations.c.state == State.ENDED.value,
                    )
                )
                .values(end_reason=reason)
            )
        return bool(result.rowcount == 1)

    async def end_reason(self, conversation_id: str) -> str | None:
        async with self.db.reader.connect() as conn:
            found: str | None = await conn.scalar(
                select(conversations.c.end_reason).where(conversations.c.id == conversation_id)
            )
        return found

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int = PAGE_SIZE
    ) -> list[StoredMessage]:
        async with self.db.reader.connect() as conn:
            key = await conn.scalar(
                select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
            )
            if not key:  # unknown, or its key destroyed by retention
                return []
            rows = (
                await conn.execute(
                    select(messages, staff.c.display_name)
                    .select_from(messages.outerjoin(staff, staff.c.id == messages.c.staff_id))
                    .where(
                        and_(
                            messages.c.conversation_id == conversation_id,
                            messages.c.seq > after_seq,
                        )
                    )
                    .order_by(messages.c.seq)
                    .limit(limit)
                )
            ).all()
        cipher = self.cipher(conversation_id, key)
        return [
            StoredMessage(
                conversation_id=conversation_id,
                seq=int(row.seq),
                author=row.author,
                sender=Sender(row.sender),
                staff_id=row.staff_id,
                name=row.display_name,
                client_msg_id=row.client_msg_id,
                event=row.event,
                text=cipher.decrypt(int(row.seq), row.body),
                sent_at_ms=int(row.sent_at_ms),
            )
            for row in rows
        ]

    async def save_receipts(self, updates: Sequence[tuple[str, str, int]]) -> None:
        """Raise read/delivered pointers; never lowers one. Items: (conversation, column, seq)."""
        if not updates:
            return
        by_conversation: dict[str, dict[str, object]] = {}
        for conversation_id, column_name, seq in updates:
            row = by_conversation.get(conversation_id)
            if row is None:
                row = by_conversation[conversation_id] = {"cid": conversation_id, **_NO_RECEIPT}
            key = f"new_{column_name}"
            row[key] = max(seq, cast(int, row[key]))
        # One statement for the lot (a statement per receipt was the busy chat's largest single
        # cost), one row per conversation, in id order: the message writer locks conversation
        # rows in that order too, and two transactions taking the same rows in different orders
        # deadlock on PostgreSQL.
        async with self.db.writer.begin() as conn:
            if not self.db.is_sqlite:
                # Receipts are best effort: they wait in memory for about a second before this
                # flush, and the chat's next receipt raises the same pointer past a lost one.
                # Not waiting for the WAL flush adds at most 3 × wal_writer_delay (0.6 s by
                # default) of them that a crash of PostgreSQL itself could lose, and lets go of
                # the conversation rows at once: message batches waited up to 55 ms on these
                # locks to reserve seqs under load (issue 21). Their commits stay durable: SET
                # LOCAL ends with this transaction.
                await conn.execute(_NO_SYNCHRONOUS_COMMIT)
            await conn.execute(
                _RAISE_RECEIPTS, [by_conversation[cid] for cid in sorted(by_conversation)]
            )


_NO_SYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit = off")


async def _active_count(conn: AsyncConnection, staff_id: str) -> int:
    active = await conn.scalar(
        select(func.count())
        .select_from(conversations)
        .where(
            and_(
                conversations.c.counselor_id == staff_id,
                conversations.c.state == State.ACTIVE.value,
            )
        )
    )
    return int(active or 0)


async def _join(conn: AsyncConnection, conversation_id: str, staff_id: str, now: datetime) -> None:
    """Add a counselor to the participants; one who comes back (requeue, transfer) rejoins."""
    rejoined = await conn.execute(
        update(participants)
        .where(
            and_(
                participants.c.conversation_id == conversation_id,
                participants.c.staff_id == staff_id,
            )
        )
        .values(joined_at=now, left_at=None, role="counselor")
    )
    if rejoined.rowcount == 0:
        await conn.execute(
            insert(participants).values(
                conversation_id=conversation_id, staff_id=staff_id, role="counselor", joined_at=now
            )
        )


async def _leave(conn: AsyncConnection, conversation_id: str, staff_id: str, now: datetime) -> None:
    await conn.execute(
        update(participants)
        .where(
            and_(
                participants.c.conversation_id == conversation_id,
                participants.c.staff_id == staff_id,
                participants.c.left_at.is_(None),
            )
        )
        .values(left_at=now)
    )


RECEIPT_COLUMNS = {
    ("visitor", "read"): "visitor_read_seq",
    ("visitor", "delivered"): "visitor_delivered_seq",
    ("counselor", "read"): "counselor_read_seq",
    ("counselor", "delivered"): "counselor_delivered_seq",
}

# 0 for a pointer a batch does not raise: no pointer is below it.
_NO_RECEIPT = {f"new_{column_name}": 0 for column_name in RECEIPT_COLUMNS.values()}
_RAISE_RECEIPTS = (
    update(conversations)
    .where(conversations.c.id == bindparam("cid"))
    .values(
        {
            column_name: case(
                (
                    conversations.c[column_name] < bindparam(f"new_{column_name}", BigInteger),
                    bindparam(f"new_{column_name}", BigInteger),
                ),
                else_=conversations.c[column_name],
            )
            for column_name in RECEIPT_COLUMNS.values()
        }
    )
)
