"""One-time links for new staff accounts (issue 15, item 5; docs/security.md, "Accounts").

An administrator makes an account without a password; the link carries a random token of which
only the hash is stored. It works once, for 72 hours, and only while the account is enabled.
Redeeming it sets the password and marks it used in one conditional update, so two browsers
using the same link at once cannot both set a password. Time comes from an injectable clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, insert, select, update

from baken.auth.tokens import new_token, token_hash
from baken.store import clock
from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import staff, staff_invitations

INVITATION_TTL = timedelta(hours=72)


class LinkState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    DISABLED = "disabled"  # the account was disabled after the link was made


@dataclass(frozen=True, slots=True)
class Invitation:
    staff_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    def state(self, now: datetime) -> LinkState:
        if self.used_at is not None:
            return LinkState.USED
        return LinkState.VALID if now < self.expires_at else LinkState.EXPIRED


def _invitation(row: object) -> Invitation:
    used = row.used_at  # type: ignore[attr-defined]
    return Invitation(
        staff_id=row.staff_id,  # type: ignore[attr-defined]
        created_at=as_utc(row.created_at),  # type: ignore[attr-defined]
        expires_at=as_utc(row.expires_at),  # type: ignore[attr-defined]
        used_at=as_utc(used) if used is not None else None,
    )


class _Refused(Exception):
    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


def _system_now() -> datetime:
    # Looked up at call time, so replacing baken.store.clock.utcnow moves this clock too.
    return clock.utcnow()


class InvitationRepository:
    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime] = _system_now,
        ttl: timedelta = INVITATION_TTL,
    ) -> None:
        self.db = db
        self.now = now
        self.ttl = ttl

    async def issue(self, staff_id: str, created_by: str | None) -> str:
        """A new link for this account (an earlier unused one stops working); the raw token,
        which is shown once and never stored."""
        token = new_token()
        now = self.now()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(staff_invitations).where(staff_invitations.c.staff_id == staff_id)
            )
            await conn.execute(
                insert(staff_invitations).values(
                    staff_id=staff_id,
                    token_hash=token_hash(token),
                    created_by=created_by,
                    created_at=now,
                    expires_at=now + self.ttl,
                )
            )
        return token

    async def of_organisation(self, organisation_id: str) -> dict[str, Invitation]:
        """The invitations of an organisation's accounts, by staff id (for the accounts page)."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff_invitations)
                .join(staff, staff.c.id == staff_invitations.c.staff_id)
                .where(staff.c.organisation_id == organisation_id)
            )
            return {row.staff_id: _invitation(row) for row in rows}

    async def of_member(self, staff_id: str) -> Invitation | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(staff_invitations).where(staff_invitations.c.staff_id == staff_id)
                )
            ).first()
        return None if row is None else _invitation(row)

    async def check(self, token: str) -> tuple[LinkState, str | None]:
        """What this link is now, and whose account it is for (None when unknown)."""
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(staff_invitations, staff.c.active)
                    .join(staff, staff.c.id == staff_invitations.c.staff_id)
                    .where(staff_invitations.c.token_hash == token_hash(token))
                )
            ).first()
        if row is None:
            return LinkState.UNKNOWN, None
        state = _invitation(row).state(self.now())
        if state is LinkState.VALID and not row.active:
            state = LinkState.DISABLED
        return state, row.staff_id

    async def redeem(self, token: str, password_hash: str) -> tuple[LinkState, str | None]:
        """Use the link: set the account's password and mark the link used, both or neither.
        Returns VALID and the staff id when this call was the one that used it."""
        state, staff_id = await self.check(token)
        if state is not LinkState.VALID or staff_id is None:
            return state, staff_id
        now = self.now()
        try:
            return await self._redeem(token, staff_id, password_hash, now)
        except _Refused as refused:
            return refused.state, staff_id

    async def _redeem(
        self, token: str, staff_id: str, password_hash: str, now: datetime
    ) -> tuple[LinkState, str | None]:
        async with self.db.writer.begin() as conn:
            # The condition, not the check above, decides: of two uses at once one changes a row.
            used = await conn.execute(
                update(staff_invitations)
                .where(
                    and_(
                        staff_invitations.c.token_hash == token_hash(token),
                        staff_invitations.c.used_at.is_(None),
                        staff_invitations.c.expires_at > now,
                    )
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:
                raise _Refused(LinkState.USED)
            changed = await conn.execute(
                update(staff)
                .where(and_(staff.c.id == staff_id, staff.c.active.is_(True)))
                .values(password_hash=password_hash)
            )
            if changed.rowcount != 1:
                # Raising rolls the "used" mark back: the link was not what failed.
                raise _Refused(LinkState.DISABLED)
        return LinkState.VALID, staff_id
