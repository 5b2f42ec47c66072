"""Supervision over the staff socket: the live overview, silent observe, whisper, take over and
the consultation channel (docs/supervision.md, docs/protocol.md "Supervision").

Silent means silent: observing adds no participant, no system line and no frame on the visitor's
socket, and an observer's socket sends no receipts (the server refuses them: it is not the
counselor). Whispers are notes of kind "whisper" — stored encrypted under the conversation key —
delivered only to the chat's counselor (all their tabs) and the supervisors observing it.
Observing and taking over are written to the audit log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from baken.audit import kinds as audit_kinds
from baken.domain.conversation import State
from baken.domain.counselor_tools import NOTE_MAX_CHARS
from baken.domain.text import TextError, validate_message_text
from baken.realtime import audit_hooks, views
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.consults import Consults
from baken.realtime.counselor_tools import OVERSEERS, CounselorTools, note_view
from baken.realtime.frames import (
    ConsultHistory,
    ConsultSend,
    FrameError,
    Observe,
    ObserveStop,
    OverviewSubscribe,
    OverviewUnsubscribe,
    TakeOver,
    Whisper,
    _Frame,
)
from baken.realtime.overview import Overview
from baken.realtime.wire import ConversationChanged, NoteWire, WhisperAdded, WhisperFrame
from baken.store.conversation_repo import AtCapacity, NotHeld
from baken.store.note_repo import Note
from baken.store.records import ConversationRecord
from baken.store.staff_repo import StaffMember

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

WHISPER = "whisper"  # the note kind a whisper is stored as
SUPERVISION_FRAME_TYPES = (
    OverviewSubscribe,
    OverviewUnsubscribe,
    Observe,
    ObserveStop,
    Whisper,
    TakeOver,
    ConsultSend,
    ConsultHistory,
)


class Supervision:
    def __init__(self, live: Live, tools: CounselorTools) -> None:
        self.live = live
        self.tools = tools
        self.hub = live.hub
        self.broker = live.broker
        self.notes = tools.notes
        self.overview = Overview(live)
        self.consults = Consults(live)
        # Which conversations each socket observes (a socket may observe several at once).
        self.observing: dict[Connection, set[str]] = {}
        self.broker.on(WhisperAdded, self.on_whisper)
        self.broker.on(ConversationChanged, self.on_conversation)
        self.hub.staff_listeners.append(self._prune)  # a staff socket closed: forget its state

    def start(self) -> None:
        self.overview.start()

    async def stop(self) -> None:
        await self.overview.stop()

    # --- frames ---------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        assert isinstance(conn.identity, StaffIdentity)  # only STAFF_FRAMES carry these
        member = conn.identity.member
        if isinstance(frame, ConsultSend):
            await self.consults.send(conn, member, frame)
            return
        if isinstance(frame, ConsultHistory):
            await self.consults.history(conn, member, frame)
            return
        # Everything else is for supervisors and administrators only.
        if member.role not in OVERSEERS:
            raise FrameError(
                "forbidden",
                "Only supervisors and administrators can do this.",
                str(getattr(frame, "type", "")),
            )
        if isinstance(frame, OverviewSubscribe):
            await self.overview.watch(conn)
        elif isinstance(frame, OverviewUnsubscribe):
            self.overview.unwatch(conn)
            conn.send({"type": "overview_stopped"})
        elif isinstance(frame, Observe):
            await self._observe(conn, member, frame)
        elif isinstance(frame, ObserveStop):
            self._stop_observing(conn, frame.conversation_id)
            conn.send({"type": "observe_stopped", "conversation_id": frame.conversation_id})
        elif isinstance(frame, Whisper):
            await self._whisper(conn, member, frame)
        elif isinstance(frame, TakeOver):
            await self._take_over(conn, member, frame)

    async def _supervised(
        self, member: StaffMember, conversation_id: str, ref: str
    ) -> ConversationRecord:
        record = await self.hub.conversation(conversation_id)
        if record is None or record.organisation_id != member.organisation_id:
            raise FrameError("not_a_participant", "You are not part of this conversation.", ref)
        return record

    # --- silent observe ---------------------------------------------------------------------------

    async def _observe(self, conn: Connection, member: StaffMember, frame: Observe) -> None:
        ref = frame.type
        record = await self._supervised(member, frame.conversation_id, ref)
        if record.state is State.ENDED:
            raise FrameError("conversation_ended", "This chat has already ended.", ref)
        if record.counselor_id == member.id:
            raise FrameError("invalid_target", "This is your own chat.", ref)
        watched = self.observing.setdefault(conn, set())
        if record.id not in watched:
            # Audited before the first line is shown; without the record, nothing is shown.
            if not await audit_hooks.record_silent_observe(self.live.audit, member, record.id):
                raise FrameError(
                    "unavailable", "The conversation cannot be opened right now; try again.", ref
                )
            watched.add(record.id)
        self._prune()
        conn.send(
            {
                "type": "observing",
                "conversation_id": record.id,
                "conversation": views.conversation_info(record, None),
            }
        )
        # Following adds no participant and publishes nothing: the visitor's side cannot tell.
        self.hub.follow(conn, record.id)
        self.hub.start_catch_up(conn, record.id, frame.after_seq)

    def _stop_observing(self, conn: Connection, conversation_id: str) -> None:
        watched = self.observing.get(conn)
        if watched is None or conversation_id not in watched:
            return
        watched.discard(conversation_id)
        if not watched:
            del self.observing[conn]
        record = self.hub.open.get(conversation_id)
        if record is None or record.counselor_id != _staff_id(conn):
            self.hub.unfollow(conn, conversation_id)

    def _prune(self) -> None:
        gone = [c for c in self.observing if c.closed or c not in self.hub.connections]
        for conn in gone:
            del self.observing[conn]
        self.overview.watchers = {
            c for c in self.overview.watchers if not c.closed and c in self.hub.connections
        }

    def observers(self, conversation_id: str) -> list[Connection]:
        return [
            conn
            for conn, watched in self.observing.items()
            if conversation_id in watched and not conn.closed
        ]

    # --- whisper ----------------------------------------------------------------------------------

    async def _whisper(self, conn: Connection, member: StaffMember, frame: Whisper) -> None:
        ref = frame.type
        record = await self._supervised(member, frame.conversation_id, ref)
        if record.id not in self.observing.get(conn, ()):
            raise FrameError("not_observing", "Observe this chat first.", ref)
        if record.state is not State.ACTIVE or record.counselor_id is None:
            raise FrameError("not_held", "Nobody is handling this chat right now.", ref)
        try:
            text = validate_message_text(frame.text, NOTE_MAX_CHARS)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        note = await self.notes.add(record.id, member.id, member.display_name, WHISPER, text)
        wire: NoteWire = {
            "conversation_id": record.id,
            "note_id": note.id,
            "organisation_id": record.organisation_id,
            "counselor_id": record.counselor_id,
        }
        self.broker.publish({"kind": "whisper", "note": note, **wire, "wire": wire})

    def _deliver_whisper(self, note: Note, organisation_id: str, counselor_id: str) -> None:
        conversation_id = note.conversation_id
        frame: WhisperFrame = {
            "type": "whisper",
            "conversation_id": conversation_id,
            "whisper": note_view(note),
        }
        targets = {*self.hub.staff_by_id.get(counselor_id, ()), *self.observers(conversation_id)}
        for conn in targets:
            identity = conn.identity
            # Staff only, of this organisation: the counselor, or an observing supervisor.
            if not isinstance(identity, StaffIdentity):
                continue
            if identity.member.organisation_id != organisation_id:
                continue
            if identity.member.id == counselor_id or identity.member.role in OVERSEERS:
                conn.send(frame)

    async def _fetch_whisper(
        self, conversation_id: str, note_id: str, organisation_id: str, counselor_id: str
    ) -> None:
        note = await self.notes.get(conversation_id, note_id)
        if note is not None and note.kind == WHISPER:
            self._deliver_whisper(note, organisation_id, counselor_id)

    # --- take over --------------------------------------------------------------------------------

    async def _take_over(self, conn: Connection, member: StaffMember, frame: TakeOver) -> None:
        ref = frame.type
        record = await self._supervised(member, frame.conversation_id, ref)
        if record.counselor_id == member.id:
            raise FrameError("invalid_target", "This is already your chat.", ref)
        if record.state is not State.ACTIVE or record.counselor_id is None:
            raise _not_held(ref)
        former = record.counselor_id
        # The supervisor's own capacity, as for accept and take-next (set by a supervisor or
        # administrator, else BAKEN_MAX_CHATS): the tools hold the one rule.
        capacity = await self.tools.capacity_of(member.id)
        try:
            # The transfer's transaction: of a take-over and a transfer, requeue or end of the
            # same chat at the same moment, exactly one changes it.
            transition = await self.live.repo.transfer(
                record.id, former, member.id, member.display_name, capacity
            )
        except AtCapacity:
            raise FrameError(
                "at_capacity", f"You already have {capacity} chats open.", ref
            ) from None
        except NotHeld:
            raise _not_held(ref) from None
        await audit_hooks.record_open(
            self.live.audit, member, record.id, audit_kinds.CONVERSATION_JOIN
        )
        # The visitor sees the same neutral "a colleague is taking over" line as a transfer.
        self.live.transition(transition)
        self.tools.release(former, record.id, "taken_over")
        conn.send({"type": "taken_over", "conversation_id": record.id})

    # --- events ---------------------------------------------------------------------------------

    def on_whisper(self, event: WhisperAdded) -> None:
        readers = (str(event.get("organisation_id")), str(event.get("counselor_id")))
        note = event.get("note")
        if isinstance(note, Note):
            self._deliver_whisper(note, *readers)
        elif self.hub.staff_by_id.get(readers[1]) or self.observers(
            str(event.get("conversation_id"))
        ):
            self.hub._spawn(
                self._fetch_whisper(
                    str(event.get("conversation_id")), str(event.get("note_id")), *readers
                )
            )

    def on_conversation(self, event: ConversationChanged) -> None:
        if not self.observing:
            return
        record = event.get("record")
        if isinstance(record, ConversationRecord):
            self._observed_changed(record)
        else:
            self.hub._spawn(self._refresh(str(event.get("conversation_id"))))

    async def _refresh(self, conversation_id: str) -> None:
        record = await self.live.repo.get(conversation_id)
        if record is not None:
            self._observed_changed(record)

    def _observed_changed(self, record: ConversationRecord) -> None:
        """An observer who became the chat's counselor (took it over, or was handed it) stops
        observing and gets the whole transcript again, now as their own chat."""
        if record.state is not State.ACTIVE or record.counselor_id is None:
            return
        for conn in self.observers(record.id):
            if _staff_id(conn) != record.counselor_id:
                continue
            self.observing[conn].discard(record.id)
            if not self.observing[conn]:
                del self.observing[conn]
            conn.send({"type": "observe_ended", "conversation_id": record.id, "reason": "assigned"})
            # A fresh cursor: the console shows it as a new chat, from the first line.
            self.hub.unfollow(conn, record.id)
            self.hub.follow(conn, record.id)
            self.hub.start_catch_up(conn, record.id, 0)


def _staff_id(conn: Connection) -> str | None:
    return conn.identity.member.id if isinstance(conn.identity, StaffIdentity) else None


def _not_held(ref: str) -> FrameError:
    return FrameError(
        "not_held", "This chat is no longer active with this counselor; nothing was changed.", ref
    )
