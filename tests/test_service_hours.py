"""Opening hours: wall-clock rules across daylight saving, holidays, and the closed state on a real
server (refused start, numbers, messages left while closed, who may change the hours)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.domain.conversation import Role
from baken.service_hours.config import ConfigInvalid, parse
from baken.service_hours.form import document_from_form
from tests.conftest import _postgres_or_skip
from tests.support import Server, add_staff_with_role, postgres_database, start_server

WEEKDAYS_9_TO_17 = {str(d): [["09:00", "17:00"]] for d in range(5)}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def config(**overrides: Any) -> dict[str, Any]:
    return {"enabled": True, "weekly": WEEKDAYS_9_TO_17, **overrides}


# --- the rules ------------------------------------------------------------------------------------


def test_hours_are_wall_clock_in_amsterdam_in_winter_and_summer() -> None:
    schedule = parse(config()).schedule
    # Monday 12 January 2026: 09:00 in Amsterdam is 08:00 UTC (CET).
    assert not schedule.is_open(utc(2026, 1, 12, 7, 59))
    assert schedule.is_open(utc(2026, 1, 12, 8, 0))
    assert schedule.is_open(utc(2026, 1, 12, 15, 59))
    assert not schedule.is_open(utc(2026, 1, 12, 16, 0))
    # Monday 13 July 2026: 09:00 is 07:00 UTC (CEST).
    assert schedule.is_open(utc(2026, 7, 13, 7, 0))
    assert not schedule.is_open(utc(2026, 7, 13, 6, 59))
    # Friday evening: next opening is Monday 09:00, across the weekend.
    assert schedule.next_opening(utc(2026, 1, 16, 18, 0)) == utc(2026, 1, 19, 8, 0)
    assert schedule.next_opening(utc(2026, 1, 12, 9, 0)) is None  # open now


def test_next_opening_across_the_spring_and_autumn_changes() -> None:
    # Night service 00:00-06:00 every day. Sunday 29 March 2026 the clocks jump 02:00 -> 03:00.
    night = parse({"enabled": True, "weekly": {str(d): [["00:00", "06:00"]] for d in range(7)}})
    s = night.schedule
    # Saturday 28 March 23:30 CET = 22:30 UTC: opens at midnight CET = 23:00 UTC.
    assert s.next_opening(utc(2026, 3, 28, 22, 30)) == utc(2026, 3, 28, 23, 0)
    # That night is one hour shorter: 06:00 CEST is 04:00 UTC.
    assert s.is_open(utc(2026, 3, 29, 3, 59)) and not s.is_open(utc(2026, 3, 29, 4, 0))
    assert s.closes_at(utc(2026, 3, 29, 1, 0)) == utc(2026, 3, 29, 4, 0)
    # Sunday 25 October the clocks go back 03:00 -> 02:00: that night is one hour longer.
    assert s.closes_at(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 5, 0)
    assert s.is_open(utc(2026, 10, 25, 4, 59)) and not s.is_open(utc(2026, 10, 25, 5, 0))
    # A range that starts inside the skipped hour opens at the jump itself (03:00 CEST).
    odd = parse({"enabled": True, "weekly": {"6": [["02:30", "04:00"]]}}).schedule
    assert odd.next_opening(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 0)
    assert odd.is_open(utc(2026, 3, 29, 1, 0))


def test_holidays_override_the_week_and_extra_days_open() -> None:
    exceptions = [
        {"date": "2026-12-25", "hours": [], "label": "Eerste Kerstdag"},
        {"date": "2026-12-24", "hours": [["09:00", "12:00"]], "label": "Kerstavond"},
        {"date": "2026-12-27", "hours": [["20:00", "22:00"]], "label": ""},  # a Sunday
    ]
    s = parse(config(exceptions=exceptions)).schedule
    assert not s.is_open(utc(2026, 12, 25, 10, 0))  # Friday, but Christmas Day
    assert s.is_open(utc(2026, 12, 24, 10, 0)) and not s.is_open(utc(2026, 12, 24, 12, 0))
    # Thursday 24 December after noon: Christmas is closed, the Sunday evening opens.
    assert s.next_opening(utc(2026, 12, 24, 12, 0)) == utc(2026, 12, 27, 19, 0)
    assert s.ranges_on(date(2026, 12, 28)) == s.weekly[0]


@pytest.mark.parametrize(
    ("document", "key", "code"),
    [
        (config(weekly={"0": [["17:00", "09:00"]]}), "weekly.0", "end_before_start"),
        (config(weekly={"0": [["09:00", "12:00"], ["11:00", "13:00"]]}), "weekly.0", "overlap"),
        (config(weekly={"0": [["9", "12:00"]]}), "weekly.0", "bad_time"),
        (config(weekly={"0": [["09:00", "24:01"]]}), "weekly.0", "bad_time"),
        (config(weekly={"7": []}), "weekly", "bad_weekly"),
        (config(timezone="Mars/Olympus"), "timezone", "unknown_timezone"),
        (config(exceptions=[{"date": "2026-02-30", "hours": []}]), "exceptions.0", "bad_date"),
        (
            config(exceptions=[{"date": "2026-12-25"}, {"date": "2026-12-25"}]),
            "exceptions.1",
            "duplicate_date",
        ),
        (config(numbers=[{"label_nl": "a", "label_en": "b", "number": "=1+1"}]), "numbers.0",
         "bad_phone_number"),
        (config(message_nl="x" * 601), "message_nl", "bad_message"),
        (config(extra=True), "extra", "unknown_field"),
    ],
)  # fmt: skip
def test_bad_configs_are_refused_per_field(document: dict[str, Any], key: str, code: str) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse(document)
    assert caught.value.errors.get(key) == code


def test_the_admin_form_text_becomes_the_same_config() -> None:
    document, errors = document_from_form(
        {
            "enabled": "1",
            "day_0": "9:00-12:00, 13:00 - 17:00",
            "day_5": "",
            "exceptions": "2026-12-25 gesloten Eerste Kerstdag\n\n2026-12-24 09:00-12:00",
            "numbers": "Politie | Police | 0900-8844",
        }
    )
    assert not errors
    parsed = parse(document)
    assert parsed.schedule.weekly[0][1].start == 13 * 60
    assert parsed.schedule.exceptions[date(2026, 12, 25)].ranges == ()
    assert parsed.numbers[0].label("en") == "Police"
    _, bad = document_from_form({"day_1": "morning", "exceptions": "2026-12-25 lunch"})
    assert bad == {"day_1": "bad_ranges", "exceptions": "bad_exception"}


# --- on a real server ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A fresh server per test (these change the hours for everyone), on both databases."""
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


