"""Staff passkeys, the single-use challenges of their ceremonies, and the organisation's rule.

A challenge is used up by the very statement that accepts it (``DELETE … RETURNING``), so two
requests racing with one answer cannot both pass, on any number of processes. A passkey's counter
moves by compare-and-set for the same reason. See auth/passkeys.py and docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from baken.auth.passkeys import NewCredential, StoredCredential, challenge_hash, new_challenge
from baken.auth.tokens import new_id
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import organisations, passkey_challenges, staff, staff_passkeys

# More than anyone needs (a laptop, a phone, two security keys); keeps the sign-in options small.
MAX_PASSKEYS = 10
REGISTER = "register"
SIGN_IN = "sign_in"


@dataclass(frozen=True, slots=True)
class Passkey:
    id: str
    staff_id: str
    name: str
    credential: StoredCredential
    created_at: datetime
    last_used_at: datetime | None


class Removal(Enum):
    REMOVED = "removed"
    NOT_FOUND = "not_found"
    LAST_REQUIRED = "last_required"


def _passkey(row: object) -> Passkey:
    transports = row.transports  # type: ignore[attr-defined]
    last_used = row.last_used_at  # type: ignore[attr-defined]
    return Passkey(
        id=row.id,  # type: ignore[attr-defined]
        staff_id=row.staff_id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        credential=StoredCredential(
            credential_id=bytes(row.credential_id),  # type: ignore[attr-defined]
            public_key=bytes(row.public_key),  # type: ignore[attr-defined]
            sign_count=int(row.sign_count),  # type: ignore[attr-defined]
            transports=tuple(t for t in transports.split(",") if t),
        ),
        created_at=as_utc(row.created_at),  # type: ignore[attr-defined]
        last_used_at=as_utc(last_used) if last_used is not None else None,
    )


class PasskeyRepository:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        # Injected in tests to step past a challenge's expiry without waiting.
        self.clock = clock

    # --- the credentials ------------------------------------------------------------------------

    async def of_member(self, staff_id: str) -> list[Passkey]:
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff_passkeys)
                .where(staff_passkeys.c.staff_id == staff_id)
                .order_by(staff_passkeys.c.created_at, staff_passkeys.c.id)
            )
            return [_passkey(row) for row in rows]

    async def count(self, staff_id: str) -> int:
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(staff_passkeys)
                .where(staff_passkeys.c.staff_id == staff_id)
            )
        return int(found or 0)

    async def add(self, staff_id: str, name: str, credential: NewCredential) -> Passkey | None:
        """None when this credential is registered already (to anyone)."""
        now = self.clock()
        passkey_id = new_id("pk")
        try:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    insert(staff_passkeys).values(
                        id=passkey_id,
                        staff_id=staff_id,
                        credential_id=credential.credential_id,
                        public_key=credential.public_key,
                        sign_count=credential.sign_count,
                        transports=",".join(credential.transports),
                        name=name,
                        created_at=now,
                        last_used_at=None,
                    )
                )
        except IntegrityError:
            return None
        return Passkey(
            passkey_id,
            staff_id,
            name,
            StoredCredential(
                credential.credential_id,
                credential.public_key,
                credential.sign_count,
                credential.transports,
            ),
            now,
            None,
        )

    async def remove(self, staff_id: str, passkey_id: str) -> Removal:
        """Remove one of this member's own passkeys. The last one stays while the member's
        organisation requires passkeys; the check and the delete are one transaction, with the
        staff row locked (PostgreSQL; SQLite has a single writer), so two removals at once cannot
        both take the last two."""
        async with self.db.writer.begin() as conn:
            required = await conn.scalar(
                select(organisations.c.passkeys_required)
                .select_from(
                    staff.join(organisations, organisations.c.id == staff.c.organisation_id)
                )
                .where(staff.c.id == staff_id)
                .with_for_update(of=staff)
            )
            owned = await conn.scalar(
                select(func.count())
                .select_from(staff_passkeys)
                .where(staff_passkeys.c.staff_id == staff_id)
            )
            mine = await conn.scalar(
                select(staff_passkeys.c.id).where(
                    staff_passkeys.c.id == passkey_id, staff_passkeys.c.staff_id == staff_id
                )
            )
            if mine is None:
                return Removal.NOT_FOUND
            if required and int(owned or 0) <= 1:
                return Removal.LAST_REQUIRED
            await conn.execute(delete(staff_passkeys).where(staff_passkeys.c.id == passkey_id))
        return Removal.REMOVED

    async def remove_all(self, staff_id: str) -> int:
        """Every passkey of one member (``baken user reset-2fa``: a lost device)."""
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                delete(staff_passkeys).where(staff_passkeys.c.staff_id == staff_id)
            )
        return int(result.rowcount or 0)

    async def record_use(self, passkey_id: str, seen: int, new: int) -> bool:
        """Move the counter from the value the check saw to the new one; False when another
        sign-in moved it meanwhile (the same counter value twice is a clone or a replay)."""
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(staff_passkeys)
                .where(staff_passkeys.c.id == passkey_id, staff_passkeys.c.sign_count == seen)
                .values(sign_count=new, last_used_at=self.clock())
            )
        return result.rowcount == 1

    # --- challenges ---------------------------------------------------------------------------

    async def issue_challenge(
        self, owner: str, purpose: str, staff_id: str, ttl: timedelta
    ) -> bytes:
        """A fresh challenge for one ceremony of this browser state (``owner``: the hash of its
        sign-in or session cookie). An earlier one of the same owner and purpose ends."""
        now = self.clock()
        challenge = new_challenge()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(passkey_challenges).where(passkey_challenges.c.expires_at <= now)
            )
            await conn.execute(
                delete(passkey_challenges).where(
                    passkey_challenges.c.owner == owner, passkey_challenges.c.purpose == purpose
                )
            )
            await conn.execute(
                insert(passkey_challenges).values(
                    challenge_hash=challenge_hash(challenge),
                    owner=owner,
                    purpose=purpose,
                    staff_id=staff_id,
                    expires_at=now + ttl,
                )
            )
        return challenge

    async def take_challenge(
        self, owner: str, purpose: str, staff_id: str, challenge: bytes
    ) -> bool:
        """Use up a challenge: True only for one this owner was given for this purpose and
        member, not used yet and not expired."""
        async with self.db.writer.begin() as conn:
            row = (
                await conn.execute(
                    delete(passkey_challenges)
                    .where(
                        passkey_challenges.c.challenge_hash == challenge_hash(challenge),
                        passkey_challenges.c.owner == owner,
                        passkey_challenges.c.purpose == purpose,
                    )
                    .returning(passkey_challenges.c.staff_id, passkey_challenges.c.expires_at)
                )
            ).first()
        if row is None:
            return False
        return bool(row.staff_id == staff_id and as_utc(row.expires_at) > self.clock())

    # --- the organisation's rule ----------------------------------------------------------------

    async def required(self, organisation_id: str) -> bool:
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(organisations.c.passkeys_required).where(
                    organisations.c.id == organisation_id
                )
            )
        return bool(found)

    async def set_required(self, organisation_id: str, required: bool) -> bool:
        """False when there is no such organisation."""
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(organisations)
                .where(organisations.c.id == organisation_id)
                .values(passkeys_required=required)
            )
        return result.rowcount == 1
