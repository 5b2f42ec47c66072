"""Messages sealed for the other processes: they open only in their place; Redis sees no text."""

from __future__ import annotations

import base64

import orjson
import pytest

from baken.crypto.envelope import ConversationCipher, DecryptionError, new_data_key
from baken.domain.conversation import Sender
from baken.realtime import peer_messages
from baken.realtime.redis_broker import wire_form
from baken.realtime.wire import MessageCommitted
from baken.store.records import StoredMessage

TEXT = "Ik durf niet naar huis <b>vanavond</b>"
NAME = "Anna de Vries"


def message(conversation_id: str = "c_one", seq: int = 7) -> StoredMessage:
    return StoredMessage(
        conversation_id=conversation_id,
        seq=seq,
        author="s:staff-1",
        sender=Sender.COUNSELOR,
        staff_id="staff-1",
        name=NAME,
        client_msg_id="m-42",
        event=None,
        text=TEXT,
        sent_at_ms=1_764_000_000_123,
    )


def test_a_sealed_message_opens_to_the_same_message() -> None:
    cipher = ConversationCipher("c_one", new_data_key())
    sealed = peer_messages.seal(cipher, message())
    assert peer_messages.open_sealed(cipher, 7, sealed) == message()


def test_the_wire_form_carries_no_text_or_name() -> None:
    cipher = ConversationCipher("c_one", new_data_key())
    sealed = peer_messages.seal(cipher, message())
    event: MessageCommitted = {
        "kind": "message_committed",
        "conversation_id": "c_one",
        "message": message(),
        "sealed": sealed,
    }
    wire = wire_form(event)
    # Other processes hear it as `message`, exactly as before the local event had its own name.
    assert wire == {"kind": "message", "conversation_id": "c_one", "seq": 7, "sealed": sealed}
    raw = orjson.dumps(wire)
    for secret in (TEXT, NAME, "durf", "Anna"):
        assert secret.encode() not in raw


@pytest.mark.parametrize("where", ["other seq", "other conversation", "other key"])
def test_a_seal_opens_only_in_its_own_place(where: str) -> None:
    key = new_data_key()
    sealed = peer_messages.seal(ConversationCipher("c_one", key), message())
    cipher = {
        "other seq": ConversationCipher("c_one", key),
        "other conversation": ConversationCipher("c_two", key),
        "other key": ConversationCipher("c_one", new_data_key()),
    }[where]
    seq = 8 if where == "other seq" else 7
    with pytest.raises(DecryptionError):
        peer_messages.open_sealed(cipher, seq, sealed)


def test_a_stored_message_blob_never_opens_as_a_peer_message() -> None:
    cipher = ConversationCipher("c_one", new_data_key())
    stored_blob = cipher.encrypt(7, orjson.dumps({"text": TEXT}).decode())
    with pytest.raises(DecryptionError):
        peer_messages.open_sealed(cipher, 7, base64.b64encode(stored_blob).decode())


@pytest.mark.parametrize("sealed", ["", "not base64!", "AAAA", "Zm9v" * 40])
def test_malformed_seals_are_refused_cleanly(sealed: str) -> None:
    cipher = ConversationCipher("c_one", new_data_key())
    with pytest.raises(DecryptionError):
        peer_messages.open_sealed(cipher, 7, sealed)


def test_a_batch_from_redis_dispatches_each_foreign_event_in_order() -> None:
    from baken.realtime.redis_broker import RedisBroker

    broker = RedisBroker("redis://127.0.0.1:1/0", "test-channel")
    seen: list[int] = []
    broker.subscribe(lambda event: seen.append(int(event["seq"])))
    other, own = "other-process", broker.origin
    batch = [
        {"kind": "message", "conversation_id": "c", "seq": 1, "origin": other},
        {"kind": "message", "conversation_id": "c", "seq": 2, "origin": own},
        "not an event",
        {"kind": "message", "conversation_id": "c", "seq": 3, "origin": other},
    ]
    broker._receive(orjson.dumps(batch))
    broker._receive(orjson.dumps({"kind": "message", "conversation_id": "c", "seq": 4}))
    broker._receive(b"{broken")
    assert seen == [1, 3, 4]
