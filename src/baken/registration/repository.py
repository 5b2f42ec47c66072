"""Cases and registrations in the database: saving with a version check, the change log, and
which registration stands for a case in the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.auth.tokens import new_id
from baken.registration.codebook import CODEBOOK_VERSION, FIELDS, code
from baken.registration.periods import local_year_month
from baken.registration.person_values import PERSON_FIELDS, Registered, person_years
from baken.registration.validation import StoredValues
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import (
    cases,
    conversations,
    registration_changes,
    registrations,
    report_persons,
)

FIELD_IDS = tuple(f.id for f in FIELDS)
REQUEST_YES = code("trafficking_request", "yes")


class ConversationNotFound(Exception):
    pass


class CaseNotFound(Exception):
    pass


class VersionConflict(Exception):
    """Someone saved this registration since the version the caller edited."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the registration is at version {current_version}")
        self.current_version = current_version


@dataclass(frozen=True, slots=True)
class Registration:
    conversation_id: str
    case_id: str
    codebook_version: str
    version: int
    started_at: datetime
    updated_at: datetime
    updated_by: str | None
    values: StoredValues
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConversationAccess:
    """What an authorisation decision about a conversation needs, and nothing more."""

    id: str
    organisation_id: str
    counselor_id: str | None


@dataclass(frozen=True, slots=True)
class Change:
    staff_id: str | None
    changed_at: datetime
    version: int
    field: str
    old_value: int | None
    new_value: int | None


def _registration(row: Any) -> Registration:
    return Registration(
        conversation_id=row.conversation_id,
        case_id=row.case_id,
        codebook_version=row.codebook_version,
        version=int(row.version),
        started_at=as_utc(row.started_at),
        updated_at=as_utc(row.updated_at),
        updated_by=row.updated_by,
        values={f: getattr(row, f) for f in FIELD_IDS},
        completed_at=as_utc(row.completed_at) if row.completed_at is not None else None,
    )


async def refresh_case(conn: AsyncConnection, case_id: str) -> None:
    """Recompute when the case was first seen with a help request, which of its registrations
    stands for it under the first-request rule, and its rows in ``report_persons`` (issue 20).
    Runs inside the caller's transaction."""
    # Serialises concurrent saves of one case's conversations on PostgreSQL.
    case_row = (
        await conn.execute(
            select(cases.c.id, cases.c.organisation_id, cases.c.first_seen_at)
            .where(cases.c.id == case_id)
            .with_for_update()
        )
    ).first()
    all_rows = (
        await conn.execute(
            select(
                registrations.c.conversation_id,
                registrations.c.organisation_id,
                registrations.c.started_at,
                *(registrations.c[f] for f in PERSON_FIELDS),
            )
            .where(registrations.c.case_id == case_id)
            .order_by(registrations.c.started_at, registrations.c.conversation_id)
        )
    ).all()
    rows = [r for r in all_rows if r.trafficking_request == REQUEST_YES]
    first = as_utc(rows[0].started_at) if rows else None
    await conn.execute(update(cases).where(cases.c.id == case_id).values(first_request_at=first))
    await conn.execute(
        update(registrations)
        .where(and_(registrations.c.case_id == case_id, registrations.c.report_year.is_not(None)))
        .values(report_year=None, report_month=None)
    )
    await _refresh_person_years(conn, case_id, case_row, all_rows)
    if first is None:
        return
    year, month = local_year_month(first)
    # The last registration of that year: the counselor's latest picture of the person.
    representative = [r for r in rows if local_year_month(r.started_at)[0] == year][-1]
    await conn.execute(
        update(registrations)
        .where(registrations.c.conversation_id == representative.conversation_id)
        .values(report_year=year, report_month=month)
    )


