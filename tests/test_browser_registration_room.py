"""The registration after a chat, in Debian's Chromium on a 1366×768 laptop (issue 12).

When a chat ends its registration opens by itself and gets the width of the chat column, also with
three chats open (before: a third of it, and a page of some 4,700 px). The form checks as the
counselor goes: a field left with a refused value shows its own error; "Mark complete" on an empty
form moves the focus to the first open question and says how many are left, with links to the first
few, instead of listing all 22.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser_support import (
    People,
    accept,
    axe_violations,
    chat_panel,
    login_with_form,
    start_chat,
    t,
)
from tests.support import Server

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SHOTS = Path("/tmp/shots-D1")
# Open questions of an empty form: every codebook field but the age (a number, may stay empty).
OPEN_ON_AN_EMPTY_FORM = 22  # with origin (codebook 2026.2)


def laptop_console(people: People, server: Server) -> Page:
    username = "c-" + secrets.token_hex(4)
    server.add_staff(username=username, display_name="Anna")
    page = people.counselor(viewport=LAPTOP).new_page()
    login_with_form(page, server, username)
    return page


def field(form: Locator, field_id: str) -> Locator:
    return form.locator(f'fieldset[data-field="{field_id}"]')


def width_share(page: Page, node: Locator) -> float:
    box = node.bounding_box()
    assert box is not None
    return float(box["width"]) / float(LAPTOP["width"])


def page_height(page: Page) -> int:
    height: int = page.evaluate("document.documentElement.scrollHeight")
    return height


def visitor_leaves(visitor: Page) -> None:
    visitor.get_by_role("button", name=t("nl", "End chat")).click()
    visitor.locator("#leave-yes").click()


def test_registration_opens_with_room_when_one_of_three_chats_ends(
    baken: Server, people: People
) -> None:
    console = laptop_console(people, baken)
    visitors, ids = [], []
    for nickname in ("Sam", "Noor", "Lex"):
        page = people.visitor().new_page()
        ids.append(start_chat(page, baken, nickname))
        visitors.append(page)
    for conversation_id in ids:
        accept(console, conversation_id)
    typing_in = chat_panel(console, ids[2]).locator("textarea")
    typing_in.fill("Ik lees even met je mee.")
    expect(typing_in).to_be_focused()

    # Sam leaves while the counselor is typing to Lex: the registration opens, with room, but
    # the focus stays in the message to Lex.
    visitor_leaves(visitors[0])
    ended = chat_panel(console, ids[0])
    expect(ended).to_have_class(re.compile(r"\bchat-panel--ended\b"))
    details = ended.locator(".reg-details")
    expect(details).to_have_attribute("open", "")
    form = ended.locator(".reg-form")
    expect(field(form, "trafficking_request")).to_be_visible()
    expect(typing_in).to_be_focused()
    expect(typing_in).to_have_value("Ik lees even met je mee.")
    assert width_share(console, ended) >= 0.6, ended.bounding_box()
    assert width_share(console, ended.locator(".chat-panel__registration")) >= 0.4
    # The running chats keep a row of their own, side by side, and the page stays short.
    for conversation_id in ids[1:]:
        assert width_share(console, chat_panel(console, conversation_id)) >= 0.3
    assert page_height(console) < 2.5 * LAPTOP["height"], page_height(console)
    SHOTS.mkdir(exist_ok=True)
    console.screenshot(path=str(SHOTS / "registration-three-chats.png"), full_page=True)

    # "Mark complete" on the empty form: the focus goes to the first open question, the summary
    # counts them and links only the first few; each open field is marked at the field.
    form.get_by_role("button", name=t("nl", "Mark complete")).click()
    first = field(form, "trafficking_request")
    expect(first.get_by_label("onbekend", exact=True)).to_be_focused()
    summary = form.locator(".reg-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(t("nl", "{n} field(s) still missing:", n=OPEN_ON_AN_EMPTY_FORM))
    expect(summary.get_by_role("link")).to_have_count(3)
    expect(summary.get_by_role("link").first).to_have_text(first.locator("legend").inner_text())
    expect(summary).to_contain_text(
        t("nl", "and {n} more, marked in the form.", n=OPEN_ON_AN_EMPTY_FORM - 3)
    )
    expect(first.locator(".reg-field__error")).to_have_text(t("nl", "Not answered yet."))
    expect(first.get_by_label("ja", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(form.locator("fieldset.reg-field--missing")).to_have_count(OPEN_ON_AN_EMPTY_FORM)
    assert not axe_violations(console), axe_violations(console)
    console.screenshot(path=str(SHOTS / "registration-mark-complete.png"))

    # A link in the summary takes the counselor to its field.
    summary.get_by_role("link").nth(1).click()
    expect(field(form, "contact_role").get_by_label("onbekend", exact=True)).to_be_focused()

    # Answering goes down the count, as the server sees it after the draft is saved.
    first.get_by_label("ja", exact=True).check()
    expect(summary).to_contain_text(
        t("nl", "{n} field(s) still missing:", n=OPEN_ON_AN_EMPTY_FORM - 1)
    )
    expect(first.locator(".reg-field__error")).to_be_empty()
    expect(first).not_to_have_class(re.compile(r"\breg-field--missing\b"))

    # A value the server refuses: the field says so as soon as the counselor leaves it.
    age = field(form, "age").locator("input")
    age.fill("150")
    age.press("Tab")
    error = field(form, "age").locator(".reg-field__error")
    expect(error).to_have_text("Vul een getal van 0 tot en met 120 in.")
    expect(age).to_have_attribute("aria-invalid", "true")
    assert (error.get_attribute("id") or "-") in (age.get_attribute("aria-describedby") or "")
    age.fill("15")
    age.press("Tab")
    expect(error).to_be_empty()
    # Chromium logs every 4xx answer as a console error; the refused saves above were meant.
    unexpected = [e for e in people.script_errors if "status of 422" not in e]
    assert not unexpected, unexpected


def test_a_chat_the_counselor_ends_opens_its_registration_and_takes_the_focus_there(
    baken: Server, people: People
) -> None:
    console = laptop_console(people, baken)
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    panel = accept(console, conversation_id)
    panel.get_by_role("button", name=t("nl", "End chat")).click()
    panel.locator('[data-action="end-yes"]').click()

    summary = panel.locator(".reg-details__summary")
    expect(summary).to_be_focused()
    expect(panel.locator(".reg-details")).to_have_attribute("open", "")
    expect(panel.locator(".reg-form")).to_be_visible()
    assert width_share(console, panel) >= 0.6
    assert page_height(console) < 2 * LAPTOP["height"], page_height(console)
    assert not axe_violations(console), axe_violations(console)
    SHOTS.mkdir(exist_ok=True)
    console.screenshot(path=str(SHOTS / "registration-one-chat.png"))

    # Closing the section gives the panel its ordinary size back; Close still closes the chat.
    summary.click()
    expect(panel).not_to_have_class(re.compile(r"\bchat-panel--registering\b"))
    panel.get_by_role("button", name=t("nl", "Close")).click()
    expect(panel).to_have_count(0)
    expect(console.locator(f'#to-register-list li[data-id="{conversation_id}"]')).to_be_visible()
    assert not people.script_errors, people.script_errors
