"""Partner access rows (issue 17, item 3): a partner professional invited into one conversation.

Ending is one ``UPDATE … WHERE ended_at IS NULL``: of a leave, an expiry, a refusal and a consent
withdrawal arriving at once on different processes, exactly one ends the access and is audited.
Every read takes ``now`` so that the caller's clock (injectable in tests) decides expiry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Row

from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import partner_access


class EndedReason(StrEnum):
    LEFT = "left"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    VISITOR_REFUSED = "visitor_refused"
    CONVERSATION_ENDED = "conversation_ended"
    COUNSELOR_ENDED = "counselor_ended"


@dataclass(frozen=True, slots=True)
class PartnerAccess:
    id: str
    referral_id: str
    conversation_id: str
    organisation_id: str
    partner_organisation_id: str
    partner_staff_id: str
    invited_by: str
    invited_at: datetime
    expires_at: datetime
    joined_at: datetime | None
    joined_seq: int | None
    ended_at: datetime | None
    ended_reason: EndedReason | None

    def is_open(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at


def _access(row: Row[tuple[object, ...]]) -> PartnerAccess:
    m = row._mapping
    return PartnerAccess(
        id=m["id"],
        referral_id=m["referral_id"],
        conversation_id=m["conversation_id"],
        organisation_id=m["organisation_id"],
        partner_organisation_id=m["partner_organisation_id"],
        partner_staff_id=m["partner_staff_id"],
        invited_by=m["invited_by"],
        invited_at=as_utc(m["invited_at"]),
        expires_at=as_utc(m["expires_at"]),
        joined_at=as_utc(m["joined_at"]) if m["joined_at"] is not None else None,
        joined_seq=m["joined_seq"],
        ended_at=as_utc(m["ended_at"]) if m["ended_at"] is not None else None,
        ended_reason=EndedReason(m["ended_reason"]) if m["ended_reason"] else None,
    )


class PartnerAccessRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def invite(
        self,
        *,
        referral_id: str,
        conversation_id: str,
        organisation_id: str,
        partner_organisation_id: str,
        partner_staff_id: str,
        invited_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> PartnerAccess:
        """A new invitation; an earlier open one of the same person to the same chat is
        replaced (ended as 'counselor_ended') in the same transaction, so one stays open."""
        values = {
            "id": "pa_" + secrets.token_hex(12),
            "referral_id": referral_id,
            "conversation_id": conversation_id,
            "organisation_id": organisation_id,
            "partner_organisation_id": partner_organisation_id,
            "partner_staff_id": partner_staff_id,
            "invited_by": invited_by,
            "invited_at": now,
            "expires_at": expires_at,
        }
        c = partner_access.c
        async with self.db.writer.begin() as conn:
            await conn.execute(
                update(partner_access)
                .where(
                    and_(
                        c.conversation_id == conversation_id,
                        c.partner_staff_id == partner_staff_id,
                        c.ended_at.is_(None),
                    )
                )
                .values(ended_at=now, ended_reason=EndedReason.COUNSELOR_ENDED.value)
            )
            await conn.execute(partner_access.insert().values(**values))
            row = (await conn.execute(select(partner_access).where(c.id == values["id"]))).one()
        return _access(row)

    async def get(self, access_id: str) -> PartnerAccess | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(select(partner_access).where(partner_access.c.id == access_id))
            ).first()
        return None if row is None else _access(row)

    async def _open_where(self, *conditions: object, now: datetime) -> list[PartnerAccess]:
        c = partner_access.c
        query = (
            select(partner_access)
            .where(and_(c.ended_at.is_(None), c.expires_at > now, *conditions))  # type: ignore[arg-type]
            .order_by(c.invited_at)
        )
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_access(row) for row in rows]

    async def open_for_staff(self, staff_id: str, now: datetime) -> list[PartnerAccess]:
        return await self._open_where(partner_access.c.partner_staff_id == staff_id, now=now)

    async def open_for_conversation(
        self, conversation_id: str, now: datetime
    ) -> list[PartnerAccess]:
        return await self._open_where(partner_access.c.conversation_id == conversation_id, now=now)

    async def open_for_referral(self, referral_id: str, now: datetime) -> list[PartnerAccess]:
        return await self._open_where(partner_access.c.referral_id == referral_id, now=now)

    async def not_ended(self, conversation_id: str | None = None) -> list[PartnerAccess]:
        """Accesses not marked ended (expired ones included): the sweeper's and the chat end's."""
        c = partner_access.c
        where = c.ended_at.is_(None)
        if conversation_id is not None:
            where = and_(where, c.conversation_id == conversation_id)  # type: ignore[assignment]
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(select(partner_access).where(where))).all()
        return [_access(row) for row in rows]

    async def join(self, access_id: str, joined_seq: int, now: datetime) -> PartnerAccess | None:
        """Mark the first join (the seq they see after); None when it is no longer open."""
        c = partner_access.c
        async with self.db.writer.begin() as conn:
            await conn.execute(
                update(partner_access)
                .where(
                    and_(
                        c.id == access_id,
                        c.ended_at.is_(None),
                        c.expires_at > now,
                        c.joined_at.is_(None),
                    )
                )
                .values(joined_at=now, joined_seq=joined_seq)
            )
            row = (await conn.execute(select(partner_access).where(c.id == access_id))).first()
        if row is None:
            return None
        access = _access(row)
        return access if access.is_open(now) else None

    async def end(self, access_id: str, reason: EndedReason, now: datetime) -> PartnerAccess | None:
        """End it; the ended row when THIS call ended it, None when it had already ended."""
        c = partner_access.c
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(partner_access)
                .where(and_(c.id == access_id, c.ended_at.is_(None)))
                .values(ended_at=now, ended_reason=reason.value)
            )
            if result.rowcount != 1:
                return None
            row = (await conn.execute(select(partner_access).where(c.id == access_id))).one()
        return _access(row)
