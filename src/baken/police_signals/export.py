"""The document the police partner receives: the structured fields of an approved signal, the
organisation, the signal's id and the approval time — nothing else. Not the conversation, not the
visitor's code, nickname or words, not staff names (only their roles), not when it was drafted.

The JSON file is the canonical bytes themselves (keys sorted, no spaces, UTF-8), so the signature
file (base64 of the Ed25519 signature over exactly those bytes) verifies against the file as sent.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baken.police_signals.fields import SignalFields
from baken.police_signals.signing import fingerprint
from baken.registration import codebook

FORMAT = "baken-police-signal/1"


@dataclass(frozen=True, slots=True)
class Signed:
    document: bytes  # the JSON file
    signature: bytes  # the raw Ed25519 signature
    fingerprint: str
    content: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.document).hexdigest()

    @property
    def signature_text(self) -> str:
        """The signature file: base64 and a newline."""
        return base64.b64encode(self.signature).decode() + "\n"


def canonical(content: dict[str, Any]) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def content_of(
    *,
    signal_id: str,
    organisation_id: str,
    organisation_name: str,
    fields: SignalFields,
    approved_at: datetime,
    drafted_by_role: str | None,
    approved_by_role: str | None,
    key_fingerprint: str,
) -> dict[str, Any]:
    exploitation = codebook.get("exploitation_types")
    types = []
    for value_id in fields.exploitation_types:
        value = exploitation.value(value_id)
        if value is not None:
            types.append({"code": value.id, "nl": value.label.nl, "en": value.label.en})
    return {
        "format": FORMAT,
        "signal_id": signal_id,
        "organisation": {"id": organisation_id, "name": organisation_name},
        "approved_at": approved_at.isoformat(timespec="seconds"),
        "drafted_by_role": drafted_by_role,
        "approved_by_role": approved_by_role,
        "key_fingerprint": key_fingerprint,
        "codebook_version": codebook.CODEBOOK_VERSION,
        "signal": {
            "what": fields.what,
            "where": {"place": fields.place, "city": fields.city, "region": fields.region},
            "when": {"from": fields.when_from, "to": fields.when_to, "period": fields.when_text},
            "exploitation_types": types,
            "perpetrators": fields.perpetrators,
            "vehicles": fields.vehicles,
            "phones": fields.phones,
            "online_handles": fields.online_handles,
        },
    }


def sign(content: dict[str, Any], key: Ed25519PrivateKey) -> Signed:
    document = canonical(content)
    return Signed(document, key.sign(document), fingerprint(key.public_key()), content)


def parse_signature(text: bytes) -> bytes:
    """The raw signature from a signature file; ValueError if it is not one."""
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 64:
        raise ValueError("an Ed25519 signature has 64 bytes")
    return raw
