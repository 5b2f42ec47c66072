"""Service figures and visitor feedback: known answers on a small synthetic set, the CSV, who may
see them, and the feedback ticket on a real server."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from baken.crypto.envelope import CipherCache
from baken.domain.conversation import Role
from baken.figures.compute import Contact, FeedbackAnswer, Granularity, figures, p90
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.tables import conversations
from tests.conftest import _postgres_or_skip
from tests.support import (
    Server,
    add_staff_with_role,
    counselor,
    master_key,
    postgres_database,
    run_async,
    start_server,
    visitor,
)

AMS = ZoneInfo("Europe/Amsterdam")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def contact(created: datetime, wait: int | None, chat: int | None, ended_by: str | None) -> Contact:
    accepted = created + timedelta(seconds=wait) if wait is not None else None
    if accepted is not None and chat is not None:
        ended: datetime | None = accepted + timedelta(seconds=chat)
    elif ended_by is not None and accepted is None:
        ended = created + timedelta(seconds=30)
    else:
        ended = None
    return Contact(created, accepted, ended, ended_by)


# Eight contacts on Monday 12 January 2026 (CET, UTC+1) and one at 23:30 local that day.
SET = [
    contact(utc(2026, 1, 12, 9, 5), 10, 600, "counselor"),  # 10:05 local
    contact(utc(2026, 1, 12, 9, 20), 40, 300, "visitor"),
    contact(utc(2026, 1, 12, 9, 40), 70, 1200, "quick_exit"),
    contact(utc(2026, 1, 12, 9, 59), None, None, "visitor"),  # left while waiting
    contact(utc(2026, 1, 12, 10, 10), 100, 900, "counselor"),  # 11:10 local
    contact(utc(2026, 1, 12, 10, 15), None, None, "quick_exit"),  # quick exit while waiting
    contact(utc(2026, 1, 12, 10, 30), 250, None, None),  # still in the chat
    contact(utc(2026, 1, 12, 10, 45), None, None, None),  # still waiting
    contact(utc(2026, 1, 12, 22, 30), 5, 60, "timeout"),  # 23:30 local, still the 12th
]
ANSWERS = [
    FeedbackAnswer(utc(2026, 1, 12, 9, 0), 1, 1),
    FeedbackAnswer(utc(2026, 1, 12, 10, 0), 3, None),
]


def test_figures_per_day_and_hour_on_a_known_set() -> None:
    days, total = figures(SET, ANSWERS, AMS, Granularity.DAY)
    assert len(days) == 1 and days[0].start == datetime(2026, 1, 12, tzinfo=AMS)
    day = days[0]
    assert (day.contacts, day.answered, day.abandoned, day.quick_exits) == (9, 6, 2, 2)
    waits = [10, 40, 70, 100, 250, 5]
    assert day.wait_median == statistics.median(waits) == 55
    # p90 by hand: sorted 5 10 40 70 100 250; rank 0.9 * 5 = 4.5 -> 100 + 0.5 * 150 = 175.
    assert day.wait_p90 == 175 == statistics.quantiles(waits, n=10, method="inclusive")[8]
    durations = [600, 300, 1200, 900, 60]
    assert day.duration_median == 600
    assert day.duration_p90 == pytest.approx(1080)  # rank 3.6: 900 + 0.6 * 300
    assert day.feedback == 2 and day.helped == {1: 1, 3: 1} and day.come_back == {1: 1}
    assert total.contacts == 9 and total.durations == durations

    hours, _total = figures(SET, ANSWERS, AMS, Granularity.HOUR)
    by_hour = {b.start.hour: b for b in hours}
    assert sorted(by_hour) == [10, 11, 23]
    assert (by_hour[10].contacts, by_hour[10].answered, by_hour[10].abandoned) == (4, 3, 1)
    assert (by_hour[11].contacts, by_hour[11].answered, by_hour[11].abandoned) == (4, 2, 1)
    assert by_hour[11].wait_median == 175 and by_hour[23].wait_p90 == 5
    assert by_hour[10].feedback == 1 and by_hour[11].feedback == 1


def test_p90_matches_the_reference_for_many_sizes() -> None:
    for n in range(2, 40):
        values = [float((i * 37) % 101) for i in range(n)]
        assert p90(values) == statistics.quantiles(values, n=10, method="inclusive")[8]
    assert p90([42.0]) == 42.0 and p90([]) is None


def test_the_repeated_autumn_hour_is_two_hourly_buckets() -> None:
    # 25 October 2026: 02:30 local happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    early = contact(utc(2026, 10, 25, 0, 30), 10, 10, "visitor")
    late = contact(utc(2026, 10, 25, 1, 30), 10, 10, "visitor")
    hours, _ = figures([early, late], [], AMS, Granularity.HOUR)
    assert [b.contacts for b in hours] == [1, 1]
    assert [b.start.utcoffset() for b in hours] == [timedelta(hours=2), timedelta(hours=1)]
    days, _ = figures([early, late], [], AMS, Granularity.DAY)
    assert [b.contacts for b in days] == [2]


# --- on a real server ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A fresh server per test (the figures count everything), on both databases."""
    if request.param == "sqlite":
        server = start_server(tmp_path)
        yield server
        server.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        server = start_server(tmp_path, database_url=url)
        yield server
        server.stop()


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _seed(server: Server, contacts: list[Contact]) -> None:
    async def seed() -> None:
        db = Database(server.settings)
        try:
            repo = ConversationRepository(db, CipherCache(master_key(server.settings)))
            for c in contacts:
                record, _token = await repo.create("Secret-Nickname-Marleen", "nl")
                state = "ended" if c.ended_at else ("active" if c.accepted_at else "queued")
                async with db.writer.begin() as conn:
                    await conn.execute(
                        update(conversations)
                        .where(conversations.c.id == record.id)
                        .values(
                            created_at=c.created_at,
                            accepted_at=c.accepted_at,
                            ended_at=c.ended_at,
                            ended_by=c.ended_by,
                            state=state,
                        )
                    )
        finally:
            await db.dispose()

    run_async(seed())


