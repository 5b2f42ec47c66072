"""The audit log in the database: appending to the chain, reading pages, verifying it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.audit import kinds
from baken.audit.chain import GENESIS_HASH, AuditRecord, link
from baken.audit.kinds import Actor
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.group_commit import GroupCommit
from baken.store.staff_repo import StaffMember
from baken.store.tables import audit_head, audit_log, staff

log = logging.getLogger(__name__)

# What one record is asked with: kind, actor, object type, object id, detail.
_Entry = tuple[str, Actor, str | None, str | None, str | None]

PAGE_SIZE = 50
VERIFY_BATCH = 2000
APPEND_TRIES = 5
# Records written together in one transaction at most (AuditLog.record).
BATCH_MAX = 500
_DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int
    head_id: int
    head_hash: str
    # The first record that does not fit, and why (None when ok).
    broken_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    # Issue 14: only this organisation's records; with `installation`, also the records of no
    # organisation (the operator's, the system's, failed sign-ins of unknown names).
    organisation_id: str | None = None
    installation: bool = False
    actor_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def append(
    conn: AsyncConnection,
    kind: str,
    actor: Actor,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str | None = None,
) -> AuditRecord:
    """Append one record inside the caller's transaction (so it commits with the change)."""
    [record] = await append_many(conn, [(kind, actor, object_type, object_id, detail)])
    return record


