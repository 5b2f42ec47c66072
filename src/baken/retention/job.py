"""The purge: once now and then in every server process, and on demand with ``baken purge``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from baken.audit import kinds
from baken.crypto.envelope import CipherCache
from baken.store.audit_repo import AuditLog
from baken.store.clock import utcnow
from baken.store.consult_repo import purge_consults_before
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.retention_repo import PurgeCounts, RetentionRepository, Scope

log = logging.getLogger(__name__)

# The first run waits a little, so a start-up (or a deploy of many processes) is not slowed down.
FIRST_RUN_DELAY_SECONDS = 30.0
# Keys shredded by another process are forgotten here too if they ended within this window before
# the cutoff; later ones were shredded long enough ago to have been forgotten already.
FORGET_WINDOW = timedelta(days=2)


def cutoff_for(retention_days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=retention_days)


def passes(
    retention_days: int, own: dict[str, int], now: datetime | None = None
) -> list[tuple[datetime, Scope]]:
    """The purge passes: one per organisation with a period of its own (issue 14), and one for
    everyone else with the installation's period."""
    found: list[tuple[datetime, Scope]] = [
        (cutoff_for(retention_days, now), Scope(tuple(sorted(own)), others=True))
    ]
    for organisation_id, days in sorted(own.items()):
        found.append((cutoff_for(days, now), Scope((organisation_id,), others=False)))
    return found


async def organisation_periods(db: Database) -> dict[str, int]:
    """The organisations whose retention period is their own."""
    organisations = await OrganisationRepository(db).all()
    return {o.id: o.retention_days for o in organisations if o.retention_days is not None}


async def purge(
    db: Database,
    retention_days: int,
    ciphers: CipherCache | None = None,
    audit: AuditLog | None = None,
    now: datetime | None = None,
    actor: kinds.Actor = kinds.SYSTEM,
) -> PurgeCounts:
    """Destroy everything that is due, batch by batch; returns what was destroyed. An
    organisation with a retention period of its own is purged by that period."""
    cutoff = cutoff_for(retention_days, now)
    repo = RetentionRepository(db)
    total = PurgeCounts()
    all_passes = passes(retention_days, await organisation_periods(db), now)
    for pass_cutoff, scope in all_passes:
        while True:
            counts, ids = await repo.purge_conversations(pass_cutoff, scope=scope)
            total += counts
            if ciphers is not None:
                for conversation_id in ids:
                    ciphers.forget(conversation_id)
            if not ids:
                break
        while True:
            counts, ids = await repo.purge_mailboxes(pass_cutoff, scope=scope)
            total += counts
            if ciphers is not None:
                for code_id in ids:
                    ciphers.forget(code_id)
            if not ids:
                break
    # Supervision (issue 3): consultation messages between staff follow the same period.
    await purge_consults_before(db, cutoff)
    if ciphers is not None:
        earliest = min(pass_cutoff for pass_cutoff, _scope in all_passes)
        for conversation_id in await repo.shredded_since(earliest - FORGET_WINDOW):
            ciphers.forget(conversation_id)
    if total.anything and audit is not None:
        await audit.record(
            kinds.RETENTION_PURGE,
            actor,
            detail=_detail(total, retention_days),
        )
    return total


def _detail(counts: PurgeCounts, days: int) -> str:
    return (
        f"days={days} conversations={counts.conversations} messages={counts.messages} "
        f"mailboxes={counts.mailboxes} mailbox_messages={counts.mailbox_messages}"
    )


class RetentionJob:
    """A periodic task in the server. Safe with several processes: the purge is idempotent."""

    def __init__(
        self,
        db: Database,
        ciphers: CipherCache,
        audit: AuditLog,
        retention_days: int,
        interval: timedelta,
        first_delay: float = FIRST_RUN_DELAY_SECONDS,
    ) -> None:
        self.db = db
        self.ciphers = ciphers
        self.audit = audit
        self.retention_days = retention_days
        self.interval = interval
        self.first_delay = first_delay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> PurgeCounts:
        counts = await purge(self.db, self.retention_days, self.ciphers, self.audit)
        if counts.anything:
            log.info(
                "retention: destroyed the keys of %d conversations and %d mailboxes",
                counts.conversations,
                counts.mailboxes,
            )
        return counts

    async def _forever(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention purge failed; it runs again at the next interval")
            await asyncio.sleep(self.interval.total_seconds())
