"""SQLAlchemy's aiosqlite dialect, with one hand-over to the database thread per statement.

aiosqlite runs every call on its own thread, and SQLAlchemy's adapter makes four such calls for
one statement: open a cursor, execute, fetch the rows, close the cursor; and one more for every
rollback, also when SQLite has no transaction open (a plain SELECT opens none; a message batch has
already committed). On this project's one core each hand-over is two context switches and two
GIL hand-offs: at 1,000 msg/s the server switched about 11,000 times a second, and the kernel's
share of its CPU was 38 % (issue 21; docs/performance.md, "Restarts", 7 December, second
session). Here a statement is one call that does all four steps in the thread and brings back
the description, the rows, the row count and the last row id; a rollback with nothing to undo is
not sent (Python's own ``sqlite3`` checks the same ``in_transaction`` flag and does nothing).

Results, errors and transactions are those of the stock adapter: the same ``sqlite3`` calls run
in the same order on the same connection in the same thread; only the number of trips changes.
Server-side cursors keep the stock behaviour (Baken does not use them).
tests/test_sqlite_dialect.py checks the adapter on the installed SQLAlchemy and aiosqlite.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from threading import Thread
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

DRIVER = "sqlite+baken_aiosqlite"

# (description, rows or None, rowcount, lastrowid)
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(db: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = db.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(db: sqlite3.Connection, operation: str, parameters: Sequence[Any]) -> _Outcome:
    cursor = db.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one call in aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1  # the DB-API's default, what fetchmany() without a size takes
        self._cursor = None  # type: ignore[assignment]  # no cursor stays open between calls

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing is open in the thread between statements

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, fn: Any, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            # aiosqlite's queued call, the path its own methods take (store/sqlite_batch.py)
            outcome: _Outcome = await connection._execute(
                fn, connection._conn, operation, parameters
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = deque(rows) if rows is not None else deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(_execute, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(_executemany, operation, seq_of_parameters)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def rollback(self) -> None:
        # aiosqlite's raw attribute (its ``_conn`` raises once closed); None goes the stock way,
        # which does nothing then. Checked out to this caller with no statement in flight, the
        # flag cannot change while it is read.
        inner = self._connection._connection
        if inner is not None and not inner.in_transaction:
            return
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        connection = creator_fn(*arg, **kw) if creator_fn else self.aiosqlite.connect(*arg, **kw)
        thread = connection if isinstance(connection, Thread) else connection._thread
        thread.daemon = True  # as the stock adapter: an unclosed connection never blocks exit
        return OneTripConnection(self, await_(connection))


class SQLiteDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True  # statements compile exactly as the stock dialect's

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        import aiosqlite

        return OneTripDBAPI(aiosqlite, sqlite3)


registry.register(DRIVER.replace("+", "."), __name__, "SQLiteDialect")
