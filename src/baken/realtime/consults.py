"""The consultation channel: staff of one organisation talk to each other, never to a visitor.

Two kinds of thread: the organisation's team room (every counselor, supervisor and admin of it)
and direct messages between two colleagues, each optionally about a conversation the sender may
see. Messages are stored encrypted (store/consult_repo.py) and pushed live to every tab of
whoever may read them, on every process; other processes get ids only and read the text from the
database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from baken.domain.counselor_tools import NOTE_MAX_CHARS
from baken.domain.text import TextError, validate_message_text
from baken.realtime import wire
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.counselor_tools import CHAT_ROLES, may_oversee
from baken.realtime.frames import ConsultHistory, ConsultSend, FrameError
from baken.store.clock import iso
from baken.store.consult_repo import ConsultMessage, ConsultRepository
from baken.store.staff_repo import StaffMember, StaffRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live

TEAM = "team"


def consult_view(message: ConsultMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from_staff_id": message.sender_id,
        "from": message.sender_name,
        "to": message.recipient_id or TEAM,
        "conversation_id": message.conversation_id,
        "text": message.text,
        "created_at": iso(message.created_at),
    }


class Consults:
    def __init__(self, live: Live) -> None:
        self.hub = live.hub
        self.broker = live.broker
        self.repo = ConsultRepository(live.repo.db, live.repo.ciphers)
        self.staff = StaffRepository(live.repo.db)
        self.broker.on(wire.ConsultAdded, self.on_event)

    async def send(self, conn: Connection, member: StaffMember, frame: ConsultSend) -> None:
        ref = frame.type
        try:
            text = validate_message_text(frame.text, NOTE_MAX_CHARS)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        recipient = None if frame.to == TEAM else await self._colleague(member, frame.to, ref)
        if frame.conversation_id is not None:
            record = await self.hub.conversation(frame.conversation_id)
            if record is None or not may_oversee(member, record):
                raise FrameError("not_a_participant", "You are not part of this conversation.", ref)
        message = await self.repo.add(
            member.organisation_id,
            member.id,
            member.display_name,
            recipient.id if recipient else None,
            frame.conversation_id,
            text,
        )
        text_free: wire.ConsultWire = {
            "message_id": message.id,
            "organisation_id": message.organisation_id,
            "sender_id": message.sender_id,
            "recipient_id": message.recipient_id,
        }
        self.broker.publish({"kind": "consult", "message": message, **text_free, "wire": text_free})

    async def history(self, conn: Connection, member: StaffMember, frame: ConsultHistory) -> None:
        if frame.peer == TEAM:
            found = await self.repo.team(member.organisation_id)
        else:
            other = await self._colleague(member, frame.peer, frame.type)
            found = await self.repo.between(member.organisation_id, member.id, other.id)
        conn.send(
            {
                "type": "consult_history",
                "peer": frame.peer,
                "messages": [consult_view(m) for m in found],
            }
        )

    async def _colleague(self, member: StaffMember, staff_id: str, ref: str) -> StaffMember:
        other = await self.staff.by_id(staff_id)
        if (
            other is None
            or other.id == member.id
            or not other.active
            or other.organisation_id != member.organisation_id
            or other.role not in CHAT_ROLES
        ):
            raise FrameError("unknown_colleague", "There is no such colleague.", ref)
        return other

    # --- fan-out ------------------------------------------------------------------------------

    def on_event(self, event: wire.ConsultAdded) -> None:
        message = event.get("message")
        if isinstance(message, ConsultMessage):
            self._deliver(message)
            return
        organisation_id = event.get("organisation_id")
        if isinstance(organisation_id, str) and self._readers(
            organisation_id, event.get("sender_id"), event.get("recipient_id")
        ):
            self.hub._spawn(self._fetch(str(event.get("message_id"))))

    async def _fetch(self, message_id: str) -> None:
        message = await self.repo.get(message_id)
        if message is not None:
            self._deliver(message)

    def _deliver(self, message: ConsultMessage) -> None:
        frame: wire.Consult = {"type": "consult", "message": consult_view(message)}
        for conn in self._readers(message.organisation_id, message.sender_id, message.recipient_id):
            conn.send(frame)

    def _readers(self, organisation_id: str, sender_id: Any, recipient_id: Any) -> list[Connection]:
        """This process's staff sockets that may read the message: never a visitor's."""
        if recipient_id is None:
            candidates = [c for conns in self.hub.staff_by_id.values() for c in conns]
        else:
            candidates = [
                *self.hub.staff_by_id.get(str(sender_id), ()),
                *self.hub.staff_by_id.get(str(recipient_id), ()),
            ]
        readers = []
        for conn in candidates:
            identity = conn.identity
            if (
                isinstance(identity, StaffIdentity)
                and identity.member.organisation_id == organisation_id
                and identity.member.role in CHAT_ROLES
            ):
                readers.append(conn)
        return readers
