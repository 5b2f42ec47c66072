"""The message writer's transaction on SQLite, as two calls in the database's own thread.

Under load the chat's largest single cost was not SQLite but the layers around it: every statement
of a batch went through SQLAlchemy's statement cache and made its own round trip to aiosqlite's
worker thread (a fifth of the server's core at 2,000 msg/s, issue 21's profile). Here one round
trip opens the transaction, finds resends and reserves the seqs; the event loop encrypts (the seq
is part of each message's associated data); a second round trip inserts and commits. The SQL is
the same the Core statements compiled to, and the transaction keeps its guarantees: nothing is
answered before COMMIT returns, and on any error the whole batch is rolled back.

The functions run on the writer's sqlite3 connection inside aiosqlite's thread, while the writer
engine's only pooled connection is checked out by the message writer, so nothing else can use it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from baken.domain.conversation import State

# (conversation_id, author, client_msg_id, seq, sent_at_ms)
ExistingRow = tuple[str, str, str, int, int]
# (conversation_id, state, last_seq, wrapped_key)
ReservedRun = tuple[str, str, int, bytes]

_RESERVE = "UPDATE conversations SET last_seq = last_seq + ? WHERE id = ? AND state != ?"
_INSERT = (
    "INSERT INTO messages (conversation_id, seq, author, sender, staff_id, client_msg_id, event,"
    " body, sent_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


# Only "?" placeholders are formatted into these two: the values travel as parameters.
def lookup_sql(n_keys: int) -> str:
    # The batch's keys joined to the unique index on (conversation_id, author, client_msg_id), one
    # index probe per key. The earlier two IN lists (conversation ids, client ids) could use only
    # the first column, so SQLite read every message of each chat in the batch: the lookup grew
    # with the chats' length (68 ms for 512 keys at 400 messages a chat, against 1.3 ms here;
    # bench/resend_lookup.py).
    rows = ", ".join(["(?, ?, ?)"] * n_keys)
    return (
        f"WITH k(conversation_id, author, client_msg_id) AS (VALUES {rows})"  # noqa: S608
        " SELECT m.conversation_id, m.author, m.client_msg_id, m.seq, m.sent_at_ms"
        " FROM k CROSS JOIN messages AS m ON m.conversation_id = k.conversation_id"
        " AND m.author = k.author AND m.client_msg_id = k.client_msg_id"
    )


def _reserved_sql(n: int) -> str:
    return f"SELECT id, state, last_seq, wrapped_key FROM conversations WHERE id IN ({_marks(n)})"  # noqa: S608


def reserve(
    db: sqlite3.Connection,
    keys: Sequence[tuple[str, str, str]],
    plan: Callable[[list[ExistingRow]], dict[str, int]],
) -> tuple[list[ReservedRun], dict[str, int]]:
    """Begin the batch's transaction, read the stored messages that may be resends of ``keys``
    (``plan`` keeps the ones that are), let ``plan`` decide how many new seqs each conversation
    needs, and reserve them. The transaction stays open."""
    db.execute("BEGIN IMMEDIATE")
    try:
        # CROSS JOIN keeps the keys as the outer loop: SQLite does not reorder it.
        rows = (
            db.execute(lookup_sql(len(keys)), [part for key in keys for part in key]).fetchall()
            if keys
            else []
        )
        counts = plan(rows)
        runs: list[ReservedRun] = []
        if counts:
            db.executemany(_RESERVE, [(n, cid, State.ENDED.value) for cid, n in counts.items()])
            # The single writer holds the write lock until COMMIT: last_seq read back is exactly
            # what this batch reserved.
            runs = db.execute(_reserved_sql(len(counts)), list(counts)).fetchall()
        return runs, counts
    except BaseException:
        db.rollback()
        raise


def insert_and_commit(db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert the batch's messages (tuples in ``_INSERT``'s column order) and commit."""
    try:
        if rows:
            db.executemany(_INSERT, rows)
        db.commit()
    except BaseException:
        db.rollback()
        raise


def rollback(db: sqlite3.Connection) -> None:
    db.rollback()


async def in_thread(connection: aiosqlite.Connection, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(sqlite3_connection, *args)`` in aiosqlite's thread, as one round trip.

    aiosqlite has no public call for this; its ``_execute`` (a queued function call, the same
    path every one of its own methods takes) has kept this shape since 0.17.
    tests/test_store.py checks it on the installed version.
    """
    return await connection._execute(fn, connection._conn, *args)  # type: ignore[no-untyped-call]
