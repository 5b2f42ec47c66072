"""Re-wrapping every stored key to the newest master key, in small batches.

Each batch is one short transaction, so chats go on while it runs. A row is only changed if it
still holds the wrapped key that was read (compare and set): a key destroyed by retention, or
re-wrapped by another rotation, in the meantime stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, and_, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from baken.crypto.envelope import MasterKey
from baken.crypto.keyring import KeyRing
from baken.crypto.organisation_cipher import organisation_wrap_context
from baken.store.database import Database
from baken.store.retention_repo import SHREDDED_KEY_ID
from baken.store.tables import (
    consult_messages,
    conversations,
    installation_secrets,
    organisation_keys,
    return_codes,
    staff_totp,
)
from baken.store.two_factor_repo import _wrap_context as totp_context

BATCH = 200


@dataclass(frozen=True, slots=True)
class WrappedKeys:
    """One place where keys wrapped by the master key are stored."""

    name: str
    table: Table
    id_column: Column[str]
    wrapped_column: Column[bytes]
    key_id_column: Column[str]
    # The associated data the wrap was made with, from the row id.
    context: Callable[[str], str]

    def pending(self, primary_id: str) -> ColumnElement[bool]:
        return and_(
            self.key_id_column != primary_id,
            self.key_id_column != SHREDDED_KEY_ID,
            self.wrapped_column.is_not(None),
        )


WRAPPED: tuple[WrappedKeys, ...] = (
    WrappedKeys(
        "conversations",
        conversations,
        conversations.c.id,
        conversations.c.wrapped_key,
        conversations.c.key_id,
        str,
    ),
    WrappedKeys(
        "mailboxes",
        return_codes,
        return_codes.c.id,
        return_codes.c.wrapped_key,
        return_codes.c.key_id,
        str,
    ),
    WrappedKeys(
        "installation secrets",
        installation_secrets,
        installation_secrets.c.name,
        installation_secrets.c.wrapped,
        installation_secrets.c.key_id,
        str,
    ),
    WrappedKeys(
        "second factors",
        staff_totp,
        staff_totp.c.staff_id,
        staff_totp.c.secret,
        staff_totp.c.key_id,
        totp_context,
    ),
    # Issue 16: each organisation's key (canned answers).
    WrappedKeys(
        "organisation keys",
        organisation_keys,
        organisation_keys.c.organisation_id,
        organisation_keys.c.wrapped_key,
        organisation_keys.c.key_id,
        organisation_wrap_context,
    ),
    # Supervision (issue 3): each consult message between staff has a key of its own.
    WrappedKeys(
        "consults",
        consult_messages,
        consult_messages.c.id,
        consult_messages.c.wrapped_key,
        consult_messages.c.key_id,
        str,
    ),
)


class KeyRotationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def counts_by_key(self) -> dict[str, dict[str, int]]:
        """For each place: how many keys are wrapped by which master key id."""
        found: dict[str, dict[str, int]] = {}
        async with self.db.reader.connect() as conn:
            for target in WRAPPED:
                rows = (
                    await conn.execute(
                        select(target.key_id_column, func.count())
                        .where(target.wrapped_column.is_not(None))
                        .group_by(target.key_id_column)
                    )
                ).all()
                found[target.name] = {str(row[0]): int(row[1]) for row in rows}
        return found

    async def pending(self, primary: MasterKey) -> int:
        total = 0
        async with self.db.reader.connect() as conn:
            for target in WRAPPED:
                total += int(
                    await conn.scalar(
                        select(func.count())
                        .select_from(target.table)
                        .where(target.pending(primary.key_id))
                    )
                    or 0
                )
        return total

    async def rewrap_batch(
        self, target: WrappedKeys, ring: KeyRing, after: str, batch: int = BATCH
    ) -> tuple[int, str | None]:
        """Re-wrap up to `batch` keys with ids after `after`; returns (changed, last id seen)."""
        primary = ring.primary
        async with self.db.writer.begin() as conn:
            rows = (
                await conn.execute(
                    select(target.id_column, target.wrapped_column, target.key_id_column)
                    .where(and_(target.pending(primary.key_id), target.id_column > after))
                    .order_by(target.id_column)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return 0, None
            changed = 0
            for row_id, wrapped, _key_id in rows:
                context = target.context(row_id)
                rewrapped = primary.wrap(context, ring.unwrap(context, wrapped))
                result = await conn.execute(
                    update(target.table)
                    .where(and_(target.id_column == row_id, target.wrapped_column == wrapped))
                    .values(
                        {
                            target.wrapped_column.name: rewrapped,
                            target.key_id_column.name: primary.key_id,
                        }
                    )
                )
                changed += int(result.rowcount or 0)
        return changed, str(rows[-1][0])
