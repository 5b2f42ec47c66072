"""Counselor tools over the staff socket: private notes, warm and cold transfer, end reasons,
and blocking an abusive visitor (docs/protocol.md, "Counselor tools").

Every frame names a conversation (or a block) and is checked twice: the role (researchers never
reach the staff socket; only supervisors and admins oversee others' chats) and the object (same
organisation, and assigned to this counselor unless they oversee).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from baken.audit import kinds as audit_kinds
from baken.domain.conversation import EndedBy, Role, State
from baken.domain.counselor_tools import (
    EVENT_ENDED_BLOCKED,
    NOTE_MAX_CHARS,
    BlockReason,
    EndReason,
    block_duration,
)
from baken.domain.text import TextError, validate_message_text
from baken.realtime import wire
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import (
    BlockVisitor,
    ColleaguesGet,
    FrameError,
    NoteAdd,
    NotesGet,
    Requeue,
    SetEndReason,
    Transfer,
    Unblock,
    _Frame,
)
from baken.store.block_repo import Block, BlockRepository
from baken.store.clock import iso
from baken.store.conversation_repo import AtCapacity, NotHeld
from baken.store.note_repo import NOTE, TRANSFER_NOTE, Note, NoteRepository
from baken.store.records import ConversationRecord
from baken.store.staff_repo import StaffMember, StaffRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

OVERSEERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Who can take a chat over: anyone on the live console (researchers never are).
CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})
TOOL_FRAME_TYPES = (
    NotesGet,
    NoteAdd,
    ColleaguesGet,
    Transfer,
    Requeue,
    SetEndReason,
    BlockVisitor,
    Unblock,
)


def may_oversee(member: StaffMember, record: ConversationRecord) -> bool:
    """Assigned to this chat, or a supervisor/admin of its organisation."""
    if member.organisation_id != record.organisation_id or member.role not in CHAT_ROLES:
        return False
    return record.counselor_id == member.id or member.role in OVERSEERS


def note_view(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "author": note.author,
        "text": note.text,
        "created_at": iso(note.created_at),
    }


def block_view(block: Block) -> wire.BlockView:
    return {
        "block_id": block.id,
        "conversation_id": block.conversation_id,
        "by_code": block.return_code_id is not None,
        "reason": block.reason,
        "expires_at": iso(block.expires_at),
    }


class CounselorTools:
    def __init__(self, live: Live) -> None:
        self.live = live
        self.settings = live.settings
        self.repo = live.repo
        self.hub = live.hub
        self.broker = live.broker
        self.notes = NoteRepository(live.repo)
        self.blocks = BlockRepository(live.repo.db)
        self.staff = StaffRepository(live.repo.db)
        # Issue 15, item 1: a colleague's own capacity (realtime/staff_status.py sets this).
        self.capacity_of: Callable[[str], Awaitable[int]] = self._default_capacity
        self.broker.on(wire.StaffFrame, self.on_staff_frame)
        self.broker.on(wire.NoteAdded, self.on_note)

    async def _default_capacity(self, _staff_id: str) -> int:
        return self.settings.max_chats

    # --- frames ---------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        assert isinstance(conn.identity, StaffIdentity)  # only STAFF_FRAMES carry these
        member = conn.identity.member
        if isinstance(frame, NotesGet):
            await self._oversee(member, frame.conversation_id, frame.type)
            notes = await self.notes.for_conversation(frame.conversation_id)
            conn.send(
                {
                    "type": "notes",
                    "conversation_id": frame.conversation_id,
                    "notes": [note_view(n) for n in notes],
                }
            )
        elif isinstance(frame, NoteAdd):
            record = await self._oversee(member, frame.conversation_id, frame.type)
            text = _staff_text(frame.text, frame.type)
            note = await self.notes.add(
                frame.conversation_id, member.id, member.display_name, NOTE, text
            )
            self._publish_note(note, record)
            if frame.conversation_id not in conn.following:
                conn.send(_note_frame(note))  # an overseer who is not watching still sees it
        elif isinstance(frame, ColleaguesGet):
            conn.send({"type": "colleagues", "colleagues": await self._colleagues(member)})
        elif isinstance(frame, Transfer):
            await self._transfer(conn, member, frame)
        elif isinstance(frame, Requeue):
            record = await self._oversee(member, frame.conversation_id, frame.type)
            if record.state is not State.ACTIVE or record.counselor_id is None:
                raise _not_held(frame.type)
            try:
                transition = await self.repo.requeue(
                    record.id, record.counselor_id, member.display_name
                )
            except NotHeld:
                raise _not_held(frame.type) from None
            self.live.transition(transition)
            self.release(record.counselor_id, record.id, "requeued")
            conn.send({"type": "requeued", "conversation_id": record.id})
        elif isinstance(frame, SetEndReason):
            record = await self._oversee(member, frame.conversation_id, frame.type)
            if record.state is not State.ENDED or not await self.repo.set_end_reason(
                record.id, EndReason(frame.reason).value
            ):
                raise FrameError("not_ended", "This chat has not ended yet.", frame.type)
            conn.send(
                {"type": "end_reason_saved", "conversation_id": record.id, "reason": frame.reason}
            )
        elif isinstance(frame, BlockVisitor):
            await self._block(conn, member, frame)
        elif isinstance(frame, Unblock):
            await self._unblock(conn, member, frame)

    async def _oversee(
        self, member: StaffMember, conversation_id: str, ref: str
    ) -> ConversationRecord:
        record = await self.hub.conversation(conversation_id)
        if record is None or not may_oversee(member, record):
            raise FrameError("not_a_participant", "You are not part of this conversation.", ref)
        return record

    # --- transfer -------------------------------------------------------------------------------

    async def _colleagues(self, member: StaffMember) -> list[dict[str, Any]]:
        """Colleagues online on any process (shared presence), with how many chats they have."""
        present = self.live.presence.online(member.organisation_id)
        online: dict[str, StaffMember] = {
            found.id: found
            for found in await self.staff.members(member.organisation_id)
            if found.id in present
            and found.id != member.id
            and found.active
            and found.role in CHAT_ROLES
        }
        load = await self.repo.active_counts(list(online))
        capacity = {staff_id: await self.capacity_of(staff_id) for staff_id in online}
        return sorted(
            (
                {
                    "id": staff_id,
                    "display_name": found.display_name,
                    "role": found.role.value,
                    "active_chats": load.get(staff_id, 0),
                    "max_chats": capacity[staff_id],
                }
                for staff_id, found in online.items()
            ),
            key=lambda c: (c["active_chats"], str(c["display_name"]).casefold()),
        )

    async def _transfer(self, conn: Connection, member: StaffMember, frame: Transfer) -> None:
        ref = frame.type
        record = await self._oversee(member, frame.conversation_id, ref)
        if record.state is not State.ACTIVE or record.counselor_id is None:
            raise _not_held(ref)
        note = _staff_text(frame.note, ref) if frame.note.strip() else None
        if frame.to_staff_id == record.counselor_id:
            raise FrameError("invalid_target", "This colleague already has this chat.", ref)
        target = await self.staff.by_id(frame.to_staff_id)
        if (
            target is None
            or not target.active
            or target.organisation_id != record.organisation_id
            or target.role not in CHAT_ROLES
        ):
            raise FrameError("unknown_colleague", "There is no such colleague.", ref)
        if not self.live.presence.is_online(target.id):
            raise FrameError(
                "colleague_offline",
                f"{target.display_name} is not online; choose someone who is.",
                ref,
            )
        from_id = record.counselor_id
        capacity = await self.capacity_of(target.id)
        try:
            transition = await self.repo.transfer(
                record.id, from_id, target.id, target.display_name, capacity
            )
        except AtCapacity:
            raise FrameError(
                "colleague_full",
                f"{target.display_name} already has {capacity} chats open.",
                ref,
            ) from None
        except NotHeld:
            raise _not_held(ref) from None
        if note is not None:
            try:
                self._publish_note(
                    await self.notes.add(
                        record.id, member.id, member.display_name, TRANSFER_NOTE, note
                    ),
                    record,
                )
            except Exception:
                # The chat is handed on already; the colleague can still be told in person.
                log.exception("storing a transfer note failed")
        self.live.transition(transition)
        self.release(from_id, record.id, "transferred")
        self._staff_frame(
            target.id,
            {"type": "transfer_in", "conversation_id": record.id, "from_staff_id": member.id},
        )
        conn.send({"type": "transferred", "conversation_id": record.id, "to_staff_id": target.id})

    def release(self, staff_id: str, conversation_id: str, reason: str) -> None:
        """Tell a counselor's consoles that a chat is no longer theirs."""
        self._staff_frame(
            staff_id,
            {"type": "released", "conversation_id": conversation_id, "reason": reason},
            release=conversation_id,
        )

    # --- block ----------------------------------------------------------------------------------

    async def _block(self, conn: Connection, member: StaffMember, frame: BlockVisitor) -> None:
        ref = frame.type
        record = await self._oversee(member, frame.conversation_id, ref)
        try:
            duration = block_duration(frame.hours)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        code_id = record.return_code_id or await self.live.codes.code_of(record.id)
        block = await self.blocks.add(
            record.organisation_id,
            record.id,
            code_id,
            BlockReason(frame.reason).value,
            duration,
            member.id,
        )
        if record.state is not State.ENDED:
            transition = await self.repo.end(
                record.id,
                EndedBy.COUNSELOR,
                member.id,
                member.display_name,
                end_reason=EndReason.ABUSIVE.value,
                event_code=EVENT_ENDED_BLOCKED,
            )
            if transition is not None:
                self.live.transition(transition)
        conn.send({"type": "blocked", **block_view(block)})

    async def _unblock(self, conn: Connection, member: StaffMember, frame: Unblock) -> None:
        found = await self.blocks.get(frame.block_id)
        if found is None:
            raise FrameError("not_found", "There is no such block.", frame.type)
        block, organisation_id, _lifted = found
        if organisation_id != member.organisation_id or (
            member.role not in OVERSEERS and block.created_by != member.id
        ):
            raise FrameError("forbidden", "Only a supervisor can lift this block.", frame.type)
        if not await self.blocks.lift(block.id, member.id):
            raise FrameError("not_found", "This block was already lifted.", frame.type)
        # The same record as a lift on /staff/blocks (web/staff_block_routes.py).
        await self.live.audit.record(
            audit_kinds.BLOCK_LIFT,
            audit_kinds.Actor.of(member),
            audit_kinds.BLOCK,
            block.id,
            f"reason={block.reason}",
        )
        conn.send({"type": "unblocked", "block_id": block.id})

    async def code_blocked(self, return_code_id: str) -> Block | None:
        return await self.blocks.active_for_code(return_code_id)

    # --- fan-out ----------------------------------------------------------------------------------

    def _publish_note(self, note: Note, record: ConversationRecord) -> None:
        # Who may read it travels with the event: the chat may have ended (and left the hub).
        text_free: wire.NoteWire = {
            "conversation_id": note.conversation_id,
            "note_id": note.id,
            "organisation_id": record.organisation_id,
            "counselor_id": record.counselor_id,
        }
        self.broker.publish({"kind": "note", "note": note, **text_free, "wire": text_free})

    def _staff_frame(
        self, staff_id: str, frame: wire.TransferIn | wire.Released, release: str | None = None
    ) -> None:
        text_free: wire.StaffFrameWire = {"staff_id": staff_id, "frame": frame, "release": release}
        self.broker.publish({"kind": "staff_frame", **text_free, "wire": text_free})

    def on_staff_frame(self, event: wire.StaffFrame) -> None:
        release = event.get("release")
        for conn in list(self.hub.staff_by_id.get(str(event.get("staff_id")), ())):
            if isinstance(release, str):
                self.hub.unfollow(conn, release)
            conn.send(event["frame"])

    def on_note(self, event: wire.NoteAdded) -> None:
        note = event.get("note")
        readers = (str(event.get("organisation_id")), event.get("counselor_id"))
        if isinstance(note, Note):
            self._deliver_note(note, *readers)
        elif self.hub.by_conversation.get(str(event.get("conversation_id"))):
            # From another process: the text is only in the database.
            self.hub._spawn(
                self._fetch_note(str(event["conversation_id"]), str(event["note_id"]), *readers)
            )

    async def _fetch_note(
        self, conversation_id: str, note_id: str, organisation_id: str, counselor_id: Any
    ) -> None:
        note = await self.notes.get(conversation_id, note_id)
        if note is not None:
            self._deliver_note(note, organisation_id, counselor_id)

    def _deliver_note(self, note: Note, organisation_id: str, counselor_id: Any) -> None:
        frame = _note_frame(note)
        for conn in list(self.hub.by_conversation.get(note.conversation_id, ())):
            # Notes are for staff only: never a visitor socket, and only staff who may read them.
            if not isinstance(conn.identity, StaffIdentity):
                continue
            member = conn.identity.member
            if member.organisation_id == organisation_id and (
                member.id == counselor_id or member.role in OVERSEERS
            ):
                conn.send(frame)


def _note_frame(note: Note) -> wire.NoteFrame:
    return {"type": "note", "conversation_id": note.conversation_id, "note": note_view(note)}


def _staff_text(text: str, ref: str) -> str:
    try:
        return validate_message_text(text, NOTE_MAX_CHARS)
    except TextError as exc:
        raise FrameError(exc.code, exc.message, ref) from None


def _not_held(ref: str) -> FrameError:
    return FrameError(
        "not_held", "This chat is no longer active with this counselor; nothing was changed.", ref
    )
