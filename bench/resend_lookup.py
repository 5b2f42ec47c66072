"""What the message writer's resend lookup costs on SQLite as chats grow (issue 21).

Every batch first looks up which of its messages are resends: the (conversation, author,
client id) keys already stored. Until 7 December the lookup was two IN lists (the batch's chat
ids, its client ids); SQLite could use only the first column of the unique index for that, so it
read every stored message of each chat in the batch, and the lookup grew with the chats' length.
Now the keys are joined to the index (`store/sqlite_batch.py`). This script times both forms on
Baken's own `messages` table (in memory, from `store/tables.py`), for a full batch of keys spread
over chats of a given length, the forms alternating round after round; each reports its fastest
round.

    .venv/bin/python bench/resend_lookup.py [--lengths 10,100,400] [--keys 512] [--rounds 7]
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import time

from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from baken.store import sqlite_batch
from baken.store.tables import messages

CHATS = 1000


def _old_sql(n_chats: int, n_ids: int) -> str:
    """The lookup as it was before 7 December: the reference."""
    chats = ", ".join("?" * n_chats)
    ids = ", ".join("?" * n_ids)
    return (
        "SELECT conversation_id, author, client_msg_id, seq, sent_at_ms FROM messages"
        f" WHERE conversation_id IN ({chats}) AND client_msg_id IN ({ids})"
    )


def _database(length: int) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(str(CreateTable(messages).compile(dialect=sqlite.dialect())))
    for index in messages.indexes:
        db.execute(str(CreateIndex(index).compile(dialect=sqlite.dialect())))
    rows = (
        (
            f"c_{n % CHATS:030d}",
            n // CHATS + 1,
            "v" if n % 2 == 0 else f"s:staff{n % 250}",
            "visitor" if n % 2 == 0 else "counselor",
            None,
            hashlib.sha256(str(n).encode()).hexdigest()[:36],
            None,
            b"x" * 180,
            1_765_000_000_000 + n,
        )
        for n in range(CHATS * length)
    )
    db.executemany(
        "INSERT INTO messages (conversation_id, seq, author, sender, staff_id, client_msg_id,"
        " event, body, sent_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    return db


def _keys(n_keys: int) -> list[tuple[str, str, str]]:
    # New messages (no resend): the case of nearly every batch.
    return [
        (f"c_{n % CHATS:030d}", "v", hashlib.sha256(f"new{n}".encode()).hexdigest()[:36])
        for n in range(n_keys)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", default="10,100,400", help="messages per chat, comma-separated")
    ap.add_argument("--keys", type=int, default=512, help="keys per batch (MAX_BATCH is 512)")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    keys = _keys(args.keys)
    chat_ids = sorted({c for c, _, _ in keys})
    client_ids = sorted({k for _, _, k in keys})
    old = _old_sql(len(chat_ids), len(client_ids))
    old_args = [*chat_ids, *client_ids]
    new = sqlite_batch.lookup_sql(len(keys))
    new_args = [part for key in keys for part in key]
    print(f"{args.keys} keys over {len(chat_ids)} chats; {CHATS} chats in the table")
    print(f"{'messages a chat':>16} {'before (two IN lists)':>22} {'now (joined keys)':>18} ratio")
    for length in (int(x) for x in args.lengths.split(",")):
        db = _database(length)
        best = {"old": float("inf"), "new": float("inf")}
        for _ in range(args.rounds):
            for name, sql, params in (("old", old, old_args), ("new", new, new_args)):
                start = time.perf_counter()
                found = db.execute(sql, params).fetchall()
                best[name] = min(best[name], time.perf_counter() - start)
                if found:
                    sys.exit(f"{name}: a new key was found stored: {found[:1]}")
        db.close()
        print(
            f"{length:>16} {best['old'] * 1000:>19.2f} ms {best['new'] * 1000:>15.2f} ms"
            f" {best['old'] / best['new']:>5.0f}×"
        )


if __name__ == "__main__":
    main()
