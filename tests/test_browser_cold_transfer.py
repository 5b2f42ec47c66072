"""Cold transfer ("Back to queue", docs/counselor-tools.md) in real Chromium: counselor Anna puts
the chat back in the queue; the visitor is told calmly they are back in line and keeps the
transcript; the chat is back at the place it had, counselor Bert (another browser context) accepts
it, and both sides write. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    NeutralSite,
    People,
    accept,
    axe_violations,
    counselor_send,
    queue_item,
    start_chat,
    t,
    texts,
    visitor_send,
)
from tests.browser_support import open_console as open_console_as
from tests.conftest import server_on
from tests.support import Server

pytestmark = pytest.mark.browser


@pytest.fixture(params=["sqlite", "postgres"])
def baken(request: pytest.FixtureRequest, tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    """This module's server: on SQLite and on PostgreSQL (a requeue is a stored state change), with
    the proof-of-work on and quick exit to the neutral site, as tests/browser_fixtures.py has it."""
    with server_on(request.param, tmp_path, proof_of_work=True) as server:
        server.settings.exit_url = neutral.url
        yield server


def test_back_to_queue_keeps_the_place_and_the_transcript_and_a_colleague_takes_over(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, nickname="Mila")
    anna = open_console_as(people.counselor(), baken, display_name="Anna")
    bert = open_console_as(people.counselor(), baken, display_name="Bert")
    panel = accept(anna, conversation_id)
    visitor_send(visitor, "Hallo, ik wil iets vragen.")
    counselor_send(panel, "Ik ben Anna. Vertel maar.")
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    history = ["Hallo, ik wil iets vragen.", "Ik ben Anna. Vertel maar."]
    expect(texts(visitor.locator("#log"))).to_have_text(history)

    # Someone else starts waiting after Mila: the requeued chat must come back before them.
    later_id, _ = baken.start_visitor(nickname="Later")
    expect(queue_item(bert, later_id)).to_be_visible()

    panel.get_by_role("button", name=t("nl", "Back to queue"), exact=True).click()
    box = panel.locator('[data-role="requeue-box"]')
    expect(box).to_be_visible()
    expect(box.locator(".confirm__text")).to_have_text(
        t(
            "nl",
            "Put this chat back in the queue? It keeps its place; the visitor is told a colleague"
            " will come.",
        )
    )
    assert not axe_violations(anna), axe_violations(anna)
    box.get_by_role("button", name=t("nl", "Yes, back to the queue")).click()

    # Anna: released, no longer writable.
    expect(panel.locator('[data-role="handed-over"]')).to_have_text(
        t("nl", "This chat is back in the queue.")
    )
    expect(panel.locator('[data-role="composer"]')).to_be_hidden()

    # The visitor: one calm, neutral line, back to waiting, the transcript kept.
    system = visitor.locator("#log .msg--system")
    expect(system.last).to_have_text(
        t("nl", "You are back in line. A colleague will be with you soon.")
    )
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Waiting for a counselor"))
    expect(texts(visitor.locator("#log"))).to_have_text(history)
    expect(visitor.locator("#message")).to_be_enabled()
    assert not axe_violations(visitor), axe_violations(visitor)
    lines_before = system.count()

    # Bert: the chat is in the queue again, at the place it had (before the later visitor).
    expect(queue_item(bert, conversation_id)).to_be_visible()
    expect(bert.locator("#queue-list li[data-id]")).to_have_count(2)
    ids = bert.locator("#queue-list li[data-id]").evaluate_all(
        "items => items.map(item => item.dataset.id)"
    )
    assert ids == [conversation_id, later_id], ids
    bert_panel = accept(bert, conversation_id)
    expect(texts(bert_panel.locator(".log"))).to_have_text(history)

    # Both sides write; the visitor now chats with Bert, and Anna no longer sees the chat go on.
    counselor_send(bert_panel, "Hoi, ik ben Bert. Ik lees mee.")
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Bert"))
    expect(texts(visitor.locator("#log"))).to_have_text(
        [*history, "Hoi, ik ben Bert. Ik lees mee."]
    )
    visitor_send(visitor, "Dank je.")
    expect(texts(bert_panel.locator(".log"))).to_have_text(
        [*history, "Hoi, ik ben Bert. Ik lees mee.", "Dank je."]
    )
    expect(texts(panel.locator(".log"))).to_have_text(history)

    # After the requeue the visitor is never shown Anna's name again (only her earlier message).
    for line in system.all()[lines_before - 1 :]:
        assert "Anna" not in line.inner_text()
    expect(visitor.locator("#view-title")).not_to_contain_text("Anna")
    assert not people.script_errors, people.script_errors
