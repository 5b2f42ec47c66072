"""The parts of the live layer that the chat service and its tools share.

The counselor tools, supervision, consultations, the overview and the audit hooks each need a few
of these (the hub, the broker, the repository, the settings) and one way to announce a change of a
conversation. They get this object, not the chat service: so none of them depends on the service
that composes them, and none reaches into another's private parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from baken.config import Settings
from baken.realtime import peer_messages, wire
from baken.realtime.broker import Broker
from baken.realtime.hub import Hub
from baken.realtime.presence import Presence
from baken.store.audit_repo import AuditLog
from baken.store.conversation_repo import ConversationRepository, Transition
from baken.store.records import ConversationRecord, StoredMessage
from baken.store.return_code_repo import ReturnCodeRepository


@dataclass(frozen=True, slots=True)
class Live:
    settings: Settings
    repo: ConversationRepository
    broker: Broker
    hub: Hub
    codes: ReturnCodeRepository
    audit: AuditLog
    presence: Presence

    def committed(self, stored: list[StoredMessage]) -> None:
        """Publish messages that are safely stored (the message writer calls this after commit)."""
        # Other processes get the message sealed (peer_messages.py), so they need not read it back.
        to_peers = self.broker.is_ready() is not None
        for message in stored:
            # The one `message_committed` per message (wire.py): the hook for whatever reads what
            # was said (the hub's fan-out, queue signals); other processes hear it as `message`.
            event: wire.MessageCommitted = {
                "kind": "message_committed",
                "conversation_id": message.conversation_id,
                "message": message,
            }
            if to_peers:
                cipher = self.repo.ciphers.peek(message.conversation_id)
                if cipher is not None:
                    event["sealed"] = peer_messages.seal(cipher, message)
            self.broker.publish(event)

    def transition(self, transition: Transition) -> ConversationRecord:
        """Announce a stored change of a conversation: its new record, then its system event."""
        self.broker.publish({"kind": "conversation", "record": transition.conversation})
        self.committed([transition.event])
        return transition.conversation
