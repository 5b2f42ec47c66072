"""Plain records that the store hands to the rest of Baken (decrypted, no SQL types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from baken.domain.conversation import EndedBy, Sender, State


@dataclass(slots=True)
class ConversationRecord:
    id: str
    organisation_id: str
    state: State
    priority: int
    lang: str
    created_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: EndedBy | None
    counselor_id: str | None
    counselor_name: str | None
    nickname: str | None
    last_seq: int
    visitor_read_seq: int
    visitor_delivered_seq: int
    counselor_read_seq: int
    counselor_delivered_seq: int
    return_code_id: str | None = None
    preferred_staff_id: str | None = None
    # Retention destroyed its key: the transcript (and nickname) can never be read again.
    expired: bool = False
    # Issue 19, item 3: what detections in the first messages add to a waiting visitor's place.
    queue_acute: bool = False
    queue_signal_points: int = 0


@dataclass(frozen=True, slots=True)
class StoredMessage:
    conversation_id: str
    seq: int
    author: str
    sender: Sender
    staff_id: str | None
    name: str | None
    client_msg_id: str | None
    event: str | None
    text: str
    sent_at_ms: int
