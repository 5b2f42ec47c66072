"""Where the master key lives (issue 16): a stolen disk or backup that holds both the database and
``master.key`` opens every message. The embedded default keeps them in one directory for an easy
start; `baken serve` (not ``--demo``) warns loudly about that, so production moves the key out
(docs/operations.md: BAKEN_MASTER_KEY from a root-only file outside the data directory)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url

from baken.config import Settings
from baken.crypto.keyfile import key_ring_path

log = logging.getLogger(__name__)


def sqlite_file(settings: Settings) -> Path | None:
    if not settings.is_sqlite:
        return None
    database = make_url(settings.resolved_database_url).database
    return Path(database).resolve() if database else None


def key_beside_database(settings: Settings) -> bool:
    """True when the master key is the file in the data directory and the SQLite database sits
    in that same directory (one copy of the directory holds both)."""
    if settings.master_key:
        return False  # in the environment, not on this disk next to the data
    database = sqlite_file(settings)
    if database is None:
        return False
    return database.parent == key_ring_path(settings.data_dir).resolve().parent


def warn_if_key_beside_database(settings: Settings) -> bool:
    if not key_beside_database(settings):
        return False
    log.warning(
        "The master key (%s) is in the same directory as the database: a copy of that directory "
        "or a stolen disk opens every message. Move the key out for production: put it in "
        "BAKEN_MASTER_KEY from a root-only file elsewhere (docs/operations.md).",
        key_ring_path(settings.data_dir).name,
    )
    return True
