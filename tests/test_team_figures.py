"""Service figures, issue 15 item 7: the share of contacts answered within N minutes, on the known
set of tests/test_service_figures.py, and the column on the page and in the CSV."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert

from baken.domain.conversation import Role
from baken.figures.compute import Granularity, MailboxLine, figures, response_times
from baken.figures.queries import mailbox_lines_since
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.return_code_repo import CodeState, Direction
from baken.store.tables import mailbox_messages, return_codes
from tests.authz_world import in_db
from tests.support import Server, add_staff_with_role
from tests.test_service_figures import AMS, ANSWERS, SET
from tests.test_wellbeing import partner_organisation


def test_answered_within_counts_answered_and_left_contacts() -> None:
    (day,), total = figures(SET, ANSWERS, AMS, Granularity.DAY, timedelta(minutes=1))
    # Waits 5, 10, 40 s of 6 answered are within a minute; 2 left while waiting; the one still
    # waiting counts as neither: 3 of 8.
    assert (day.answered_within, day.answered, day.abandoned) == (3, 6, 2)
    assert day.answered_within_pct == round(100 * 3 / 8) == total.answered_within_pct
    (wide,), _total = figures(SET, ANSWERS, AMS, Granularity.DAY, timedelta(minutes=5))
    assert wide.answered_within == 6 and wide.answered_within_pct == 75
    empty, nothing = figures([], [], AMS, Granularity.DAY)
    assert empty == [] and nothing.answered_within_pct is None


def test_the_column_on_the_page_and_in_the_csv(server: Server) -> None:
    _sid, token = add_staff_with_role(server, Role.SUPERVISOR)
    cookies = {"Cookie": f"__Host-baken_s={token}"}
    page = httpx.get(f"{server.base}/staff/figures?lang=en", headers=cookies, timeout=20)
    assert page.status_code == 200
    assert "Answered within 2 min (%)" in page.text
    assert 'id="left-responses"' in page.text and "Time to the answer" in page.text
    got = httpx.get(f"{server.base}/staff/figures.csv", headers=cookies, timeout=20)
    assert got.status_code == 200
    reader = csv.DictReader(io.StringIO(got.text))
    assert reader.fieldnames is not None and reader.fieldnames[-1] == "answered_within_pct"
    rows = list(reader)
    assert rows[-1]["period_start"] == "total"


def line(thread: str, seq: int, to_staff: bool, minute: int) -> MailboxLine:
    return MailboxLine(thread, seq, to_staff, minute * 60_000)


def test_left_message_response_times() -> None:
    lines = [
        line("a", 1, True, 0),  # answered after 30 minutes
        line("a", 2, True, 10),  # a second message before the answer: the wait began at 0
        line("a", 3, False, 30),
        line("a", 4, True, 100),  # still open: not counted
        line("b", 2, False, 70),  # given out of order: sorted by thread and seq
        line("b", 1, True, 60),  # answered after 10 minutes
        line("c", 1, False, 5),  # an answer nobody waited for (a follow-up message)
        line("d", 1, True, 500),  # outside the period
        line("d", 2, False, 510),
    ]
    assert response_times(lines, 0, 400 * 60_000) == [1800.0, 600.0]


def test_the_left_message_lines_of_one_organisation(server: Server) -> None:
    org = partner_organisation(server)
    other = partner_organisation(server)
    base = 1_800_000_000_000

    async def work(db: Database) -> list[MailboxLine]:
        async with db.writer.begin() as conn:
            for code_id, organisation_id in (
                ("r_f1" + org[-6:], org),
                ("r_f2" + other[-6:], other),
            ):
                await conn.execute(
                    insert(return_codes).values(
                        id=code_id,
                        organisation_id=organisation_id,
                        code_hash=secrets.token_hex(32),
                        state=CodeState.ACTIVE,
                        created_at=utcnow(),
                        key_id="k",
                    )
                )
                for seq, direction, at in (
                    (1, Direction.TO_STAFF, base),
                    (2, Direction.TO_VISITOR, base + 90_000),
                ):
                    await conn.execute(
                        insert(mailbox_messages).values(
                            return_code_id=code_id,
                            seq=seq,
                            direction=direction,
                            body=b"x",
                            sent_at_ms=at,
                        )
                    )
        start = datetime.fromtimestamp(base / 1000 - 1, tz=UTC)
        return await mailbox_lines_since(db, org, start)

    lines = in_db(server, work)
    assert sorted((x.seq, x.to_staff) for x in lines) == [(1, True), (2, False)]
    assert response_times(lines, base, base + 1) == [90.0]
