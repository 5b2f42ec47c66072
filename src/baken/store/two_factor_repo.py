"""Staff second factors: TOTP secrets (wrapped by the master key) and single-use recovery codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from baken.auth import totp
from baken.crypto.envelope import MasterKey
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import staff_recovery_codes, staff_totp


@dataclass(frozen=True, slots=True)
class Factor:
    secret: str
    confirmed: bool


def _wrap_context(staff_id: str) -> str:
    # The wrap is bound to the account: a secret copied onto another row does not unwrap.
    return f"staff-totp:{staff_id}"


class TwoFactorRepository:
    def __init__(
        self, db: Database, master: MasterKey, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.master = master
        self.clock = clock

    async def factor(self, staff_id: str) -> Factor | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(select(staff_totp).where(staff_totp.c.staff_id == staff_id))
            ).first()
        if row is None:
            return None
        secret = self.master.unwrap(_wrap_context(staff_id), row.secret).decode()
        return Factor(secret=secret, confirmed=row.confirmed_at is not None)

    async def is_enrolled(self, staff_id: str) -> bool:
        async with self.db.reader.connect() as conn:
            confirmed = await conn.scalar(
                select(staff_totp.c.confirmed_at).where(staff_totp.c.staff_id == staff_id)
            )
        return confirmed is not None

    async def pending_secret(self, staff_id: str) -> str | None:
        """The secret being enrolled: the one already offered (a reload shows the same QR code),
        or a new one. None when the account already has a confirmed factor."""
        found = await self.factor(staff_id)
        if found is not None:
            return None if found.confirmed else found.secret
        secret = totp.new_secret()
        try:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    insert(staff_totp).values(
                        staff_id=staff_id,
                        secret=self.master.wrap(_wrap_context(staff_id), secret.encode()),
                        key_id=self.master.key_id,
                        created_at=self.clock(),
                        confirmed_at=None,
                        last_step=None,
                    )
                )
        except IntegrityError:  # two tabs at once: both show the one that was stored first
            again = await self.factor(staff_id)
            return None if again is None or again.confirmed else again.secret
        return secret

    async def confirm(self, staff_id: str, code: str) -> list[str] | None:
        """Finish enrolment with a current code; returns the new recovery codes (shown once),
        or None if the code is wrong or enrolment is not pending."""
        found = await self.factor(staff_id)
        if found is None or found.confirmed:
            return None
        now = self.clock()
        step = totp.matching_step(found.secret, totp.clean_input(code), now)
        if step is None:
            return None
        codes = totp.new_recovery_codes()
        async with self.db.writer.begin() as conn:
            done = await conn.execute(
                update(staff_totp)
                .where(staff_totp.c.staff_id == staff_id, staff_totp.c.confirmed_at.is_(None))
                .values(confirmed_at=now, last_step=step)
            )
            if done.rowcount != 1:  # confirmed meanwhile, in another tab or process
                return None
            await conn.execute(
                delete(staff_recovery_codes).where(staff_recovery_codes.c.staff_id == staff_id)
            )
            await conn.execute(
                insert(staff_recovery_codes),
                [
                    {
                        "staff_id": staff_id,
                        "code_hash": totp.recovery_hash(staff_id, c),
                        "created_at": now,
                        "used_at": None,
                    }
                    for c in codes
                ],
            )
        return codes

    async def verify(self, staff_id: str, typed: str) -> bool:
        """A sign-in code: a TOTP code of a step later than the last one used, or an unused
        recovery code. Either is spent by the same statement that accepts it, so two requests
        racing with one code cannot both win, on any number of processes."""
        cleaned = totp.clean_input(typed)
        now = self.clock()
        if totp.is_totp_code(cleaned):
            found = await self.factor(staff_id)
            if found is None or not found.confirmed:
                return False
            step = totp.matching_step(found.secret, cleaned, now)
            if step is None:
                return False
            async with self.db.writer.begin() as conn:
                result = await conn.execute(
                    update(staff_totp)
                    .where(
                        staff_totp.c.staff_id == staff_id,
                        staff_totp.c.confirmed_at.is_not(None),
                        or_(staff_totp.c.last_step.is_(None), staff_totp.c.last_step < step),
                    )
                    .values(last_step=step)
                )
            return result.rowcount == 1
        if totp.is_recovery_code(cleaned):
            async with self.db.writer.begin() as conn:
                result = await conn.execute(
                    update(staff_recovery_codes)
                    .where(
                        and_(
                            staff_recovery_codes.c.staff_id == staff_id,
                            staff_recovery_codes.c.code_hash
                            == totp.recovery_hash(staff_id, cleaned),
                            staff_recovery_codes.c.used_at.is_(None),
                        )
                    )
                    .values(used_at=now)
                )
            return result.rowcount == 1
        return False

    async def recovery_codes_left(self, staff_id: str) -> int:
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff_recovery_codes.c.code_hash).where(
                    staff_recovery_codes.c.staff_id == staff_id,
                    staff_recovery_codes.c.used_at.is_(None),
                )
            )
            return len(rows.all())

    async def reset(self, staff_id: str) -> bool:
        return await self.remove(self.db, staff_id)

    @staticmethod
    async def remove(db: Database, staff_id: str) -> bool:
        """Remove the factor and its recovery codes (a lost phone): the next sign-in enrols anew."""
        async with db.writer.begin() as conn:
            await conn.execute(
                delete(staff_recovery_codes).where(staff_recovery_codes.c.staff_id == staff_id)
            )
            result = await conn.execute(delete(staff_totp).where(staff_totp.c.staff_id == staff_id))
        return bool(result.rowcount)
