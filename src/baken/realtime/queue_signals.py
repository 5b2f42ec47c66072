"""The risk-ranked queue (issue 19, item 3; docs/signals.md, "The risk-ranked queue").

A waiting visitor may write before a counselor is free. The process that stored such a message
reads the first few (seq 1 to FIRST_MESSAGES_READ) with the detector, in a later turn of the
event loop (the ack and the fan-out never wait for it). When the detections raise the visitor's
queue signals (a flag for possible acute danger, a few capped points for other indicators), the
conversation row is updated and its record published like any change of a conversation: every
process then computes the same queue order from the same record (hub.py, domain/queue.py), also
after a restart. No labels, no words, nothing logged: two numbers, cleared when the chat is taken.
"""

from __future__ import annotations

import asyncio
import logging
import time

from baken.domain.conversation import Sender, State
from baken.domain.queue import FIRST_MESSAGES_READ, SignalRank, signal_rank
from baken.domain.rate import TokenBucket
from baken.realtime import wire
from baken.realtime.live import Live
from baken.signals import UnknownLanguage, detect, warm_up
from baken.store.records import StoredMessage

log = logging.getLogger(__name__)

# At most FIRST_MESSAGES_READ messages of up to BAKEN_MAX_MESSAGE_CHARS per waiting visitor are
# read; this bounds the whole process as well (about a thirtieth of a core, see signals_push.py).
CHARS_PER_SECOND = 50_000


class QueueSignals:
    def __init__(self, live: Live) -> None:
        self.live = live
        self.read = 0  # messages read, for tests and metrics; counts only
        self.raised = 0  # conversations whose queue signals rose
        self.skipped = 0  # messages left unread because the budget was spent
        self.budget = TokenBucket(CHARS_PER_SECOND, 2 * CHARS_PER_SECOND)
        self._tasks: set[asyncio.Task[None]] = set()
        # Only the process that stored a message hears `message_committed` (the others get it
        # as `message`): so each message is read exactly once.
        live.broker.on(wire.MessageCommitted, self.on_committed)
        warm_up()

    def on_committed(self, event: wire.MessageCommitted) -> None:
        message = event["message"]
        if not _is_first_words(message):
            return
        record = self.live.hub.open.get(message.conversation_id)
        if record is None or record.state is not State.QUEUED:
            return
        asyncio.get_running_loop().call_soon(self._read, message)

    def _read(self, message: StoredMessage) -> None:
        record = self.live.hub.open.get(message.conversation_id)
        if record is None or record.state is not State.QUEUED:
            return
        if not self.budget.take(time.monotonic(), len(message.text)):
            self.skipped += 1
            return  # under a flood the queue stays in arrival order: never worse than before
        try:
            found = detect(message.text, record.lang)
        except UnknownLanguage:
            return
        except Exception:  # a detector bug must never cost the chat anything
            log.exception("indicator detection for the queue failed; the message was delivered")
            return
        self.read += 1
        current = SignalRank(record.queue_acute, record.queue_signal_points)
        rank = current.raised_by(signal_rank(found.labels))
        if rank == current:
            return
        task = asyncio.get_running_loop().create_task(self._raise(message.conversation_id, rank))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _raise(self, conversation_id: str, rank: SignalRank) -> None:
        try:
            record = await self.live.repo.raise_queue_signals(
                conversation_id, rank.acute, rank.points
            )
        except Exception:
            log.exception("storing a waiting visitor's queue signals failed; the order stays")
            return
        if record is not None:
            self.raised += 1
            self.live.broker.publish({"kind": "conversation", "record": record})

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _is_first_words(message: StoredMessage) -> bool:
    return (
        message.sender is Sender.VISITOR
        and message.event is None
        and bool(message.text)
        and message.seq <= FIRST_MESSAGES_READ
    )
