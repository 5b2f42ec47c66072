"""Issue 18, item 5: the self-check "is this OK?" — what it answers, in every visitor language, at
an organisation's entry, and that it stores nothing: no row in any table, no log line.

The browser side (no JavaScript, axe, screenshots) is in tests/test_browser_reach_check.py."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from baken.i18n import VISITOR_LANGUAGES, direction
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.web.check_routes import ANSWERS, QUESTIONS, assess
from tests.conftest import _postgres_or_skip
from tests.support import (
    Server,
    add_staff_with_role,
    postgres_database,
    row_counts,
    run_async,
    start_server,
)
from tests.test_visitor_languages import _texts, _untranslated

ALL_NO = {name: "no" for name, _label in QUESTIONS}
SLUG = "jeugd"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with a second organisation (own emergency number) on both databases."""
    tmp: Path = tmp_path_factory.mktemp(f"check-{request.param}")
    if request.param == "sqlite":
        server = start_server(tmp)
        _add_organisation(server)
        yield server
        server.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        server = start_server(tmp, database_url=url)
        _add_organisation(server)
        yield server
        server.stop()


def _add_organisation(server: Server) -> None:
    async def add() -> None:
        db = Database(server.settings)
        try:
            await OrganisationRepository(db).add(
                SLUG, "Jeugdlijn", emergency_number="0800 0432", organisation_id="org_jeugd"
            )
        finally:
            await db.dispose()

    run_async(add())
    _open_when_known(server, f"/o/{SLUG}/check")


def _post(
    server: Server, answers: dict[str, str], base: str = "", lang: str = "en"
) -> httpx.Response:
    return httpx.post(
        f"{server.base}{base}/check",
        data={"lang": lang, **answers},
        headers={"Origin": server.origin},
        timeout=20,
    )


def _open_when_known(server: Server, path: str) -> httpx.Response:
    """The server sees a new organisation within its 5-second snapshot: ask until it does."""
    for _ in range(400):
        response = httpx.get(server.base + path, timeout=20)
        if response.status_code == 200:
            return response
        time.sleep(0.025)  # polling for a state (the snapshot), not waiting for a guess
    raise AssertionError(f"{path} never answered")


# --- the rules -----------------------------------------------------------------------------------


def test_the_questions_cover_the_taxonomy_and_the_result_is_never_more_than_it_may_mean() -> None:
    labels = {label for _name, label in QUESTIONS}
    assert 8 <= len(QUESTIONS) <= 10
    assert {
        "deception",
        "restriction_of_movement",
        "retention_of_documents",
        "debt_bondage",
        "intimidation_threats",
        "forced_sex_work",
        "forced_criminal_activity",
        "loverboy_grooming",
        "acute_danger",
    } <= labels
    assert assess({}).outcome == "none" and not assess({}).danger_first
    assert assess(ALL_NO).outcome == "none"
    assert assess({**ALL_NO, "papers": "unsure"}).outcome == "unsure"
    assert assess({**ALL_NO, "papers": "unsure", "sex": "yes"}).outcome == "signs"
    # Acute danger puts 112 first; on its own it does not read as "signs" of exploitation.
    assert assess({"danger": "yes"}).danger_first and assess({"danger": "yes"}).outcome == "none"
    assert assess({"danger": "unsure"}).danger_first
    assert not assess({"danger": "no", "phone": "yes"}).danger_first


# --- on a real server ----------------------------------------------------------------------------


def test_the_questions_page_is_a_plain_form_posting_to_itself(srv: Server) -> None:
    page = httpx.get(srv.base + "/check?lang=en", timeout=20)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<form id="check-form" class="check-form" method="post" action="/check">' in html
    for name, _label in QUESTIONS:
        for value in ANSWERS:
            assert f'name="{name}" value="{value}"' in html, (name, value)
    assert html.count("<fieldset") == len(QUESTIONS)
    # The start page links to it, below the start form.
    start = httpx.get(srv.base + "/?lang=en", timeout=20).text
    assert start.index('id="start-button"') < start.index('href="/check?lang=en"')


