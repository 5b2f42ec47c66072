"""Master key rotation: a new key, every stored key re-wrapped, the old one retired, while a
server keeps serving (issue 5, part 4)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from baken.audit import kinds
from baken.crypto.envelope import CipherCache, DecryptionError, MasterKey
from baken.crypto.keyfile import key_ring_path, load_or_create_master_key
from baken.crypto.keyring import KeyRing, MasterKeyError, parse_configured, parse_ring, write_ring
from baken.domain.conversation import Role
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.canned_repo import CannedRepository
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.key_rotation_repo import WRAPPED
from baken.store.retention_repo import SHREDDED_KEY_ID
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.tables import conversations
from tests.staff_login_helpers import StaffBrowser
from tests.support import (
    add_staff_with_role,
    counselor,
    postgres_available,
    postgres_database,
    run_async,
    start_server,
    visitor,
)


def test_a_ring_file_wraps_with_its_newest_key_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    k1, k2 = os.urandom(32), os.urandom(32)
    write_ring(path, [k1])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    ring = KeyRing(parse_ring(path.read_text()), path)
    old_wrap = ring.wrap("c_1", b"k" * 32)
    assert ring.key_id == MasterKey(k1).key_id

    # Another process adds a key: this one wraps with it from its next wrap on.
    write_ring(path, [k1, k2])
    new_wrap = ring.wrap("c_2", b"n" * 32)
    assert ring.key_id == MasterKey(k2).key_id
    assert MasterKey(k2).unwrap("c_2", new_wrap) == b"n" * 32
    assert ring.unwrap("c_1", old_wrap) == b"k" * 32

    # The old key is retired: what it wrapped no longer opens.
    write_ring(path, [k2])
    with pytest.raises(DecryptionError):
        ring.unwrap("c_1", old_wrap)
    assert ring.unwrap("c_2", new_wrap) == b"n" * 32
    assert ring.key_ids == [MasterKey(k2).key_id]


def test_configured_keys_are_a_list_with_the_newest_last() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    text = base64.b64encode(k1).decode() + ", " + base64.b64encode(k2).decode()
    assert parse_configured(text) == [k1, k2]
    ring, created = load_or_create_master_key(text, Path("/nonexistent"))
    assert created is None and ring.key_id == MasterKey(k2).key_id
    assert ring.unwrap("c", MasterKey(k1).wrap("c", b"x" * 32)) == b"x" * 32
    with pytest.raises(MasterKeyError):
        parse_configured("not-base64!")


def _backend(kind: str) -> str:
    if kind == "sqlite":
        return ""
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    return "postgres"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_rotation_rewraps_everything_while_the_server_keeps_serving(
    kind: str, tmp_path: Path
) -> None:
    if _backend(kind) == "":
        _rotation_scenario(tmp_path, "")
    else:
        with postgres_database() as url:
            _rotation_scenario(tmp_path, url)


def _rotation_scenario(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path, database_url=database_url)
    try:
        username = "rot-anna"
        staff_id, token = add_staff_with_role(server, Role.COUNSELOR, username, "Anna")
        old_key_id = load_or_create_master_key("", tmp_path)[0].key_id
        conversation_id, visitor_token = server.start_visitor("Noor")

        async def scenario() -> tuple[list[str], bytes]:
            guest = await visitor(server, visitor_token)
            desk = await counselor(server, token)
            await desk.send({"type": "accept", "conversation_id": conversation_id})
            await desk.expect("accepted", conversation_id=conversation_id)
            # A return code and a mailbox: an installation secret and a mailbox key to re-wrap.
            await guest.send({"type": "request_code", "conversation_id": conversation_id})
            await guest.expect("return_code", conversation_id=conversation_id)
            await desk.send(
                {"type": "mailbox_send", "conversation_id": conversation_id, "text": "tot later"}
            )
            await desk.expect("mailbox_sent", conversation_id=conversation_id)
            # Supervision: a consult between staff has a wrapped key of its own.
            await desk.send({"type": "consult_send", "to": "team", "text": "overleg"})
            await desk.expect("consult")
            db = Database(server.settings)
            # Issue 16: a canned answer, sealed under the organisation's own wrapped key.
            first_ring = load_or_create_master_key("", tmp_path)[0]
            await CannedRepository(db, first_ring).create(
                DEFAULT_ORGANISATION, None, "nl", "Groet", "Hallo, fijn dat je er bent.", staff_id
            )
            async with db.reader.connect() as conn:
                backup = await conn.scalar(
                    select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
                )
            await db.dispose()

            rotation = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "baken",
                "keys",
                "rotate",
                "--settle-seconds",
                "0.3",
                "--batch",
                "1",
                env={
                    **os.environ,
                    "BAKEN_DATA_DIR": str(tmp_path),
                    "BAKEN_DATABASE_URL": database_url,
                },
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            # The chat goes on during the rotation: every message is stored and acknowledged,
            # and new visitors start chats.
            sent: list[str] = []
            n = 0
            while rotation.returncode is None or n < 3:
                n += 1
                text = f"bericht {n}"
                await guest.send(
                    {
                        "type": "send",
                        "conversation_id": conversation_id,
                        "client_msg_id": f"m{n}",
                        "text": text,
                    }
                )
                await guest.expect("ack", client_msg_id=f"m{n}", timeout=10)
                sent.append(text)
                server.start_visitor(f"Gast {n}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rotation.wait(), 0.05)
            out, err = await rotation.communicate()
            assert rotation.returncode == 0, err.decode()
            assert b"Retired" in out
            await guest.close()
            await desk.close()
            assert backup is not None
            return sent, bytes(backup)

        sent, backup = run_async(scenario())
        ring = load_or_create_master_key("", tmp_path)[0]
        assert ring.key_ids != [old_key_id] and len(ring.key_ids) == 1
        assert len(parse_ring(key_ring_path(tmp_path).read_text())) == 1

        async def after() -> None:
            db = Database(server.settings)
            try:
                async with db.reader.connect() as conn:
                    for target in WRAPPED:
                        ids = set(
                            (
                                await conn.execute(
                                    select(target.key_id_column).where(
                                        target.wrapped_column.is_not(None)
                                    )
                                )
                            ).scalars()
                        )
                        assert ids and ids <= {ring.key_id, SHREDDED_KEY_ID}, target.name
                # With only the new key (a fresh process), every text still reads.
                repo = ConversationRepository(db, CipherCache(ring))
                texts = [m.text for m in await repo.messages_after(conversation_id, 0)]
                assert [t for t in texts if t.startswith("bericht")] == sent
                canned = await CannedRepository(db, ring).visible_to(DEFAULT_ORGANISATION, staff_id)
                assert [(c.title, c.body) for c in canned] == [
                    ("Groet", "Hallo, fijn dat je er bent.")
                ]
                page = await AuditLog(db).page(AuditFilter(kind=kinds.KEYS_ROTATE))
                assert page and page[0].object_id == ring.key_id
                assert old_key_id in (page[0].detail or "")
            finally:
                await db.dispose()

        run_async(after())
        # A backup of the database from before the rotation no longer opens with the key ring.
        with pytest.raises(DecryptionError):
            ring.unwrap(conversation_id, backup)

        # The running server: a new chat is wrapped with the new key, an old one reads on, and
        # signing in (the authenticator secret, re-wrapped too) still works.
        async def still_serving() -> None:
            new_id, _ = server.start_visitor("Na")
            db = Database(server.settings)
            async with db.reader.connect() as conn:
                key_id = await conn.scalar(
                    select(conversations.c.key_id).where(conversations.c.id == new_id)
                )
            await db.dispose()
            assert key_id == ring.key_id
            desk = await counselor(server, token)
            await desk.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
            seen: list[str] = []
            while len([t for t in seen if t.startswith("bericht")]) < len(sent):
                frame = await desk.expect("messages", conversation_id=conversation_id)
                seen += [m["text"] for m in frame["messages"]]
            await desk.close()

        run_async(still_serving())
        StaffBrowser(server).sign_in(username)
    finally:
        server.stop()


def test_rotation_with_configured_keys_rewraps_to_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baken.config import Settings
    from baken.keys.rotation import rotate
    from baken.store.migrate import upgrade

    k1, k2 = os.urandom(32), os.urandom(32)
    old = base64.b64encode(k1).decode()
    settings = Settings(data_dir=tmp_path, master_key=old)
    upgrade(settings)

    async def seed() -> str:
        db = Database(settings)
        ring = load_or_create_master_key(old, tmp_path)[0]
        await StaffRepository(db).ensure_organisation("Helpline")
        record, _ = await ConversationRepository(db, CipherCache(ring)).create("Jo", "nl")
        await db.dispose()
        return record.id

    conversation_id = run_async(seed())
    both = f"{old},{base64.b64encode(k2).decode()}"
    report = run_async(rotate(Settings(data_dir=tmp_path, master_key=both), settle_seconds=0))
    assert report.rewrapped["conversations"] == 1
    assert report.removable == [MasterKey(k1).key_id] and report.retired == []
    assert not key_ring_path(tmp_path).exists()

    async def check() -> None:
        db = Database(settings)
        repo = ConversationRepository(db, CipherCache(KeyRing([k2])))
        record = await repo.get(conversation_id)
        await db.dispose()
        assert record is not None and record.nickname == "Jo"

    run_async(check())
