"""AES-256-GCM envelope encryption.

Each conversation has its own random 256-bit data key. Only the data key wrapped by the master
key is stored, so destroying a wrapped key later (retention) makes that conversation unreadable
everywhere, backups included. Message ciphertexts are bound to their conversation and seq through
the associated data, so a row copied to another conversation or position fails to decrypt
instead of lying.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
FORMAT_VERSION = b"\x01"


class DecryptionError(Exception):
    """A ciphertext could not be authenticated: wrong key, wrong place, or tampered."""


class KeyDestroyed(DecryptionError):
    """The conversation key was destroyed by retention: its texts can never be read again."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"baken-master-key-id" + key).hexdigest()[:16]


class MasterKey:
    """The key-encryption key. It never encrypts message text itself."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the master key must be exactly 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = _key_id(key)

    def wrap(self, conversation_id: str, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        aad = b"baken-wrap:" + conversation_id.encode()
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, data_key, aad)

    def unwrap(self, conversation_id: str, wrapped: bytes) -> bytes:
        if wrapped[:1] != FORMAT_VERSION:
            raise DecryptionError("unknown key format")
        nonce = wrapped[1 : 1 + NONCE_BYTES]
        aad = b"baken-wrap:" + conversation_id.encode()
        try:
            return self._aead.decrypt(nonce, wrapped[1 + NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise DecryptionError("conversation key does not unwrap") from exc


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _message_aad(conversation_id: str, seq: int) -> bytes:
    return f"baken-msg:{conversation_id}:{seq}".encode()


def _peer_aad(conversation_id: str, seq: int) -> bytes:
    return f"baken-peer:{conversation_id}:{seq}".encode()


class ConversationCipher:
    """Encrypts and decrypts the texts of one conversation."""

    __slots__ = ("_aead", "conversation_id")

    def __init__(self, conversation_id: str, data_key: bytes) -> None:
        self.conversation_id = conversation_id
        self._aead = AESGCM(data_key)

    def _seal(self, data: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, data, aad)

    def _open(self, blob: bytes, aad: bytes, what: str) -> bytes:
        if blob[:1] != FORMAT_VERSION:
            raise DecryptionError("unknown ciphertext format")
        nonce = blob[1 : 1 + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[1 + NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise DecryptionError(f"{what} does not decrypt in this place") from exc

    def encrypt(self, seq: int, text: str) -> bytes:
        return self._seal(text.encode(), _message_aad(self.conversation_id, seq))

    def decrypt(self, seq: int, blob: bytes) -> str:
        return self._open(blob, _message_aad(self.conversation_id, seq), "message").decode()

    # A committed message on its way to Baken's other processes (through Redis): bound to the
    # conversation and seq like the stored copy, but with its own label so the two never swap.
    def seal_for_peers(self, seq: int, data: bytes) -> bytes:
        return self._seal(data, _peer_aad(self.conversation_id, seq))

    def open_from_peer(self, seq: int, blob: bytes) -> bytes:
        return self._open(blob, _peer_aad(self.conversation_id, seq), "peer message")

    # Nicknames and other short per-conversation text use seq 0, which no message ever has.
    def encrypt_field(self, text: str) -> bytes:
        return self.encrypt(0, text)

    def decrypt_field(self, blob: bytes) -> str:
        return self.decrypt(0, blob)

    # Staff notes on the conversation: bound to their own id, so a note never decrypts as a
    # message (or another note) if a row is moved.
    def encrypt_note(self, note_id: str, text: str) -> bytes:
        return self._seal(text.encode(), self._note_aad(note_id))

    def decrypt_note(self, note_id: str, blob: bytes) -> str:
        return self._open(blob, self._note_aad(note_id), "note").decode()

    def _note_aad(self, note_id: str) -> bytes:
        return f"baken-note:{self.conversation_id}:{note_id}".encode()


class CipherCache:
    """Unwrapped conversation ciphers, most recently used kept, so hot chats skip the unwrap."""

    def __init__(self, master: MasterKey, capacity: int = 20_000) -> None:
        self.master = master
        self._capacity = capacity
        self._items: OrderedDict[str, ConversationCipher] = OrderedDict()

    def get(self, conversation_id: str, wrapped: bytes) -> ConversationCipher:
        cipher = self._items.get(conversation_id)
        if cipher is not None:
            self._items.move_to_end(conversation_id)
            return cipher
        if not wrapped:
            raise KeyDestroyed(f"the key of {conversation_id} was destroyed by retention")
        cipher = ConversationCipher(conversation_id, self.master.unwrap(conversation_id, wrapped))
        self._items[conversation_id] = cipher
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return cipher

    def peek(self, conversation_id: str) -> ConversationCipher | None:
        """The cipher if it is unwrapped already; never reads or unwraps a key."""
        return self._items.get(conversation_id)

    def put(self, cipher: ConversationCipher) -> None:
        self._items[cipher.conversation_id] = cipher
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        self._items.pop(conversation_id, None)