def test_the_result_stores_nothing_and_logs_nothing(
    srv: Server, caplog: pytest.LogCaptureFixture
) -> None:
    httpx.get(srv.base + "/check", timeout=20)  # anything lazy on the first request happens now
    before = row_counts(srv)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        answered = [
            _post(srv, {**ALL_NO, "sex": "yes", "danger": "yes"}),
            _post(srv, {"papers": "unsure"}, lang="nl"),
            _post(srv, ALL_NO, base="/o/" + SLUG),
            _post(srv, {}),
        ]
    assert [r.status_code for r in answered] == [200, 200, 200, 200]
    for response in answered:
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers  # no session, no marker of having answered
        assert "location" not in response.headers  # the answer is this page, not a redirect
    # Drivers trace every statement at DEBUG: reads (the opening hours) are fine, a write is not.
    writes = [
        r.getMessage()
        for r in caplog.records
        if re.search(r"\b(INSERT|UPDATE|DELETE)\b", r.getMessage())
    ]
    assert writes == []
    server_lines = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))  # the test's own client
        and not (r.levelno < logging.INFO and r.name.startswith(("aiosqlite", "asyncio")))
    ]
    assert server_lines == []
    assert row_counts(srv) == before
    assert sum(before.values()) > 0  # the counting saw the tables (the organisations are rows)


def test_acute_danger_puts_the_emergency_number_first_and_ticks_danger(srv: Server) -> None:
    html = _post(srv, {**ALL_NO, "danger": "yes"}).text
    assert html.index('id="check-danger"') < html.index('id="check-outcome"')
    assert html.index('href="tel:112"') < html.index('id="check-outcome"')
    assert 'name="danger" type="checkbox" value="1" autocomplete="off" checked>' in html
    calm = _post(srv, ALL_NO).text
    assert 'id="check-danger"' not in calm
    assert 'name="danger" type="checkbox" value="1" autocomplete="off">' in calm  # not ticked
    assert 'href="tel:112"' in calm  # 112 is always there, after the chat


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        ({"promise": "yes"}, "signs"),
        ({"partner": "unsure"}, "unsure"),
        (ALL_NO, "none"),
        ({"promise": "maybe", "papers": "<b>x</b>" * 50}, "none"),  # not an answer: not answered
    ],
)
def test_the_outcome_follows_the_answers(
    srv: Server, answers: dict[str, str], outcome: str
) -> None:
    response = _post(srv, answers)
    assert response.status_code == 200
    assert f'data-outcome="{outcome}"' in response.text
    assert "<b>x</b>" not in response.text


def test_bad_input_gets_a_calm_answer(srv: Server) -> None:
    own = {"Origin": srv.origin}
    huge = httpx.post(
        srv.base + "/check",
        content=b"promise=" + b"y" * 10_000,
        timeout=20,
        headers={"Content-Type": "application/x-www-form-urlencoded", **own},
    )
    assert huge.status_code == 400
    as_json = httpx.post(srv.base + "/check", json={"promise": "yes"}, headers=own, timeout=20)
    assert as_json.status_code == 200 and 'data-outcome="none"' in as_json.text
    elsewhere = httpx.post(
        srv.base + "/check", data={"promise": "yes"}, headers={"Origin": "http://evil.example"}
    )
    assert elsewhere.status_code == 403  # another site cannot make a result page
    many = httpx.post(
        srv.base + "/check",
        content="&".join(f"f{i}=yes" for i in range(200)).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **own},
        timeout=20,
    )
    assert many.status_code == 200 and 'data-outcome="none"' in many.text


def test_at_an_organisation_entry_every_link_stays_there(srv: Server) -> None:
    page = _open_when_known(srv, f"/o/{SLUG}/check?lang=nl")
    assert f'action="/o/{SLUG}/check"' in page.text
    assert f'href="/o/{SLUG}/exit"' in page.text
    result = _post(srv, {**ALL_NO, "danger": "yes"}, base=f"/o/{SLUG}", lang="nl").text
    assert f'action="/o/{SLUG}/start"' in result
    assert 'href="tel:0800 0432"' in result  # its own emergency number
    assert f'href="/o/{SLUG}/check?lang=nl"' in result
    assert 'action="/start"' not in result
    assert httpx.get(srv.base + "/o/no-such-line/check", timeout=20).status_code == 404


