"""``baken audit``, ``baken purge`` and ``baken keys`` (issue 5: audit log, retention, keys)."""

from __future__ import annotations

import asyncio
import base64
import os

import typer
from rich.console import Console

from baken.config import Settings
from baken.crypto.envelope import KEY_BYTES
from baken.store import migrate
from baken.store.database import Database

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
keys_app = typer.Typer(help="The master key ring.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the audit log; exits 1 at the first record that does not fit."""
    from baken.store.audit_repo import AuditLog, Verification

    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> Verification:
        db = Database(settings)
        try:
            return await AuditLog(db).verify()
        finally:
            await db.dispose()

    result = asyncio.run(run())
    if result.ok:
        console.print(f"OK: {result.checked} records, head {result.head_id} {result.head_hash}")
        return
    errors.print(
        f"[red]BROKEN at record {result.broken_id}: {result.reason}[/red] "
        f"({result.checked} records before it are intact)"
    )
    raise typer.Exit(1)


def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be destroyed."),
) -> None:
    """Destroy the keys of transcripts older than BAKEN_RETENTION_DAYS after their end."""
    from baken.audit import kinds
    from baken.crypto.envelope import CipherCache
    from baken.crypto.keyfile import load_or_create_master_key
    from baken.retention.job import organisation_periods, passes
    from baken.retention.job import purge as run_purge
    from baken.store.audit_repo import AuditLog
    from baken.store.retention_repo import PurgeCounts, RetentionRepository

    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> PurgeCounts:
        db = Database(settings)
        try:
            if dry_run:
                repo, total = RetentionRepository(db), PurgeCounts()
                periods = await organisation_periods(db)
                for cutoff, scope in passes(settings.retention_days, periods):
                    total += await repo.due(cutoff, scope)
                return total
            ring, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
            return await run_purge(
                db,
                settings.retention_days,
                CipherCache(ring),
                AuditLog(db),
                actor=kinds.Actor.operator(),
            )
        finally:
            await db.dispose()

    counts = asyncio.run(run())
    verb = "Would destroy" if dry_run else "Destroyed"
    console.print(
        f"{verb} the transcripts of {counts.conversations} conversations "
        f"({counts.messages} messages) and {counts.mailboxes} mailboxes "
        f"({counts.mailbox_messages} messages), ended more than {settings.retention_days} days ago."
    )


@keys_app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(200, min=1, max=10_000, help="Keys re-wrapped per transaction."),
    settle_seconds: float = typer.Option(
        5.0, min=0.0, help="Pause after changing the key ring, for wraps under way elsewhere."
    ),
) -> None:
    """Make a new master key, re-wrap every stored key to it, retire the old one."""
    from baken.keys.rotation import RotationError, rotate

    settings = Settings()
    migrate.upgrade(settings)
    try:
        report = asyncio.run(
            rotate(settings, batch, settle_seconds, progress=lambda line: errors.print(line))
        )
    except RotationError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    parts = ", ".join(f"{count} {name}" for name, count in report.rewrapped.items())
    console.print(f"New master key {report.new_key_id}; re-wrapped {parts}.")
    if report.retired:
        console.print(f"Retired {', '.join(report.retired)}. Back up the new key ring now.")
    if report.removable:
        console.print(
            "Nothing is wrapped by "
            + ", ".join(report.removable)
            + " any more: remove those keys from BAKEN_MASTER_KEY on every process."
        )


@keys_app.command("status")
def keys_status() -> None:
    """The keys in the ring (newest last) and how many stored keys each one wraps."""
    from baken.crypto.keyfile import load_or_create_master_key
    from baken.store.key_rotation_repo import KeyRotationRepository

    settings = Settings()
    migrate.upgrade(settings)
    ring, _ = load_or_create_master_key(settings.master_key, settings.data_dir)

    async def run() -> dict[str, dict[str, int]]:
        db = Database(settings)
        try:
            return await KeyRotationRepository(db).counts_by_key()
        finally:
            await db.dispose()

    counts = asyncio.run(run())
    for key_id in ring.key_ids:
        marker = " (wraps new keys)" if key_id == ring.key_id else ""
        console.print(f"key {key_id}{marker}")
    for name, by_key in counts.items():
        listed = ", ".join(f"{key_id}: {n}" for key_id, n in sorted(by_key.items())) or "none"
        console.print(f"  {name}: {listed}")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key (base64), for installations that set BAKEN_MASTER_KEY."""
    console.print(base64.b64encode(os.urandom(KEY_BYTES)).decode(), soft_wrap=True)
