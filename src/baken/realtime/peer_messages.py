"""A committed message as it travels to Baken's other processes, sealed with its conversation's key.

With several processes, the one that stored a message tells the others through Redis. Sending only
the seq made every receiving process read each message back from the database: at 2,000 msg/s
across two processes that exhausted the connection pool (docs/performance.md). So the event carries
the message itself, encrypted under the conversation's data key (AES-GCM, bound to conversation,
seq and its own label). Redis sees ids, seqs and ciphertext: nothing the database does not already
hold, and no text or name. A process that has no unwrapped key for the conversation, or cannot
open the seal, falls back to reading the database, as before.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from baken.crypto.envelope import ConversationCipher, DecryptionError
from baken.domain.conversation import Sender
from baken.store.records import StoredMessage


def seal(cipher: ConversationCipher, message: StoredMessage) -> str:
    fields = {
        "author": message.author,
        "sender": message.sender.value,
        "staff_id": message.staff_id,
        "name": message.name,
        "client_msg_id": message.client_msg_id,
        "event": message.event,
        "text": message.text,
        "sent_at_ms": message.sent_at_ms,
    }
    blob = cipher.seal_for_peers(message.seq, orjson.dumps(fields))
    return base64.b64encode(blob).decode("ascii")


def open_sealed(cipher: ConversationCipher, seq: int, sealed: str) -> StoredMessage:
    """The message, or DecryptionError when the seal is broken, foreign or malformed."""
    try:
        blob = base64.b64decode(sealed, validate=True)
        fields: dict[str, Any] = orjson.loads(cipher.open_from_peer(seq, blob))
        return StoredMessage(
            conversation_id=cipher.conversation_id,
            seq=seq,
            author=str(fields["author"]),
            sender=Sender(fields["sender"]),
            staff_id=fields["staff_id"],
            name=fields["name"],
            client_msg_id=fields["client_msg_id"],
            event=fields["event"],
            text=str(fields["text"]),
            sent_at_ms=int(fields["sent_at_ms"]),
        )
    except DecryptionError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise DecryptionError("malformed peer message") from exc