async def append_many(conn: AsyncConnection, entries: list[_Entry]) -> list[AuditRecord]:
    """Append records, in this order, inside the caller's transaction: three statements however
    many there are (the chain's hashes are computed here, one after the other).

    The head row is updated first: that takes its row lock on PostgreSQL and the write lock on
    SQLite before anything is read, so two appenders never link to the same predecessor, in one
    process or in many. last_hash comes back unchanged by that first statement: it is the hash
    of the record before ours; last_id comes back as the id of the last of ours.
    """
    head = (
        await conn.execute(
            update(audit_head)
            .where(audit_head.c.id == 1)
            .values(last_id=audit_head.c.last_id + len(entries))
            .returning(audit_head.c.last_id, audit_head.c.last_hash)
        )
    ).one()
    first_id = int(head.last_id) - len(entries) + 1
    previous: str = head.last_hash
    at = utcnow()
    written: list[AuditRecord] = []
    for offset, (kind, actor, object_type, object_id, detail) in enumerate(entries):
        record = AuditRecord(
            id=first_id + offset,
            at=at,
            actor_id=actor.id,
            actor_role=actor.role,
            kind=kind,
            object_type=object_type,
            object_id=object_id,
            detail=detail[:_DETAIL_CHARS] if detail else None,
            organisation_id=actor.organisation_id,
        )
        previous = link(previous, record)
        written.append(replace(record, hash=previous))
    await conn.execute(
        audit_log.insert(),
        [
            {
                "id": r.id,
                "at": r.at,
                "actor_id": r.actor_id,
                "actor_role": r.actor_role,
                "kind": r.kind,
                "object_type": r.object_type,
                "object_id": r.object_id,
                "detail": r.detail,
                "hash": r.hash,
                "organisation_id": r.organisation_id,
            }
            for r in written
        ],
    )
    await conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_hash=previous))
    return written


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        id=int(row.id),
        at=as_utc(row.at),
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        kind=row.kind,
        object_type=row.object_type,
        object_id=row.object_id,
        detail=row.detail,
        hash=row.hash,
        organisation_id=row.organisation_id,
    )


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._batches = GroupCommit(self._append_all, BATCH_MAX, "audit")

    async def record(
        self,
        kind: str,
        actor: Actor,
        object_type: str | None = None,
        object_id: str | None = None,
        detail: str | None = None,
    ) -> AuditRecord:
        """Append one record; returns once the transaction holding it has committed.

        Records asked for while another batch is being written go in together, in one short
        transaction, in the order asked (issue 21: after a restart a thousand consoles re-open
        their chats at once; a transaction and a disk sync each kept the one database writer
        from the messages for seconds)."""
        return await self._batches.submit((kind, actor, object_type, object_id, detail))

    async def _append_all(self, entries: list[_Entry]) -> list[AuditRecord]:
        for attempt in range(APPEND_TRIES):
            try:
                async with self.db.writer.begin() as conn:
                    return await append_many(conn, entries)
            except IntegrityError:
                # Only if the head and the table disagree (a restored backup of one of them):
                # the primary key refuses a second record at one position; try the next one.
                if attempt == APPEND_TRIES - 1:
                    raise
                log.warning("audit log head was behind its records; moving on")
                await self._repair_head()
        raise AssertionError("unreachable")

    async def _repair_head(self) -> None:
        async with self.db.writer.begin() as conn:
            row = (
                await conn.execute(
                    select(audit_log.c.id, audit_log.c.hash)
                    .order_by(audit_log.c.id.desc())
                    .limit(1)
                )
            ).first()
            if row is not None:
                await conn.execute(
                    update(audit_head)
                    .where(and_(audit_head.c.id == 1, audit_head.c.last_id < row.id))
                    .values(last_id=row.id, last_hash=row.hash)
                )

    async def staff_names(self, ids: set[str]) -> dict[str, tuple[str, str]]:
        """Username and display name of the staff among these actor ids (for the admin page)."""
        if not ids:
            return {}
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(staff.c.id, staff.c.username, staff.c.display_name).where(
                        staff.c.id.in_(sorted(ids))
                    )
                )
            ).all()
        return {row.id: (row.username, row.display_name) for row in rows}

    async def head(self) -> tuple[int, str]:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(audit_head.c.last_id, audit_head.c.last_hash).where(audit_head.c.id == 1)
                )
            ).one()
        return int(row.last_id), str(row.last_hash)

    async def page(
        self, where: AuditFilter, before_id: int | None = None, limit: int = PAGE_SIZE
    ) -> list[AuditRecord]:
        """Newest first; the next page starts before the last id of this one."""
        conditions = []
        if where.organisation_id is not None:
            own = audit_log.c.organisation_id == where.organisation_id
            conditions.append(
                or_(own, audit_log.c.organisation_id.is_(None)) if where.installation else own
            )
        if where.actor_id:
            conditions.append(audit_log.c.actor_id == where.actor_id)
        if where.kind:
            conditions.append(audit_log.c.kind == where.kind)
        if where.since is not None:
            conditions.append(audit_log.c.at >= where.since)
        if where.until is not None:
            conditions.append(audit_log.c.at < where.until)
        if before_id is not None:
            conditions.append(audit_log.c.id < before_id)
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if conditions:
            query = query.where(and_(*conditions))
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def verify(self, batch: int = VERIFY_BATCH) -> Verification:
        """Walk the chain from the first record; report the first one that does not fit.

        Records appended while this runs lie beyond the head read at the start and are left for
        the next run; the head is updated in the same transaction as every append, so in any
        committed state the last record and the head agree.
        """
        head_id, head_hash = await self.head()
        previous, expected, checked = GENESIS_HASH, 1, 0

        def broken(record_id: int, reason: str) -> Verification:
            return Verification(False, checked, head_id, head_hash, record_id, reason)

        async with self.db.reader.connect() as conn:
            while expected <= head_id:
                rows = (
                    await conn.execute(
                        select(audit_log)
                        .where(and_(audit_log.c.id >= expected, audit_log.c.id <= head_id))
                        .order_by(audit_log.c.id)
                        .limit(batch)
                    )
                ).all()
                if not rows:
                    break
                for row in rows:
                    if row.id != expected:
                        return broken(expected, "record missing")
                    if link(previous, _record(row)) != row.hash:
                        return broken(
                            int(row.id), "hash does not match the record or the one before it"
                        )
                    previous, expected, checked = row.hash, expected + 1, checked + 1
            if checked != head_id:
                return broken(checked + 1, "record missing at the end of the chain")
            if previous != head_hash:
                return broken(head_id, "last record does not match the head of the chain")
            # One statement, so one snapshot: a record beyond the head was not appended by Baken.
            beyond = (
                await conn.execute(
                    select(
                        select(func.max(audit_log.c.id)).scalar_subquery().label("last_row"),
                        select(audit_head.c.last_id)
                        .where(audit_head.c.id == 1)
                        .scalar_subquery()
                        .label("last_id"),
                    )
                )
            ).one()
        if beyond.last_row is not None and int(beyond.last_row) > int(beyond.last_id):
            return broken(int(beyond.last_id) + 1, "record after the head of the chain")
        return Verification(True, checked, head_id, head_hash)


async def audit_account_created(db: Database, member: StaffMember, by: Actor | None = None) -> None:
    """`baken user add` and any page that adds accounts: who made which account, with what role."""
    await AuditLog(db).record(
        kinds.ACCOUNT_CREATE,
        by or Actor.operator(),
        kinds.STAFF,
        member.id,
        detail=f"role={member.role.value}",
    )
