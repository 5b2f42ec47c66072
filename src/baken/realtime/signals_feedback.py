"""The counselor's dismissal of a detected indicator (issue 19, item 2; docs/signals.md).

A dismissal adds one to a daily count per organisation and label, which says where the lexicons
cry wolf. Nothing links the count to a chat, a counselor or the words that were marked. A
confirmation is not sent at all: it lives in the console until the counselor saves it in the
registration, as their own value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from baken.campaigns.codes import local_day
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import FrameError, SignalsFeedback
from baken.realtime.hub import Hub
from baken.signals.labels import LABELS
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.signal_dismissal_repo import add_dismissal

# (conversation, label) pairs already counted on this process, so that a double click or a
# reloaded console does not count twice. In memory only, and bounded: the oldest are forgotten.
REMEMBERED = 10_000


class SignalsFeedbackHandler:
    def __init__(self, hub: Hub, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.hub = hub
        self.db = db
        self.clock = clock
        self._counted: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def handle(self, conn: Connection, frame: SignalsFeedback) -> None:
        identity = conn.identity
        if not isinstance(identity, StaffIdentity):
            raise FrameError("unknown_type", "This frame type is not allowed here.", frame.type)
        if frame.label not in LABELS:
            raise FrameError("invalid_frame", "Field 'label': unknown indicator.", frame.type)
        # Only the chat's own counselor gets its signals, so only they can dismiss one; an ended
        # chat still counts (the list stays in the panel while the counselor registers).
        record = await self.hub.conversation(frame.conversation_id)
        member = identity.member
        if (
            record is None
            or record.counselor_id != member.id
            or record.organisation_id != member.organisation_id
        ):
            raise FrameError(
                "not_a_participant", "You are not part of this conversation.", frame.type
            )
        key = (frame.conversation_id, frame.label)
        if key not in self._counted:
            await add_dismissal(
                self.db, record.organisation_id, local_day(self.clock()), frame.label
            )
            self._counted[key] = None
            if len(self._counted) > REMEMBERED:
                self._counted.popitem(last=False)
        conn.send(
            {
                "type": "signals_feedback_saved",
                "conversation_id": frame.conversation_id,
                "label": frame.label,
            }
        )
