"""Counselor wellbeing in Debian's Chromium (issue 15, item 6; docs/wellbeing.md): a counselor marks
a chat as heavy with one tap, ends it, is offered a pause, and taps "I would like to talk about
this"; a supervisor of the same organisation sees it in their console. axe (WCAG 2.1 A/AA and best
practice) finds nothing on the console with the offer open, nor on "My day". Every wait is
Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    login_with_form,
    start_chat,
    t,
    visitor_send,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def console_of(context: BrowserContext, server: Server, role: Role, name: str) -> Page:
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    add_staff_with_role(server, role, username=username, display_name=name)
    page = context.new_page()
    login_with_form(page, server, username)
    expect(page.locator("#queue-list")).not_to_have_attribute("aria-busy", "true")
    return page


def test_a_heavy_chat_leads_to_a_pause_offer_and_a_talk_reaches_the_supervisor(
    baken: Server, people: People
) -> None:
    supervisor = console_of(people.counselor(viewport=LAPTOP), baken, Role.SUPERVISOR, "Sanne")
    counselor = console_of(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Anna")
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    visitor_send(visitor, "Ik weet niet meer wat ik moet doen.")
    panel = accept(counselor, conversation_id)

    heavy = panel.get_by_role("button", name=t("nl", "This was a heavy chat"))
    heavy.click()
    expect(heavy).to_have_attribute("aria-pressed", "true")
    expect(counselor.locator("#wellbeing-status")).to_have_text(t("nl", "Marked as a heavy chat."))
    # Still in the chat: no offer yet.
    expect(counselor.locator("#pause-offer")).to_be_hidden()

    panel.locator('[data-action="end"]').click()
    panel.locator('[data-action="end-yes"]').click()
    offer = counselor.locator("#pause-offer")
    expect(offer).to_be_visible()
    expect(offer.get_by_role("button", name=t("nl", "Pause for {n} minutes", n=10))).to_be_focused()
    expect(counselor.locator("#wellbeing-day")).to_contain_text("1")
    found = axe_all_violations(counselor)
    assert not found, f"console with the pause offer: {found}"

    offer.get_by_role("button", name=t("nl", "I would like to talk about this")).click()
    expect(counselor.locator("#wellbeing-status")).to_have_text(
        t("nl", "Your supervisor has been told you would like to talk.")
    )
    request = supervisor.locator("#talk-requests li")
    expect(request).to_have_count(1)
    expect(request.first).to_contain_text(t("nl", "{name} would like to talk.", name="Anna"))
    expect(supervisor.locator("#talk-inbox")).to_be_visible()
    found = axe_all_violations(supervisor)
    assert not found, f"supervisor console with a talk request: {found}"

    # The pause: a timer in the console, "on a pause" in the overview.
    offer.get_by_role("button", name=t("nl", "Pause for {n} minutes", n=10)).click()
    expect(counselor.locator("#pause-running")).to_be_visible()
    expect(counselor.locator("#pause-offer")).to_be_hidden()
    anna = supervisor.locator("#overview-counselors li", has_text="Anna")
    expect(anna).to_contain_text(t("nl", "on a pause"))
    # A pause is a wrap-up: no new chats until it ends, and the status says so.
    expect(counselor.locator("#my-status")).to_have_value("wrap_up")
    expect(counselor.locator("#pause-no-chats")).to_have_text(
        t("nl", "No new chats during your pause. Then you are available again.")
    )
    counselor.get_by_role("button", name=t("nl", "End the pause")).click()
    expect(counselor.locator("#pause-running")).to_be_hidden()
    expect(anna).not_to_contain_text(t("nl", "on a pause"))
    expect(counselor.locator("#my-status")).to_have_value("available")

    supervisor.locator("#talk-requests li").get_by_role("button").click()
    expect(supervisor.locator("#talk-inbox")).to_be_hidden()
    assert people.script_errors == []


def test_my_day_page_is_accessible(baken: Server, people: People) -> None:
    counselor = console_of(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Anna")
    counselor.get_by_role("link", name=t("nl", "My day")).first.click()
    expect(counselor).to_have_url(baken.base + "/staff/wellbeing")
    expect(counselor.locator("#my-chats")).to_have_text("0")
    found = axe_all_violations(counselor)
    assert not found, f"My day (counselor): {found}"
    counselor.get_by_role("button", name=t("nl", "Share my figures with my supervisors")).click()
    expect(counselor.get_by_role("button", name=t("nl", "Stop sharing my figures"))).to_be_visible()

    supervisor = console_of(people.counselor(viewport=LAPTOP), baken, Role.SUPERVISOR, "Sanne")
    supervisor.goto(baken.base + "/staff/wellbeing")
    expect(supervisor.locator("#shared-table")).to_contain_text("Anna")
    found = axe_all_violations(supervisor)
    assert not found, f"My day (supervisor): {found}"
    assert people.script_errors == []