def test_supervisor_sees_figures_and_csv_and_others_do_not(srv: Server) -> None:
    _seed(srv, SET)
    _, supervisor = add_staff_with_role(srv, Role.SUPERVISOR)
    query = "from=2026-01-12&to=2026-01-12&by=hour"
    page = httpx.get(f"{srv.base}/staff/figures?{query}&lang=en", headers=_cookie(supervisor))
    assert page.status_code == 200
    assert "Secret-Nickname-Marleen" not in page.text
    assert "2026-01-12T10:00+01:00" in page.text

    exported = httpx.get(f"{srv.base}/staff/figures.csv?{query}", headers=_cookie(supervisor))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["period_start"] for r in rows] == [
        "2026-01-12T10:00+01:00",
        "2026-01-12T11:00+01:00",
        "2026-01-12T23:00+01:00",
        "total",
    ]
    total = rows[-1]
    assert (total["contacts"], total["answered"], total["abandoned_in_queue"]) == ("9", "6", "2")
    assert (total["wait_median_s"], total["wait_p90_s"], total["quick_exits"]) == ("55", "175", "2")
    assert total["duration_median_s"] == "600" and total["duration_p90_s"] == "1080"

    _, counselor_token = srv.add_staff()
    _, researcher = add_staff_with_role(srv, Role.RESEARCHER)
    for token in (counselor_token, researcher):
        assert httpx.get(f"{srv.base}/staff/figures.csv", headers=_cookie(token)).status_code == 403
        assert httpx.get(f"{srv.base}/staff/figures", headers=_cookie(token)).status_code == 403
    anonymous = httpx.get(f"{srv.base}/staff/figures.csv")
    assert anonymous.status_code == 303 and "Secret" not in anonymous.text
    bad = httpx.get(f"{srv.base}/staff/figures?from=2026-01-12&to=2026-03-12&by=hour",
                    headers=_cookie(supervisor))  # fmt: skip
    assert bad.status_code == 400