async def _refresh_person_years(
    conn: AsyncConnection, case_id: str, case_row: Any, rows: Sequence[Any]
) -> None:
    if case_row is None:
        return
    organisation_id = case_row.organisation_id
    # Filtering on the organisation too keeps this on the primary key's index range.
    await conn.execute(
        delete(report_persons).where(
            and_(
                report_persons.c.organisation_id == organisation_id,
                report_persons.c.case_id == case_id,
            )
        )
    )
    if not rows:
        return
    derived = person_years(
        organisation_id,
        case_id,
        case_row.first_seen_at,
        (
            Registered(r.started_at, r.conversation_id, {f: getattr(r, f) for f in PERSON_FIELDS})
            for r in rows
        ),
    )
    await conn.execute(insert(report_persons), derived)


class RegistrationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def access(self, conversation_id: str) -> ConversationAccess | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        conversations.c.id,
                        conversations.c.organisation_id,
                        conversations.c.counselor_id,
                    ).where(conversations.c.id == conversation_id)
                )
            ).first()
        if row is None:
            return None
        return ConversationAccess(row.id, row.organisation_id, row.counselor_id)

    async def get(self, conversation_id: str) -> Registration | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(registrations).where(registrations.c.conversation_id == conversation_id)
                )
            ).first()
        return None if row is None else _registration(row)

    async def previous_in_case(self, conversation_id: str) -> Registration | None:
        """The latest registration of an earlier conversation of the same person, so a form can
        start from what is already known."""
        async with self.db.reader.connect() as conn:
            own = (
                await conn.execute(
                    select(conversations.c.case_id, conversations.c.created_at).where(
                        conversations.c.id == conversation_id
                    )
                )
            ).first()
            if own is None or own.case_id is None:
                return None
            row = (
                await conn.execute(
                    select(registrations)
                    .where(
                        and_(
                            registrations.c.case_id == own.case_id,
                            registrations.c.conversation_id != conversation_id,
                            registrations.c.started_at <= own.created_at,
                        )
                    )
                    .order_by(registrations.c.started_at.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _registration(row)

    async def save(
        self,
        conversation_id: str,
        expected_version: int,
        values: Mapping[str, int | None],
        staff_id: str | None,
        complete: bool | None = None,
    ) -> Registration:
        """Store validated values; ``expected_version`` 0 creates the registration.

        ``complete`` True marks it complete (the caller checked that it is), False makes it a
        draft again, None leaves that as it was. The change log records it as field "completed".

        Raises VersionConflict when the stored version is not ``expected_version`` (nothing is
        written then), ConversationNotFound for an unknown conversation.
        """
        now = utcnow()
        new_values = {f: values.get(f) for f in FIELD_IDS}
        completion: dict[str, Any] = {}
        if complete is False:
            completion = {"completed_at": None, "completed_by": None}
        try:
            async with self.db.writer.begin() as conn:
                conversation = (
                    await conn.execute(
                        select(
                            conversations.c.organisation_id,
                            conversations.c.created_at,
                            conversations.c.case_id,
                        ).where(conversations.c.id == conversation_id)
                    )
                ).first()
                if conversation is None:
                    raise ConversationNotFound(conversation_id)
                old = (
                    await conn.execute(
                        select(registrations).where(
                            registrations.c.conversation_id == conversation_id
                        )
                    )
                ).first()
                if old is None:
                    if expected_version != 0:
                        raise VersionConflict(0)
                    if complete:
                        completion = {"completed_at": now, "completed_by": staff_id}
                    case_id = conversation.case_id or await self._new_case(
                        conn, conversation_id, conversation.organisation_id, conversation.created_at
                    )
                    await conn.execute(
                        insert(registrations).values(
                            conversation_id=conversation_id,
                            organisation_id=conversation.organisation_id,
                            case_id=case_id,
                            codebook_version=CODEBOOK_VERSION,
                            version=1,
                            started_at=as_utc(conversation.created_at),
                            created_at=now,
                            updated_at=now,
                            updated_by=staff_id,
                            **new_values,
                            **completion,
                        )
                    )
                    old_values: dict[str, int | None] = dict.fromkeys(FIELD_IDS)
                    was_complete = False
                    version = 1
                else:
                    case_id = old.case_id
                    was_complete = old.completed_at is not None
                    if complete and not was_complete:
                        completion = {"completed_at": now, "completed_by": staff_id}
                    result = await conn.execute(
                        update(registrations)
                        .where(
                            and_(
                                registrations.c.conversation_id == conversation_id,
                                registrations.c.version == expected_version,
                            )
                        )
                        .values(
                            version=registrations.c.version + 1,
                            codebook_version=CODEBOOK_VERSION,
                            updated_at=now,
                            updated_by=staff_id,
                            **new_values,
                            **completion,
                        )
                    )
                    if result.rowcount != 1:
                        raise VersionConflict(int(old.version))
                    old_values = {f: getattr(old, f) for f in FIELD_IDS}
                    version = expected_version + 1
                changes = [
                    {
                        "conversation_id": conversation_id,
                        "staff_id": staff_id,
                        "changed_at": now,
                        "version": version,
                        "field": f,
                        "old_value": old_values[f],
                        "new_value": new_values[f],
                    }
                    for f in FIELD_IDS
                    if old_values[f] != new_values[f]
                ]
                if complete is not None and complete != was_complete:
                    changes.append(
                        {
                            "conversation_id": conversation_id,
                            "staff_id": staff_id,
                            "changed_at": now,
                            "version": version,
                            "field": "completed",
                            "old_value": int(was_complete),
                            "new_value": int(complete),
                        }
                    )
                if changes:
                    await conn.execute(insert(registration_changes), changes)
                await refresh_case(conn, case_id)
        except IntegrityError as exc:
            # Two first saves of the same conversation at once: the second one loses.
            raise VersionConflict(1) from exc
        saved = await self.get(conversation_id)
        assert saved is not None
        return saved

    async def _new_case(
        self, conn: AsyncConnection, conversation_id: str, organisation_id: str, seen: datetime
    ) -> str:
        case_id = new_id("k")
        await conn.execute(
            insert(cases).values(
                id=case_id,
                organisation_id=organisation_id,
                first_seen_at=as_utc(seen),
                first_request_at=None,
                created_at=utcnow(),
            )
        )
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(case_id=case_id)
        )
        return case_id

    async def link_to_case(self, conversation_id: str, case_id: str) -> None:
        """Make a conversation part of an existing case (same person), e.g. after a return code
        or when a counselor recognises someone. Both the old and the new case are recomputed."""
        async with self.db.writer.begin() as conn:
            target = (
                await conn.execute(select(cases.c.organisation_id).where(cases.c.id == case_id))
            ).first()
            conversation = (
                await conn.execute(
                    select(
                        conversations.c.organisation_id,
                        conversations.c.created_at,
                        conversations.c.case_id,
                    ).where(conversations.c.id == conversation_id)
                )
            ).first()
            if conversation is None:
                raise ConversationNotFound(conversation_id)
            if target is None or target.organisation_id != conversation.organisation_id:
                raise CaseNotFound(case_id)
            previous = conversation.case_id
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(case_id=case_id)
            )
            await conn.execute(
                update(registrations)
                .where(registrations.c.conversation_id == conversation_id)
                .values(case_id=case_id)
            )
            first_seen = await conn.scalar(
                select(func.min(conversations.c.created_at)).where(
                    conversations.c.case_id == case_id
                )
            )
            await conn.execute(
                update(cases).where(cases.c.id == case_id).values(first_seen_at=as_utc(first_seen))
            )
            await refresh_case(conn, case_id)
            if previous is not None and previous != case_id:
                await refresh_case(conn, previous)

    async def changes(self, conversation_id: str) -> list[Change]:
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(registration_changes)
                    .where(registration_changes.c.conversation_id == conversation_id)
                    .order_by(registration_changes.c.id)
                )
            ).all()
        return [
            Change(
                staff_id=row.staff_id,
                changed_at=as_utc(row.changed_at),
                version=int(row.version),
                field=row.field,
                old_value=row.old_value,
                new_value=row.new_value,
            )
            for row in rows
        ]
