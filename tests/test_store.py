"""Storage: group commit, seq without gaps, resends, and no plaintext on disk."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text

from baken.config import Settings
from baken.crypto.envelope import CipherCache, MasterKey
from baken.domain.conversation import EndedBy, Sender
from baken.store import sqlite_batch
from baken.store.clock import utcnow
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.message_writer import MessageWriter, WriteRejected
from baken.store.migrate import upgrade_async
from baken.store.records import StoredMessage
from baken.store.staff_repo import StaffRepository
from tests.conftest import _postgres_or_skip
from tests.support import postgres_database


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[ConversationRepository]:
    settings = Settings(data_dir=tmp_path)
    await upgrade_async(settings)
    db = Database(settings)
    await StaffRepository(db).ensure_organisation("Test")
    yield ConversationRepository(db, CipherCache(MasterKey(os.urandom(32))))
    await db.dispose()


async def test_concurrent_sends_get_consecutive_seqs_in_few_commits(
    repo: ConversationRepository,
) -> None:
    published: list[StoredMessage] = []
    writer = MessageWriter(repo, published.extend)
    writer.start()
    a, _ = await repo.create(None, "nl")
    b, _ = await repo.create("Roos", "nl")
    futures = [
        writer.submit(cid, "v", Sender.VISITOR, None, None, f"m{n}", f"tekst {n}")
        for n in range(200)
        for cid in (a.id, b.id)
    ]
    results = await asyncio.gather(*futures)
    await asyncio.sleep(0)  # let the publish run
    for cid in (a.id, b.id):
        seqs = [m.seq for m, dup in results if m.conversation_id == cid]
        assert seqs == list(range(1, 201))
    assert not any(dup for _, dup in results)
    assert writer.batches < 100  # many messages shared a transaction
    assert len(published) == 400
    stored = await repo.messages_after(b.id, 0)
    assert [m.text for m in stored] == [f"tekst {n}" for n in range(200)]
    await writer.stop()


async def test_resend_in_same_and_later_batch_returns_original(
    either_repo: ConversationRepository,
) -> None:
    repo = either_repo
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    conv, _ = await repo.create(None, "nl")
    first, twin = await asyncio.gather(
        writer.submit(conv.id, "v", Sender.VISITOR, None, None, "same", "een keer"),
        writer.submit(conv.id, "v", Sender.VISITOR, None, None, "same", "een keer"),
    )
    later = await writer.submit(conv.id, "v", Sender.VISITOR, None, None, "same", "een keer")
    assert first[1] is False
    assert twin == (first[0], True) or twin[0].seq == first[0].seq
    assert later[1] is True and later[0].seq == first[0].seq
    # Another author may use the same id without clashing.
    other = await writer.submit(conv.id, "s:x", Sender.COUNSELOR, None, None, "same", "ander")
    assert other[1] is False and other[0].seq == first[0].seq + 1
    assert len(await repo.messages_after(conv.id, 0)) == 2
    await writer.stop()


async def test_resends_over_many_chats_in_one_batch_are_found_and_new_ones_stored(
    either_repo: ConversationRepository,
) -> None:
    """The resend lookup of a batch spanning many chats (one statement of three key arrays on
    PostgreSQL): every resend gets its original back, every new message a new seq, and a key
    that matches only in part (same chat and id, other author) is not taken for a resend."""
    repo = either_repo
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    chats = [(await repo.create(None, "nl"))[0].id for _ in range(60)]
    firsts = await asyncio.gather(
        *(writer.submit(cid, "v", Sender.VISITOR, None, None, "k1", "een") for cid in chats)
    )
    assert [dup for _, dup in firsts] == [False] * 60
    again = [writer.submit(cid, "v", Sender.VISITOR, None, None, "k1", "een") for cid in chats]
    fresh = [writer.submit(cid, "v", Sender.VISITOR, None, None, "k2", "twee") for cid in chats]
    other = [
        writer.submit(cid, "s:x", Sender.COUNSELOR, None, None, "k1", "ander") for cid in chats
    ]
    results = await asyncio.gather(*again, *fresh, *other)
    resent, new, others = results[:60], results[60:120], results[120:]
    assert [(m.seq, dup) for m, dup in resent] == [(m.seq, True) for m, _ in firsts]
    assert all(not dup for _, dup in new + others)
    for cid in chats:
        stored = await repo.messages_after(cid, 0)
        assert sorted(m.seq for m in stored) == [1, 2, 3]
        assert sorted(m.text for m in stored) == ["ander", "een", "twee"]
    await writer.stop()


async def test_messages_to_an_ended_conversation_are_refused(
    either_repo: ConversationRepository,
) -> None:
    repo = either_repo
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    conv, _ = await repo.create(None, "nl")
    assert await repo.end(conv.id, EndedBy.QUICK_EXIT) is not None
    assert await repo.end(conv.id, EndedBy.VISITOR) is None  # ending twice changes nothing
    with pytest.raises(WriteRejected) as info:
        await writer.submit(conv.id, "v", Sender.VISITOR, None, None, "late", "te laat")
    assert info.value.code == "conversation_ended"
    events = await repo.messages_after(conv.id, 0)
    assert [m.event for m in events] == ["ended_quick_exit"]
    ended = await repo.get(conv.id)
    assert ended is not None and ended.ended_by is EndedBy.QUICK_EXIT
    await writer.stop()


async def test_database_file_holds_no_plaintext(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    await upgrade_async(settings)
    db = Database(settings)
    await StaffRepository(db).ensure_organisation("Test")
    repo = ConversationRepository(db, CipherCache(MasterKey(os.urandom(32))))
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    secret = "MIJN-GEHEIM-loverboy-adres-Kerkstraat-12"
    nickname = "NICKNAME-Zonnebloem-77"
    conv, _ = await repo.create(nickname, "nl")
    await writer.submit(conv.id, "v", Sender.VISITOR, None, None, "s1", secret)
    await writer.stop()
    async with db.writer.begin() as conn:
        await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    await db.dispose()
    for path in tmp_path.iterdir():
        if path.is_file() and path.name != "master.key":
            data = path.read_bytes()
            for needle in (secret, nickname, "Kerkstraat", "Zonnebloem"):
                assert needle.encode() not in data, (path.name, needle)
                assert needle.encode("utf-16-le") not in data
    # And it was really stored: read back through the key it decrypts.
    db2 = Database(settings)
    repo2 = ConversationRepository(db2, repo.ciphers)
    assert [m.text for m in await repo2.messages_after(conv.id, 0)] == [secret]
    await db2.dispose()


async def test_a_failed_commit_acks_nothing_and_leaves_no_gap(
    repo: ConversationRepository,
) -> None:
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    conv, _ = await repo.create(None, "nl")
    # Break the table under the writer, the way a full disk or a lost server would fail a commit.
    async with repo.db.writer.begin() as conn:
        await conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    with pytest.raises(WriteRejected) as info:
        await writer.submit(conv.id, "v", Sender.VISITOR, None, None, "m1", "eerste poging")
    assert info.value.code == "unavailable"
    async with repo.db.writer.begin() as conn:
        await conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    # The client sends the same message again: it is stored once, as seq 1 (the failed try
    # reserved nothing).
    stored, duplicate = await writer.submit(
        conv.id, "v", Sender.VISITOR, None, None, "m1", "eerste poging"
    )
    assert (stored.seq, duplicate) == (1, False)
    assert [m.text for m in await repo.messages_after(conv.id, 0)] == ["eerste poging"]
    await writer.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def either_repo(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ConversationRepository]:
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path)
        async for repo in _repo_on(settings):
            yield repo
        return
    _postgres_or_skip()
    with postgres_database() as url:
        async for repo in _repo_on(Settings(data_dir=tmp_path, database_url=url)):
            yield repo


async def _repo_on(settings: Settings) -> AsyncIterator[ConversationRepository]:
    await upgrade_async(settings)
    db = Database(settings)
    await StaffRepository(db).ensure_organisation("Test")
    try:
        yield ConversationRepository(db, CipherCache(MasterKey(os.urandom(32))))
    finally:
        await db.dispose()


async def test_receipts_raise_each_pointer_and_never_lower_one(
    either_repo: ConversationRepository,
) -> None:
    repo = either_repo
    a, _ = await repo.create(None, "nl")
    b, _ = await repo.create(None, "nl")
    await repo.save_receipts(
        [
            (a.id, "visitor_read_seq", 5),
            (a.id, "counselor_delivered_seq", 7),
            (b.id, "visitor_read_seq", 2),
            (b.id, "visitor_delivered_seq", 3),
        ]
    )
    # A lower seq (a late or replayed receipt) leaves the pointer where it was.
    await repo.save_receipts([(a.id, "visitor_read_seq", 4), (b.id, "visitor_read_seq", 9)])
    first, second = await repo.get(a.id), await repo.get(b.id)
    assert first is not None and second is not None
    assert (first.visitor_read_seq, first.visitor_delivered_seq) == (5, 0)
    assert (first.counselor_read_seq, first.counselor_delivered_seq) == (0, 7)
    assert (second.visitor_read_seq, second.visitor_delivered_seq) == (9, 3)
    assert (second.counselor_read_seq, second.counselor_delivered_seq) == (0, 0)


async def test_the_resend_lookup_costs_the_same_in_a_long_chat(
    repo: ConversationRepository,
) -> None:
    """The writer looks each key of a batch up in the unique index; it must not read the whole
    chat (issue 21: the lookup once grew with the chat's length, and the throughput sank as the
    benchmark's chats grew). Counted in SQLite's VM steps, not time."""
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    short, _ = await repo.create(None, "nl")
    long, _ = await repo.create(None, "nl")
    await asyncio.gather(
        *(writer.submit(short.id, "v", Sender.VISITOR, None, None, f"s{n}", "x") for n in range(3))
    )
    await asyncio.gather(
        *(writer.submit(long.id, "v", Sender.VISITOR, None, None, f"l{n}", "x") for n in range(400))
    )
    await writer.stop()

    def steps(db: sqlite3.Connection, key: tuple[str, str, str]) -> tuple[int, list[Any]]:
        found: list[Any] = []
        count = 0

        def tick() -> int:
            nonlocal count
            count += 1
            return 0

        def plan(rows: list[Any]) -> dict[str, int]:
            found.extend(rows)
            return {}

        db.set_progress_handler(tick, 1)
        try:
            sqlite_batch.reserve(db, [key], plan)
        finally:
            db.set_progress_handler(None, 1)
            db.rollback()
        return count, found

    async with repo.db.writer.connect() as conn:
        raw = await conn.get_raw_connection()
        db = raw.driver_connection
        assert isinstance(db, aiosqlite.Connection)
        short_steps, short_rows = await sqlite_batch.in_thread(db, steps, (short.id, "v", "s1"))
        long_steps, long_rows = await sqlite_batch.in_thread(db, steps, (long.id, "v", "l399"))
    assert [(r[0], r[2], r[3]) for r in short_rows] == [(short.id, "s1", 2)]
    assert [(r[0], r[2], r[3]) for r in long_rows] == [(long.id, "l399", 400)]
    assert long_steps <= short_steps + 10, (short_steps, long_steps)


async def test_batch_steps_run_in_the_database_thread(repo: ConversationRepository) -> None:
    """The SQLite writer relies on aiosqlite's queued call (private API): check it on the
    installed version, so an upgrade that changes it fails here and not under load."""
    async with repo.db.writer.connect() as conn:
        raw = await conn.get_raw_connection()
        db = raw.driver_connection
        assert isinstance(db, aiosqlite.Connection)
        ident = await sqlite_batch.in_thread(db, lambda _db: threading.get_ident())
        assert ident == db._thread.ident != threading.get_ident()
        assert await sqlite_batch.in_thread(
            db, lambda d: d.execute("SELECT 41 + 1").fetchone()
        ) == (42,)


async def test_an_error_between_reserving_and_inserting_reserves_nothing(
    either_repo: ConversationRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = either_repo
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    conv, _ = await repo.create(None, "nl")
    real_cipher = repo.cipher

    def broken_cipher(conversation_id: str, wrapped_key: bytes) -> Any:
        raise RuntimeError("key store unavailable")

    # Fails after the seqs were reserved in the open transaction, before the insert.
    monkeypatch.setattr(repo, "cipher", broken_cipher)
    with pytest.raises(RuntimeError):
        await writer.submit(conv.id, "v", Sender.VISITOR, None, None, "m1", "eerste poging")
    monkeypatch.setattr(repo, "cipher", real_cipher)
    stored, duplicate = await writer.submit(
        conv.id, "v", Sender.VISITOR, None, None, "m1", "eerste poging"
    )
    assert (stored.seq, duplicate) == (1, False)
    record = await repo.get(conv.id)
    assert record is not None and record.last_seq == 1
    await writer.stop()


async def test_receipts_on_postgres_skip_the_wal_wait_in_their_own_transaction_only(
    tmp_path: Path,
) -> None:
    """Receipts wait in memory for a second before they are saved, so their transaction may
    commit without waiting for the WAL flush (and let go of the conversation rows at once). That
    setting must stay inside it: on a pooled connection a session-wide one would make every
    later commit on it (a message batch's, whose ack promises durability) skip the wait too."""
    _postgres_or_skip()
    with postgres_database() as url:
        async for repo in _repo_on(Settings(data_dir=tmp_path, database_url=url)):
            a, _ = await repo.create(None, "nl")
            inside, connection = await _save_receipt_watching_the_commit_setting(repo, a.id)
            assert inside == ["off"]
            # The same connection, back in the pool, commits as before.
            assert await connection._connection.fetchval("SHOW synchronous_commit") == "on"
            record = await repo.get(a.id)
            assert record is not None and record.visitor_read_seq == 3


async def _save_receipt_watching_the_commit_setting(
    repo: ConversationRepository, conversation_id: str
) -> tuple[list[str], Any]:
    """Save one receipt; return ``synchronous_commit`` as read inside its transaction, right
    after its UPDATE, and the driver connection it ran on."""
    inside: list[str] = []
    used: list[Any] = []

    def look(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE conversations SET") and "read_seq" in statement:
            used.append(conn.connection.dbapi_connection)
            cursor.execute("SHOW synchronous_commit")
            inside.append(cursor.fetchone()[0])

    engine = repo.db.writer.sync_engine
    event.listen(engine, "after_cursor_execute", look)
    try:
        await repo.save_receipts([(conversation_id, "visitor_read_seq", 3)])
    finally:
        event.remove(engine, "after_cursor_execute", look)
    (connection,) = used
    return inside, connection


async def test_receipts_and_a_message_batch_over_the_same_chats_do_not_deadlock(
    either_repo: ConversationRepository,
) -> None:
    """Both lock many conversation rows; on PostgreSQL two transactions taking them in
    different orders deadlock, and the loser's whole batch was refused ("unavailable")."""
    repo = either_repo
    writer = MessageWriter(repo, lambda _m: None)
    writer.start()
    chats = [(await repo.create(None, "nl"))[0].id for _ in range(40)]
    columns = ["visitor_read_seq", "counselor_delivered_seq"]
    for round_ in range(15):
        order = chats[round_ % 2 :: 1] + chats[: round_ % 2]
        sends = [
            writer.submit(cid, "v", Sender.VISITOR, None, None, f"r{round_}", "tekst")
            for cid in reversed(order)
        ]
        receipts = repo.save_receipts(
            [(cid, columns[i % 2], round_ + 1) for i, cid in enumerate(order)]
        )
        results = await asyncio.gather(receipts, *sends, return_exceptions=True)
        assert not [r for r in results if isinstance(r, Exception)], results[:3]
    await writer.stop()


async def test_the_presence_write_takes_row_locks_in_id_order(tmp_path: Path) -> None:
    """The 15-s presence write updates up to 500 conversation rows in one statement. On
    PostgreSQL an ``UPDATE … WHERE id IN (…)`` locks rows in the order its plan reads them;
    the message writer locks them in id order. Under load (bench/load.py at 4,800 msg/s) the two
    deadlocked: PostgreSQL waited a second (deadlock_timeout), then refused one of them — a
    whole message batch, or the presence write. Here a transaction holds the first half of the
    rows in id order, as a message batch does, while the presence write starts; then it takes
    the second half. Locking in id order, the presence write waits for the first row and holds
    nothing the batch needs."""
    _postgres_or_skip()
    with postgres_database() as url:
        async for repo in _repo_on(Settings(data_dir=tmp_path, database_url=url)):
            chats = sorted([(await repo.create(None, "nl"))[0].id for _ in range(60)])
            # Rows stored in another order than their ids: a plan reading the table in storage
            # order then meets them out of id order.
            async with repo.db.writer.begin() as conn:
                for cid in reversed(chats):
                    await conn.execute(
                        text("UPDATE conversations SET nickname_ct = NULL WHERE id = :id"),
                        {"id": cid},
                    )
            half = len(chats) // 2
            async with repo.db.writer.connect() as batch:
                await batch.begin()
                for cid in chats[:half]:
                    await batch.execute(
                        text("UPDATE conversations SET last_seq = last_seq WHERE id = :id"),
                        {"id": cid},
                    )
                presence = asyncio.ensure_future(repo.mark_visitors_seen(chats, utcnow()))
                await _until_a_backend_waits_for_a_lock(repo)
                for cid in chats[half:]:
                    await batch.execute(
                        text("UPDATE conversations SET last_seq = last_seq WHERE id = :id"),
                        {"id": cid},
                    )
                await batch.commit()
            await presence
            async with repo.db.reader.connect() as conn:
                seen = await conn.scalar(
                    text("SELECT count(*) FROM conversations WHERE visitor_seen_at IS NOT NULL")
                )
            assert seen == len(chats)


async def _until_a_backend_waits_for_a_lock(repo: ConversationRepository) -> None:
    for _ in range(2000):
        # A transaction per look: within one, PostgreSQL answers pg_stat_activity from the
        # snapshot its first look took, and a wait that began after it would never show.
        async with repo.db.reader.begin() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the presence write never waited for the batch's rows")
