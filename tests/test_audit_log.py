"""The audit log's hash chain: it verifies, it notices edits and deletions, and appends from
several processes at once stay one line (issue 5, part 3)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select, update
from typer.testing import CliRunner

from baken.audit import kinds
from baken.audit.chain import GENESIS_HASH, AuditRecord, canonical, link
from baken.cli import app as cli_app
from baken.config import Settings
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.database import Database
from baken.store.tables import audit_head, audit_log
from tests.registration_helpers import database_settings
from tests.support import run_async

ANNA = kinds.Actor("s_anna", "counselor")


def _fill(settings: Settings, n: int) -> None:
    async def fill() -> None:
        db = Database(settings)
        try:
            log = AuditLog(db)
            for i in range(n):
                await log.record(kinds.CONVERSATION_READ, ANNA, kinds.CONVERSATION, f"c_{i}")
        finally:
            await db.dispose()

    run_async(fill())


def _verify(settings: Settings) -> object:
    async def verify() -> object:
        db = Database(settings)
        try:
            return await AuditLog(db).verify()
        finally:
            await db.dispose()

    return run_async(verify())


def _execute(settings: Settings, statement: object) -> None:
    async def run() -> None:
        db = Database(settings)
        try:
            async with db.writer.begin() as conn:
                await conn.execute(statement)  # type: ignore[call-overload]
        finally:
            await db.dispose()

    run_async(run())


def test_a_record_is_canonical_and_linked_to_the_one_before() -> None:
    from datetime import UTC, datetime

    record = AuditRecord(
        1, datetime(2026, 1, 2, 3, 4, 5, 6, UTC), "s_1", "admin", "x", None, None, "é"
    )
    text = canonical(record)
    assert text == '[1,"2026-01-02T03:04:05.000006Z","s_1","admin","x",null,null,"\\u00e9"]'
    assert link(GENESIS_HASH, record) != link("1" * 64, record)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_chain_verifies_and_a_changed_record_breaks_it(kind: str, tmp_path: Path) -> None:
    with database_settings(kind, tmp_path) as settings:
        _fill(settings, 12)
        result = _verify(settings)
        assert result.ok and result.checked == 12 and result.head_id == 12  # type: ignore[attr-defined]

        _execute(settings, update(audit_log).where(audit_log.c.id == 6).values(object_id="c_other"))
        result = _verify(settings)
        assert not result.ok  # type: ignore[attr-defined]
        assert result.broken_id == 6  # type: ignore[attr-defined]


def test_a_record_changed_with_its_hash_recomputed_breaks_the_next_link(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:
        _fill(settings, 5)

        async def forge() -> None:
            db = Database(settings)
            try:
                async with db.writer.begin() as conn:
                    rows = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
                    before = rows[1].hash
                    victim = rows[2]
                    forged = AuditRecord(
                        victim.id,
                        victim.at,
                        "s_else",
                        victim.actor_role,
                        victim.kind,
                        victim.object_type,
                        victim.object_id,
                        victim.detail,
                    )
                    await conn.execute(
                        update(audit_log)
                        .where(audit_log.c.id == 3)
                        .values(actor_id="s_else", hash=link(before, forged))
                    )
            finally:
                await db.dispose()

        run_async(forge())
        result = _verify(settings)
        assert not result.ok and result.broken_id == 4  # type: ignore[attr-defined]


def test_a_deleted_record_in_the_middle_or_at_the_end_is_found(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:
        _fill(settings, 8)
        _execute(settings, delete(audit_log).where(audit_log.c.id == 8))
        result = _verify(settings)
        assert not result.ok and result.broken_id == 8  # type: ignore[attr-defined]
        assert "end" in result.reason  # type: ignore[attr-defined]

        _execute(settings, delete(audit_log).where(audit_log.c.id == 4))
        result = _verify(settings)
        assert not result.ok and result.broken_id == 4  # type: ignore[attr-defined]
        assert result.reason == "record missing"  # type: ignore[attr-defined]


def test_a_record_appended_behind_bakens_back_is_found(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:
        _fill(settings, 3)

        async def sneak() -> None:
            db = Database(settings)
            try:
                async with db.writer.begin() as conn:
                    last = (await conn.execute(select(audit_log).where(audit_log.c.id == 3))).one()
                    await conn.execute(
                        audit_log.insert().values(
                            id=4,
                            at=last.at,
                            actor_id=None,
                            actor_role=None,
                            kind="x",
                            object_type=None,
                            object_id=None,
                            detail=None,
                            hash="0" * 64,
                        )
                    )
            finally:
                await db.dispose()

        run_async(sneak())
        result = _verify(settings)
        assert not result.ok and result.broken_id == 4  # type: ignore[attr-defined]


def test_audit_verify_command_says_ok_or_the_first_broken_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli_app, ["audit", "verify"])
    assert first.exit_code == 0, first.output
    assert "OK: 0 records" in first.output
    _fill(settings, 4)
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "OK: 4 records" in ok.output
    _execute(settings, update(audit_log).where(audit_log.c.id == 2).values(kind="login.success"))
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at record 2" in broken.output


def test_pages_are_newest_first_and_filtered(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:

        async def run() -> None:
            db = Database(settings)
            try:
                log = AuditLog(db)
                bob = kinds.Actor("s_bob", "admin")
                for i in range(5):
                    await log.record(kinds.LOGIN_SUCCESS, ANNA if i % 2 else bob)
                everything = await log.page(AuditFilter(), limit=3)
                assert [r.id for r in everything] == [5, 4, 3]
                older = await log.page(AuditFilter(), before_id=3, limit=3)
                assert [r.id for r in older] == [2, 1]
                annas = await log.page(AuditFilter(actor_id="s_anna"))
                assert [r.id for r in annas] == [4, 2]
                assert await log.page(AuditFilter(kind=kinds.LOGOUT)) == []
            finally:
                await db.dispose()

        run_async(run())


APPENDER = textwrap.dedent(
    """
    import asyncio, sys
    from baken.audit import kinds
    from baken.config import Settings
    from baken.store.audit_repo import AuditLog
    from baken.store.database import Database

    async def main() -> None:
        db = Database(Settings())
        log = AuditLog(db)
        name = sys.argv[1]
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        for i in range(int(sys.argv[2])):
            await log.record(kinds.CONVERSATION_READ, kinds.Actor(name, "counselor"),
                             kinds.CONVERSATION, f"c_{i}")
        await db.dispose()

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_appends_from_several_processes_at_once_form_one_chain(kind: str, tmp_path: Path) -> None:
    per_process = 60
    with database_settings(kind, tmp_path) as settings:
        env = {
            **os.environ,
            "BAKEN_DATA_DIR": str(tmp_path),
            "BAKEN_DATABASE_URL": settings.database_url,
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", APPENDER, f"s_w{n}", str(per_process)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            for n in range(3)
        ]
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.wait(timeout=120) == 0

        async def inspect() -> tuple[list[int], list[str | None], int]:
            db = Database(settings)
            try:
                async with db.reader.connect() as conn:
                    ids = list(
                        (
                            await conn.execute(select(audit_log.c.id).order_by(audit_log.c.id))
                        ).scalars()
                    )
                    actors = list(
                        (
                            await conn.execute(
                                select(audit_log.c.actor_id).order_by(audit_log.c.id)
                            )
                        ).scalars()
                    )
                    head = await conn.scalar(select(audit_head.c.last_id))
                    assert await conn.scalar(select(func.count()).select_from(audit_log)) == len(
                        ids
                    )
                return ids, actors, int(head or 0)
            finally:
                await db.dispose()

        ids, actors, head = run_async(inspect())
        total = 3 * per_process
        assert ids == list(range(1, total + 1))
        assert head == total
        assert sorted(set(actors)) == ["s_w0", "s_w1", "s_w2"]
        assert all(actors.count(name) == per_process for name in set(actors))
        result = _verify(settings)
        assert result.ok and result.checked == total  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_records_asked_for_at_once_share_transactions_and_stay_one_chain(
    kind: str, tmp_path: Path
) -> None:
    """Issue 21: after a restart a thousand consoles re-open their chats at once; their records
    go in together (a few transactions, not one each), in the order asked, and the chain holds."""
    with database_settings(kind, tmp_path) as settings:

        async def run() -> tuple[list[AuditRecord], int]:
            db = Database(settings)
            begins = 0

            def counted(*_args: object) -> None:
                nonlocal begins
                begins += 1

            event.listen(db.writer.sync_engine, "begin", counted)
            try:
                log = AuditLog(db)
                written = await asyncio.gather(
                    *(
                        log.record(kinds.CONVERSATION_READ, ANNA, kinds.CONVERSATION, f"c_{i}")
                        for i in range(200)
                    )
                )
                return list(written), begins
            finally:
                event.remove(db.writer.sync_engine, "begin", counted)
                await db.dispose()

        written, transactions = run_async(run())
        assert [r.object_id for r in written] == [f"c_{i}" for i in range(200)]
        ids = [r.id for r in written]
        assert ids == list(range(ids[0], ids[0] + 200))
        assert transactions < 20, transactions
        verification = _verify(settings)
        assert getattr(verification, "ok", False), verification
