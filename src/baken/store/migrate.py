"""Run Alembic migrations from code (``baken db upgrade`` and server start-up)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from baken.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["baken_settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


async def upgrade_async(settings: Settings) -> None:
    # env.py drives its own event loop, so it runs in a worker thread when we are already async.
    await asyncio.to_thread(upgrade, settings)