def _set_hours(
    server: Server, token: str, document: dict[str, Any], version: int
) -> httpx.Response:
    return httpx.put(
        server.base + "/api/service-hours",
        json={"version": version, "config": document},
        headers={**_cookie(token), "Origin": server.origin},
    )


ALWAYS_CLOSED = {
    "enabled": True,
    "weekly": {},
    "numbers": [{"label_nl": "Fier advies", "label_en": "Fier advice", "number": "058 215 70 70"}],
    "message_nl": "Morgen zijn we er weer.",
    "message_en": "We are back tomorrow.",
}


def test_only_an_admin_changes_the_hours(srv: Server) -> None:
    _, counselor = srv.add_staff()
    _, supervisor = add_staff_with_role(srv, Role.SUPERVISOR)
    _, admin = add_staff_with_role(srv, Role.ADMIN)
    for token in (counselor, supervisor):
        assert _set_hours(srv, token, ALWAYS_CLOSED, 0).status_code == 403
        assert httpx.get(srv.base + "/staff/hours", headers=_cookie(token)).status_code == 403
        form = {"version": "0", "enabled": "1", "day_0": ""}
        posted = httpx.post(
            srv.base + "/staff/hours", data=form, headers={**_cookie(token), "Origin": srv.origin}
        )
        assert posted.status_code == 403
    assert _set_hours(srv, "", ALWAYS_CLOSED, 0).status_code == 401
    # Still open around the clock: nothing was changed.
    assert httpx.get(srv.base + "/api/service/status").json() == {"open": True}
    bad = _set_hours(srv, admin, {**ALWAYS_CLOSED, "weekly": {"0": [["18:00", "08:00"]]}}, 0)
    assert bad.status_code == 422
    assert bad.json()["fields"]["weekly.0"]["code"] == "end_before_start"
    assert _set_hours(srv, admin, ALWAYS_CLOSED, 0).status_code == 200
    assert _set_hours(srv, admin, ALWAYS_CLOSED, 0).status_code == 409  # stale version
    page = httpx.get(srv.base + "/staff/hours?lang=en", headers=_cookie(admin))
    assert page.status_code == 200 and "058 215 70 70" in page.text


def test_the_admin_page_form_saves_and_shows_errors_at_the_field(srv: Server) -> None:
    _, admin = add_staff_with_role(srv, Role.ADMIN)
    headers = {**_cookie(admin), "Origin": srv.origin}
    bad = httpx.post(
        srv.base + "/staff/hours?lang=en",
        data={"version": "0", "enabled": "1", "day_2": "09:00-12:00, 11:00-14:00"},
        headers=headers,
    )
    assert bad.status_code == 400
    assert 'id="day_2-error"' in bad.text and "These times overlap." in bad.text
    assert 'aria-invalid="true"' in bad.text
    good = httpx.post(
        srv.base + "/staff/hours?lang=en",
        data={
            "version": "0",
            "enabled": "1",
            "day_2": "09:00-12:00",
            "exceptions": "2030-01-01 closed",
        },
        headers=headers,
    )
    assert good.status_code == 303
    stored = httpx.get(srv.base + "/api/service-hours", headers=_cookie(admin)).json()
    assert stored["version"] == 1 and stored["config"]["weekly"]["2"] == [["09:00", "12:00"]]
    assert stored["config"]["exceptions"] == [{"date": "2030-01-01", "hours": [], "label": ""}]


