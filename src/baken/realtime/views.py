"""How records look on the wire (see docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from baken.domain.conversation import State
from baken.domain.queue import QueuePlace, is_urgent
from baken.realtime import wire
from baken.store.clock import iso, iso_ms
from baken.store.records import ConversationRecord, StoredMessage


def conversation_info(
    record: ConversationRecord, place: QueuePlace | None, visitor_live: bool | None = None
) -> dict[str, Any]:
    """``visitor_live``: False once the visitor was seen using the chat without JavaScript (no
    socket: replies reach them at their page's next refresh), True when they came back on a
    socket after that, None when nothing but the socket was ever seen (issue 13)."""
    queued = record.state is State.QUEUED and place is not None
    return {
        "id": record.id,
        "state": record.state.value,
        "nickname": record.nickname,
        "lang": record.lang,
        "created_at": iso(record.created_at),
        "accepted_at": iso(record.accepted_at),
        "ended_at": iso(record.ended_at),
        "ended_by": record.ended_by.value if record.ended_by else None,
        "counselor": record.counselor_name,
        "last_seq": record.last_seq,
        "position": place.position if queued and place else None,
        "estimated_wait_seconds": place.wait_seconds if queued and place else None,
        "urgent": is_urgent(record.priority),
        "read_seq": {"visitor": record.visitor_read_seq, "counselor": record.counselor_read_seq},
        "delivered_seq": {
            "visitor": record.visitor_delivered_seq,
            "counselor": record.counselor_delivered_seq,
        },
        "expired": record.expired,
        "visitor_live": visitor_live,
    }


def place_frame(conversation_id: str, position: int, wait_seconds: int | None) -> wire.Place:
    """A waiting visitor's new place and estimate: on an accept, all that most of them need."""
    return {
        "type": "place",
        "conversation_id": conversation_id,
        "position": position,
        "estimated_wait_seconds": wait_seconds,
    }


def expired_transcript(record: ConversationRecord) -> wire.Messages:
    """The catch-up of a conversation whose transcript retention destroyed: nothing, and why."""
    return {
        "type": "messages",
        "conversation_id": record.id,
        "messages": [],
        "last_seq": record.last_seq,
        "more": False,
        "expired": True,
    }


def message(msg: StoredMessage, own: bool) -> dict[str, Any]:
    return {
        "seq": msg.seq,
        "sender": msg.sender.value,
        "name": msg.name,
        "text": msg.text,
        "event": msg.event,
        "sent_at": iso_ms(msg.sent_at_ms),
        "client_msg_id": msg.client_msg_id if own else None,
    }


def error(code: str, text: str, ref: str | None = None) -> wire.Error:
    return {"type": "error", "code": code, "message": text, "ref": ref}
