"""Canned responses: personal ones (one counselor's) and team ones (the organisation's).

Issue 16: title and body are stored sealed under the organisation's key (store/organisation_keys.py)
and opened here; nothing outside this module sees the ciphertext. Sorting by title therefore
happens here, after opening, not in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update

from baken.auth.tokens import new_id
from baken.crypto.envelope import MasterKey
from baken.crypto.organisation_cipher import OrganisationCipher
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.organisation_keys import OrganisationKeys
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


def _canned(row: object, cipher: OrganisationCipher) -> CannedResponse:
    title, body = cipher.open_canned(row.id, row.sealed)  # type: ignore[attr-defined]
    return CannedResponse(
        id=row.id,  # type: ignore[attr-defined]
        organisation_id=row.organisation_id,  # type: ignore[attr-defined]
        owner_staff_id=row.owner_staff_id,  # type: ignore[attr-defined]
        lang=row.lang,  # type: ignore[attr-defined]
        title=title,
        body=body,
        updated_at=as_utc(row.updated_at),  # type: ignore[attr-defined]
    )


class CannedRepository:
    def __init__(self, db: Database, master: MasterKey) -> None:
        self.db = db
        self.keys = OrganisationKeys(db, master)

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
                    .order_by(canned_responses.c.id)
                )
            ).all()
        cipher = await self.keys.cipher(organisation_id)
        found = [_canned(row, cipher) for row in rows]
        return sorted(found, key=lambda c: (not c.is_team, c.title.casefold(), c.title, c.id))

    async def get(self, canned_id: str) -> CannedResponse | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(canned_responses).where(canned_responses.c.id == canned_id)
                )
            ).first()
        if row is None:
            return None
        return _canned(row, await self.keys.cipher(row.organisation_id))

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
        cipher = await self.keys.cipher(organisation_id)
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(canned_responses).values(
                    id=canned_id,
                    organisation_id=organisation_id,
                    owner_staff_id=owner_staff_id,
                    lang=lang,
                    sealed=cipher.seal_canned(canned_id, title, body),
                    created_at=now,
                    updated_at=now,
                    updated_by=author_id,
                )
            )
        return CannedResponse(canned_id, organisation_id, owner_staff_id, lang, title, body, now)

    async def update(
        self, canned_id: str, lang: str, title: str, body: str, author_id: str
    ) -> CannedResponse | None:
        async with self.db.reader.connect() as conn:
            organisation_id = await conn.scalar(
                select(canned_responses.c.organisation_id).where(canned_responses.c.id == canned_id)
            )
        if not isinstance(organisation_id, str):
            return None
        sealed = (await self.keys.cipher(organisation_id)).seal_canned(canned_id, title, body)
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(canned_responses)
                .where(canned_responses.c.id == canned_id)
                .values(lang=lang, sealed=sealed, updated_at=utcnow(), updated_by=author_id)
            )
        return await self.get(canned_id) if result.rowcount == 1 else None

    async def delete(self, canned_id: str) -> bool:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                delete(canned_responses).where(canned_responses.c.id == canned_id)
            )
        return bool(result.rowcount == 1)
