"""Sign-in state between password and code, the failure throttle, and known devices.

Throttle design (docs/security.md, "Staff accounts"): every failed step (wrong password, wrong
code) adds a row to a bucket; a bucket with ``limit`` rows in the last hour refuses further
attempts until its oldest row is an hour old (a sliding window, so it always ends by itself). The
bucket is the account's username (hashed; unknown usernames get one too, so the throttle does not
tell which accounts exist) — unless the browser shows a device cookie from an earlier full sign-in
to that account, in which case the browser has a bucket of its own: whoever floods the account
from elsewhere fills the shared bucket, not the owner's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from baken.auth.tokens import new_token, token_hash
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import login_failures, staff_devices, staff_login_challenges

THROTTLE_WINDOW = timedelta(hours=1)
DEFAULT_FAILURE_LIMIT = 100
# Long enough to type a code; an enrolment may need an app installed first.
CODE_CHALLENGE_TTL = timedelta(minutes=5)
ENROL_CHALLENGE_TTL = timedelta(minutes=15)
# Wrong codes on one challenge before the password must be entered again.
CHALLENGE_ATTEMPTS = 5
DEVICE_TTL = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Challenge:
    staff_id: str
    stage: str  # "code" or "enrol"
    bucket: str
    attempts: int


def account_bucket(username: str) -> str:
    normalized = username.strip().casefold()
    return "u:" + hashlib.sha256(b"baken-login:" + normalized.encode()).hexdigest()


def device_bucket(device_token: str) -> str:
    return "d:" + token_hash(device_token)


def is_device_bucket(bucket: str) -> bool:
    """The bucket of a browser that signed in to its account before (the device cookie)."""
    return bucket.startswith("d:")


class LoginRepository:
    def __init__(
        self,
        db: Database,
        failure_limit: int = DEFAULT_FAILURE_LIMIT,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.failure_limit = failure_limit
        self.clock = clock

    # --- throttle -------------------------------------------------------------------------------

    async def failures(self, bucket: str) -> int:
        since = self.clock() - THROTTLE_WINDOW
        async with self.db.reader.connect() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(login_failures)
                .where(login_failures.c.bucket == bucket, login_failures.c.failed_at > since)
            )
        return int(count or 0)

    async def blocked(self, bucket: str) -> bool:
        return await self.failures(bucket) >= self.failure_limit

    async def record_failure(self, bucket: str) -> None:
        now = self.clock()
        async with self.db.writer.begin() as conn:
            await conn.execute(insert(login_failures).values(bucket=bucket, failed_at=now))
            # Rows older than the window count for nothing: the table stays small by itself.
            await conn.execute(
                delete(login_failures).where(login_failures.c.failed_at <= now - THROTTLE_WINDOW)
            )

    # --- devices that signed in before ----------------------------------------------------------

    async def new_device(self, staff_id: str) -> str:
        now = self.clock()
        token = new_token()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(staff_devices).where(
                    staff_devices.c.staff_id == staff_id, staff_devices.c.expires_at <= now
                )
            )
            await conn.execute(
                insert(staff_devices).values(
                    token_hash=token_hash(token),
                    staff_id=staff_id,
                    created_at=now,
                    expires_at=now + DEVICE_TTL,
                )
            )
        return token

    async def device_staff_id(self, device_token: str) -> str | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(staff_devices.c.staff_id, staff_devices.c.expires_at).where(
                        staff_devices.c.token_hash == token_hash(device_token)
                    )
                )
            ).first()
        if row is None or as_utc(row.expires_at) <= self.clock():
            return None
        return str(row.staff_id)

    # --- the step between password and code -----------------------------------------------------

    async def start_challenge(self, staff_id: str, stage: str, bucket: str) -> str:
        now = self.clock()
        ttl = ENROL_CHALLENGE_TTL if stage == "enrol" else CODE_CHALLENGE_TTL
        token = new_token()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(staff_login_challenges).where(staff_login_challenges.c.expires_at <= now)
            )
            await conn.execute(
                insert(staff_login_challenges).values(
                    token_hash=token_hash(token),
                    staff_id=staff_id,
                    stage=stage,
                    bucket=bucket,
                    attempts=0,
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
        return token

    async def challenge(self, token: str) -> Challenge | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(staff_login_challenges).where(
                        staff_login_challenges.c.token_hash == token_hash(token)
                    )
                )
            ).first()
        if row is None or as_utc(row.expires_at) <= self.clock():
            return None
        return Challenge(row.staff_id, row.stage, row.bucket, int(row.attempts))

    async def count_wrong_code(self, token: str) -> int:
        """One more wrong code on this challenge; at the limit the challenge is gone. Returns
        the attempts left."""
        hashed = token_hash(token)
        async with self.db.writer.begin() as conn:
            attempts = await conn.scalar(
                update(staff_login_challenges)
                .where(staff_login_challenges.c.token_hash == hashed)
                .values(attempts=staff_login_challenges.c.attempts + 1)
                .returning(staff_login_challenges.c.attempts)
            )
            if attempts is None or attempts >= CHALLENGE_ATTEMPTS:
                await conn.execute(
                    delete(staff_login_challenges).where(
                        staff_login_challenges.c.token_hash == hashed
                    )
                )
                return 0
        return CHALLENGE_ATTEMPTS - int(attempts)

    async def end_challenge(self, token: str) -> None:
        async with self.db.writer.begin() as conn:
            await conn.execute(
                delete(staff_login_challenges).where(
                    staff_login_challenges.c.token_hash == token_hash(token)
                )
            )
