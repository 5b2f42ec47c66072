"""The two questions after a chat (issue 3, web/static/feedback.js) in real Chromium: the chat ends,
the visitor sees the form, answers, and the answer is stored (without the conversation); the same
ticket cannot answer twice; axe finds nothing on the page with the form and with the thanks; quick
exit still works there. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from baken.figures.compute import Answer, FeedbackAnswer
from baken.figures.queries import feedback_between
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.browser_support import (
    NEUTRAL_TITLE,
    NeutralSite,
    People,
    accept,
    axe_violations,
    counselor_send,
    start_chat,
    t,
    visitor_send,
)
from tests.browser_support import open_console as open_console_as
from tests.conftest import server_on
from tests.support import Server, run_async

pytestmark = pytest.mark.browser

TICKET_PATH = "/api/visitor/feedback/ticket"


@pytest.fixture(params=["sqlite", "postgres"])
def baken(request: pytest.FixtureRequest, tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    """This module's server: on SQLite and on PostgreSQL (what is stored is checked on both), with
    the proof-of-work on and quick exit to the neutral site, as tests/browser_fixtures.py has it."""
    with server_on(request.param, tmp_path, proof_of_work=True) as server:
        server.settings.exit_url = neutral.url
        yield server


def stored_feedback(server: Server) -> list[FeedbackAnswer]:
    """The answers as the figures read them (issue 3: per organisation, by the hour)."""

    async def read() -> list[FeedbackAnswer]:
        db = Database(server.settings)
        try:
            now = datetime.now(UTC)
            return await feedback_between(
                db, DEFAULT_ORGANISATION, now - timedelta(days=1), now + timedelta(days=1)
            )
        finally:
            await db.dispose()

    answers: list[FeedbackAnswer] = run_async(read())
    return answers


def test_feedback_is_asked_once_stored_once_and_the_page_stays_safe(
    baken: Server, people: People, neutral: NeutralSite
) -> None:
    visitor = people.visitor().new_page()
    console = open_console_as(people.counselor(), baken, display_name="Anna")
    # The page asks for its ticket while the chat runs (the visitor's session dies with the chat);
    # keep it, to try a second answer with it later.
    with visitor.expect_response(lambda r: r.url.endswith(TICKET_PATH)) as ticket_response:
        conversation_id = start_chat(visitor, baken)
        panel = accept(console, conversation_id)
    ticket = ticket_response.value.json()["ticket"]
    visitor_send(visitor, "Hallo, ik heb een vraag over mijn werk.")
    counselor_send(panel, "Fijn dat je schrijft. Vertel maar.")

    # Not offered while the chat runs.
    form = visitor.locator("#feedback-form")
    expect(form).to_be_hidden()

    panel.locator('[data-action="end"]').click()
    panel.locator('[data-action="end-yes"]').click()
    expect(visitor.locator("#ended-box")).to_be_visible()
    expect(form).to_be_visible()
    expect(form.locator("legend")).to_have_text(
        [t("nl", "Did this chat help you?"), t("nl", "Would you come back?")]
    )
    assert not axe_violations(visitor), axe_violations(visitor)
    assert stored_feedback(baken) == []

    # Sending nothing is refused on the page itself, with a clear line; nothing is stored.
    status = visitor.locator("#feedback-status")
    form.get_by_role("button", name=t("nl", "Send answers")).click()
    expect(status).to_have_text(t("nl", "Choose an answer first, or skip."))
    expect(form).to_be_visible()

    form.get_by_role("group", name=t("nl", "Did this chat help you?")).get_by_label(
        t("nl", "Yes")
    ).check()
    form.get_by_role("group", name=t("nl", "Would you come back?")).get_by_label(
        t("nl", "Maybe")
    ).check()
    with visitor.expect_response(lambda r: r.url.endswith("/api/visitor/feedback")) as sent:
        form.get_by_role("button", name=t("nl", "Send answers")).click()
    assert sent.value.status == 200
    expect(form).to_be_hidden()
    expect(status).to_have_text(t("nl", "Thank you."))
    assert not axe_violations(visitor), axe_violations(visitor)

    # Stored once, without the conversation and with the hour only.
    answers = stored_feedback(baken)
    assert [(a.helped, a.come_back) for a in answers] == [(Answer.YES, Answer.PARTLY)]
    assert answers[0].submitted_hour.minute == 0 and answers[0].submitted_hour.second == 0

    # The same ticket cannot answer again (a replayed request, or a second tab with it).
    again = visitor.request.post(
        baken.base + "/api/visitor/feedback",
        data={"ticket": ticket, "helped": "no", "come_back": "no"},
        headers={"Origin": baken.origin},
    )
    assert again.status == 409, again.text()
    assert again.json() == {"error": "not_possible"}
    eligible = visitor.request.post(
        baken.base + "/api/visitor/feedback/status",
        data={"ticket": ticket},
        headers={"Origin": baken.origin},
    )
    assert eligible.json() == {"eligible": False}
    assert len(stored_feedback(baken)) == 1

    # Quick exit still works on this page: the neutral site, nothing of Baken left behind.
    visitor.locator("#quick-exit").click()
    expect(visitor).to_have_url(neutral.url)
    expect(visitor).to_have_title(NEUTRAL_TITLE)
    assert visitor.context.cookies(baken.base) == []
    assert not people.script_errors, people.script_errors
