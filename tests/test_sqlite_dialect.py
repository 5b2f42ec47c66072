"""The SQLite adapter (store/sqlite_dialect.py): each statement one call in aiosqlite's thread, a
rollback sent only when there is something to undo, and otherwise the stock adapter's results,
errors and transactions, on the installed SQLAlchemy and aiosqlite."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from baken.config import Settings
from baken.store.database import Database
from baken.store.sqlite_dialect import SQLiteDialect


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(Settings(data_dir=tmp_path))
    async with database.writer.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every call handed to an aiosqlite thread, by the function's name."""
    counted: Counter[str] = Counter()
    queued = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counted[getattr(fn, "__name__", repr(fn))] += 1
        return await queued(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


async def test_both_engines_use_the_one_trip_dialect(db: Database) -> None:
    assert isinstance(db.writer.dialect, SQLiteDialect)
    assert isinstance(db.reader.dialect, SQLiteDialect)
    assert db.writer.dialect.name == "sqlite"


async def test_a_read_is_one_trip_and_sends_no_rollback(db: Database, trips: Counter[str]) -> None:
    async with db.writer.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
    for _ in range(2):  # the pooled readers opened (pragmas, functions) before counting
        async with db.reader.connect() as conn:
            await conn.execute(text("SELECT 1"))
    trips.clear()
    async with db.reader.connect() as conn:
        rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]
    # The stock adapter: cursor, execute, fetchall, close, and a rollback on return.
    assert trips == Counter({"_execute": 1})


async def test_results_row_counts_and_last_row_ids_are_the_drivers(db: Database) -> None:
    async with db.writer.begin() as conn:
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
        assert many.rowcount == 2
        one = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "c"})
        assert (one.lastrowid, one.rowcount) == (3, 1)
        changed = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert changed.rowcount == 2
    async with db.reader.connect() as conn:
        result = await conn.execute(text("SELECT id, v FROM t WHERE id = :i"), {"i": 2})
        assert list(result.keys()) == ["id", "v"]
        assert tuple(result.one()) == (2, "b!")
        assert (await conn.execute(text("SELECT v FROM t WHERE id = 99"))).first() is None
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_an_uncommitted_change_is_rolled_back_when_the_connection_returns(
    db: Database, trips: Counter[str]
) -> None:
    async with db.writer.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('gone')"))
        trips.clear()
    # The transaction was open, so the rollback was sent (one trip) and undid the insert.
    assert trips == Counter({"rollback": 1})
    async with db.reader.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_errors_are_sqlalchemys_and_leave_the_connection_usable(db: Database) -> None:
    async with db.writer.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
    with pytest.raises(IntegrityError):
        async with db.writer.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('y')"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))  # unique v
    with pytest.raises(OperationalError):
        async with db.reader.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    # The failed transaction left nothing behind ('y' rolled back with it), and both pools work.
    async with db.writer.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('z')"))
    async with db.reader.connect() as conn:
        values = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert values == ["x", "z"]


async def test_rows_can_be_fetched_in_parts(db: Database) -> None:
    async with db.writer.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": str(i)} for i in range(5)])
    async with db.reader.connect() as conn:
        result = await conn.execute(text("SELECT v FROM t ORDER BY id"))
        assert [r[0] for r in result.fetchmany(2)] == ["0", "1"]
        assert [r[0] for r in result.fetchmany()] == ["2"]  # the DB-API's arraysize, 1
        assert [r[0] for r in result.fetchall()] == ["3", "4"]
        parts = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).partitions(2)
        assert [[r[0] for r in part] for part in parts] == [["0", "1"], ["2", "3"], ["4"]]
