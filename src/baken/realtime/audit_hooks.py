"""Where the live socket meets the audit log and retention.

Opening a conversation (taking it, or a staff socket starting to read its transcript) is audited;
sending messages is not, so the chat's hot path never waits for the audit log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from baken.audit import kinds
from baken.realtime import views
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import FrameError
from baken.store.audit_repo import AuditLog
from baken.store.staff_repo import StaffMember

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)


async def record_open(
    audit: AuditLog, member: StaffMember, conversation_id: str, kind: str
) -> bool:
    """Audit that a staff member opened a conversation (kinds.CONVERSATION_*); False if the
    record could not be written (logged)."""
    try:
        await audit.record(kind, kinds.Actor.of(member), kinds.CONVERSATION, conversation_id)
    except SQLAlchemyError:
        log.exception("writing an audit record failed")
        return False
    return True


async def record_silent_observe(audit: AuditLog, member: StaffMember, conversation_id: str) -> bool:
    """For the supervisor's silent observe: call before the first line is shown."""
    return await record_open(audit, member, conversation_id, kinds.CONVERSATION_OBSERVE)


async def before_transcript(live: Live, conn: Connection, conversation_id: str) -> bool:
    """Run before a socket is sent a conversation's transcript; False: send none.

    A staff socket that starts reading a conversation is audited once (later syncs on the same
    socket only fetch what it missed); without that record, it is shown nothing. An expired
    transcript is answered with an empty, expired catch-up.
    """
    record = await live.hub.conversation(conversation_id)
    if record is not None and record.expired:
        conn.send(views.expired_transcript(record))
        return False
    identity = conn.identity
    first_read = isinstance(identity, StaffIdentity) and conversation_id not in conn.cursors
    if first_read and isinstance(identity, StaffIdentity):
        opened = await record_open(
            live.audit, identity.member, conversation_id, kinds.CONVERSATION_READ
        )
        if not opened:
            raise FrameError(
                "unavailable", "The conversation cannot be opened right now; try again.", "sync"
            )
    return True
