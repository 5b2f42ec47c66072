"""The visitor page outside opening hours, in Debian's Chromium: calm words, 112 and the other
numbers, no way to start a chat, and an anonymous message whose answer is read with the code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    NeutralSite,
    People,
    axe_violations,
    open_console,
    start_baken,
    start_neutral_site,
    t,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

CLOSED_ALL_WEEK = {
    "enabled": True,
    "weekly": {},
    "exceptions": [],
    "numbers": [
        {"label_nl": "Fier advieslijn", "label_en": "Fier advice", "number": "058 215 70 70"}
    ],
    "message_nl": "Vannacht zijn we er niet.",
    "message_en": "We are not here tonight.",
}


@pytest.fixture
def closed_baken(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    neutral: NeutralSite = start_neutral_site()
    server = start_baken(tmp_path, neutral)
    _, admin = add_staff_with_role(server, Role.ADMIN)
    saved = httpx.put(
        server.base + "/api/service-hours",
        json={"version": 0, "config": CLOSED_ALL_WEEK},
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": server.origin},
    )
    assert saved.status_code == 200
    yield server, admin
    server.stop()
    neutral.stop()


def test_closed_visitor_page_and_an_anonymous_message(
    closed_baken: tuple[Server, str], browser: Browser
) -> None:
    server, _admin = closed_baken
    people = People(browser)
    try:
        page = people.visitor().new_page()
        page.goto(server.base + "/")
        expect(page.locator("#view-title")).to_have_text(t("nl", "The chat is closed now"))
        expect(page.locator("#view-start")).to_be_hidden()
        expect(page.locator("#start-button")).to_be_hidden()
        closed = page.locator("#view-closed")
        expect(closed).to_contain_text("Vannacht zijn we er niet.")
        expect(
            closed.get_by_role("link", name=t("nl", "In danger now? Call 112."))
        ).to_have_attribute("href", "tel:112")
        expect(closed.get_by_role("link", name="058 215 70 70")).to_have_attribute(
            "href", "tel:0582157070"
        )
        assert not axe_violations(page), axe_violations(page)

        page.locator("#leave-message-text").fill("Ik wil graag iets vragen over mijn werk.")
        page.get_by_role("button", name=t("nl", "Leave message")).click()
        expect(page.locator("#leave-message-status")).to_have_text(
            t("nl", "Your message has been left.")
        )
        code = page.locator('#leave-message-code [data-role="code"]').inner_text()
        assert len(code.split()) >= 6

        # A counselor reads it in the console and answers it there.
        console = open_console(people.counselor(), server)
        item = console.locator("#left-messages-list li")
        expect(item).to_have_count(1)
        item.get_by_role("button").click()
        dialog = console.locator("#left-message-dialog")
        expect(dialog.locator(".msg__text")).to_have_text(
            ["Ik wil graag iets vragen over mijn werk."]
        )
        dialog.locator("textarea").fill("Dank je. <i>Vertel</i> gerust meer.")
        dialog.get_by_role("button", name=t("nl", "Send answer")).click()
        expect(dialog.locator(".msg__text")).to_have_count(2)
        dialog.get_by_role("button", name=t("nl", "Close")).click()
        expect(item).to_have_count(0)
        expect(console.locator("#left-messages-empty")).to_be_visible()

        page.locator("#read-answer-code").fill(code)
        page.get_by_role("button", name=t("nl", "Read answer")).click()
        expect(page.locator("#read-answer-list li")).to_have_text(
            ["Dank je. <i>Vertel</i> gerust meer."]
        )
        assert page.locator("#read-answer-list i").count() == 0  # shown as text, never as HTML
        page.get_by_role("button", name=t("nl", "Read answer")).click()
        expect(page.locator("#read-answer-status")).to_have_text(
            t("nl", "There is no new answer yet. Please look again later.")
        )
        unexpected = [e for e in people.script_errors if "status of" not in e]
        assert not unexpected, unexpected
    finally:
        people.close()
