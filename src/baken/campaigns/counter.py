"""Counting campaign visits, starts and answers in memory, written to the database in batches.

A visit must not cost a database write: every count is added to a dictionary in this process, and
a task adds the whole dictionary to the stored totals every few seconds (``repository.add_counts``,
safe when several processes write the same row). What is lost when a process dies is at most the
counts of its last few seconds.

"Answered" needs to know which campaign a chat came from when a counselor takes it, and nothing
about that link may be stored. So the process that started the chat keeps it in memory
(``_pending``: conversation id → organisation, day, code) until the chat is taken or ends, and is
told of both by the hub, which hears every change of a conversation — also one made in another
process, through the broker. A restart forgets the links: chats started before it and answered
after it are counted as started but not as answered (docs/reach.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import date, datetime

from baken.campaigns.codes import UNKNOWN, local_day
from baken.campaigns.repository import Key, Tally, add_counts
from baken.domain.conversation import State
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.records import ConversationRecord

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
# Distinct codes one process counts per organisation and day; any further code is counted as
# "unknown". Anyone can type /c/<anything>: without a bound, a script inventing codes would add a
# row per code to the database.
MAX_CODES_PER_DAY = 200
# Chats waiting for an answer that this process remembers the campaign of; the oldest are
# forgotten first (they then count as started, never as answered).
MAX_PENDING = 50_000
# A failed write keeps its counts for the next try, up to this many rows.
MAX_UNWRITTEN = 100_000

_VISIT = Tally(visits=1)
_STARTED = Tally(started=1)
_ANSWERED = Tally(answered=1)


class CampaignCounter:
    def __init__(self, db: Database, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.db = db
        self.flush_seconds = flush_seconds
        self._counts: dict[Key, Tally] = {}
        self._codes: dict[tuple[str, date], set[str]] = {}
        self._pending: OrderedDict[str, Key] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # --- counting (synchronous: called from request handlers and broker events) ----------------

    def visit(self, organisation_id: str, code: str, at: datetime | None = None) -> None:
        self._add(self._key(organisation_id, code, at), _VISIT)

    def started(
        self, organisation_id: str, code: str, conversation_id: str, at: datetime | None = None
    ) -> None:
        key = self._key(organisation_id, code, at)
        self._add(key, _STARTED)
        self._pending[conversation_id] = key
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)

    def on_conversation(self, record: ConversationRecord) -> None:
        """The hub's listener: a remembered chat that was taken counts as answered (on the day it
        started, so that a day's answered never exceeds its started); one that ended untaken is
        forgotten."""
        if record.id not in self._pending:
            return
        if record.state is State.ACTIVE or record.accepted_at is not None:
            self._add(self._pending.pop(record.id), _ANSWERED)
        elif record.state is State.ENDED:
            del self._pending[record.id]

    def _key(self, organisation_id: str, code: str, at: datetime | None) -> Key:
        day = local_day(at or utcnow())
        seen = self._codes.get((organisation_id, day))
        if seen is None:
            # A new day: yesterday's sets are no longer needed.
            self._codes = {k: v for k, v in self._codes.items() if k[1] >= day}
            seen = self._codes[(organisation_id, day)] = set()
        if code not in seen:
            if len(seen) >= MAX_CODES_PER_DAY:
                code = UNKNOWN
            else:
                seen.add(code)
        return (organisation_id, day, code)

    def _add(self, key: Key, tally: Tally) -> None:
        current = self._counts.get(key)
        self._counts[key] = tally if current is None else current + tally

    # --- writing --------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Add what was counted since the last flush to the stored totals."""
        async with self._lock:
            batch, self._counts = self._counts, {}
            if not batch:
                return
            try:
                await add_counts(self.db, batch)
            except Exception as exc:
                # Kept for the next try (unless far too much piled up): a database that is away
                # for a minute must not lose the minute's counts.
                log.warning("campaign counts not written yet: %s", type(exc).__name__)
                if len(batch) + len(self._counts) <= MAX_UNWRITTEN:
                    for key, tally in batch.items():
                        self._add(key, tally)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flush_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            await self.flush()
