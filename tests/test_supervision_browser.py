"""Supervision in real Chromium: a supervisor observes a live chat from the overview and whispers;
the counselor sees the whisper, the visitor's page shows nothing of it. Every wait is
Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_violations,
    counselor_send,
    login_with_form,
    start_chat,
    t,
    visitor_send,
)
from tests.browser_support import open_console as open_console_as
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser


def test_supervisor_observes_and_whispers_unseen_by_the_visitor(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, nickname="Mila")
    anna = open_console_as(people.counselor(), baken, display_name="Anna")
    panel = accept(anna, conversation_id)
    counselor_send(panel, "Ik ben Anna.")
    visitor_send(visitor, "Hoi Anna.")
    expect(panel.locator(".msg--theirs .msg__text")).to_have_text(["Hoi Anna."])

    username = "sup-" + secrets.token_hex(4)
    add_staff_with_role(baken, Role.SUPERVISOR, username=username, display_name="Rita")
    rita = people.counselor().new_page()
    login_with_form(rita, baken, username)

    # The live overview lists the chat with its counselor; Anna is online with one chat.
    overview = rita.locator("#overview")
    chat_row = overview.locator(f'#overview-chats li[data-id="{conversation_id}"]')
    expect(chat_row).to_contain_text("Mila")
    expect(chat_row).to_contain_text(t("nl", "with {name}", name="Anna"))
    expect(overview.locator("#overview-counselors")).to_contain_text("Anna")
    chat_row.get_by_role(
        "button", name=t("nl", "Observe the chat with {name}", name="Mila")
    ).click()

    observe = rita.locator(f'.observe-panel[data-id="{conversation_id}"]')
    expect(observe).to_be_visible()
    expect(observe.locator(".msg__text")).to_have_text(["Ik ben Anna.", "Hoi Anna."])
    assert not axe_violations(rita), axe_violations(rita)

    # Live lines keep coming in while observing.
    visitor_send(visitor, "Ben je er nog?")
    expect(observe.locator(".msg__text")).to_have_text(
        ["Ik ben Anna.", "Hoi Anna.", "Ben je er nog?"]
    )

    # The whisper, with markup that must stay text.
    whisper = "Vraag naar <b>veiligheid</b> nu."
    observe.get_by_label(t("nl", "Whisper to the counselor (only they see it)")).fill(whisper)
    observe.get_by_role("button", name=t("nl", "Whisper"), exact=True).click()
    expect(observe.locator(".whisper__text")).to_have_text([whisper])

    box = panel.locator('[data-role="whisper-box"]')
    expect(box.locator(".whisper__text")).to_have_text([whisper])
    expect(box.locator(".whisper__from")).to_have_text(
        [t("nl", "Whisper from {name}", name="Rita")]
    )
    assert anna.locator(".chat-panel b").count() == 0
    expect(panel.locator("textarea")).to_have_count(1)  # still one message box per chat panel

    # The visitor: the same chat as before, nothing of Rita, her whisper, or her reading along.
    counselor_send(panel, "Ja, ik ben er.")
    expect(visitor.locator("#log .msg--theirs .msg__text")).to_have_text(
        ["Ik ben Anna.", "Ja, ik ben er."]
    )
    content = visitor.content()
    assert "Rita" not in content and "veiligheid" not in content

    # Rita takes over: the chat becomes hers, Anna is told, the visitor sees the neutral line.
    observe.get_by_role("button", name=t("nl", "Take over"), exact=True).click()
    own = rita.locator(f'.chat-panel[data-id="{conversation_id}"]')
    expect(own).to_be_visible()
    expect(observe).to_have_count(0)
    expect(own.locator(".msg--theirs .msg__text")).to_have_text(["Hoi Anna.", "Ben je er nog?"])
    expect(panel.locator('[data-role="handed-over"]')).to_have_text(
        t("nl", "A supervisor took over this chat.")
    )
    expect(visitor.locator("#log .msg--system").last).to_have_text(
        t("nl", "A colleague is taking over the chat.")
    )
    counselor_send(own, "Ik ben Rita, ik neem het over.")
    expect(visitor.locator("#log .msg--theirs .msg__text").last).to_have_text(
        "Ik ben Rita, ik neem het over."
    )
    assert not people.script_errors, people.script_errors
