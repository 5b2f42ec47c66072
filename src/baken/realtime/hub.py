"""The sockets of this process and the events they need.

The hub never decides anything: it keeps which socket follows which conversation, turns broker
events into frames, and makes sure every socket gets every message of its conversations exactly
once and in order — live when it can, from the database when it fell behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Final

from baken.crypto.envelope import DecryptionError
from baken.domain.conversation import State
from baken.domain.languages import language_floor
from baken.domain.queue import (
    QueueKey,
    QueuePlace,
    is_urgent,
    minutes_of,
    queue_key,
    rank_reasons,
    service_rate,
    wait_seconds_at,
)
from baken.realtime import peer_messages, views, wire
from baken.realtime.broker import Broker, InProcessBroker
from baken.realtime.connection import Connection, Cursor, StaffIdentity
from baken.realtime.queue_index import QueueIndex
from baken.store.clock import iso, utcnow
from baken.store.conversation_repo import PAGE_SIZE, ConversationRepository
from baken.store.records import ConversationRecord, StoredMessage

log = logging.getLogger(__name__)

QUEUE_FRAME_ENTRIES = 100
# The broker event that says whether a visitor is on a socket or on the chat without JavaScript.
VISITOR_LINK_KIND: Final = "visitor_link"
# Queue changes come in bursts (a campaign, a shift starting); one frame per burst is enough.
QUEUE_COALESCE_SECONDS = 0.02
# Places sent per turn of the event loop: the 30-s refresh of 5,000 waiting visitors in one go
# held the chat up for a fifth of a second (docs/performance.md, "Timeout sweeps"); in slices,
# messages pass between them. The first slice — the front of the line — still goes at once.
PLACES_PER_TURN = 250
# The periodic refresh of the estimates (they drift with time, nobody moved) walks the line in
# small slices with a pause between them: all 18,000 waiting visitors' estimates at once, even in
# turns of 250, held each chat message up by every turn it needed (p99 190 ms, issue 21). A pass
# over 18,000 takes 18,000 / 100 × 50 ms = 9 s, well inside the 30-s refresh period.
REFRESH_SLICE = 100
REFRESH_PAUSE_SECONDS = 0.05
# Issue 21, item 4: after a restart every socket syncs at once. At most this many catch-up pages
# are read at the same time; the rest wait their turn here instead of in the connection pool
# (where they would time out and take the live path's connections).
CATCH_UP_READS_AT_ONCE = 4
# Messages held for a socket during its catch-up; beyond this it reads the database again.
HELD_MAX = 200


class _NotGiven:
    """Marks an argument left out where None is a meaningful value."""


NOT_GIVEN = _NotGiven()


class Hub:
    def __init__(self, repo: ConversationRepository, broker: Broker) -> None:
        self.repo = repo
        self.broker = broker
        self.by_conversation: defaultdict[str, set[Connection]] = defaultdict(set)
        self.staff_by_id: defaultdict[str, set[Connection]] = defaultdict(set)
        self.connections: set[Connection] = set()
        # Per conversation, how many of its visitor's sockets (or event streams) are on this
        # process: the presence write and the sweeps ask for all of them every few seconds, and
        # walking 18,000 followers' sets for that held the chat up for 10 ms (issue 21).
        self.visitor_sockets: dict[str, int] = {}
        # Queued and active conversations: the queue and the authorisation checks read this.
        self.open: dict[str, ConversationRecord] = {}
        # Issue 13: per open conversation, whether its visitor has a live socket (False: the
        # chat without JavaScript), as every process heard it from the broker. Absent: a socket.
        self.visitor_live: dict[str, bool] = {}
        self._queue_task: asyncio.Task[None] | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        self._refresh_again = False
        self._last_queue_broadcast = float("-inf")
        # Issue 21: the queue kept sorted as it changes (queue_index.py), and per organisation
        # the first place whose holder changed since the last broadcast: a start at the back
        # then tells only the newcomer, however long the line is.
        self.queue_index = QueueIndex()
        self._dirty_from: dict[str, int] = {}
        # When chats were taken lately, per organisation: the service rate behind its visitors'
        # wait estimate (issue 14: another helpline's speed says nothing about this one's).
        self.recent_accepts: defaultdict[str, deque[datetime]] = defaultdict(
            lambda: deque(maxlen=2000)
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._catch_up_reads = asyncio.Semaphore(CATCH_UP_READS_AT_ONCE)
        # Issue 21: with the broker in this process every message is stored by this process and
        # passes `_deliver`, so the highest seq seen here is the highest stored: a catch-up from
        # there has nothing to read (after a restart most syncs are such; each read took a turn
        # among 2,000). With another process storing messages too, every catch-up reads.
        self.seqs_complete = isinstance(broker, InProcessBroker)
        self._stored_seq: dict[str, int] = {}
        # Issue 14: whether someone online in the organisation speaks a language (presence.py
        # fills it in); a visitor nobody speaks to waits at least the language hold.
        self.language_spoken: Callable[[str, str], bool] = lambda _org, _lang: True
        # Issue 15, item 1: whether someone online in the organisation takes new chats (status
        # "available"); without anyone, no estimate is given (it would be a guess).
        self.takes_new_chats: Callable[[str], bool] = lambda _org: True
        # Told when a staff socket opens or closes here (presence.py announces it to others).
        self.staff_listeners: list[Callable[[], None]] = []
        # Told of each message after it went out to this process's sockets (signals_push.py).
        self.message_listeners: list[Callable[[StoredMessage], None]] = []
        # Told of each conversation change this process hears of (issue 18: campaign counts).
        self.conversation_listeners: list[Callable[[ConversationRecord], None]] = []
        broker.on(wire.MessageCommitted, self.on_committed)
        broker.on(wire.PeerMessage, self.on_peer_message)
        broker.on(wire.ConversationChanged, self.on_conversation_event)
        broker.on(wire.Resync, lambda _event: self._spawn(self.resync()))
        broker.on(wire.VisitorLink, self.on_visitor_link)
        broker.on(wire.TypingEvent, self.on_typing_or_receipt)
        broker.on(wire.ReceiptEvent, self.on_typing_or_receipt)

    async def load(self) -> None:
        # Active ones too, in the same read (issue 21, item 4): after a restart every visitor and
        # console comes back within seconds, and each of them loading its chats one read at a
        # time kept the readers busy while the messages waited. Ones that start later are
        # loaded when first asked for (see conversation()).
        for record in await self.repo.unended():
            self.open[record.id] = record
            self._index(record)
        for organisation_id, accepted_at in await self.repo.recent_accepts():
            self.recent_accepts[organisation_id].append(accepted_at)

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        record = self.open.get(conversation_id)
        if record is None:
            record = await self.repo.get(conversation_id)
            if record is not None and record.state is not State.ENDED:
                self.open[record.id] = record
                if self._index(record):
                    self._queue_changed()
        return record

    # --- registry -------------------------------------------------------------------------------

    def register(self, conn: Connection, conversation_ids: list[str]) -> None:
        self.connections.add(conn)
        if isinstance(conn.identity, StaffIdentity):
            self.staff_by_id[conn.identity.member.id].add(conn)
        for conversation_id in conversation_ids:
            self.follow(conn, conversation_id)
        if isinstance(conn.identity, StaffIdentity):
            self._staff_changed()

    def unregister(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if isinstance(conn.identity, StaffIdentity):
            peers = self.staff_by_id.get(conn.identity.member.id)
            if peers is not None:
                peers.discard(conn)
                if not peers:
                    del self.staff_by_id[conn.identity.member.id]
            self._staff_changed()
        for conversation_id in conn.following:
            self._drop_follower(conn, conversation_id)
        conn.following.clear()

    def _drop_follower(self, conn: Connection, conversation_id: str) -> None:
        followers = self.by_conversation.get(conversation_id)
        if followers is None or conn not in followers:
            return
        followers.discard(conn)
        if not followers:
            del self.by_conversation[conversation_id]
        if conn.is_visitor:
            left = self.visitor_sockets.get(conversation_id, 0) - 1
            if left > 0:
                self.visitor_sockets[conversation_id] = left
            else:
                self.visitor_sockets.pop(conversation_id, None)

    def _staff_changed(self) -> None:
        for listener in self.staff_listeners:
            try:
                listener()
            except Exception:
                log.exception("a staff listener failed")

    def follow(self, conn: Connection, conversation_id: str) -> None:
        followers = self.by_conversation[conversation_id]
        if conn not in followers and conn.is_visitor:
            self.visitor_sockets[conversation_id] = self.visitor_sockets.get(conversation_id, 0) + 1
        followers.add(conn)
        conn.following.add(conversation_id)

    def unfollow(self, conn: Connection, conversation_id: str) -> None:
        """Stop sending this socket a conversation (it was handed to someone else)."""
        self._drop_follower(conn, conversation_id)
        conn.following.discard(conversation_id)
        conn.cursors.pop(conversation_id, None)

    # --- queue ----------------------------------------------------------------------------------

    @staticmethod
    def _queue_key_of(record: ConversationRecord) -> QueueKey:
        return queue_key(
            record.id,
            record.created_at,
            record.priority,
            record.queue_acute,
            record.queue_signal_points,
        )

    def _index(self, record: ConversationRecord, *, rate_changed: bool = False) -> bool:
        """Keep the queue index in step with a record; note from which place its organisation's
        line changed. ``rate_changed``: an accept changed the organisation's service rate, so
        every waiting visitor's estimate moves. True when the queue changed."""
        if record.state is State.QUEUED:
            moved = self.queue_index.put(record.organisation_id, self._queue_key_of(record))
        else:
            moved = self.queue_index.remove(record.id)
        if moved is None:
            return False
        organisation_id, first = moved
        if rate_changed:
            first = 1
        self._dirty_from[organisation_id] = min(first, self._dirty_from.get(organisation_id, first))
        return True

    def queue_positions(self) -> dict[str, int]:
        """Each waiting visitor's place in their own organisation's line (issue 14), in the order
        of the whole queue. O(n), cached until the queue changes: only for readers that need the
        whole queue (take next, metrics); single places come from `place_of`."""
        return self.queue_index.positions()

    def queue_size(self, organisation_id: str) -> int:
        return self.queue_index.size(organisation_id)

    def queue_total(self) -> int:
        return len(self.queue_index)

    def service_rate_of(self, organisation_id: str) -> float | None:
        return service_rate(self.recent_accepts.get(organisation_id, ()), utcnow())

    def place_of(
        self, conversation_id: str, rate: float | _NotGiven | None = NOT_GIVEN
    ) -> QueuePlace | None:
        """Place and wait estimate; a broadcast passes the service rate it computed once."""
        position = self.queue_index.position(conversation_id)
        if position is None:
            return None
        record = self.open[conversation_id]
        if isinstance(rate, _NotGiven):
            rate = self.service_rate_of(record.organisation_id)
        return QueuePlace(position, self._wait_of(record, position, rate, utcnow(), {}))

    def _wait_of(
        self,
        record: ConversationRecord,
        position: int,
        rate: float | None,
        now: datetime,
        spoken: dict[tuple[str, str], bool],
    ) -> int | None:
        """The estimate, never shorter than the language hold (issue 14); ``spoken`` caches the
        answer per organisation and language for one broadcast."""
        wait = wait_seconds_at(position, rate)
        if wait is None:
            return None
        available = (record.organisation_id, "")  # no language is "": a key of its own
        if available not in spoken:
            spoken[available] = self.takes_new_chats(record.organisation_id)
        if not spoken[available]:
            return None
        key = (record.organisation_id, record.lang)
        if key not in spoken:
            spoken[key] = self.language_spoken(*key)
        return max(wait, language_floor(now - record.created_at, spoken[key], position))

    def queue_order(self) -> list[str]:
        places = self.queue_positions()
        return sorted(places, key=places.__getitem__)

    def queue_frame(self, organisation_id: str) -> wire.Queue:
        """The queue as one organisation's staff see it: its own waiting visitors only (the
        first QUEUE_FRAME_ENTRIES, read from the index: the same cost for any length)."""
        entries = []
        for conversation_id, place in self.queue_index.head(organisation_id, QUEUE_FRAME_ENTRIES):
            record = self.open[conversation_id]
            entries.append(
                {
                    "conversation_id": conversation_id,
                    "nickname": record.nickname,
                    "waiting_since": iso(record.created_at),
                    "position": place,
                    "urgent": is_urgent(record.priority),
                    # Issue 19, item 3: why this visitor is where they are (staff only).
                    "ranked_by": [
                        reason.value
                        for reason in rank_reasons(
                            record.priority, record.queue_acute, record.queue_signal_points
                        )
                    ],
                    "returning": record.return_code_id is not None,
                    "preferred_staff_id": record.preferred_staff_id,
                    "lang": record.lang,
                }
            )
        return {
            "type": "queue",
            "entries": entries,
            "total": self.queue_index.size(organisation_id),
            "server_time": iso(utcnow()),
        }

    def _queue_changed(self) -> None:
        if self._queue_task is None or self._queue_task.done():
            loop = asyncio.get_running_loop()
            # Leading edge: the first change after a quiet spell goes out at once (an accept must
            # reach 2,000 waiting visitors within 100 ms); changes that follow within the
            # coalescing window wait for its end and go out together.
            delay = max(0.0, self._last_queue_broadcast + QUEUE_COALESCE_SECONDS - loop.time())
            self._queue_task = loop.create_task(self._broadcast_queue(delay))

    async def _broadcast_queue(self, delay: float) -> None:
        # Even without a delay, yield once: changes from the same loop turn share one broadcast.
        await asyncio.sleep(delay)
        try:
            await self._send_queue()
            # Changes that came while the places went out in slices: this task was still
            # running, so nobody started another one for them.
            while self._dirty_from:
                await self._send_queue()
        finally:
            self._last_queue_broadcast = asyncio.get_running_loop().time()

    async def _send_queue(self) -> None:
        # Only organisations whose line changed, and in each only from the first changed place
        # on (issue 21): a start at the back of a long line tells the newcomer and the staff.
        dirty, self._dirty_from = self._dirty_from, {}
        self._send_staff_queues(dirty.keys())
        # Visitors only hear about their own place, and only when it (or the estimate) moved.
        # One service rate per organisation: per visitor it would walk the recent accepts.
        spoken: dict[tuple[str, str], bool] = {}
        now = utcnow()
        for organisation_id, first in dirty.items():
            rate = self.service_rate_of(organisation_id)
            await self._send_places(organisation_id, first, rate, now, spoken)

    def _send_staff_queues(self, organisations: Collection[str]) -> None:
        texts: dict[str, str] = {}  # per organisation: staff never see another's visitors
        for conns in self.staff_by_id.values():
            for conn in conns:
                assert isinstance(conn.identity, StaffIdentity)
                organisation_id = conn.identity.member.organisation_id
                if organisation_id not in organisations:
                    continue
                if organisation_id not in texts:
                    texts[organisation_id] = wire.encode(self.queue_frame(organisation_id))
                conn.send_text(texts[organisation_id])

    async def _send_places(
        self,
        organisation_id: str,
        first: int,
        rate: float | None,
        now: datetime,
        spoken: dict[tuple[str, str], bool],
    ) -> None:
        # A copy: the line may change while this yields between slices (a later pass, marked
        # dirty by that change, sends the places it moved).
        line = list(self.queue_index.tail(organisation_id, first))
        for done, (conversation_id, position) in enumerate(line):
            if done and not done % PLACES_PER_TURN:
                await asyncio.sleep(0)
            self._tell_place(conversation_id, position, rate, now, spoken)

    def _tell_place(
        self,
        conversation_id: str,
        position: int,
        rate: float | None,
        now: datetime,
        spoken: dict[tuple[str, str], bool],
    ) -> None:
        """Tell a waiting visitor's sockets their place and estimate, if what they show moved.
        The hot path of an accept with 2,000 waiting: plain values, no objects per visitor."""
        followers = self.by_conversation.get(conversation_id)
        if not followers:
            return
        record = self.open.get(conversation_id)
        if record is None or record.state is not State.QUEUED:
            return  # taken or gone while an earlier slice went out
        wait_seconds = self._wait_of(record, position, rate, now, spoken)
        shown = (position, minutes_of(wait_seconds))
        frame: str | None = None
        for conn in followers:
            if conn.queue_place == shown or not conn.is_visitor:
                continue
            if conn.queue_place is None:
                # (Back) in the queue: the whole state, since it changed too.
                place = QueuePlace(position, wait_seconds)
                info = views.conversation_info(record, place)
                conn.send_text(wire.encode({"type": "conversation", "conversation": info}))
            else:
                # Only the place moved: a small frame, one text for all tabs of this visitor.
                if frame is None:
                    frame = wire.encode(views.place_frame(conversation_id, position, wait_seconds))
                conn.send_text(frame)
            conn.queue_place = shown

    def refresh_queue(self) -> None:
        """Re-send the estimates, which drift with time (and with who is available) even when
        nobody moves. Paced (see REFRESH_SLICE); places that do move go out at once through
        `_queue_changed`, beside a refresh under way."""
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.get_running_loop().create_task(self._refresh_places())
        else:
            self._refresh_again = True  # what changed may have passed that visitor already

    async def _refresh_places(self) -> None:
        while True:
            self._refresh_again = False
            organisations = self.queue_index.organisations()
            self._send_staff_queues(set(organisations))
            spoken: dict[tuple[str, str], bool] = {}
            for organisation_id in organisations:
                rate = self.service_rate_of(organisation_id)
                start = 0
                while True:
                    # Read from the live line each slice: a place told is never a stale one.
                    part = self.queue_index.slice(organisation_id, start, REFRESH_SLICE)
                    now = utcnow()
                    for conversation_id, position in part:
                        self._tell_place(conversation_id, position, rate, now, spoken)
                    start += REFRESH_SLICE
                    if len(part) < REFRESH_SLICE:
                        break
                    await asyncio.sleep(REFRESH_PAUSE_SECONDS)
            if not self._refresh_again:
                return

    # --- events ---------------------------------------------------------------------------------

    def on_committed(self, event: wire.MessageCommitted) -> None:
        """A message this process stored."""
        self._deliver(event["message"])

    def on_peer_message(self, event: wire.PeerMessage) -> None:
        """A message another process stored: sealed, or only its seq."""
        message = self._open_peer_message(event)
        if message is None:
            self._on_remote_message(event["conversation_id"], int(event["seq"]))
            return
        self._deliver(message)

    def _deliver(self, message: StoredMessage) -> None:
        if self.seqs_complete and message.seq > self._stored_seq.get(message.conversation_id, 0):
            self._stored_seq[message.conversation_id] = message.seq
        for conn in list(self.by_conversation.get(message.conversation_id, ())):
            self.push_message(conn, message)
        for listener in self.message_listeners:
            listener(message)

    def on_conversation_event(self, event: wire.ConversationChanged) -> None:
        record = event.get("record")
        if record is None:
            self._spawn(self._refresh_conversation(str(event.get("conversation_id"))))
        else:
            self._on_conversation(record)

    def on_visitor_link(self, event: wire.VisitorLink) -> None:
        self._on_visitor_link(str(event["conversation_id"]), bool(event["live"]))

    def on_typing_or_receipt(self, event: wire.TypingEvent | wire.ReceiptEvent) -> None:
        frame = event["frame"]
        frame_text = wire.encode(frame)
        for conn in self.by_conversation.get(frame["conversation_id"], ()):
            if conn.side != frame["from"]:
                conn.send_text(frame_text)

    def _on_visitor_link(self, conversation_id: str, live: bool) -> None:
        """The visitor moved between the socket and the chat without JavaScript: the staff
        following the chat get its `conversation` frame again, with the new `visitor_live`."""
        if self.visitor_live.get(conversation_id) == live:
            return
        self.visitor_live[conversation_id] = live
        record = self.open.get(conversation_id)
        if record is None:
            return
        info = views.conversation_info(record, None, live)
        frame_text = wire.encode({"type": "conversation", "conversation": info})
        for conn in self.by_conversation.get(conversation_id, ()):
            if not conn.is_visitor and not conn.is_partner:
                conn.send_text(frame_text)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _open_peer_message(self, event: wire.PeerMessage) -> StoredMessage | None:
        """The message another process sealed for us; None when the database must tell."""
        conversation_id = event["conversation_id"]
        sealed = event.get("sealed")
        if not isinstance(sealed, str) or not self.by_conversation.get(conversation_id):
            return None
        cipher = self.repo.ciphers.peek(conversation_id)
        if cipher is None:
            return None
        try:
            return peer_messages.open_sealed(cipher, int(event["seq"]), sealed)
        except DecryptionError:
            log.warning("a sealed message from another process did not open; reading it instead")
            return None

    def _on_remote_message(self, conversation_id: str, seq: int) -> None:
        for conn in list(self.by_conversation.get(conversation_id, ())):
            cursor = conn.cursors.get(conversation_id)
            if cursor is None:
                continue
            if cursor.busy:
                cursor.dirty = True
            elif seq > cursor.seq:
                self.start_catch_up(conn, conversation_id, cursor.seq)

    async def _refresh_conversation(self, conversation_id: str) -> None:
        record = await self.repo.get(conversation_id)
        if record is not None:
            self._on_conversation(record)

    async def resync(self) -> None:
        """After a gap in events: rebuild the queue; every socket catches up from the database."""
        queued = {r.id: r for r in await self.repo.queued()}
        for conversation_id, record in list(self.open.items()):
            if record.state is State.QUEUED and conversation_id not in queued:
                fresh = await self.repo.get(conversation_id)
                if fresh is not None:
                    self._on_conversation(fresh)
        for record in queued.values():
            self.open[record.id] = record
            self._index(record)
        self.refresh_queue()
        for conn in list(self.connections):
            for conversation_id, cursor in list(conn.cursors.items()):
                if cursor.busy:
                    cursor.dirty = True
                else:
                    self.start_catch_up(conn, conversation_id, cursor.seq)

    def _on_conversation(self, record: ConversationRecord) -> None:
        previous = self.open.get(record.id)
        accepted = (
            record.accepted_at is not None
            and previous is not None
            and previous.state is State.QUEUED
            and record.state is not State.QUEUED
        )
        if accepted:
            assert record.accepted_at is not None
            self.recent_accepts[record.organisation_id].append(record.accepted_at)
        if record.state is State.ENDED:
            self.open.pop(record.id, None)
            self._stored_seq.pop(record.id, None)
            live = self.visitor_live.pop(record.id, None)
        else:
            live = self.visitor_live.get(record.id)
            self.open[record.id] = record
        if record.state is State.ACTIVE and record.counselor_id is not None:
            # Every tab of the counselor who took it follows it from the first line on.
            for conn in self.staff_by_id.get(record.counselor_id, ()):
                self.follow(conn, record.id)
                if record.id not in conn.cursors:
                    self.start_catch_up(conn, record.id, 0)
        queue_touched = record.state is State.QUEUED or (
            previous is not None and previous.state is State.QUEUED
        )
        frame_text = wire.encode(
            {"type": "conversation", "conversation": views.conversation_info(record, None, live)}
        )
        for conn in self.by_conversation.get(record.id, ()):
            if conn.is_partner:
                continue  # a partner sees only what the consent allows (partner_access.py)
            if conn.is_visitor and record.state is State.QUEUED:
                if previous is not None and previous.state is not State.QUEUED:
                    conn.queue_place = None  # back in the queue: the broadcast must tell them
                continue  # the queue broadcast tells them their place
            conn.send_text(frame_text)
        if queue_touched:
            if not self._index(record, rate_changed=accepted) and record.state is State.QUEUED:
                # Same place, other details (the staff's queue shows them): staff only.
                organisation_id = record.organisation_id
                past_end = self.queue_index.size(organisation_id) + 1
                self._dirty_from.setdefault(organisation_id, past_end)
            self._queue_changed()
        for listener in self.conversation_listeners:
            listener(record)

    # --- messages -------------------------------------------------------------------------------

    def push_message(self, conn: Connection, message: StoredMessage) -> None:
        cursor = conn.cursors.get(message.conversation_id)
        if cursor is None:
            return  # not synced yet: its sync will include this message
        if cursor.busy:
            # Sent after the catch-up's last page (issue 21: after a restart, re-reading the
            # database for every message that came during a catch-up kept 2,000 catch-ups
            # queued behind each other for seconds).
            if cursor.held is None:
                cursor.held = [message]
            elif len(cursor.held) < HELD_MAX:
                cursor.held.append(message)
            else:
                cursor.dirty = True
            return
        if message.seq <= cursor.seq:
            return
        if message.seq == cursor.seq + 1:
            cursor.seq = message.seq
            conn.send(
                {
                    "type": "message",
                    "conversation_id": message.conversation_id,
                    "message": views.message(message, message.author == conn.author),
                }
            )
            return
        self.start_catch_up(conn, message.conversation_id, cursor.seq)

    def start_catch_up(self, conn: Connection, conversation_id: str, after_seq: int) -> None:
        cursor = conn.cursors.get(conversation_id)
        if cursor is None:
            cursor = conn.cursors[conversation_id] = Cursor(seq=after_seq)
        if cursor.busy:
            cursor.dirty = True
            return
        cursor.seq = after_seq
        cursor.busy = True
        self._spawn(self._catch_up(conn, conversation_id, cursor))

    async def _catch_up(self, conn: Connection, conversation_id: str, cursor: Cursor) -> None:
        """Send everything after the cursor from the database, page by page, then what was held
        meanwhile, then go live."""
        answered = False
        try:
            while not conn.closed:
                cursor.dirty = False
                if self._nothing_after(conversation_id, cursor.seq):
                    batch = []
                else:
                    async with self._catch_up_reads:
                        batch = await self.repo.messages_after(
                            conversation_id, cursor.seq, PAGE_SIZE
                        )
                more = len(batch) == PAGE_SIZE
                if batch:
                    cursor.seq = batch[-1].seq
                elif answered and not cursor.held:
                    break
                if batch or not answered:
                    conn.send(_page(conn, conversation_id, batch, cursor.seq, more))
                answered = True
                if more or cursor.dirty:
                    continue
                if self._send_held(conn, cursor) or not batch:
                    break
        except Exception:
            log.exception("catch-up failed; the client will sync again after reconnecting")
            conn.abort()
        finally:
            cursor.busy = False
            cursor.held = None

    def _nothing_after(self, conversation_id: str, seq: int) -> bool:
        """True when this process knows no message after ``seq`` is stored (see
        ``seqs_complete``): an open conversation's seq when it was loaded, and every message
        stored since, are known here."""
        if not self.seqs_complete:
            return False
        record = self.open.get(conversation_id)
        if record is None:
            return False
        return seq >= max(record.last_seq, self._stored_seq.get(conversation_id, 0))

    def _send_held(self, conn: Connection, cursor: Cursor) -> bool:
        """Send the messages held during the catch-up that follow on from it, in order. False
        when one is missing in between: then the database is read again from the cursor."""
        held, cursor.held = cursor.held, None
        for message in sorted(held or (), key=_seq_of):
            if message.seq <= cursor.seq:
                continue  # the catch-up's pages had it already
            if message.seq != cursor.seq + 1:
                cursor.held = [m for m in held or () if m.seq > cursor.seq]
                return False
            cursor.seq = message.seq
            conn.send(
                {
                    "type": "message",
                    "conversation_id": message.conversation_id,
                    "message": views.message(message, message.author == conn.author),
                }
            )
        return True

    async def catch_up_once(self, conn: Connection, conversation_id: str, after_seq: int) -> None:
        """A sync's first page, for a connection that follows nothing (one HTTP command): the
        same ``messages`` frame a socket's catch-up starts with; with ``more`` the client asks
        again from ``last_seq``."""
        async with self._catch_up_reads:
            batch = await self.repo.messages_after(conversation_id, after_seq, PAGE_SIZE)
        last_seq = batch[-1].seq if batch else after_seq
        conn.send(_page(conn, conversation_id, batch, last_seq, len(batch) == PAGE_SIZE))

    async def close_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for pending in (self._queue_task, self._refresh_task):
            if pending is not None:
                pending.cancel()


def _seq_of(message: StoredMessage) -> int:
    return message.seq


def _page(
    conn: Connection, conversation_id: str, batch: list[StoredMessage], last_seq: int, more: bool
) -> wire.Messages:
    """A catch-up's ``messages`` frame, the messages shown as this connection's own or not."""
    return {
        "type": "messages",
        "conversation_id": conversation_id,
        "messages": [views.message(m, m.author == conn.author) for m in batch],
        "last_seq": last_seq,
        "more": more,
    }