def test_outside_hours_the_result_says_when_it_opens_instead_of_a_start_button(srv: Server) -> None:
    _, admin = add_staff_with_role(srv, Role.ADMIN)

    def set_hours(enabled: bool) -> None:
        current = httpx.get(
            srv.base + "/api/service-hours",
            headers={"Cookie": f"__Host-baken_s={admin}"},
            timeout=20,
        ).json()
        response = httpx.put(
            srv.base + "/api/service-hours",
            json={
                "version": current["version"],
                "config": {"enabled": enabled, "weekly": {}, "numbers": []},
            },
            headers={"Cookie": f"__Host-baken_s={admin}", "Origin": srv.origin},
            timeout=20,
        )
        assert response.status_code == 200, response.text

    set_hours(True)
    try:
        html = _post(srv, {"promise": "yes"}).text
        assert "We are not online right now." in html
        assert 'id="check-start-form"' not in html
        assert 'href="/?lang=en"' in html  # the start page, where a message can be left
    finally:
        set_hours(False)
    assert 'id="check-start-form"' in _post(srv, {"promise": "yes"}).text


@pytest.mark.parametrize("lang", [lang for lang in VISITOR_LANGUAGES if lang != "en"])
def test_the_self_check_and_the_cover_are_in_the_visitor_language(srv: Server, lang: str) -> None:
    def pages(language: str) -> dict[str, str]:
        return {
            "questions": httpx.get(f"{srv.base}/check?lang={language}", timeout=20).text,
            "signs": _post(srv, {"promise": "yes", "danger": "yes"}, lang=language).text,
            "unsure": _post(srv, {"promise": "unsure"}, lang=language).text,
            "none": _post(srv, ALL_NO, lang=language).text,
            "cover": httpx.get(f"{srv.base}/cover?lang={language}", timeout=20).text,
        }

    english = pages("en")
    for name, page in pages(lang).items():
        parsed = _texts(page)
        assert parsed.html_attrs.get("lang") == lang, name
        assert parsed.html_attrs.get("dir") == direction(lang), name
        assert len(parsed.texts) >= 5, name
        left = _untranslated(lang, page, english[name])
        assert not left, f"{lang} {name} shows English: {sorted(left)}"


def test_the_cover_page_is_static_and_has_its_gesture_and_exit(srv: Server) -> None:
    page = httpx.get(f"{srv.base}/o/{SLUG}/cover?lang=nl", timeout=20)
    assert page.status_code == 200
    html = page.text
    assert "<title>Huiswerk</title>" in html
    assert "data-cover-check" in html and f'href="/o/{SLUG}/exit"' in html
    # Nothing in it loads anything: no script, image, frame or link to another site.
    assert not re.search(r"<(script|img|iframe|link)\b", html)
    assert "http" not in html.replace('"', "")


# --- the disguise: what the scripts never do -----------------------------------------------------

VISITOR_SCRIPTS = (
    "visitor.js",
    "common.js",
    "closed.js",
    "feedback.js",
    "pow.js",
    "pow_worker.js",
    "exit.js",
    "cover.js",
)
_NOISE = re.compile(
    r"Notification|vibrate|AudioContext|new Audio\b|\.play\(|speechSynthesis|document\.title\s*="
)


def test_no_visitor_script_sounds_vibrates_notifies_or_retitles_the_tab_except_the_cover() -> None:
    static = Path(__file__).resolve().parents[1] / "src" / "baken" / "web" / "static"
    found = {
        name: _NOISE.findall(
            "\n".join(
                line
                for line in (static / name).read_text(encoding="utf-8").splitlines()
                if not line.lstrip().startswith("//")
            )
        )
        for name in VISITOR_SCRIPTS
    }
    # Only the cover sets the tab's title (to its neutral one and back); nothing makes a sound.
    assert found == {
        name: (["document.title ="] * 2 if name == "cover.js" else []) for name in VISITOR_SCRIPTS
    }
    # The cover's state is never kept in the browser.
    cover = (static / "cover.js").read_text(encoding="utf-8")
    assert not re.search(r"localStorage|sessionStorage|document\.cookie|indexedDB", cover)
