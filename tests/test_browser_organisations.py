"""Two helplines on one installation, in Debian's Chromium (issue 14): a visitor of organisation B
chats in Arabic (right to left) with a counselor of B, while a counselor of A, signed in at the
same time, sees nothing of it.

Screenshots go to /tmp/shots-organisations/ (looked at by people, not asserted)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from baken.domain.conversation import Role
from tests.browser_support import (
    WAIT_MS,
    People,
    accept,
    counselor_send,
    login_with_form,
    open_console,
    open_when_known,
    t,
    visitor_send,
)
from tests.support import Server, add_organisation, add_staff_with_role

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-organisations")


def test_a_visitor_of_b_chats_in_arabic_with_b_while_a_sees_nothing(
    baken: Server, people: People
) -> None:
    slug, organisation_id = add_organisation(baken, "noord", "Hulplijn Noord")
    a_console = open_console(people.counselor(), baken, display_name="Anna")
    b_username = "b-" + secrets.token_hex(4)
    add_staff_with_role(
        baken, Role.COUNSELOR, b_username, "Samira", organisation_id=organisation_id,
        languages=("ar", "nl"),
    )  # fmt: skip
    b_console = people.counselor().new_page()
    login_with_form(b_console, baken, b_username)

    visitor = people.visitor("ar").new_page()
    open_when_known(visitor, f"{baken.base}/o/{slug}/?lang=ar")
    expect(visitor.locator("html")).to_have_attribute("dir", "rtl")
    expect(visitor.locator("html")).to_have_attribute("lang", "ar")
    visitor.locator("#nickname").fill("نور")
    visitor.get_by_role("button", name=t("ar", "Start chat")).click()
    expect(visitor.locator("#queue-position")).to_be_visible()

    b_item = b_console.locator("#queue-list li").first
    expect(b_item).to_be_visible(timeout=2 * WAIT_MS)
    conversation_id = b_item.get_attribute("data-id")
    assert conversation_id
    expect(b_item.locator(".queue-item__lang")).to_have_text("AR")
    panel = accept(b_console, conversation_id)
    counselor_send(panel, "مرحبا، أنا سميرة.")
    expect(visitor.locator(".msg__text").filter(has_text="سميرة")).to_have_count(1)
    visitor_send(visitor, "شكرا")
    expect(panel.locator(".msg__text").filter(has_text="شكرا")).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    visitor.screenshot(path=str(SHOTS / "visitor-b-ar.png"))

    # A's counselor was signed in the whole time: nothing of B's visitor reached that console.
    a_console.reload()
    expect(a_console.locator("#queue-list")).to_be_attached()
    html = a_console.content()
    assert conversation_id not in html and "نور" not in html
    expect(a_console.locator(f'#queue-list li[data-id="{conversation_id}"]')).to_have_count(0)
    a_console.screenshot(path=str(SHOTS / "console-a.png"))
    assert not people.script_errors, people.script_errors
