"""Issue 16: canned answers are sealed under the organisation's own key, never stored in plain text.

New answers are sealed when written; answers written before this version are sealed by migration
0010, which also drops the plaintext columns. Checked on the bytes of the SQLite file itself (and
its write-ahead log), after a checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from baken.config import Settings
from baken.crypto.envelope import DecryptionError
from baken.crypto.keyfile import load_or_create_master_key
from baken.store.canned_repo import CannedRepository
from baken.store.database import Database
from baken.store.migrate import upgrade
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.tables import canned_responses, organisation_keys
from tests.support import run_async

TITLE = "Opvang-Zuid-7f3a"
BODY = "Bel de opvang in Zuid op het nummer 0612-geheim-9c2e, vraag naar Mirjam."


def _file_bytes(settings: Settings) -> bytes:
    path = settings.data_dir / "baken.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    found = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            found += extra.read_bytes()
    return found


def _plaintext_in(settings: Settings) -> list[str]:
    data = _file_bytes(settings)
    return [text for text in (TITLE, BODY, BODY[:24]) if text.encode() in data]


def test_a_new_canned_answer_is_sealed_in_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    master = load_or_create_master_key("", tmp_path)[0]

    async def scenario() -> None:
        db = Database(settings)
        try:
            await StaffRepository(db).ensure_organisation("Baken")
            author = (await StaffRepository(db).create("c-author", "Ann", "x")).id
            repo = CannedRepository(db, master)
            made = await repo.create(DEFAULT_ORGANISATION, None, "nl", TITLE, BODY, author)
            assert (made.title, made.body) == (TITLE, BODY)
            later = BODY + " Ook 's nachts."
            changed = await repo.update(made.id, "nl", TITLE + "-2", later, author)
            assert changed is not None and changed.body.endswith("Ook 's nachts.")
            listed = await repo.visible_to(DEFAULT_ORGANISATION, "nobody")
            assert [(c.title, c.body) for c in listed] == [(changed.title, changed.body)]
            async with db.reader.connect() as conn:
                sealed = await conn.scalar(select(canned_responses.c.sealed))
                wrapped = (await conn.execute(select(organisation_keys))).all()
            assert sealed is not None and TITLE.encode() not in sealed
            assert [row.organisation_id for row in wrapped] == [DEFAULT_ORGANISATION]
            assert wrapped[0].key_id == master.key_id
            # Bound to its row: the same sealed text under another id does not open.
            with pytest.raises(DecryptionError):
                (await repo.keys.cipher(DEFAULT_ORGANISATION)).open_canned("t_other", sealed)
        finally:
            await db.dispose()

    run_async(scenario())
    assert _plaintext_in(settings) == []


def test_migration_0010_seals_existing_answers_and_drops_the_plaintext(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings, "0009")
    path = tmp_path / "baken.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO organisations (id, name, created_at, passkeys_required) "
            "VALUES (?, 'Baken', '2026-01-01 00:00:00', 0)",
            (DEFAULT_ORGANISATION,),
        )
        conn.execute(
            "INSERT INTO canned_responses (id, organisation_id, owner_staff_id, lang, title, body,"
            " created_at, updated_at, updated_by) VALUES ('t_old', ?, NULL, 'nl', ?, ?,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', NULL)",
            (DEFAULT_ORGANISATION, TITLE, BODY),
        )
    assert _plaintext_in(settings)  # the check can see plaintext when it is there

    upgrade(settings)
    assert _plaintext_in(settings) == []
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(canned_responses)")}
    assert "title" not in columns and "body" not in columns and "sealed" in columns

    master = load_or_create_master_key("", tmp_path)[0]

    async def read() -> list[tuple[str, str]]:
        db = Database(settings)
        try:
            listed = await CannedRepository(db, master).visible_to(DEFAULT_ORGANISATION, "x")
            return [(c.title, c.body) for c in listed]
        finally:
            await db.dispose()

    assert run_async(read()) == [(TITLE, BODY)]
