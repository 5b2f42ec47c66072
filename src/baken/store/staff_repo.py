"""Staff accounts and their server-side sessions."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.auth.tokens import new_id, new_token, token_hash
from baken.domain.conversation import Role
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import (
    organisations,
    staff,
    staff_devices,
    staff_login_challenges,
    staff_sessions,
    staff_totp,
)

SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
# Writing last_seen on every request would turn reads into writes; a minute's precision is enough.
TOUCH_EVERY = timedelta(minutes=1)

DEFAULT_ORGANISATION = "org_default"


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    organisation_id: str
    username: str
    display_name: str
    role: Role
    active: bool
    # Issue 14: languages the member speaks; take-next prefers a match with the visitor's.
    languages: tuple[str, ...] = ()


class UsernameTaken(Exception):
    pass


class SecondFactorRequired(Exception):
    """A full session was asked for an account without a confirmed second factor."""


def _member(row: object) -> StaffMember:
    return StaffMember(
        id=row.id,  # type: ignore[attr-defined]
        organisation_id=row.organisation_id,  # type: ignore[attr-defined]
        username=row.username,  # type: ignore[attr-defined]
        display_name=row.display_name,  # type: ignore[attr-defined]
        role=Role(row.role),  # type: ignore[attr-defined]
        active=bool(row.active),  # type: ignore[attr-defined]
        languages=tuple(x for x in row.languages.split(",") if x),  # type: ignore[attr-defined]
    )


# Built once: every staff request and socket looks its session up (issue 21).
_SESSION_MEMBER = (
    select(staff, staff_sessions.c.last_seen_at, staff_sessions.c.expires_at)
    .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
    .where(staff_sessions.c.token_hash == bindparam("token_hash"))
)


class StaffRepository:
    def __init__(
        self,
        db: Database,
        *,
        idle: timedelta = SESSION_IDLE,
        absolute: timedelta = SESSION_ABSOLUTE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.idle = idle
        self.absolute = absolute
        # Injected in tests to step over the idle and absolute limits without waiting.
        self.clock = clock

    async def organisation_exists(self, organisation_id: str) -> bool:
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(organisations.c.id).where(organisations.c.id == organisation_id)
            )
        return found is not None

    async def ensure_organisation(
        self, name: str, organisation_id: str = DEFAULT_ORGANISATION
    ) -> str:
        async with self.db.writer.begin() as conn:
            found = await conn.scalar(
                select(organisations.c.id).where(organisations.c.id == organisation_id)
            )
            if found is None:
                # The same slug migration 0011 gives an existing organisation: its id without
                # the prefix ("default" for the default organisation, behind "/" as well).
                slug = organisation_id.removeprefix("org_").lower()[:40]
                await conn.execute(
                    insert(organisations).values(
                        id=organisation_id, slug=slug, name=name, created_at=utcnow()
                    )
                )
        return organisation_id

    async def create(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: Role = Role.COUNSELOR,
        organisation_id: str = DEFAULT_ORGANISATION,
        languages: tuple[str, ...] = (),
    ) -> StaffMember:
        member = StaffMember(
            id=new_id("s"),
            organisation_id=organisation_id,
            username=username,
            display_name=display_name,
            role=role,
            active=True,
            languages=languages,
        )
        try:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    insert(staff).values(
                        id=member.id,
                        organisation_id=organisation_id,
                        username=username,
                        display_name=display_name,
                        password_hash=password_hash,
                        role=role.value,
                        active=True,
                        created_at=utcnow(),
                        languages=",".join(languages),
                    )
                )
        except IntegrityError as exc:
            raise UsernameTaken(username) from exc
        return member

    async def by_username(self, username: str) -> tuple[StaffMember, str] | None:
        async with self.db.reader.connect() as conn:
            row = (await conn.execute(select(staff).where(staff.c.username == username))).first()
        if row is None:
            return None
        return _member(row), row.password_hash

    async def by_id(self, staff_id: str) -> StaffMember | None:
        async with self.db.reader.connect() as conn:
            row = (await conn.execute(select(staff).where(staff.c.id == staff_id))).first()
        return None if row is None else _member(row)

    async def members(self, organisation_id: str) -> list[StaffMember]:
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff)
                .where(staff.c.organisation_id == organisation_id)
                .order_by(staff.c.username)
            )
            return [_member(row) for row in rows]

    async def set_password(self, staff_id: str, password_hash: str) -> None:
        # A new password ends every session of that account, any half-done sign-in, and the
        # throttle exemption of the browsers it was used on.
        async with self.db.writer.begin() as conn:
            await conn.execute(
                update(staff).where(staff.c.id == staff_id).values(password_hash=password_hash)
            )
            await self._end_everything(conn, staff_id)

    async def set_active(self, staff_id: str, active: bool) -> bool:
        """Enable or disable an account; disabling ends its sessions. False if there is none."""
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(staff).where(staff.c.id == staff_id).values(active=active)
            )
            if not active:
                await self._end_everything(conn, staff_id)
        return bool(result.rowcount)

    async def end_sessions(self, staff_id: str) -> int:
        """End every session (and half-done sign-in) of one staff member; returns how many."""
        async with self.db.writer.begin() as conn:
            return await self._end_everything(conn, staff_id, devices=False)

    @staticmethod
    async def _end_everything(conn: AsyncConnection, staff_id: str, devices: bool = True) -> int:
        ended = await conn.execute(
            delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id)
        )
        await conn.execute(
            delete(staff_login_challenges).where(staff_login_challenges.c.staff_id == staff_id)
        )
        if devices:
            await conn.execute(delete(staff_devices).where(staff_devices.c.staff_id == staff_id))
        return int(ended.rowcount or 0)

    async def start_session(self, staff_id: str) -> str:
        """A new session token. Only for accounts whose second factor is set up: sign-in checks
        the code itself; this is the backstop that no path hands out a session without one."""
        token = new_token()
        now = self.clock()
        async with self.db.writer.begin() as conn:
            confirmed = await conn.scalar(
                select(staff_totp.c.confirmed_at).where(staff_totp.c.staff_id == staff_id)
            )
            if confirmed is None:
                raise SecondFactorRequired(staff_id)
            await conn.execute(
                insert(staff_sessions).values(
                    token_hash=token_hash(token),
                    staff_id=staff_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.absolute,
                )
            )
        return token

    def _expired(self, row: object, now: datetime) -> bool:
        last_seen = as_utc(row.last_seen_at)  # type: ignore[attr-defined]
        expires = as_utc(row.expires_at)  # type: ignore[attr-defined]
        return not row.active or now >= expires or now - last_seen > self.idle  # type: ignore[attr-defined]

    async def check_sessions(
        self, hashes: Collection[str], active: Collection[str] = ()
    ) -> set[str]:
        """Which of these session token hashes are still valid. Those in ``active`` (their open
        sockets were used since the last check) count as activity for the idle timeout."""
        if not hashes:
            return set()
        now = self.clock()
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        staff_sessions.c.token_hash,
                        staff_sessions.c.last_seen_at,
                        staff_sessions.c.expires_at,
                        staff.c.active,
                    )
                    .join(staff, staff.c.id == staff_sessions.c.staff_id)
                    .where(staff_sessions.c.token_hash.in_(list(hashes)))
                )
            ).all()
        valid = {row.token_hash for row in rows if not self._expired(row, now)}
        stale = [
            row.token_hash
            for row in rows
            if row.token_hash in valid
            and row.token_hash in active
            and now - as_utc(row.last_seen_at) > TOUCH_EVERY
        ]
        if stale:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    update(staff_sessions)
                    .where(staff_sessions.c.token_hash.in_(stale))
                    .values(last_seen_at=now)
                )
        return valid

    async def session_member(self, token: str, now: datetime | None = None) -> StaffMember | None:
        """The active staff member behind a session token, or None if it is unknown or expired."""
        now = now or self.clock()
        hashed = token_hash(token)
        async with self.db.reader.connect() as conn:
            row = (await conn.execute(_SESSION_MEMBER, {"token_hash": hashed})).first()
        if row is None:
            return None
        last_seen = as_utc(row.last_seen_at)
        if self._expired(row, now):
            await self.end_session(token)
            return None
        if now - last_seen > TOUCH_EVERY:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    update(staff_sessions)
                    .where(staff_sessions.c.token_hash == hashed)
                    .values(last_seen_at=now)
                )
        return _member(row)

    async def end_session(self, token: str) -> None:
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash(token))
            )
