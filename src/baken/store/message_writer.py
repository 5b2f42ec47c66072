"""Group commit: one task stores all concurrently sent messages in a single transaction.

Per message the costly parts are the transaction and the fsync, not the insert. Collecting whatever
has arrived while the previous batch committed turns N commits into one, which keeps latency low
under load and costs nothing when idle (a lone message is committed at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, insert, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from baken.domain.conversation import Sender, State
from baken.store.clock import now_ms
from baken.store.conversation_repo import ConversationRepository
from baken.store.records import StoredMessage
from baken.store.tables import conversations, messages

log = logging.getLogger(__name__)

MAX_BATCH = 512

# Resend lookup. Each engine gets the form its planner turns into index lookups on
# (conversation_id, author, client_msg_id): SQLite scans the whole table for a row-value IN but not
# for two IN lists; PostgreSQL does the opposite once a batch spans dozens of conversations.
_EXISTING = select(
    messages.c.conversation_id,
    messages.c.author,
    messages.c.client_msg_id,
    messages.c.seq,
    messages.c.sent_at_ms,
)
_MESSAGE_KEY = tuple_(messages.c.conversation_id, messages.c.author, messages.c.client_msg_id)
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
_RESERVED = select(
    conversations.c.id, conversations.c.state, conversations.c.last_seq, conversations.c.wrapped_key
).where(conversations.c.id.in_(bindparam("ids", expanding=True)))


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
        except SQLAlchemyError:
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
        results: dict[int, tuple[StoredMessage, bool]] = {}
        rejected: dict[int, str] = {}
        async with self.repo.db.writer.begin() as conn:
            # 1. Resends: a client_msg_id already stored answers with the original message.
            keys = {(m.conversation_id, m.author, m.client_msg_id) for m in batch}
            existing: dict[tuple[str, str, str], StoredMessage] = {}
            if self.repo.db.is_sqlite:
                lookup = _EXISTING.where(
                    and_(
                        messages.c.conversation_id.in_({c for c, _, _ in keys}),
                        messages.c.client_msg_id.in_({k for _, _, k in keys}),
                    )
                )
            else:
                lookup = _EXISTING.where(_MESSAGE_KEY.in_(list(keys)))
            rows = (await conn.execute(lookup)).all()
            rows = [r for r in rows if (r.conversation_id, r.author, r.client_msg_id) in keys]
            for row in rows:
                existing[(row.conversation_id, row.author, row.client_msg_id)] = StoredMessage(
                    conversation_id=row.conversation_id,
                    seq=int(row.seq),
                    author=row.author,
                    sender=Sender.VISITOR,
                    staff_id=None,
                    name=None,
                    client_msg_id=row.client_msg_id,
                    event=None,
                    text="",
                    sent_at_ms=int(row.sent_at_ms),
                )
            fresh: list[int] = []
            seen_in_batch: dict[tuple[str, str, str], int] = {}
            for index, item in enumerate(batch):
                key = (item.conversation_id, item.author, item.client_msg_id)
                if key in existing:
                    results[index] = (existing[key], True)
                elif key in seen_in_batch:
                    continue  # resolved below, after its twin gets a seq
                else:
                    seen_in_batch[key] = index
                    fresh.append(index)

            # 2. Reserve a run of seqs per conversation; ended chats get none. The statements keep
            # one shape whatever the batch holds: a shape per batch (a CASE with one WHEN per
            # conversation) was compiled anew each time and filled SQLAlchemy's statement cache,
            # and the garbage collector then paused the server for hundreds of milliseconds.
            counts: dict[str, int] = {}
            for index in fresh:
                cid = batch[index].conversation_id
                counts[cid] = counts.get(cid, 0) + 1
            reserved: dict[str, tuple[int, bytes]] = {}
            if counts:
                await conn.execute(
                    _RESERVE_SEQS, [{"cid": cid, "n": n} for cid, n in counts.items()]
                )
                # The rows just updated stay locked by this transaction (and SQLite has a single
                # writer), so last_seq read back is exactly what this batch reserved.
                runs = (await conn.execute(_RESERVED, {"ids": list(counts)})).all()
                for run in runs:
                    if run.state == State.ENDED.value:
                        continue
                    first_seq = int(run.last_seq) - counts[run.id] + 1
                    reserved[run.id] = (first_seq, run.wrapped_key)

            # 3. Encrypt with seq in the associated data, then insert all rows at once.
            sent_at = now_ms()
            next_seq = {cid: first for cid, (first, _) in reserved.items()}
            rows_to_insert = []
            for index in fresh:
                item = batch[index]
                if item.conversation_id not in reserved:
                    rejected[index] = "conversation_ended"
                    continue
                seq = next_seq[item.conversation_id]
                next_seq[item.conversation_id] = seq + 1
                cipher = self.repo.cipher(item.conversation_id, reserved[item.conversation_id][1])
                rows_to_insert.append(
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
                results[index] = (
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
            if rows_to_insert:
                await conn.execute(insert(messages), rows_to_insert)

        # Only now is everything durable: answer the senders.
        stored: list[StoredMessage] = []
        for index, item in enumerate(batch):
            if item.future.done():
                continue
            if index in rejected:
                item.future.set_exception(WriteRejected(rejected[index]))
            elif index in results:
                message, duplicate = results[index]
                if not duplicate:
                    stored.append(message)
                item.future.set_result((message, duplicate))
            else:
                twin = seen_in_batch[(item.conversation_id, item.author, item.client_msg_id)]
                if twin in results:
                    item.future.set_result((results[twin][0], True))
                else:
                    item.future.set_exception(WriteRejected(rejected.get(twin, "unavailable")))
        return stored
