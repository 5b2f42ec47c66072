"""Accounts for the demo and the benchmarks. Never used by the running service itself."""

from __future__ import annotations

import secrets
from datetime import datetime

from baken.auth import totp
from baken.auth.passwords import hash_password
from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.crypto.keyfile import load_or_create_master_key
from baken.domain.conversation import Role
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.two_factor_repo import TwoFactorRepository

DEMO_USERNAME = "demo"

_WORDS = (
    "anker",
    "baken",
    "duin",
    "eiland",
    "haven",
    "kompas",
    "licht",
    "meeuw",
    "polder",
    "roer",
    "storm",
    "toren",
    "vlag",
    "wolk",
    "zeil",
    "zon",
    "brug",
    "dijk",
    "golf",
    "kade",
)


def _passphrase(words: int = 5) -> str:
    return "-".join(secrets.choice(_WORDS) for _ in range(words)) + f"-{secrets.randbelow(100)}"


async def reset_demo_counselor(settings: Settings) -> tuple[str, str]:
    """Create the demo counselor, or give it a fresh password; returns (username, password)."""
    await upgrade_async(settings)
    db = Database(settings)
    try:
        repo = StaffRepository(db)
        await repo.ensure_organisation(settings.organisation_name)
        password = _passphrase()
        found = await repo.by_username(DEMO_USERNAME)
        if found is None:
            await repo.create(DEMO_USERNAME, "Demo", hash_password(password), Role.COUNSELOR)
        else:
            await repo.set_password(found[0].id, hash_password(password))
        return DEMO_USERNAME, password
    finally:
        await db.dispose()


async def enrol_second_factor(
    db: Database, master: MasterKey, staff_id: str, now: datetime | None = None
) -> str:
    """Set up an authenticator for an account the way the enrolment page does (secret, then a
    valid code), for the benchmarks and tests; returns the base32 secret.

    The confirming code is the one of the step before ``now`` (a phone a little behind), so the
    current step is still free for a first real sign-in. The clock is fixed for the call, so a
    step boundary passing meanwhile cannot make the code stale.
    """
    moment = now or utcnow()
    repo = TwoFactorRepository(db, master, clock=lambda: moment)
    secret = await repo.pending_secret(staff_id)
    if secret is None:
        raise ValueError("this account already has a second factor")
    if await repo.confirm(staff_id, totp.code_at_step(secret, totp.step_at(moment) - 1)) is None:
        raise RuntimeError("the second factor could not be confirmed")
    return secret


async def create_bench_counselors(
    settings: Settings, count: int, organisation_id: str = DEFAULT_ORGANISATION
) -> list[str]:
    """Counselor accounts with a live session each; returns the session tokens (cookie values).

    Logging 1,000 counselors in through argon2 would measure password hashing, not the chat.
    Another organisation than the default must exist already (the benchmarks add it first).
    """
    await upgrade_async(settings)
    db = Database(settings)
    try:
        repo = StaffRepository(db)
        await repo.ensure_organisation(settings.organisation_name)
        if not await repo.organisation_exists(organisation_id):
            raise ValueError(f"no organisation {organisation_id!r}")
        # One hash, many accounts: the benchmark never logs in with these passwords.
        password_hash = hash_password(secrets.token_urlsafe(16))
        # Sessions exist only for accounts with a second factor (issue 5), so each gets one.
        master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
        suffix = secrets.token_hex(4)
        tokens = []
        for index in range(count):
            member = await repo.create(
                f"bench-{suffix}-{index}",
                f"Counselor {index}",
                password_hash,
                Role.COUNSELOR,
                organisation_id=organisation_id,
            )
            await enrol_second_factor(db, master, member.id)
            tokens.append(await repo.start_session(member.id))
        return tokens
    finally:
        await db.dispose()
