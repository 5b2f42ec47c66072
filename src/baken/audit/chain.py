"""The hash chain: how one audit record is written down canonically and linked to the one before.

hash(n) = SHA-256(hash(n-1) + "\\n" + canonical(n)), with hash(0) = 64 zeros. Changing, removing or
inserting any record changes every hash after it, so the chain (and its head) no longer match.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: str | None
    actor_role: str | None
    kind: str
    object_type: str | None
    object_id: str | None
    detail: str | None
    hash: str = ""
    # Issue 14: whose record this is (None: the installation's own, e.g. the operator's CLI).
    organisation_id: str | None = None


def _timestamp(value: datetime) -> str:
    # SQLite hands back naive datetimes (stored as UTC); both databases keep microseconds.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(record: AuditRecord) -> str:
    """One spelling of a record: a JSON array in fixed order, ASCII only, no spaces."""
    return json.dumps(
        [
            record.id,
            _timestamp(record.at),
            record.actor_id,
            record.actor_role,
            record.kind,
            record.object_type,
            record.object_id,
            record.detail,
            # Only records that have an organisation carry it, so the records written before
            # organisations were data keep their hashes.
            *([record.organisation_id] if record.organisation_id is not None else []),
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def link(previous_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical(record)}".encode()).hexdigest()