async def test_feedback_once_per_answered_chat_and_stored_without_the_chat(srv: Server) -> None:
    conversation_id, vtoken = srv.start_visitor()
    origin = {"Origin": srv.origin}
    with_cookie = {**origin, "Cookie": f"__Host-baken_v={vtoken}"}
    ticket = httpx.post(f"{srv.base}/api/visitor/feedback/ticket", json={}, headers=with_cookie)
    assert ticket.status_code == 200
    t = ticket.json()["ticket"]
    assert t.split(".")[0] == conversation_id
    status = httpx.post(
        f"{srv.base}/api/visitor/feedback/status", json={"ticket": t}, headers=origin
    )
    assert status.json() == {"eligible": False}  # still waiting: nothing to say yet

    _sid, stoken = srv.add_staff()
    c = await counselor(srv, stoken)
    v = await visitor(srv, vtoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted")
    await v.send({"type": "leave", "conversation_id": conversation_id})
    await c.seen(lambda f: f.get("type") == "conversation"
                 and f["conversation"]["state"] == "ended")  # fmt: skip

    def send(body: dict[str, object]) -> httpx.Response:
        return httpx.post(f"{srv.base}/api/visitor/feedback", json=body, headers=origin)

    assert httpx.post(f"{srv.base}/api/visitor/feedback/status", json={"ticket": t},
                      headers=origin).json() == {"eligible": True}  # fmt: skip
    assert send({"ticket": t}).json()["error"] == "nothing_answered"
    assert send({"ticket": t, "helped": "maybe-later"}).json()["error"] == "invalid_answer"
    assert send({"ticket": t, "helped": "yes", "text": "x"}).status_code == 400  # no free text
    forged = t[:-2] + ("AA" if not t.endswith("AA") else "BB")
    assert send({"ticket": forged, "helped": "yes"}).json()["error"] == "bad_ticket"
    assert send({"ticket": t, "helped": "yes", "come_back": "partly"}).status_code == 200
    again = send({"ticket": t, "helped": "no"})
    assert again.status_code == 409 and again.json()["error"] == "not_possible"
    assert httpx.post(f"{srv.base}/api/visitor/feedback", json={"ticket": t, "helped": "yes"},
                      headers={"Origin": "https://evil.example"}).status_code == 403  # fmt: skip

    _, supervisor = add_staff_with_role(srv, Role.SUPERVISOR)
    today = datetime.now(AMS).date().isoformat()
    exported = httpx.get(f"{srv.base}/staff/figures.csv?from={today}&to={today}",
                         headers=_cookie(supervisor))  # fmt: skip
    total = list(csv.DictReader(io.StringIO(exported.text)))[-1]
    assert (total["feedback"], total["helped_yes"], total["come_back_partly"]) == ("1", "1", "1")
    await c.close()
    await v.close()


def test_a_contact_just_after_local_midnight_counts_in_its_local_day(srv: Server) -> None:
    """The day's bounds are Amsterdam midnights, compared in UTC: on SQLite, times compare as
    text, and a chat started at 00:30 local (23:30 UTC the day before) once fell out of its day."""
    from baken.figures.queries import contacts_between
    from baken.store.staff_repo import DEFAULT_ORGANISATION

    created = utc(2026, 11, 1, 23, 30)  # 2 November, 00:30 in Amsterdam
    _seed(srv, [contact(created, None, None, None)])
    amsterdam = ZoneInfo("Europe/Amsterdam")
    day = datetime(2026, 11, 2, tzinfo=amsterdam), datetime(2026, 11, 3, tzinfo=amsterdam)
    before = datetime(2026, 11, 1, tzinfo=amsterdam), day[0]

    async def find(start: datetime, end: datetime) -> list[datetime]:
        db = Database(srv.settings)
        try:
            return [
                c.created_at for c in await contacts_between(db, DEFAULT_ORGANISATION, start, end)
            ]
        finally:
            await db.dispose()

    assert run_async(find(*day)) == [created]
    assert run_async(find(*before)) == []
