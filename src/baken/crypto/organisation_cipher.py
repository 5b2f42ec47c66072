"""An organisation's own data key (issue 16), for what staff of one organisation share and that
belongs to no conversation: the canned answers. AES-256-GCM, the key wrapped by the master key
ring like a conversation key (re-wrapped by `baken keys rotate`), each text bound to its row.

Canned answers are typed by staff, yet they describe how an organisation works with victims
(which shelter, which police team, which words): a stolen database must not hand them out.
"""

from __future__ import annotations

import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from baken.crypto.envelope import FORMAT_VERSION, NONCE_BYTES, DecryptionError


def organisation_wrap_context(organisation_id: str) -> str:
    """The associated data an organisation key is wrapped with: never a conversation's."""
    return "org:" + organisation_id


class OrganisationCipher:
    __slots__ = ("_aead", "organisation_id")

    def __init__(self, organisation_id: str, data_key: bytes) -> None:
        self.organisation_id = organisation_id
        self._aead = AESGCM(data_key)

    def _aad(self, canned_id: str) -> bytes:
        return f"baken-canned:{self.organisation_id}:{canned_id}".encode()

    def seal_canned(self, canned_id: str, title: str, body: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = orjson.dumps({"title": title, "body": body})
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plain, self._aad(canned_id))

    def open_canned(self, canned_id: str, blob: bytes) -> tuple[str, str]:
        if blob[:1] != FORMAT_VERSION:
            raise DecryptionError("unknown ciphertext format")
        nonce = blob[1 : 1 + NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, blob[1 + NONCE_BYTES :], self._aad(canned_id))
        except InvalidTag as exc:
            raise DecryptionError("canned answer does not decrypt in this place") from exc
        data = orjson.loads(plain)
        return str(data["title"]), str(data["body"])

    # Issue 17, item 4: other records of the organisation that hold typed text (police signals),
    # each bound to its kind and id so that one record's ciphertext never opens as another's.
    def _record_aad(self, kind: str, record_id: str) -> bytes:
        return f"baken-{kind}:{self.organisation_id}:{record_id}".encode()

    def seal_record(self, kind: str, record_id: str, data: object) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = orjson.dumps(data)
        aad = self._record_aad(kind, record_id)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plain, aad)

    def open_record(self, kind: str, record_id: str, blob: bytes) -> object:
        if blob[:1] != FORMAT_VERSION:
            raise DecryptionError("unknown ciphertext format")
        nonce = blob[1 : 1 + NONCE_BYTES]
        aad = self._record_aad(kind, record_id)
        try:
            plain = self._aead.decrypt(nonce, blob[1 + NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise DecryptionError(f"{kind} does not decrypt in this place") from exc
        return orjson.loads(plain)
