"""Tell open consoles that the list of left messages changed (issue 12).

Visitors leave messages, and write again on a thread, over HTTP (web/service_routes.py), so no
socket hears about it. This sends every staff socket of the organisation whose role may read left
messages one bare frame, `{"type": "left_messages_changed"}`: no text, no thread id, no count.
The console then asks `GET /api/left-messages`, which checks the session and the role again, so
the frame itself can never show anyone something they may not read.

Between processes the event carries only the organisation id.
"""

from __future__ import annotations

from typing import Final

from baken.domain.conversation import Role
from baken.realtime import wire
from baken.realtime.broker import Broker
from baken.realtime.connection import StaffIdentity
from baken.realtime.hub import Hub

KIND: Final = "left_messages"
FRAME_TYPE: Final = "left_messages_changed"
READERS_OF_LEFT_MESSAGES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})

_FRAME_TEXT = wire.encode({"type": FRAME_TYPE})


class LeftMessagesPush:
    def __init__(self, hub: Hub, broker: Broker) -> None:
        self.hub = hub
        self.broker = broker
        broker.on(wire.LeftMessagesEvent, self.on_event)

    def changed(self, organisation_id: str) -> None:
        """A thread of this organisation was added, written to or answered."""
        text_free: wire.LeftMessagesWire = {"organisation_id": organisation_id}
        self.broker.publish({"kind": KIND, **text_free, "wire": text_free})

    def on_event(self, event: wire.LeftMessagesEvent) -> None:
        organisation_id = event.get("organisation_id")
        if not isinstance(organisation_id, str):
            return
        for conns in list(self.hub.staff_by_id.values()):
            for conn in list(conns):
                identity = conn.identity
                if (
                    isinstance(identity, StaffIdentity)
                    and identity.member.organisation_id == organisation_id
                    and identity.member.role in READERS_OF_LEFT_MESSAGES
                ):
                    conn.send_text(_FRAME_TEXT)
