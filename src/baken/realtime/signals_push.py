"""Indicator detections for the counselor of a chat (issue 19, item 2; docs/protocol.md).

Each visitor message that reaches this process's hub is read by the detector (baken.signals)
once the message itself went out, in a later turn of the event loop: the sender's ack and the
fan-out never wait for it. A `signals` frame goes to the sockets of the conversation's own
counselor on this process, and only when something was found. Never to the visitor, never to
other staff, never stored, never logged: the detection lives as long as the frame.
"""

from __future__ import annotations

import asyncio
import logging
import time

from baken.domain.conversation import EVENT_ACCEPTED, Sender, State
from baken.domain.rate import TokenBucket
from baken.realtime import wire
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.hub import Hub
from baken.signals import UnknownLanguage, detect, warm_up
from baken.store.records import ConversationRecord, StoredMessage

log = logging.getLogger(__name__)

# Reading costs about 0.7 µs per character (docs/signals.md): this bounds the detector to roughly
# a seventh of a core per process, whatever visitors send; beyond it a message is not read.
CHARS_PER_SECOND = 200_000
# Issue 19, item 3: what a visitor wrote while waiting is read when a counselor takes the chat
# (at most this many messages from the start, up to the `accepted` line).
WAITING_MESSAGES_READ = 50


class SignalsPush:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sent = 0  # frames, for tests and metrics; counts only
        self.skipped = 0  # messages left unread because the budget was spent
        self.budget = TokenBucket(CHARS_PER_SECOND, 2 * CHARS_PER_SECOND)
        hub.message_listeners.append(self.on_message)
        # Chats whose waiting messages were read for their counselor on this process.
        self._taken: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        hub.conversation_listeners.append(self.on_conversation)
        warm_up()  # the lexicons compile now, not during the first chat of each language

    def on_message(self, message: StoredMessage) -> None:
        if message.sender is not Sender.VISITOR or message.event is not None or not message.text:
            return
        if not self._counselor_sockets(message.conversation_id):
            return  # nobody here to tell: the counselor's own process does it
        asyncio.get_running_loop().call_soon(self._detect, message)

    def on_conversation(self, record: ConversationRecord) -> None:
        """A counselor took the chat (here): read what the visitor wrote while waiting, once."""
        if record.state is State.ENDED:
            self._taken.discard(record.id)
            return
        if record.state is not State.ACTIVE or record.id in self._taken:
            return
        if not self._counselor_sockets(record.id):
            return
        self._taken.add(record.id)
        task = asyncio.get_running_loop().create_task(self._read_waiting(record.id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_waiting(self, conversation_id: str) -> None:
        try:
            batch = await self.hub.repo.messages_after(conversation_id, 0, WAITING_MESSAGES_READ)
        except Exception:
            log.exception("reading the waiting messages for signals failed; the chat goes on")
            return
        for message in batch:
            if message.event == EVENT_ACCEPTED:
                break
            if message.sender is Sender.VISITOR and message.event is None and message.text:
                self._detect(message)

    def _counselor_sockets(self, conversation_id: str) -> list[Connection]:
        record = self.hub.open.get(conversation_id)
        if record is None or record.counselor_id is None:
            return []
        return [
            conn
            for conn in self.hub.by_conversation.get(conversation_id, ())
            if isinstance(conn.identity, StaffIdentity)
            and conn.identity.member.id == record.counselor_id
        ]

    def _detect(self, message: StoredMessage) -> None:
        record = self.hub.open.get(message.conversation_id)
        sockets = self._counselor_sockets(message.conversation_id)
        if record is None or not sockets:
            return
        if not self.budget.take(time.monotonic(), len(message.text)):
            self.skipped += 1
            return
        try:
            found = detect(message.text, record.lang)
        except UnknownLanguage:
            return
        except Exception:  # a detector bug must never cost the chat anything
            log.exception("indicator detection failed; the message itself was delivered")
            return
        if not found.labels:
            return
        frame: wire.Signals = {
            "type": "signals",
            "conversation_id": message.conversation_id,
            "seq": message.seq,
            "labels": list(found.labels),
            "spans": [span.as_dict() for span in found.spans],
        }
        for conn in sockets:
            conn.send(frame)
        self.sent += 1
