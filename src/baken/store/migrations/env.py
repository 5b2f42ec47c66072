"""Alembic environment: runs migrations over the async engine of the configured database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from baken.config import Settings
from baken.store.database import engine_for_migrations
from baken.store.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        before = context.get_context().get_current_heads()
        context.run_migrations()
        # The check reads every table (seconds on a large database): only after a migration ran.
        migrated = context.get_context().get_current_heads() != before
        if connection.dialect.name == "sqlite" and migrated:
            # Foreign keys are off while SQLite tables are copied (database.py); the data must
            # still hold to every one of them, or nothing of the migration is kept.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"a migration broke foreign keys: {broken[:5]}")


async def _main() -> None:
    settings = config.attributes.get("baken_settings") or Settings()
    engine = engine_for_migrations(settings)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
