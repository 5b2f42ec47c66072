"""Issue 19, item 2: dismissed indicators are counted per organisation, day and label — and
nothing else is kept: no conversation, no counselor, no words (docs/signals.md, "In the console").
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from baken.campaigns.codes import local_day
from baken.cli import app
from baken.config import Settings
from baken.store import migrate, tables
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.signal_dismissal_repo import add_dismissal, dismissals_between
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from tests.support import Server, counselor, visitor

COLUMNS = {"organisation_id", "day", "label", "dismissed"}


def test_the_table_holds_counts_only() -> None:
    assert {column.name for column in tables.signal_dismissals.columns} == COLUMNS


async def _columns_in_database(server: Server) -> set[str]:
    db = Database(server.settings)
    try:
        async with db.reader.connect() as conn:
            found = await conn.run_sync(lambda sync: inspect(sync).get_columns("signal_dismissals"))
        return {column["name"] for column in found}
    finally:
        await db.dispose()


async def test_the_migrated_table_holds_counts_only(server: Server) -> None:
    assert await _columns_in_database(server) == COLUMNS


async def _total(server: Server, label: str, day: date) -> int:
    db = Database(server.settings)
    try:
        rows = await dismissals_between(db, day, day, DEFAULT_ORGANISATION)
    finally:
        await db.dispose()
    return next((row.dismissed for row in rows if row.label == label), 0)


async def test_dismissals_add_up_across_writers(server: Server) -> None:
    day = date(2021, 3, 4)  # a day no other test writes
    first, second = Database(server.settings), Database(server.settings)
    try:
        before = await _total(server, "debt_bondage", day)
        await asyncio.gather(
            *(
                add_dismissal(db, DEFAULT_ORGANISATION, day, "debt_bondage")
                for db in (first, second)
                for _ in range(5)
            )
        )
        await add_dismissal(first, DEFAULT_ORGANISATION, day, "isolation")
        assert await _total(server, "debt_bondage", day) == before + 10
        rows = await dismissals_between(first, day, day)
        assert rows[0].label == "debt_bondage"  # most dismissed first
        assert await dismissals_between(first, date(2021, 3, 5), date(2021, 3, 9)) == []
    finally:
        await first.dispose()
        await second.dispose()


async def test_the_chats_counselor_dismisses_once_per_label(server: Server) -> None:
    conversation_id, visitor_token = server.start_visitor("Iris")
    _staff_id, staff_token = server.add_staff()
    c = await counselor(server, staff_token)
    v = await visitor(server, visitor_token)
    today = local_day(utcnow())
    try:
        await c.send({"type": "accept", "conversation_id": conversation_id})
        await c.expect("accepted", conversation_id=conversation_id)
        before = await _total(server, "withholding_wages", today)
        frame = {
            "type": "signals_feedback",
            "conversation_id": conversation_id,
            "label": "withholding_wages",
        }
        await c.send(frame)
        await c.expect("signals_feedback_saved", label="withholding_wages")
        # A double click, or the same chat dismissed again: counted once.
        await c.send(frame)
        await c.expect("signals_feedback_saved", label="withholding_wages")
        assert await _total(server, "withholding_wages", today) == before + 1

        await c.send({**frame, "label": "no_such_label"})
        error = await c.expect("error", ref="signals_feedback")
        assert error["code"] == "invalid_frame"

        # The visitor's socket has no such frame at all.
        await v.send(frame)
        error = await v.expect("error", ref="signals_feedback")
        assert error["code"] == "unknown_type"

        # After the end the panel stays while the counselor registers: still theirs to dismiss.
        await c.send({"type": "end", "conversation_id": conversation_id})
        await c.expect("ended", conversation_id=conversation_id)
        await c.send({**frame, "label": "isolation"})
        await c.expect("signals_feedback_saved", label="isolation")
    finally:
        await v.close()
        await c.close()


def test_the_cli_prints_totals_per_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    settings = Settings()
    migrate.upgrade(settings)
    today = local_day(utcnow())

    async def add() -> None:
        db = Database(settings)
        try:
            await StaffRepository(db).ensure_organisation("Baken")
            for label in ("isolation", "debt_bondage", "isolation"):
                await add_dismissal(db, DEFAULT_ORGANISATION, today, label)
            await add_dismissal(db, DEFAULT_ORGANISATION, date(2000, 1, 1), "deception")
        finally:
            await db.dispose()

    asyncio.run(add())
    result = CliRunner().invoke(app, ["signals", "dismissals", "--days", "7"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()[1:]
    assert [line.split() for line in lines] == [["isolation", "2"], ["debt_bondage", "1"]]
