"""The report code cannot read message text: not in its source, not at run time.

* Static: no module in ``baken/reports`` imports anything that touches conversations, messages,
  keys or nicknames, and none names those tables or columns.
* Run time (SQLite): every statement a report runs is captured; each reads only the
  registrations table and the per-person rows derived from it (``report_persons``).
* Run time (PostgreSQL): the report runs as a database role that may read those two tables and
  nothing else, so any attempt to read messages would fail.
"""

from __future__ import annotations

import ast
import asyncio
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, text

from baken.config import Settings
from baken.reports.export import to_csv, to_json
from baken.reports.service import make_report
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.registration_helpers import World, database_settings, utc
from tests.support import POSTGRES_ADMIN_URL, run_async

REPORTS = Path(__file__).resolve().parent.parent / "src" / "baken" / "reports"
FORBIDDEN_NAMES = {
    "messages",
    "conversations",
    "participants",
    "body",
    "nickname",
    "nickname_ct",
    "wrapped_key",
    "staff",
    "cases",
}
FORBIDDEN_MODULES = (
    "baken.store.conversation_repo",
    "baken.store.message_writer",
    "baken.crypto",
    "baken.realtime",
    "baken.registration.repository",
)
CANARY = "Canary-Name-Jolanda-06-12345678"
# The registrations and the per-person rows derived from them (issue 20); neither has a text
# column. And the referrals (issue 17, item 5), read only for their codes: never the sealed card
# text or summary (`consent_text`, checked below).
REPORT_TABLES = {"registrations", "report_persons", "referrals"}


def test_report_modules_never_name_message_tables_or_text_columns() -> None:
    files = sorted(REPORTS.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert not module.startswith(FORBIDDEN_MODULES), (path.name, module)
                if module == "baken.store.tables":
                    assert {a.name for a in node.names} <= REPORT_TABLES, path.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(FORBIDDEN_MODULES), (path.name, alias.name)
            elif isinstance(node, ast.Name):
                assert node.id not in FORBIDDEN_NAMES, (path.name, node.id)
            elif isinstance(node, ast.Attribute):
                assert node.attr not in FORBIDDEN_NAMES, (path.name, node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # Column lookups by string (r.c["body"]) are names too.
                assert node.value not in FORBIDDEN_NAMES, (path.name, node.value)


async def _seed_with_a_message(world: World) -> None:
    """Registrations plus a conversation whose message and nickname contain a canary."""
    from baken.crypto.envelope import CipherCache
    from baken.store.conversation_repo import ConversationRepository
    from baken.store.message_writer import MessageWriter  # noqa: F401  (exists; not needed)

    conversations = ConversationRepository(world.db, CipherCache(world.master))
    record, _ = await conversations.create(CANARY, "nl")
    await world.register(
        record.id, trafficking_request="yes", victim_assessment="victim", contact_role="self"
    )
    for day in range(1, 8):
        await world.person(
            utc(2021, 3, day, 20),
            trafficking_request="yes",
            victim_assessment="victim",
            contact_role="self",
            gender="female",
        )


def _report_outputs(db: Database, year: int) -> tuple[str, bytes]:
    async def make() -> tuple[str, bytes]:
        report = await make_report(
            db,
            organisation_id=DEFAULT_ORGANISATION,
            organisation_name="Helpline",
            year=year,
            on=date(2030, 1, 1),
        )
        return to_csv(report), to_json(report)

    outputs: tuple[str, bytes] = run_async(make())
    return outputs


def test_at_run_time_a_report_reads_only_registrations(tmp_path: Path) -> None:
    with database_settings("sqlite", tmp_path) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                await _seed_with_a_message(world)
            finally:
                await world.close()

        run_async(fill())
        db = Database(settings)
        statements: list[str] = []

        def capture(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(db.reader.sync_engine, "before_cursor_execute", capture)
        csv_text, json_bytes = _report_outputs(db, date.today().year)
        run_async(db.dispose())
    assert statements
    for sql in statements:
        tables = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql, flags=re.IGNORECASE))
        assert tables and tables <= REPORT_TABLES, sql
        for name in ("messages", "body", "nickname", "conversations", "consent_text"):
            assert name not in sql.lower(), sql
    assert CANARY not in csv_text
    assert CANARY.encode() not in json_bytes


def test_on_postgresql_a_report_needs_no_right_but_reading_registrations(
    tmp_path: Path,
) -> None:
    with database_settings("postgres", tmp_path) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                await _seed_with_a_message(world)
            finally:
                await world.close()

        run_async(fill())
        role = "baken_report_" + secrets.token_hex(4)
        database = settings.resolved_database_url.rsplit("/", 1)[1]

        async def admin(sql: str, db_name: str | None = None) -> None:
            url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + (db_name or "postgres")
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE ROLE "{role}" LOGIN'))
        try:
            asyncio.run(admin(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"', database))
            asyncio.run(
                admin(
                    f'GRANT SELECT ON registrations, report_persons, referrals TO "{role}"',
                    database,
                )
            )
            limited = Settings(
                data_dir=tmp_path,
                database_url=f"postgresql://{role}@127.0.0.1:5432/{database}",
            )

            async def as_limited_role() -> tuple[str, bytes]:
                db = Database(limited)
                try:
                    with pytest.raises(Exception, match="permission denied"):
                        async with db.reader.connect() as conn:
                            await conn.execute(text("SELECT body FROM messages"))
                    report = await make_report(
                        db,
                        organisation_id=DEFAULT_ORGANISATION,
                        organisation_name="Helpline",
                        year=date.today().year,
                        on=date(2030, 1, 1),
                    )
                    return to_csv(report), to_json(report)
                finally:
                    await db.dispose()

            csv_text, json_bytes = run_async(as_limited_role())
            assert "Helpline" in json_bytes.decode()
            assert CANARY not in csv_text
        finally:
            asyncio.run(admin(f'DROP OWNED BY "{role}"', database))
            asyncio.run(admin(f'DROP ROLE IF EXISTS "{role}"'))
