"""``baken keys rotate``: a new master key, every stored key re-wrapped to it, the old one retired.

The steps, each safe to interrupt (running it again continues):

1. A new key is appended to the ring file. Every process re-reads the file before it wraps or
   unwraps, so from here on new keys are wrapped with the new master key everywhere, and keys
   wrapped with it are readable everywhere. The old key still unwraps.
2. After a short pause (wraps that were under way when the file changed get stored), every key
   still wrapped by an older master key is re-wrapped, in small transactions.
3. The older keys are removed from the file. A last pass re-wraps anything a slow process still
   wrapped with the old key, with the copy this command holds in memory.

With BAKEN_MASTER_KEY (keys in the environment) this command cannot change the configuration:
it re-wraps to the newest configured key and says which older keys may then be removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from baken.audit import kinds
from baken.config import Settings
from baken.crypto.envelope import KEY_BYTES
from baken.crypto.keyfile import key_ring_path, load_or_create_master_key
from baken.crypto.keyring import KeyRing, MasterKeyError, parse_ring, write_ring
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.key_rotation_repo import BATCH, WRAPPED, KeyRotationRepository

SETTLE_SECONDS = 5.0
MAX_PASSES = 10


class RotationError(Exception):
    pass


@dataclass
class RotationReport:
    new_key_id: str
    retired: list[str] = field(default_factory=list)
    rewrapped: dict[str, int] = field(default_factory=dict)
    # Keys that are still configured (BAKEN_MASTER_KEY) but no longer wrap anything.
    removable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rewrapped.values())


@contextlib.contextmanager
def _rotation_lock(ring_path: Path) -> Iterator[None]:
    lock_path = ring_path.with_name(ring_path.name + ".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError("another key rotation is running") from None
        yield
    finally:
        os.close(fd)


async def rewrap_all(
    db: Database,
    ring: KeyRing,
    batch: int = BATCH,
    progress: Callable[[str], None] = lambda _line: None,
) -> dict[str, int]:
    """Re-wrap everything not yet wrapped by the ring's newest key; passes until none is left."""
    repo = KeyRotationRepository(db)
    done = {target.name: 0 for target in WRAPPED}
    for _ in range(MAX_PASSES):
        for target in WRAPPED:
            after = ""
            while True:
                changed, last = await repo.rewrap_batch(target, ring, after, batch)
                if last is None:
                    break
                done[target.name] += changed
                after = last
                progress(f"{target.name}: {done[target.name]} re-wrapped")
        if await repo.pending(ring.primary) == 0:
            return done
    raise RotationError("keys keep appearing under an old master key; is a process stuck?")


async def rotate(
    settings: Settings,
    batch: int = BATCH,
    settle_seconds: float = SETTLE_SECONDS,
    progress: Callable[[str], None] = lambda _line: None,
) -> RotationReport:
    db = Database(settings)
    try:
        if settings.master_key:
            return await _rotate_configured(settings, db, batch, progress)
        return await _rotate_file(settings, db, batch, settle_seconds, progress)
    finally:
        await db.dispose()


async def _rotate_configured(
    settings: Settings, db: Database, batch: int, progress: Callable[[str], None]
) -> RotationReport:
    ring, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
    report = RotationReport(new_key_id=ring.key_id)
    report.rewrapped = await rewrap_all(db, ring, batch, progress)
    report.removable = ring.key_ids[:-1]
    await _audit(db, report)
    return report


async def _rotate_file(
    settings: Settings,
    db: Database,
    batch: int,
    settle_seconds: float,
    progress: Callable[[str], None],
) -> RotationReport:
    path = key_ring_path(settings.data_dir)
    load_or_create_master_key("", settings.data_dir)  # a fresh installation has none yet
    with _rotation_lock(path):
        try:
            current = parse_ring(path.read_text())
        except MasterKeyError as exc:
            raise RotationError(f"the key ring {path} cannot be read: {exc}") from exc
        new_key = os.urandom(KEY_BYTES)
        # Step 1: the new key wraps from now on, in every process that reads this file.
        write_ring(path, [*current, new_key])
        everything = KeyRing([*current, new_key])  # in memory: keeps the old keys to the end
        report = RotationReport(new_key_id=everything.key_id)
        progress(f"new master key {report.new_key_id} added to {path}")
        await asyncio.sleep(settle_seconds)
        # Step 2.
        report.rewrapped = await rewrap_all(db, everything, batch, progress)
        # Step 3: retire; then catch what a slow process wrapped with the old key meanwhile.
        write_ring(path, [new_key])
        report.retired = everything.key_ids[:-1]
        progress(f"retired {', '.join(report.retired) or 'nothing'}")
        await asyncio.sleep(settle_seconds)
        late = await rewrap_all(db, everything, batch, progress)
        for name, count in late.items():
            report.rewrapped[name] += count
    await _audit(db, report)
    return report


async def _audit(db: Database, report: RotationReport) -> None:
    await AuditLog(db).record(
        kinds.KEYS_ROTATE,
        kinds.Actor.operator(),
        kinds.KEY,
        report.new_key_id,
        detail=f"rewrapped={report.total} retired={','.join(report.retired) or '-'}",
    )