def test_closed_refuses_chats_on_the_server_and_takes_messages(srv: Server) -> None:
    _, admin = add_staff_with_role(srv, Role.ADMIN)
    assert _set_hours(srv, admin, ALWAYS_CLOSED, 0).status_code == 200

    status = httpx.get(srv.base + "/api/service/status?lang=en").json()
    assert status["open"] is False and status["opens_at"] is None
    assert status["numbers"] == [{"label": "Fier advice", "number": "058 215 70 70"}]

    started = httpx.post(
        srv.base + "/api/visitor/start", json={"lang": "en"}, headers={"Origin": srv.origin}
    )
    assert started.status_code == 503 and started.json()["error"] == "closed"
    assert "set-cookie" not in started.headers
    danger = httpx.post(
        srv.base + "/api/visitor/start", json={"danger": True}, headers={"Origin": srv.origin}
    )
    assert danger.status_code == 503  # nobody is there to answer: the page shows 112 instead
    form = httpx.post(srv.base + "/start", data={"lang": "nl"}, headers={"Origin": srv.origin})
    assert form.status_code == 503 and "tel:112" in form.text and "058 215 70 70" in form.text
    page = httpx.get(srv.base + "/?lang=nl")
    assert 'id="view-closed"' in page.text and "Morgen zijn we er weer." in page.text
    assert 'id="view-start" class="view view--start" hidden' in page.text

    # An anonymous message: the visitor gets a code, a counselor reads and answers it.
    left = httpx.post(
        srv.base + "/api/visitor/message",
        json={"text": "<b>Hallo</b>, ik wil iets vragen", "lang": "nl"},
        headers={"Origin": srv.origin},
    )
    assert left.status_code == 200
    code = left.json()["code"]
    _, counselor = srv.add_staff()
    threads = httpx.get(srv.base + "/api/left-messages", headers=_cookie(counselor)).json()
    assert len(threads["threads"]) == 1 and threads["threads"][0]["unanswered"] == 1
    thread_id = threads["threads"][0]["id"]
    thread = httpx.get(srv.base + f"/api/left-messages/{thread_id}", headers=_cookie(counselor))
    assert thread.json()["messages"][0]["text"] == "<b>Hallo</b>, ik wil iets vragen"
    reply = httpx.post(
        srv.base + f"/api/left-messages/{thread_id}/reply",
        json={"text": "Fijn dat je schrijft. Wat wil je vragen?"},
        headers={**_cookie(counselor), "Origin": srv.origin},
    )
    assert reply.status_code == 200
    assert httpx.get(srv.base + "/api/left-messages", headers=_cookie(counselor)).json() == {
        "threads": []
    }
    # Visitors and researchers cannot read the left messages.
    assert httpx.get(srv.base + f"/api/left-messages/{thread_id}").status_code == 401
    _, researcher = add_staff_with_role(srv, Role.RESEARCHER)
    assert (
        httpx.get(srv.base + "/api/left-messages", headers=_cookie(researcher)).status_code == 403
    )

    # The visitor reads the answer with the code (other case and spaces are fine), once.
    def visit(raw: str) -> httpx.Response:
        return httpx.post(
            srv.base + "/api/visitor/mailbox", json={"code": raw}, headers={"Origin": srv.origin}
        )

    answer = visit("  " + code.upper() + " ")
    assert answer.status_code == 200
    assert [m["text"] for m in answer.json()["messages"]] == [
        "Fijn dat je schrijft. Wat wil je vragen?"
    ]
    assert visit(code).json()["messages"] == []
    wrong = visit("appel peer banaan kiwi druif citroen")
    assert wrong.status_code == 400 and wrong.json()["error"] == "code_not_accepted"
    # Coming back into a chat with the code is refused while closed, too.
    back = httpx.post(
        srv.base + "/api/visitor/return", json={"code": code}, headers={"Origin": srv.origin}
    )
    assert back.status_code == 503 and back.json()["error"] == "closed"


def test_opening_again_lets_chats_start(srv: Server) -> None:
    _, admin = add_staff_with_role(srv, Role.ADMIN)
    assert _set_hours(srv, admin, ALWAYS_CLOSED, 0).status_code == 200
    assert _set_hours(srv, admin, {**ALWAYS_CLOSED, "enabled": False}, 1).status_code == 200
    started = httpx.post(srv.base + "/api/visitor/start", json={}, headers={"Origin": srv.origin})
    assert started.status_code == 200
