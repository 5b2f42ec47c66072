"""Counselor tools in real Chromium: a canned response inserted with "/", and a warm transfer that
both counselors (and the visitor) see. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import (
    People,
    accept,
    axe_violations,
    chat_panel,
    start_chat,
    t,
)
from tests.browser_support import open_console as open_console_as
from tests.support import Server

pytestmark = pytest.mark.browser


def add_canned(console: Page, server: Server, title: str, body: str, lang: str = "nl") -> None:
    """Through the console's own session, as the manager dialog does."""
    response = console.request.post(
        server.base + "/api/canned",
        data={"lang": lang, "title": title, "body": body},
        headers={"Origin": server.origin},
    )
    assert response.status == 201, response.text()


def test_canned_response_is_inserted_with_slash_and_sent_as_text(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken)
    console = open_console_as(people.counselor(), baken)
    markup = '<img src=x onerror="document.title=1">Welkom! Je mag <b>alles</b> vragen.'
    add_canned(console, baken, "welkom", markup)
    add_canned(console, baken, "afsluiten", "Fijn dat je schreef. Je mag altijd terugkomen.")
    add_canned(console, baken, "welcome", "Welcome! Ask anything.", lang="en")
    console.reload()  # the list is loaded when the console opens
    panel = accept(console, conversation_id)
    box = panel.locator("textarea")

    # "/" opens the list; typing narrows it; the keyboard moves and chooses.
    box.press_sequentially("/")
    listbox = panel.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(3)
    box.press_sequentially("wel")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(options.first).to_contain_text("welkom")  # the console's language first
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    assert not axe_violations(console), axe_violations(console)
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("Enter")

    # Inserted, not sent: the counselor edits it first. The markup is plain text throughout.
    expect(listbox).to_be_hidden()
    expect(box).to_have_value(markup)
    expect(panel.locator(".msg--own")).to_have_count(0)
    box.press("End")
    box.press_sequentially(" Hoe gaat het?")
    box.press("Enter")
    sent = markup + " Hoe gaat het?"
    expect(panel.locator(".msg--own .msg__text")).to_have_text([sent])
    expect(visitor.locator("#log .msg--theirs .msg__text")).to_have_text([sent])
    assert visitor.locator("#log img").count() == 0
    assert console.locator(".chat-panel img").count() == 0
    assert visitor.title() != "1" and console.title() != "1"

    # Escape closes the list without inserting anything.
    box.press_sequentially("/afs")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("/afs")
    assert not people.script_errors, people.script_errors


def test_warm_transfer_is_seen_by_both_counselors_and_the_visitor(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, nickname="Mila")
    anna = open_console_as(people.counselor(), baken, display_name="Anna")
    bert = open_console_as(people.counselor(), baken, display_name="Bert")
    panel = accept(anna, conversation_id)
    panel.locator("textarea").fill("Ik ben Anna.")
    panel.locator("textarea").press("Enter")
    expect(visitor.locator("#log .msg--theirs .msg__text")).to_have_text(["Ik ben Anna."])

    panel.get_by_role("button", name=t("nl", "Hand over"), exact=True).click()
    colleague = panel.get_by_label(t("nl", "Colleague (online, with room)"))
    expect(colleague.locator("option")).to_have_count(1)
    expect(colleague.locator("option")).to_contain_text("Bert")
    panel.get_by_label(t("nl", "Note for your colleague (the visitor does not see it)")).fill(
        "Wil liever met een man praten."
    )
    assert not axe_violations(anna), axe_violations(anna)
    panel.get_by_role("button", name=t("nl", "Hand over now")).click()

    # Anna: the chat is handed over and no longer writable.
    handed = panel.locator('[data-role="handed-over"]')
    expect(handed).to_have_text(t("nl", "You handed this chat over to a colleague."))
    expect(panel.locator('[data-role="composer"]')).to_be_hidden()
    expect(panel.locator(".msg--system").last).to_have_text(
        t("nl", "The chat was handed over to {name}.", name="Bert")
    )

    # Bert: the chat with everything so far, and Anna's note.
    bert_panel = chat_panel(bert, conversation_id)
    expect(bert_panel).to_be_visible()
    expect(bert_panel.locator(".msg--theirs .msg__text, .msg--own .msg__text")).to_have_text(
        ["Ik ben Anna."]
    )
    expect(bert_panel.locator('[data-role="handed-over"]')).to_have_text(
        t("nl", "A colleague handed this chat to you. Read their note.")
    )
    expect(bert_panel.locator(".note__text")).to_have_text(["Wil liever met een man praten."])
    expect(bert_panel.locator(".note__meta")).to_contain_text(
        t("nl", "Handover note from {name}", name="Anna")
    )

    # The visitor: one neutral line, no note, and the chat goes on with Bert.
    expect(visitor.locator("#log .msg--system").last).to_have_text(
        t("nl", "A colleague is taking over the chat.")
    )
    assert "man praten" not in visitor.content()
    bert_panel.locator("textarea").fill("Hoi, ik ben Bert.")
    bert_panel.locator("textarea").press("Enter")
    expect(visitor.locator("#log .msg--theirs .msg__text")).to_have_text(
        ["Ik ben Anna.", "Hoi, ik ben Bert."]
    )
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Bert"))
    visitor.locator("#message").fill("Dank je.")
    visitor.locator("#message").press("Enter")
    expect(bert_panel.locator(".msg--theirs .msg__text")).to_have_text(["Dank je."])
    expect(panel.locator(".msg--theirs .msg__text")).to_have_count(0)
    assert not people.script_errors, people.script_errors
