"""SQL of police signals. The fields and a rejection's reason are sealed under the organisation's
key (crypto/organisation_cipher.py, bound to the signal's id) and opened only here. Every change
of status is one conditional UPDATE on the status it starts from: of two colleagues approving at
once, one approves and the other is told it is no longer waiting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import aliased

from baken.auth.tokens import new_id
from baken.crypto.envelope import MasterKey
from baken.police_signals.fields import SignalFields
from baken.police_signals.workflow import Status
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.organisation_keys import OrganisationKeys
from baken.store.tables import conversations, police_signals, return_codes, staff

SEAL_KIND = "police-signal"
REASON_KIND = "police-signal-reason"
MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class PoliceSignal:
    id: str
    organisation_id: str
    conversation_id: str | None
    drafted_by: str | None
    drafted_by_name: str | None
    drafted_by_role: str | None
    drafted_at: datetime
    fields: SignalFields
    status: Status
    approved_by: str | None
    approved_by_name: str | None
    approved_by_role: str | None
    approved_at: datetime | None
    rejected_reason: str | None
    exported_at: datetime | None
    export_hash: str | None


_drafter = aliased(staff, name="drafter")
_approver = aliased(staff, name="approver")


def _query() -> Any:
    return select(
        police_signals,
        _drafter.c.display_name.label("drafter_name"),
        _drafter.c.role.label("drafter_role"),
        _approver.c.display_name.label("approver_name"),
        _approver.c.role.label("approver_role"),
    ).select_from(
        police_signals.outerjoin(_drafter, _drafter.c.id == police_signals.c.drafted_by).outerjoin(
            _approver, _approver.c.id == police_signals.c.approved_by
        )
    )


def _when(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class PoliceSignalRepository:
    def __init__(self, db: Database, master: MasterKey) -> None:
        self.db = db
        self.keys = OrganisationKeys(db, master)

    async def _open(self, row: Any) -> PoliceSignal:
        cipher = await self.keys.cipher(row.organisation_id)
        fields = SignalFields.from_dict(cipher.open_record(SEAL_KIND, row.id, row.sealed))
        reason = None
        if row.rejected_reason is not None:
            reason = str(cipher.open_record(REASON_KIND, row.id, row.rejected_reason))
        return PoliceSignal(
            id=row.id,
            organisation_id=row.organisation_id,
            conversation_id=row.conversation_id,
            drafted_by=row.drafted_by,
            drafted_by_name=row.drafter_name,
            drafted_by_role=row.drafter_role,
            drafted_at=as_utc(row.drafted_at),
            fields=fields,
            status=Status(row.status),
            approved_by=row.approved_by,
            approved_by_name=row.approver_name,
            approved_by_role=row.approver_role,
            approved_at=_when(row.approved_at),
            rejected_reason=reason,
            exported_at=_when(row.exported_at),
            export_hash=row.export_hash,
        )

    async def create(
        self,
        organisation_id: str,
        conversation_id: str | None,
        drafted_by: str,
        fields: SignalFields,
    ) -> str:
        signal_id = new_id("ps")
        cipher = await self.keys.cipher(organisation_id)
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(police_signals).values(
                    id=signal_id,
                    organisation_id=organisation_id,
                    conversation_id=conversation_id,
                    drafted_by=drafted_by,
                    drafted_at=utcnow(),
                    sealed=cipher.seal_record(SEAL_KIND, signal_id, fields.as_dict()),
                    status=Status.DRAFT.value,
                )
            )
        return signal_id

    async def get(self, signal_id: str) -> PoliceSignal | None:
        async with self.db.reader.connect() as conn:
            row = (await conn.execute(_query().where(police_signals.c.id == signal_id))).first()
        return None if row is None else await self._open(row)

    async def of_organisation(
        self, organisation_id: str, drafted_by: str | None = None
    ) -> list[PoliceSignal]:
        """The organisation's signals, newest first; only one drafter's when ``drafted_by``."""
        query = _query().where(police_signals.c.organisation_id == organisation_id)
        if drafted_by is not None:
            query = query.where(police_signals.c.drafted_by == drafted_by)
        query = query.order_by(police_signals.c.drafted_at.desc()).limit(MAX_LISTED)
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [await self._open(row) for row in rows]

    async def _move(self, signal_id: str, start: Iterable[Status], **values: Any) -> bool:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(police_signals)
                .where(
                    and_(
                        police_signals.c.id == signal_id,
                        police_signals.c.status.in_([s.value for s in start]),
                    )
                )
                .values(**values)
            )
        return bool(result.rowcount)

    async def edit(
        self, signal: PoliceSignal, fields: SignalFields, start: Iterable[Status]
    ) -> bool:
        """New fields; a rejected signal becomes a draft again, its reason cleared."""
        cipher = await self.keys.cipher(signal.organisation_id)
        return await self._move(
            signal.id,
            start,
            sealed=cipher.seal_record(SEAL_KIND, signal.id, fields.as_dict()),
            status=Status.DRAFT.value,
            rejected_reason=None,
        )

    async def submit(self, signal_id: str, start: Iterable[Status]) -> bool:
        return await self._move(
            signal_id, start, status=Status.SUBMITTED.value, rejected_reason=None
        )

    async def approve(self, signal_id: str, staff_id: str) -> bool:
        return await self._move(
            signal_id,
            [Status.SUBMITTED],
            status=Status.APPROVED.value,
            approved_by=staff_id,
            approved_at=utcnow(),
        )

    async def reject(self, signal: PoliceSignal, staff_id: str, reason: str) -> bool:
        cipher = await self.keys.cipher(signal.organisation_id)
        return await self._move(
            signal.id,
            [Status.SUBMITTED],
            status=Status.REJECTED.value,
            approved_by=None,
            approved_at=None,
            rejected_reason=cipher.seal_record(REASON_KIND, signal.id, reason),
        )

    async def mark_exported(self, signal_id: str, export_hash: str) -> bool:
        """The first export moves an approved signal to exported; the hash is the latest file's."""
        async with self.db.writer.begin() as conn:
            first = await conn.execute(
                update(police_signals)
                .where(
                    and_(
                        police_signals.c.id == signal_id,
                        police_signals.c.status == Status.APPROVED.value,
                    )
                )
                .values(status=Status.EXPORTED.value, exported_at=utcnow(), export_hash=export_hash)
            )
            if first.rowcount:
                return True
            again = await conn.execute(
                update(police_signals)
                .where(
                    and_(
                        police_signals.c.id == signal_id,
                        police_signals.c.status == Status.EXPORTED.value,
                    )
                )
                .values(export_hash=export_hash)
            )
            return bool(again.rowcount)

    async def code_hash_of(self, conversation_id: str) -> str | None:
        """The hash of the return code the conversation has, if any (codes exist only hashed)."""
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(return_codes.c.code_hash)
                .select_from(
                    conversations.join(
                        return_codes, return_codes.c.id == conversations.c.return_code_id
                    )
                )
                .where(conversations.c.id == conversation_id)
            )
        return None if found is None else str(found)
