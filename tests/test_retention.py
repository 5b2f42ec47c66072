"""Retention by crypto-shredding: old transcripts become unreadable, reports keep working
(issue 5, part 4)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from baken.cli import app as cli_app
from baken.config import Settings
from baken.crypto.envelope import CipherCache, KeyDestroyed, MasterKey
from baken.crypto.keyfile import load_or_create_master_key
from baken.domain.conversation import EndedBy
from baken.reports.export import to_json
from baken.reports.service import make_report
from baken.retention.job import RetentionJob, purge
from baken.store.audit_repo import AuditLog
from baken.store.clock import now_ms, utcnow
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.retention_repo import SHREDDED_KEY_ID, RetentionRepository
from baken.store.return_code_repo import Direction, ReturnCodeRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import (
    conversations,
    mailbox_messages,
    messages,
    registrations,
    return_codes,
)
from tests.registration_helpers import World, database_settings, utc
from tests.support import Server, counselor, run_async

TEXTS = ("mijn baas houdt mijn paspoort", "ik mag niet weg", "help")


async def chat(
    db: Database, master: MasterKey, ended_ago: timedelta | None, nickname: str = "Mo"
) -> str:
    """A conversation with three messages, ended this long ago (None: still open)."""
    repo = ConversationRepository(db, CipherCache(master))
    record, _ = await repo.create(nickname, "nl")
    cipher = repo.ciphers.get(record.id, b"cached")
    async with db.writer.begin() as conn:
        for seq, text in enumerate(TEXTS, start=1):
            await conn.execute(
                insert(messages).values(
                    conversation_id=record.id,
                    seq=seq,
                    author="v",
                    sender="visitor",
                    body=cipher.encrypt(seq, text),
                    sent_at_ms=now_ms(),
                )
            )
        await conn.execute(
            update(conversations).where(conversations.c.id == record.id).values(last_seq=3)
        )
    if ended_ago is not None:
        await repo.end(record.id, EndedBy.VISITOR)
        when = utcnow() - ended_ago
        async with db.writer.begin() as conn:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == record.id)
                .values(created_at=when - timedelta(minutes=20), ended_at=when)
            )
    return record.id


async def backup(db: Database, conversation_id: str) -> tuple[bytes, list[tuple[int, bytes]]]:
    """What a database backup holds of one conversation: its wrapped key and ciphertexts."""
    async with db.reader.connect() as conn:
        wrapped = await conn.scalar(
            select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
        )
        rows = (
            await conn.execute(
                select(messages.c.seq, messages.c.body).where(
                    messages.c.conversation_id == conversation_id
                )
            )
        ).all()
    assert wrapped is not None
    return bytes(wrapped), [(int(r.seq), bytes(r.body)) for r in rows]


async def _report(db: Database, year: int) -> bytes:
    report = await make_report(
        db, organisation_id=DEFAULT_ORGANISATION, organisation_name="Helpline", year=year
    )
    return to_json(report)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_expired_transcript_is_unrecoverable_and_the_report_still_works(
    kind: str, tmp_path: Path
) -> None:
    with database_settings(kind, tmp_path) as settings:
        master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
        run_async(_expire_and_report(settings, master))


async def _expire_and_report(settings: Settings, master: MasterKey) -> None:
    db = Database(settings)
    world = await World(settings).start()
    old = []
    for day in range(1, 8):
        cid = await chat(db, master, timedelta(days=91))
        async with db.writer.begin() as conn:
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == cid)
                .values(created_at=utc(2021, 3, day), ended_at=utc(2021, 3, day, 1))
            )
        await world.register(
            cid, trafficking_request="yes", victim_assessment="victim", contact_role="self"
        )
        old.append(cid)
    await world.close()
    recent = await chat(db, master, timedelta(days=89))
    report_before = await _report(db, 2021)
    backups = {cid: await backup(db, cid) for cid in old}

    counts = await purge(db, 90, audit=AuditLog(db))
    assert counts.conversations == 7
    assert counts.messages == 7 * (len(TEXTS) + 1)  # the texts and the "ended" line

    async with db.reader.connect() as conn:
        rows = (await conn.execute(select(conversations).where(conversations.c.id.in_(old)))).all()
        left = await conn.scalar(
            select(func.count()).select_from(messages).where(messages.c.conversation_id.in_(old))
        )
        kept = await conn.scalar(
            select(func.count())
            .select_from(registrations)
            .where(registrations.c.conversation_id.in_(old))
        )
    assert left == 0 and kept == 7
    for row in rows:
        assert bytes(row.wrapped_key) == b"" and row.key_id == SHREDDED_KEY_ID
        assert row.nickname_ct is None
        # Even with the master key, the database holds nothing that opens the texts any more.
        with pytest.raises(KeyDestroyed):
            CipherCache(master).get(row.id, row.wrapped_key)
        # A backup made before holds the ciphertexts, but the key is gone from here on (the
        # backup's own wrapped key dies with its master key: see test_key_rotation).
        assert len(backups[row.id][1]) == len(TEXTS) + 1
    repo = ConversationRepository(db, CipherCache(master))
    record = await repo.get(old[0])
    assert record is not None and record.expired and record.nickname is None
    assert await repo.messages_after(old[0], 0) == []
    # Not yet due: untouched and readable.
    assert [m.text for m in await repo.messages_after(recent, 0)][:3] == list(TEXTS)

    # The report over that period is exactly what it was.
    assert await _report(db, 2021) == report_before
    # A second purge (or another process's) finds nothing left to do.
    assert not (await purge(db, 90)).anything
    await db.dispose()


def test_purge_dry_run_counts_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("BAKEN_RETENTION_DAYS", "30")
    with database_settings("sqlite", tmp_path) as settings:
        master, _ = load_or_create_master_key("", tmp_path)

        async def seed() -> None:
            db = Database(settings)
            await (await World(settings).start()).close()
            await chat(db, master, timedelta(days=31))
            await chat(db, master, timedelta(days=31))
            await chat(db, master, timedelta(days=29))
            await chat(db, master, None)
            await db.dispose()

        run_async(seed())
        runner = CliRunner()
        dry = runner.invoke(cli_app, ["purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would destroy the transcripts of 2 conversations (8 messages)" in dry.output
        assert "more than 30 days ago" in dry.output
        again = runner.invoke(cli_app, ["purge", "--dry-run"])
        assert "2 conversations" in again.output
        real = runner.invoke(cli_app, ["purge"])
        assert real.exit_code == 0 and "Destroyed the transcripts of 2 conversations" in real.output
        after = runner.invoke(cli_app, ["purge", "--dry-run"])
        assert "of 0 conversations" in after.output

        async def audited() -> list[str]:
            from baken.audit import kinds
            from baken.store.audit_repo import AuditFilter

            db = Database(settings)
            page = await AuditLog(db).page(AuditFilter(kind=kinds.RETENTION_PURGE))
            await db.dispose()
            return [r.detail or "" for r in page]

        details = run_async(audited())
        assert len(details) == 1 and "conversations=2" in details[0]


def test_a_mailbox_expires_with_its_last_activity(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:
        master, _ = load_or_create_master_key("", tmp_path)
        db = Database(settings)
        ciphers = CipherCache(master)
        codes = ReturnCodeRepository(db, ciphers)

        async def run() -> None:
            await (await World(settings).start()).close()
            old_chat = await chat(db, master, timedelta(days=100))
            old_code = await codes.issue(old_chat, "a" * 64, None)
            await codes.post(old_code, Direction.TO_VISITOR, None, "bel ons als je wilt")
            fresh_chat = await chat(db, master, timedelta(days=100))
            fresh_code = await codes.issue(fresh_chat, "b" * 64, None)
            await codes.post(fresh_code, Direction.TO_VISITOR, None, "we denken aan je")
            long_ago = utcnow() - timedelta(days=100)
            async with db.writer.begin() as conn:
                await conn.execute(
                    update(return_codes).values(created_at=long_ago, last_used_at=long_ago)
                )
                await conn.execute(
                    update(mailbox_messages)
                    .where(mailbox_messages.c.return_code_id == old_code)
                    .values(sent_at_ms=int(long_ago.timestamp() * 1000))
                )
            due = await RetentionRepository(db).due(utcnow() - timedelta(days=90))
            assert (due.mailboxes, due.mailbox_messages) == (1, 1)
            counts = await purge(db, 90, ciphers)
            assert (counts.mailboxes, counts.mailbox_messages) == (1, 1)
            async with db.reader.connect() as conn:
                rows = {r.id: r for r in (await conn.execute(select(return_codes))).all()}
            assert rows[old_code].wrapped_key is None and rows[old_code].state == "expired"
            assert rows[fresh_code].wrapped_key is not None
            with pytest.raises(LookupError):
                await codes.post(old_code, Direction.TO_VISITOR, None, "nog iets")
            assert [m.text for m in await codes.unread(fresh_code, Direction.TO_VISITOR)] == [
                "we denken aan je"
            ]

            await db.dispose()

        run_async(run())


async def test_reading_an_expired_conversation_says_so(sqlite_server: Server) -> None:
    server = sqlite_server
    _staff_id, token = server.add_staff()
    conversation_id, _visitor = server.start_visitor("Kim")
    desk = await counselor(server, token)
    await desk.send({"type": "accept", "conversation_id": conversation_id})
    await desk.expect("accepted", conversation_id=conversation_id)
    await desk.send({"type": "end", "conversation_id": conversation_id})
    await desk.expect("ended", conversation_id=conversation_id)
    await desk.close()

    # Another process ages and purges it while this server runs.
    db = Database(server.settings)
    async with db.writer.begin() as conn:
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(ended_at=utcnow() - timedelta(days=120))
        )
    assert (await purge(db, 90)).conversations >= 1
    await db.dispose()

    reader = await counselor(server, token)
    await reader.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    frame = await reader.expect("messages", conversation_id=conversation_id)
    assert frame["expired"] is True and frame["messages"] == []
    await reader.send({"type": "ping", "t": 1})
    await reader.expect("pong")  # the socket lives on
    await reader.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_scheduled_job_purges_and_several_purgers_do_not_collide(
    kind: str, tmp_path: Path
) -> None:
    with database_settings(kind, tmp_path) as settings:
        master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
        run_async(_job_and_parallel_purges(settings, master))


async def _job_and_parallel_purges(settings: Settings, master: MasterKey) -> None:
    first, second = Database(settings), Database(settings)
    await (await World(settings).start()).close()
    due = [await chat(first, master, timedelta(days=95)) for _ in range(6)]
    # Two processes' purges at once: together they destroy each key exactly once.
    a, b = await asyncio.gather(purge(first, 90), purge(second, 90))
    assert a.conversations + b.conversations == len(due)

    later = [await chat(first, master, timedelta(days=95)) for _ in range(3)]
    ciphers = CipherCache(master)
    for cid in later:  # this process holds their keys, as after a busy day
        ciphers.get(cid, (await backup(first, cid))[0])
    job = RetentionJob(first, ciphers, AuditLog(first), 90, timedelta(seconds=0.05), first_delay=0)
    job.start()
    try:
        for _ in range(200):
            async with first.reader.connect() as conn:
                left = await conn.scalar(
                    select(func.count())
                    .select_from(conversations)
                    .where(
                        conversations.c.id.in_(later),
                        conversations.c.key_id != SHREDDED_KEY_ID,
                    )
                )
            if left == 0:
                break
            await asyncio.sleep(0.05)
        assert left == 0
    finally:
        await job.stop()
    # The job also dropped the keys it held in memory.
    for cid in later:
        with pytest.raises(KeyDestroyed):
            ciphers.get(cid, b"")
    await first.dispose()
    await second.dispose()


def test_retention_days_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().retention_days == 90
    monkeypatch.setenv("BAKEN_RETENTION_DAYS", "30")
    assert Settings().retention_days == 30
    monkeypatch.setenv("BAKEN_RETENTION_DAYS", "0")
    with pytest.raises(ValueError):
        Settings()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_organisation_with_its_own_period_is_purged_by_it(kind: str, tmp_path: Path) -> None:
    """Issue 14: an organisation may keep transcripts shorter (or longer) than the installation."""
    with database_settings(kind, tmp_path) as settings:
        master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
        run_async(_own_periods(settings, master))


async def _own_periods(settings: Settings, master: MasterKey) -> None:
    from baken.store.organisation_repo import OrganisationRepository

    db = Database(settings)
    try:
        await World(settings).start()
        organisations = OrganisationRepository(db)
        short = await organisations.add("kort", "Kort", organisation_id="org_kort")
        await organisations.update(short.id, retention_days=10)
        long_ = await organisations.add("lang", "Lang", organisation_id="org_lang")
        await organisations.update(long_.id, retention_days=400)

        async def chat_at(organisation_id: str, days_ago: int) -> str:
            cid = await chat(db, master, timedelta(days=days_ago))
            async with db.writer.begin() as conn:
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id == cid)
                    .values(organisation_id=organisation_id)
                )
            return cid

        default_30 = await chat_at(DEFAULT_ORGANISATION, 30)
        default_100 = await chat_at(DEFAULT_ORGANISATION, 100)
        short_30 = await chat_at(short.id, 30)
        short_5 = await chat_at(short.id, 5)
        long_100 = await chat_at(long_.id, 100)
        due = await RetentionRepository(db).due(utcnow() - timedelta(days=90))
        assert due.conversations == 2  # one pass with the installation's period sees two

        counts = await purge(db, 90)
        assert counts.conversations == 2
        async with db.reader.connect() as conn:
            shredded = set(
                (
                    await conn.execute(
                        select(conversations.c.id).where(conversations.c.key_id == SHREDDED_KEY_ID)
                    )
                ).scalars()
            )
        assert shredded == {default_100, short_30}
        assert not shredded & {default_30, short_5, long_100}
    finally:
        await db.dispose()
