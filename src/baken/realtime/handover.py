"""Shift handover (issue 15, item 4; docs/counselor-tools.md, "Shift handover"): at the end of a
shift a counselor passes each open chat on — to a colleague who is online (a warm transfer) or back
to the team queue at its old place — with a handover note that the next counselor reads among the
chat's notes (sealed like every note). Every handover is audited.

Nothing is left hanging: when a counselor signs out with chats still open, those go back to the
queue at their old place (they keep their arrival time and priority, so they come before anyone
who arrived later) and the record says so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from baken.audit import kinds as audit_kinds
from baken.domain.conversation import State
from baken.domain.text import TextError, validate_message_text
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import FrameError, Handover, Transfer
from baken.store.conversation_repo import NotHeld
from baken.store.note_repo import TRANSFER_NOTE
from baken.store.staff_repo import StaffMember

if TYPE_CHECKING:
    from baken.realtime.counselor_tools import CounselorTools
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

NOTE_MAX_CHARS = 4000


class Handovers:
    def __init__(self, live: Live, tools: CounselorTools) -> None:
        self.live = live
        self.tools = tools

    async def handle(self, conn: Connection, frame: Handover) -> None:
        assert isinstance(conn.identity, StaffIdentity)
        member = conn.identity.member
        ref = frame.type
        # Checked before anything moves: a note that is too long changes nothing.
        try:
            note = validate_message_text(frame.note, NOTE_MAX_CHARS) if frame.note.strip() else ""
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        if frame.to_staff_id is not None:
            # The warm transfer's own checks (an active colleague of the organisation, online,
            # with room; a disabled account answers like an unknown one) and its sealed note.
            transfer = Transfer(
                type="transfer",
                conversation_id=frame.conversation_id,
                to_staff_id=frame.to_staff_id,
                note=note,
            )
            try:
                await self.tools.handle(conn, transfer)
            except FrameError as exc:
                raise FrameError(exc.code, exc.message, ref) from None
            await self._audit(member, frame.conversation_id, "colleague")
            conn.send(
                {
                    "type": "handed_over",
                    "conversation_id": frame.conversation_id,
                    "to_staff_id": frame.to_staff_id,
                }
            )
            return
        record = await self.tools._oversee(member, frame.conversation_id, ref)
        if record.state is not State.ACTIVE or record.counselor_id is None:
            raise _not_held(ref)
        holder = record.counselor_id
        try:
            transition = await self.live.repo.requeue(record.id, holder, member.display_name)
        except NotHeld:
            raise _not_held(ref) from None
        if note:
            try:
                stored = await self.tools.notes.add(
                    record.id, member.id, member.display_name, TRANSFER_NOTE, note
                )
                self.tools._publish_note(stored, record)
            except Exception:
                # The chat is back in the queue already; the team can still be told in person.
                log.exception("storing a handover note failed")
        self.live.transition(transition)
        self.tools.release(holder, record.id, "requeued")
        await self._audit(member, record.id, "queue")
        conn.send({"type": "handed_over", "conversation_id": record.id, "to_staff_id": None})

    async def sign_out(self, member: StaffMember) -> list[str]:
        """Put every chat still open with this counselor back in the queue; the ids."""
        moved = []
        for record in await self.live.repo.active_for(member.id):
            try:
                transition = await self.live.repo.requeue(record.id, member.id, member.display_name)
            except NotHeld:
                continue  # ended or taken over in the meantime
            self.live.transition(transition)
            self.tools.release(member.id, record.id, "requeued")
            await self._audit(member, record.id, "sign_out")
            moved.append(record.id)
        return moved

    async def _audit(self, member: StaffMember, conversation_id: str, how: str) -> None:
        await self.live.audit.record(
            audit_kinds.CONVERSATION_HANDOVER,
            audit_kinds.Actor.of(member),
            audit_kinds.CONVERSATION,
            conversation_id,
            how,
        )


def _not_held(ref: str) -> FrameError:
    return FrameError(
        "not_held", "This chat is no longer active with this counselor; nothing was changed.", ref
    )
