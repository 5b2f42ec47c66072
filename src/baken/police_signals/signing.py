"""Each organisation's Ed25519 key for signing police signals: 32 random bytes made on first use
and kept like every installation secret (store/installation_secret.py: wrapped by the master key,
re-wrapped by `baken keys rotate`). The police partner gets the public key once
(`baken police-signal public-key`) and checks every file against it."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from baken.crypto.envelope import MasterKey
from baken.store.database import Database
from baken.store.installation_secret import InstallationSecret

_PREFIX = "police_sign:"


def secret_name(organisation_id: str) -> str:
    name = _PREFIX + organisation_id
    if len(name) <= 40:  # installation_secrets.name
        return name
    return _PREFIX + hashlib.sha256(organisation_id.encode()).hexdigest()[:28]


async def signing_key(db: Database, master: MasterKey, organisation_id: str) -> Ed25519PrivateKey:
    seed = await InstallationSecret(db, master, secret_name(organisation_id)).get()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in groups of four hex digits: read aloud over the phone."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify(key: Ed25519PublicKey, document: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, document)
    except InvalidSignature:
        return False
    return True
