"""Return codes in real Chromium (issue 3): a visitor gets a code, leaves, the counselor leaves a
follow-up, the visitor comes back with the code, reads it, and lands with the same counselor.
Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from baken.domain.return_code import WORDS_PER_CODE, wordlist
from tests.browser_support import (
    People,
    accept,
    axe_violations,
    chat_panel,
    queue_item,
    start_chat,
    t,
    texts,
    visitor_send,
)
from tests.browser_support import open_console as open_console_as
from tests.support import Server

pytestmark = pytest.mark.browser


def get_code(visitor: Page) -> str:
    visitor.get_by_role("button", name=t("nl", "Get a code to come back")).click()
    value = visitor.locator("#code-value")
    expect(value).not_to_be_empty()
    expect(visitor.locator("#code-box")).to_contain_text(
        t("nl", "Write it down or remember it. You see it only now.")
    )
    return value.inner_text().strip()


def return_with(visitor: Page, code: str) -> None:
    visitor.get_by_text(t("nl", "I have a code")).click()
    visitor.get_by_label(t("nl", "Your code")).fill(code)
    visitor.get_by_role("button", name=t("nl", "Continue with my code")).click()


def test_visitor_returns_with_code_reads_follow_up_and_lands_with_same_counselor(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    first_id = start_chat(visitor, baken)
    anna = open_console_as(people.counselor(), baken, display_name="Anna")
    bert = open_console_as(people.counselor(), baken, display_name="Bert")
    panel = accept(anna, first_id)
    visitor_send(visitor, "Mag ik later terugkomen?")
    expect(texts(panel.locator(".log"))).to_have_text(["Mag ik later terugkomen?"])

    code = get_code(visitor)
    assert not axe_violations(visitor), axe_violations(visitor)

    # The visitor leaves; Anna writes a follow-up (with markup, which must stay text).
    visitor.locator("#leave-button").click()
    visitor.locator("#leave-yes").click()
    expect(visitor.locator("#ended-box")).to_be_visible()
    follow_up = "Fijn dat je schreef. <b>Kom</b> gerust terug."
    panel.get_by_role("button", name=t("nl", "Follow-up message"), exact=True).click()
    panel.get_by_label(t("nl", "Follow-up message")).fill(follow_up)
    panel.get_by_role("button", name=t("nl", "Leave message"), exact=True).click()
    expect(panel.locator('[data-role="followup-box"] [data-role="status"]')).to_have_text(
        t("nl", "Left. The visitor reads it when they come back with their code.")
    )
    assert not axe_violations(anna), axe_violations(anna)

    # Later, in a fresh browser: the code brings the visitor into a new chat with the follow-up.
    again = people.visitor().new_page()
    again.goto(baken.base + "/")
    return_with(again, "  " + code.upper() + " ")  # spacing and case do not matter
    expect(again.locator("#queue-box")).to_be_visible()
    followups = again.locator("#followup-list li")
    expect(followups).to_have_count(1)
    expect(followups.first).to_have_text(f"{t('nl', 'From the helpline')}: {follow_up}")
    assert again.locator("#followups b").count() == 0
    expect(again.locator("#log")).not_to_contain_text("Mag ik later terugkomen?")
    assert not axe_violations(again), axe_violations(again)

    # Offered to Anna first: her queue marks it as hers; Bert's does not.
    second = anna.locator("#queue-list li").filter(
        has_text=t("nl", "Coming back to you (return code)")
    )
    expect(second).to_have_count(1)
    second_id = second.get_attribute("data-id") or ""
    assert second_id and second_id != first_id
    bert_item = queue_item(bert, second_id)
    expect(bert_item).to_be_visible()
    expect(bert_item.locator(".queue-item__returning")).to_be_hidden()
    accept(anna, second_id)
    expect(again.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    expect(chat_panel(anna, second_id)).to_be_visible()
    assert not people.script_errors, people.script_errors


def test_wrong_and_destroyed_codes_get_one_calm_answer(baken: Server, people: People) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken)
    anna = open_console_as(people.counselor(), baken)
    accept(anna, conversation_id)
    visitor.locator("#leave-button").click()
    visitor.locator("#leave-yes").click()
    expect(visitor.locator("#ended-box")).to_be_visible()
    code = get_code(visitor)  # offered on the end screen too
    assert not axe_violations(visitor), axe_violations(visitor)

    page = people.visitor().new_page()
    page.goto(baken.base + "/")
    wrong = t("nl", "This code does not work. Check it, or start a new chat.")
    return_with(page, "geen echte code hier")
    expect(page.locator("#return-status")).to_have_text(wrong)
    assert not axe_violations(page), axe_violations(page)

    page.get_by_label(t("nl", "Your code")).fill(code)
    page.get_by_role("button", name=t("nl", "Destroy my code")).click()
    expect(page.locator("#return-status")).to_have_text(
        t("nl", "Done. If this code existed, it no longer works.")
    )
    page.get_by_label(t("nl", "Your code")).fill(code)
    page.get_by_role("button", name=t("nl", "Continue with my code")).click()
    expect(page.locator("#return-status")).to_have_text(wrong)
    expect(page.locator("#view-start")).to_be_visible()
    # The browser logs each refused code as a failed request; nothing else may go wrong.
    refused = "status of 400 (Bad Request) (" + baken.base + "/api/visitor/return)"
    unexpected = [e for e in people.script_errors if not e.endswith(refused)]
    assert not unexpected, unexpected
    assert len(people.script_errors) == 2  # the wrong code and the destroyed one


def test_dutch_page_gives_a_dutch_code_that_brings_the_visitor_back(
    baken: Server, people: People
) -> None:
    """Issue 12: the code on the Dutch page is six words of the Dutch list, and works."""
    shots = Path("/tmp/shots-returncodes")
    shots.mkdir(parents=True, exist_ok=True)
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken)
    anna = open_console_as(people.counselor(), baken, display_name="Anna")
    accept(anna, conversation_id)
    code = get_code(visitor)
    words = code.split()
    assert len(words) == WORDS_PER_CODE
    assert set(words) <= set(wordlist("nl")), words
    visitor.locator("#code-box").screenshot(path=str(shots / "dutch-code.png"))
    assert not axe_violations(visitor), axe_violations(visitor)

    visitor.locator("#leave-button").click()
    visitor.locator("#leave-yes").click()
    expect(visitor.locator("#ended-box")).to_be_visible()

    again = people.visitor().new_page()
    again.goto(baken.base + "/")
    return_with(again, "  " + "-".join(w.capitalize() for w in words) + " ")
    expect(again.locator("#queue-box")).to_be_visible()
    again.screenshot(path=str(shots / "returned.png"))
    assert not people.script_errors, people.script_errors
