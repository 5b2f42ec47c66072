"""Issue 16: `baken serve` (not --demo) warns when the master key file and the SQLite database
share a directory; not when the key comes from the environment or the database is elsewhere."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import pytest

from baken.config import Settings
from baken.keys.placement import key_beside_database, warn_if_key_beside_database


def test_the_embedded_default_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path)
    assert key_beside_database(settings)
    with caplog.at_level(logging.WARNING, logger="baken.keys.placement"):
        assert warn_if_key_beside_database(settings)
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "BAKEN_MASTER_KEY" in warning[0].getMessage()
    assert str(tmp_path) not in warning[0].getMessage()


def test_a_key_from_the_environment_or_a_database_elsewhere_is_fine(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    elsewhere = tmp_path / "db"
    elsewhere.mkdir()
    quiet = [
        Settings(data_dir=tmp_path, master_key=key),
        Settings(
            data_dir=tmp_path / "keys",
            database_url=f"sqlite+aiosqlite:///{elsewhere / 'baken.sqlite3'}",
        ),
        Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://db.example/baken"),
    ]
    with caplog.at_level(logging.WARNING, logger="baken.keys.placement"):
        for settings in quiet:
            assert not key_beside_database(settings)
            assert not warn_if_key_beside_database(settings)
    assert not caplog.records
