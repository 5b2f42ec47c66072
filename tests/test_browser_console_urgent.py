"""Urgent visitors in the console, in Debian's Chromium (issue 12).

A visitor who ticks "I am in danger right now" goes first in the queue. The counselor must see
which one that is — in colour, in words and in the accept button's accessible name — and keep
seeing it in the chat panel for the whole chat; a supervisor sees it per chat in the overview. Such
an arrival gets an alert of its own (in the page and as a desktop notification), which never names
the visitor.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_violations,
    chat_panel,
    login_with_form,
    queue_item,
    start_chat,
    t,
    visitor_send,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SHOTS = Path("/tmp/shots-D1")

# The browser's notification API, replaced at its edge: the console runs unchanged and what it
# asks the browser to show is recorded. The console only notifies when it is not in front.
RECORD_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class {
  constructor(title, options) {
    const o = options || {};
    window.__notifications.push({ title, body: o.body || "", tag: o.tag || "" });
  }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
  close() {}
};
Document.prototype.hasFocus = function () { return false; };
"""


def laptop(people: People) -> BrowserContext:
    """A counselor's 1366×768 laptop (the size of the usability walk)."""
    return people.counselor(viewport=LAPTOP)


def console_of(context: BrowserContext, server: Server, role: Role, name: str) -> Page:
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    if role is Role.COUNSELOR:
        server.add_staff(username=username, display_name=name)
    else:
        add_staff_with_role(server, role, username=username, display_name=name)
    page = context.new_page()
    login_with_form(page, server, username)
    # The first queue frame is in: arrivals from now on are new arrivals.
    expect(page.locator("#queue-list")).not_to_have_attribute("aria-busy", "true")
    return page


