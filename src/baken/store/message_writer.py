"""Group commit: one task stores all concurrently sent messages in a single transaction.

Per message the costly parts are the transaction and the fsync, not the insert. Collecting whatever
has arrived while the previous batch committed turns N commits into one, which keeps latency low
under load and costs nothing when idle (a lone message is committed at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosqlite
from sqlalchemy import ARRAY, String, and_, any_, bindparam, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from baken.domain.conversation import Sender, State
from baken.store import sqlite_batch
from baken.store.clock import now_ms
from baken.store.conversation_repo import ConversationRepository
from baken.store.records import StoredMessage
from baken.store.tables import conversations, messages

log = logging.getLogger(__name__)

MAX_BATCH = 512

# Resend lookup on PostgreSQL: the batch's keys as three arrays, joined to the unique index on
# (conversation_id, author, client_msg_id). A row-value IN of a full batch's 512 keys took
# PostgreSQL 118–191 ms to plan, at every batch (each batch size was a statement of its own),
# against 1.4 ms for this join, which has one shape whatever the batch holds. SQLite joins a
# VALUES list of the keys instead (store/sqlite_batch.py).
_EXISTING = text(
    "SELECT m.conversation_id, m.author, m.client_msg_id, m.seq, m.sent_at_ms"
    " FROM unnest(CAST(:conversation_ids AS VARCHAR[]), CAST(:authors AS VARCHAR[]),"
    " CAST(:client_msg_ids AS VARCHAR[])) AS k(conversation_id, author, client_msg_id)"
    " JOIN messages AS m ON m.conversation_id = k.conversation_id AND m.author = k.author"
    " AND m.client_msg_id = k.client_msg_id"
)
_RESERVE_SEQS = (
    update(conversations)
    .where(
        and_(
            conversations.c.id == bindparam("cid"),
            conversations.c.state != State.ENDED.value,
        )
    )
    .values(last_seq=conversations.c.last_seq + bindparam("n"))
)
# One array, not an expanding IN: one statement shape for every batch size.
_RESERVED = select(
    conversations.c.id, conversations.c.state, conversations.c.last_seq, conversations.c.wrapped_key
).where(conversations.c.id == any_(bindparam("ids", type_=ARRAY(String))))


class WriteRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class PendingMessage:
    conversation_id: str
    author: str
    sender: Sender
    staff_id: str | None
    name: str | None
    client_msg_id: str
    text: str
    future: asyncio.Future[tuple[StoredMessage, bool]] = field(repr=False)


# Called after each committed batch with the newly stored messages, in seq order per conversation.
Committed = Callable[[list[StoredMessage]], None]


class MessageWriter:
    def __init__(self, repo: ConversationRepository, on_committed: Committed) -> None:
        self.repo = repo
        self.on_committed = on_committed
        self._queue: asyncio.Queue[PendingMessage] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.stored = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="baken-message-writer")

    async def stop(self) -> None:
        if self._task is None:
            return
        # Let queued messages finish: they may already be promised to a waiting client.
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def submit(
        self,
        conversation_id: str,
        author: str,
        sender: Sender,
        staff_id: str | None,
        name: str | None,
        client_msg_id: str,
        text: str,
    ) -> asyncio.Future[tuple[StoredMessage, bool]]:
        """Queue one message. The future gives it once committed, and whether it was a resend.

        Queueing is synchronous, so messages a client sends in order get their seqs in that order.
        """
        future: asyncio.Future[tuple[StoredMessage, bool]] = (
            asyncio.get_running_loop().create_future()
        )
        self._queue.put_nowait(
            PendingMessage(
                conversation_id, author, sender, staff_id, name, client_msg_id, text, future
            )
        )
        return future

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_and_answer(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_and_answer(self, batch: list[PendingMessage]) -> None:
        try:
            stored = await self._commit(batch)
        except (SQLAlchemyError, sqlite3.Error):
            log.exception("message batch failed; %d senders told to retry", len(batch))
            self._fail(batch, WriteRejected("unavailable"))
            return
        except Exception as exc:  # never let one bad batch kill the writer
            log.exception("message batch failed unexpectedly")
            self._fail(batch, exc)
            return
        self.batches += 1
        self.stored += len(stored)
        if stored:
            # After the senders' ack callbacks, which the futures already scheduled: a sender
            # hears "stored" before anyone else is shown the message.
            asyncio.get_running_loop().call_soon(self.on_committed, stored)

    @staticmethod
    def _fail(batch: list[PendingMessage], error: Exception) -> None:
        for item in batch:
            if not item.future.done():
                item.future.set_exception(error)

    async def _commit(self, batch: list[PendingMessage]) -> list[StoredMessage]:
        plan = _Plan(batch)
        if self.repo.db.is_sqlite:
            await self._commit_sqlite(plan)
        else:
            await self._commit_core(plan)
        # Only now is everything durable: answer the senders.
        return plan.answer()

    async def _commit_sqlite(self, plan: _Plan) -> None:
        async with self.repo.db.writer.connect() as conn:
            raw = await conn.get_raw_connection()
            db = raw.driver_connection
            assert isinstance(db, aiosqlite.Connection)
            runs, counts = await sqlite_batch.in_thread(
                db, sqlite_batch.reserve, plan.keys(), plan.take_existing
            )
            try:
                rows = plan.seal(self.repo, _reserved(runs, counts))
            except BaseException:
                await sqlite_batch.in_thread(db, sqlite_batch.rollback)
                raise
            await sqlite_batch.in_thread(
                db, sqlite_batch.insert_and_commit, [tuple(row.values()) for row in rows]
            )

    async def _commit_core(self, plan: _Plan) -> None:
        async with self.repo.db.writer.begin() as conn:
            keys = plan.keys()
            rows = (
                await conn.execute(
                    _EXISTING,
                    {
                        "conversation_ids": [k[0] for k in keys],
                        "authors": [k[1] for k in keys],
                        "client_msg_ids": [k[2] for k in keys],
                    },
                )
            ).all()
            counts = plan.take_existing(
                [(r.conversation_id, r.author, r.client_msg_id, r.seq, r.sent_at_ms) for r in rows]
            )
            # The statements keep one shape whatever the batch holds: a shape per batch (a CASE
            # with one WHEN per conversation) was compiled anew each time and filled SQLAlchemy's
            # statement cache, and the garbage collector then paused the server for hundreds of
            # milliseconds.
            runs: list[tuple[str, str, int, bytes]] = []
            if counts:
                # In id order, as every writer of many conversation rows locks them: two
                # transactions taking the same rows in different orders deadlock on PostgreSQL.
                await conn.execute(
                    _RESERVE_SEQS, [{"cid": cid, "n": counts[cid]} for cid in sorted(counts)]
                )
                # The rows just updated stay locked by this transaction, so last_seq read back
                # is exactly what this batch reserved.
                runs = [
                    (r.id, r.state, int(r.last_seq), r.wrapped_key)
                    for r in (await conn.execute(_RESERVED, {"ids": list(counts)})).all()
                ]
            rows_to_insert = plan.seal(self.repo, _reserved(runs, counts))
            if rows_to_insert:
                await conn.execute(insert(messages), rows_to_insert)


def _reserved(
    runs: list[tuple[str, str, int, bytes]], counts: dict[str, int]
) -> dict[str, tuple[int, bytes]]:
    """First reserved seq and wrapped key per conversation; ended chats get none."""
    reserved: dict[str, tuple[int, bytes]] = {}
    for cid, state, last_seq, wrapped_key in runs:
        if state == State.ENDED.value:
            continue
        reserved[cid] = (int(last_seq) - counts[cid] + 1, wrapped_key)
    return reserved


class _Plan:
    """One batch's bookkeeping, the same for both engines: which messages are resends (of a
    stored message, or of a twin in the same batch), which need a seq, and the answers."""

    def __init__(self, batch: list[PendingMessage]) -> None:
        self.batch = batch
        self.key_set = {(m.conversation_id, m.author, m.client_msg_id) for m in batch}
        self.results: dict[int, tuple[StoredMessage, bool]] = {}
        self.rejected: dict[int, str] = {}
        self.fresh: list[int] = []
        self.seen_in_batch: dict[tuple[str, str, str], int] = {}

    def keys(self) -> list[tuple[str, str, str]]:
        return list(self.key_set)

    def take_existing(self, existing_rows: list[tuple[str, str, str, int, int]]) -> dict[str, int]:
        """Note the resends among stored rows (a lookup may return more than the batch's own
        keys); returns how many new seqs each conversation needs. Pure bookkeeping: on SQLite it
        runs in the database thread, inside the transaction."""
        existing: dict[tuple[str, str, str], StoredMessage] = {}
        for conversation_id, author, client_msg_id, seq, sent_at_ms in existing_rows:
            if (conversation_id, author, client_msg_id) not in self.key_set:
                continue
            existing[(conversation_id, author, client_msg_id)] = StoredMessage(
                conversation_id=conversation_id,
                seq=int(seq),
                author=author,
                sender=Sender.VISITOR,
                staff_id=None,
                name=None,
                client_msg_id=client_msg_id,
                event=None,
                text="",
                sent_at_ms=int(sent_at_ms),
            )
        counts: dict[str, int] = {}
        for index, item in enumerate(self.batch):
            key = (item.conversation_id, item.author, item.client_msg_id)
            if key in existing:
                self.results[index] = (existing[key], True)
            elif key in self.seen_in_batch:
                continue  # resolved in answer(), after its twin gets a seq
            else:
                self.seen_in_batch[key] = index
                self.fresh.append(index)
                counts[item.conversation_id] = counts.get(item.conversation_id, 0) + 1
        return counts

    def seal(
        self, repo: ConversationRepository, reserved: dict[str, tuple[int, bytes]]
    ) -> list[dict[str, object]]:
        """Give each new message its seq and encrypt it with the seq in the associated data;
        returns the rows to insert, in the messages table's column order."""
        sent_at = now_ms()
        next_seq = {cid: first for cid, (first, _) in reserved.items()}
        rows: list[dict[str, object]] = []
        for index in self.fresh:
            item = self.batch[index]
            if item.conversation_id not in reserved:
                self.rejected[index] = "conversation_ended"
                continue
            seq = next_seq[item.conversation_id]
            next_seq[item.conversation_id] = seq + 1
            cipher = repo.cipher(item.conversation_id, reserved[item.conversation_id][1])
            rows.append(
                {
                    "conversation_id": item.conversation_id,
                    "seq": seq,
                    "author": item.author,
                    "sender": item.sender.value,
                    "staff_id": item.staff_id,
                    "client_msg_id": item.client_msg_id,
                    "event": None,
                    "body": cipher.encrypt(seq, item.text),
                    "sent_at_ms": sent_at,
                }
            )
            self.results[index] = (
                StoredMessage(
                    conversation_id=item.conversation_id,
                    seq=seq,
                    author=item.author,
                    sender=item.sender,
                    staff_id=item.staff_id,
                    name=item.name,
                    client_msg_id=item.client_msg_id,
                    event=None,
                    text=item.text,
                    sent_at_ms=sent_at,
                ),
                False,
            )
        return rows

    def answer(self) -> list[StoredMessage]:
        """Resolve every sender's future (after COMMIT); returns the newly stored messages."""
        stored: list[StoredMessage] = []
        for index, item in enumerate(self.batch):
            if item.future.done():
                continue
            if index in self.rejected:
                item.future.set_exception(WriteRejected(self.rejected[index]))
            elif index in self.results:
                message, duplicate = self.results[index]
                if not duplicate:
                    stored.append(message)
                item.future.set_result((message, duplicate))
            else:
                twin = self.seen_in_batch[(item.conversation_id, item.author, item.client_msg_id)]
                if twin in self.results:
                    item.future.set_result((self.results[twin][0], True))
                else:
                    item.future.set_exception(WriteRejected(self.rejected.get(twin, "unavailable")))
        return stored
