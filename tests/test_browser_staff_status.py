"""Statuses, capacity and shift handover in Debian's Chromium (issue 15, items 1 and 4;
docs/supervision.md, docs/counselor-tools.md): a counselor sets "busy" in the console, the
supervisor's overview shows it live, and accepting is refused with a clear text; the supervisor sets
the counselor's capacity to 1 and the counselor's console offers no second chat; a counselor hands a
chat over with a note that the colleague sees. axe finds nothing on the consoles. Every wait is
Playwright's auto-waiting `expect`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    queue_item,
    start_chat,
    t,
)
from tests.support import Server
from tests.test_browser_wellbeing import LAPTOP, console_of

pytestmark = pytest.mark.browser


def test_a_status_and_a_capacity_in_the_console(baken: Server, people: People) -> None:
    supervisor = console_of(people.counselor(viewport=LAPTOP), baken, Role.SUPERVISOR, "Sanne")
    counselor = console_of(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Bram")

    team_row = supervisor.locator("#team-list li", has_text="Bram")
    expect(team_row).to_contain_text(t("nl", "Available"))

    counselor.get_by_label(t("nl", "Your status")).select_option("busy")
    expect(counselor.locator("#my-status-note")).to_have_text(
        t("nl", "You do not get new chats now.")
    )
    expect(team_row).to_contain_text(t("nl", "Busy (no new chats)"))
    found = axe_all_violations(counselor)
    assert not found, f"console with a status: {found}"

    # Busy: accepting a waiting visitor is refused, with the reason.
    visitor = people.visitor().new_page()
    first = start_chat(visitor, baken, "Mila")
    item = queue_item(counselor, first)
    expect(item).to_be_visible()
    item.get_by_role("button").first.click()
    expect(counselor.locator("#queue-error")).to_have_text(
        t("nl", "Your status does not take new chats. Set it to available first.")
    )
    counselor.get_by_label(t("nl", "Your status")).select_option("available")
    expect(team_row).to_contain_text(t("nl", "Available"))

    # The supervisor sets Bram's capacity to 1.
    field = supervisor.get_by_label(t("nl", "Chats at once for {name}", name="Bram"))
    field.fill("1")
    team_row.get_by_role("button", name=t("nl", "Save")).click()
    expect(supervisor.locator("#team-status")).to_have_text(t("nl", "Capacity saved."))
    found = axe_all_violations(supervisor)
    assert not found, f"supervisor console with capacities: {found}"

    accept(counselor, first)
    second_visitor = people.visitor().new_page()
    second = start_chat(second_visitor, baken, "Noor")
    waiting = queue_item(counselor, second)
    expect(waiting).to_be_visible()
    # The console knows the new capacity at once: the queue says so and offers no accept.
    expect(counselor.locator("#queue-capacity")).to_have_text(
        t("nl", "You have reached the maximum number of open chats ({n}).", n=1)
    )
    expect(waiting.get_by_role("button").first).to_be_disabled()
    assert people.script_errors == []


def test_a_shift_handover_with_a_note(baken: Server, people: People) -> None:
    """Issue 15, item 4: the counselor ending a shift hands a chat to a colleague with a note,
    and the colleague's console opens the chat with the note shown."""
    anna = console_of(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Anna")
    bram = console_of(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Bram")
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    accept(anna, conversation_id)

    anna.get_by_role("button", name=t("nl", "Hand over my chats")).click()
    dialog = anna.locator("#handover-dialog")
    expect(dialog).to_be_visible()
    row = dialog.locator(f'li[data-id="{conversation_id}"]')
    expect(row.get_by_role("option", name="Bram")).to_have_count(1)
    row.get_by_label(t("nl", "To"), exact=True).select_option(label="Bram")
    note = "Ze komt om vier uur terug; vraag naar haar veiligheid."
    row.get_by_label(t("nl", "Handover note for {name}", name="Mila")).fill(note)
    found = axe_all_violations(anna)
    assert not found, f"console with the handover dialog: {found}"
    row.get_by_role("button", name=t("nl", "Hand over")).click()
    expect(anna.locator("#handover-status")).to_have_text(t("nl", "Handed over."))
    expect(anna.locator("#handover-empty")).to_be_visible()

    panel = bram.locator(f'.chat-panel[data-id="{conversation_id}"]')
    expect(panel).to_contain_text(note)
    assert people.script_errors == []