def notifications(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("window.__notifications")
    return found


def test_an_urgent_visitor_is_unmistakable_from_queue_to_overview(
    baken: Server, people: People
) -> None:
    context = laptop(people)
    context.add_init_script(RECORD_NOTIFICATIONS)
    anna = console_of(context, baken, Role.COUNSELOR, "Anna")
    alert = anna.locator("#queue-alert")

    # An ordinary visitor: the ordinary notification, no urgent alert, no urgent mark.
    calm = people.visitor().new_page()
    calm_id = start_chat(calm, baken, "Sam")
    expect(queue_item(anna, calm_id)).to_be_visible()
    expect(anna.locator("#queue-list .queue-item--urgent")).to_have_count(0)
    expect(queue_item(anna, calm_id).locator(".queue-item__urgent")).to_be_hidden()
    expect(alert).to_be_empty()
    assert notifications(anna) == [
        {
            "title": t("nl", "Baken: someone is waiting"),
            "body": t("nl", "{n} waiting in the queue.", n=1),
            "tag": "baken-queue",
        }
    ]

    # A visitor in danger: first in line, marked in colour and words, and announced apart.
    danger = people.visitor().new_page()
    danger.goto(baken.base + "/")
    danger.get_by_label(t("nl", "I am in danger right now")).check()
    danger_id = start_chat(danger, baken, "Noor", open_page=False)
    items = anna.locator("#queue-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-id", danger_id)
    expect(items.nth(1)).to_have_attribute("data-id", calm_id)

    urgent_item = queue_item(anna, danger_id)
    expect(urgent_item).to_have_class(re.compile(r"\bqueue-item--urgent\b"))
    expect(urgent_item.locator(".queue-item__urgent")).to_be_visible()
    expect(urgent_item).to_contain_text(t("nl", "Urgent — in danger"))
    expect(anna.locator("#queue-list .queue-item--urgent")).to_have_count(1)
    # The accept buttons' accessible names: only the urgent one says so.
    urgent_accept = anna.get_by_role("button", name=t("nl", "Accept (urgent — in danger)"))
    expect(urgent_accept).to_have_count(1)
    expect(urgent_item.get_by_role("button")).to_have_accessible_name(
        t("nl", "Accept (urgent — in danger)")
    )
    expect(queue_item(anna, calm_id).get_by_role("button")).to_have_accessible_name(
        t("nl", "Accept")
    )
    calm_item = queue_item(anna, calm_id)
    expect(calm_item).not_to_contain_text(t("nl", "Urgent — in danger"))

    # The alert in the page (role="alert") and the notification: distinct, and never a name.
    urgent_text = t("nl", "Urgent: someone in danger is waiting. Accept this chat first.")
    expect(anna.get_by_role("alert").filter(has_text=urgent_text)).to_be_visible()
    expect(anna).to_have_title(re.compile("^" + re.escape(t("nl", "URGENT")) + " · "))
    seen = notifications(anna)
    assert len(seen) == 2
    assert seen[1] == {
        "title": t("nl", "Baken: URGENT — someone in danger is waiting"),
        "body": t("nl", "Accept this chat first. {n} waiting in the queue.", n=2),
        "tag": "baken-urgent",
    }
    assert all("Noor" not in n["title"] + n["body"] for n in seen)
    assert not axe_violations(anna), axe_violations(anna)
    SHOTS.mkdir(exist_ok=True)
    anna.screenshot(path=str(SHOTS / "urgent-queue.png"))

    # Accepted: the panel's header says urgent, in words and in the panel's accessible name.
    panel = accept(anna, danger_id)
    badge = panel.locator('[data-role="urgent"]')
    expect(badge).to_be_visible()
    expect(badge).to_have_text(t("nl", "Urgent — in danger"))
    expect(panel).to_have_class(re.compile(r"\bchat-panel--urgent\b"))
    expect(
        anna.get_by_role("region", name=re.compile(r"Noor.*" + t("nl", "Urgent — in danger")))
    ).to_have_count(1)
    # Nobody in danger is waiting any more: the alert and the title mark go.
    expect(alert).to_be_empty()
    expect(anna).not_to_have_title(re.compile(re.escape(t("nl", "URGENT"))))

    calm_panel = accept(anna, calm_id)
    expect(calm_panel).to_have_accessible_name("Sam")
    expect(calm_panel.locator('[data-role="urgent"]')).to_be_hidden()
    expect(calm_panel).not_to_have_class(re.compile(r"\bchat-panel--urgent\b"))

    # For the whole chat: after messages and after a reload it is still marked.
    visitor_send(danger, "Ik durf niet naar huis.")
    expect(panel.locator(".msg--theirs .msg__text")).to_have_text(["Ik durf niet naar huis."])
    expect(badge).to_be_visible()
    # Issue 16: no visitor text or nickname in any notification, nor in the tab's title.
    for note in notifications(anna):
        assert "durf" not in note["title"] + note["body"], note
        assert "Noor" not in note["title"] + note["body"] and "Sam" not in note["body"], note
    assert "durf" not in anna.title() and "Noor" not in anna.title()
    anna.reload()
    panel = chat_panel(anna, danger_id)
    expect(panel.locator('[data-role="urgent"]')).to_be_visible()
    expect(chat_panel(anna, calm_id).locator('[data-role="urgent"]')).to_be_hidden()
    assert not axe_violations(anna), axe_violations(anna)
    anna.screenshot(path=str(SHOTS / "urgent-panels.png"))

    # The supervisor's overview: the urgent chat is named as such, the other is not.
    rita = console_of(laptop(people), baken, Role.SUPERVISOR, "Rita")
    urgent_row = rita.locator(f'#overview-chats li[data-id="{danger_id}"]')
    calm_row = rita.locator(f'#overview-chats li[data-id="{calm_id}"]')
    expect(urgent_row.locator(".urgent-badge")).to_have_text(t("nl", "Urgent — in danger"))
    expect(urgent_row).to_have_class(re.compile(r"\boverview-item--urgent\b"))
    expect(calm_row).to_be_visible()
    expect(calm_row.locator(".urgent-badge")).to_have_count(0)
    expect(
        urgent_row.get_by_role(
            "button",
            name=t("nl", "Observe the chat with {name} (urgent — in danger)", name="Noor"),
        )
    ).to_be_visible()
    expect(
        calm_row.get_by_role("button", name=t("nl", "Observe the chat with {name}", name="Sam"))
    ).to_be_visible()
    assert not axe_violations(rita), axe_violations(rita)
    rita.locator("#overview").screenshot(path=str(SHOTS / "urgent-overview.png"))
    assert not people.script_errors, people.script_errors
