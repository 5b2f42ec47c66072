"""Canned responses: personal ones (one counselor's) and team ones (the organisation's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update

from baken.auth.tokens import new_id
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import canned_responses


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: str
    organisation_id: str
    owner_staff_id: str | None  # None: a team text
    lang: str
    title: str
    body: str
    updated_at: datetime

    @property
    def is_team(self) -> bool:
        return self.owner_staff_id is None


def _canned(row: object) -> CannedResponse:
    return CannedResponse(
        id=row.id,  # type: ignore[attr-defined]
        organisation_id=row.organisation_id,  # type: ignore[attr-defined]
        owner_staff_id=row.owner_staff_id,  # type: ignore[attr-defined]
        lang=row.lang,  # type: ignore[attr-defined]
        title=row.title,  # type: ignore[attr-defined]
        body=row.body,  # type: ignore[attr-defined]
        updated_at=as_utc(row.updated_at),  # type: ignore[attr-defined]
    )


class CannedRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def visible_to(self, organisation_id: str, staff_id: str) -> list[CannedResponse]:
        """The team texts of the organisation and this counselor's own, team first, by title."""
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(canned_responses)
                    .where(
                        and_(
                            canned_responses.c.organisation_id == organisation_id,
                            or_(
                                canned_responses.c.owner_staff_id.is_(None),
                                canned_responses.c.owner_staff_id == staff_id,
                            ),
                        )
                    )
                    .order_by(canned_responses.c.title, canned_responses.c.id)
                )
            ).all()
        found = [_canned(row) for row in rows]
        return sorted(found, key=lambda c: (not c.is_team, c.title.casefold()))

    async def get(self, canned_id: str) -> CannedResponse | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(canned_responses).where(canned_responses.c.id == canned_id)
                )
            ).first()
        return None if row is None else _canned(row)

    async def create(
        self,
        organisation_id: str,
        owner_staff_id: str | None,
        lang: str,
        title: str,
        body: str,
        author_id: str,
    ) -> CannedResponse:
        canned_id = new_id("t")
        now = utcnow()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(canned_responses).values(
                    id=canned_id,
                    organisation_id=organisation_id,
                    owner_staff_id=owner_staff_id,
                    lang=lang,
                    title=title,
                    body=body,
                    created_at=now,
                    updated_at=now,
                    updated_by=author_id,
                )
            )
        return CannedResponse(canned_id, organisation_id, owner_staff_id, lang, title, body, now)

    async def update(
        self, canned_id: str, lang: str, title: str, body: str, author_id: str
    ) -> CannedResponse | None:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(canned_responses)
                .where(canned_responses.c.id == canned_id)
                .values(
                    lang=lang, title=title, body=body, updated_at=utcnow(), updated_by=author_id
                )
            )
        return await self.get(canned_id) if result.rowcount == 1 else None

    async def delete(self, canned_id: str) -> bool:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                delete(canned_responses).where(canned_responses.c.id == canned_id)
            )
        return bool(result.rowcount == 1)
