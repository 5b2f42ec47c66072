"""Engines for the configured database: the embedded SQLite file or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from baken.config import Settings
from baken.store.sqlite_dialect import DRIVER as SQLITE_DRIVER

# SQLite readers held open (WAL lets them read beside the one writer).
READERS = 8


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged message survives a power cut, not only a process crash. Group commit
    # pays the fsync once per batch, not once per message.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """Holds a writer engine and a reader engine.

    SQLite allows one writer at a time, so all writes share one connection (the message writer
    batches into it); readers use their own connections, which WAL lets run beside the writer.
    PostgreSQL gets one pooled engine for both.
    """

    def __init__(self, settings: Settings) -> None:
        self.url = settings.resolved_database_url
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            # aiosqlite with one hand-over to its thread per statement (store/sqlite_dialect.py).
            url = make_url(self.url).set(drivername=SQLITE_DRIVER)
            self.writer = create_async_engine(
                url,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
            )
            # Eight readers kept open, none beyond: an overflow connection is a new thread, a
            # file open and the pragmas, thrown away when returned — under a burst of starts
            # the server opened and closed readers by the hundred (issue 21).
            self.reader = create_async_engine(
                url,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=READERS,
                max_overflow=0,
                pool_timeout=60,
            )
            for engine in (self.writer, self.reader):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            self.writer = create_async_engine(self.url, pool_size=10, max_overflow=10)
            self.reader = self.writer

    async def ping(self) -> bool:
        """Whether the database answers a trivial query now (for /readyz)."""
        try:
            async with self.reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_migration_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    # SQLite changes a table by copying it into a new one and dropping the old; with foreign
    # keys enforced, dropping a table others point to fails as soon as it holds rows. The
    # migration environment checks every foreign key after the migrations instead (env.py).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def engine_for_migrations(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(settings.resolved_database_url)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        event.listen(engine.sync_engine, "connect", _sqlite_migration_pragmas)
    return engine
