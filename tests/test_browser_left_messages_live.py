"""Left messages reach open consoles live, in Debian's Chromium (issue 12).

A visitor who stops waiting and leaves a message, or writes again with their code, appears in every
counselor's "Left messages" without a reload; once a colleague has answered, the thread leaves the
other consoles too. The socket only says "changed"; the list comes from the authorized API.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import People, axe_violations, open_console, start_chat, t
from tests.support import Server

pytestmark = pytest.mark.browser


def ready(console: Page) -> Page:
    """The console's socket is up (it has had the queue); a marker tells a reload apart."""
    expect(console.locator("#queue-list")).not_to_have_attribute("aria-busy", "true")
    console.evaluate("window.__sameDocument = true")
    return console


def waiting(console: Page, n: int) -> None:
    items = console.locator("#left-messages-list li")
    expect(items).to_have_count(1)
    expect(items).to_contain_text(t("nl", "Message(s) waiting: {n}", n=n))
    expect(console.locator("#left-messages-count")).to_have_text("1")


def test_a_left_message_and_a_reply_appear_in_open_consoles_without_reload(
    baken: Server, people: People
) -> None:
    baken.settings.offer_message_after_seconds = 1  # the page reads it when it loads
    anna = ready(open_console(people.counselor(), baken, "Anna"))
    bert = ready(open_console(people.counselor(), baken, "Bert"))
    expect(bert.locator("#left-messages-empty")).to_be_visible()

    # A visitor stops waiting and leaves a message instead.
    visitor = people.visitor().new_page()
    start_chat(visitor, baken, "Sam")
    visitor.get_by_role("button", name=t("nl", "Leave a message instead")).click()
    visitor.locator("#queue-message-text").fill("Kan iemand mij later terugschrijven?")
    visitor.get_by_role("button", name=t("nl", "Leave message and stop waiting")).click()
    code_text = visitor.locator('#queue-message-code [data-role="code"]')
    expect(code_text).to_have_text(re.compile(r"^\S+( \S+){5,}$"))

    for console in (anna, bert):
        waiting(console, 1)
        expect(console.locator("#left-messages-empty")).to_be_hidden()
    assert not axe_violations(bert), axe_violations(bert)

    # The visitor writes again with the code: the count goes up, live.
    answer = httpx.post(
        baken.base + "/api/visitor/mailbox",
        json={
            "code": code_text.inner_text(),
            "text": "Het is dringend.",
            "lang": "nl",
            "pow": baken.proof_of_work(),  # issue 16: the way back needs a proof
        },
        headers={"Origin": baken.origin},
    )
    assert answer.status_code == 200, answer.text
    for console in (anna, bert):
        waiting(console, 2)

    # Anna answers; the thread leaves Bert's list as well, without him doing anything.
    anna.locator("#left-messages-list li").get_by_role("button").click()
    dialog = anna.locator("#left-message-dialog")
    expect(dialog.locator(".msg__text")).to_have_text(
        ["Kan iemand mij later terugschrijven?", "Het is dringend."]
    )
    dialog.locator("textarea").fill("Ik schrijf je morgen terug.")
    dialog.get_by_role("button", name=t("nl", "Send answer")).click()
    expect(dialog.locator(".msg__text")).to_have_count(3)
    dialog.get_by_role("button", name=t("nl", "Close")).click()
    for console in (anna, bert):
        expect(console.locator("#left-messages-list li")).to_have_count(0)
        expect(console.locator("#left-messages-empty")).to_be_visible()
        expect(console.locator("#left-messages-count")).to_have_text("0")
        # All of it happened in the page as it was loaded: nobody reloaded.
        assert console.evaluate("window.__sameDocument") is True
    assert not people.script_errors, people.script_errors
