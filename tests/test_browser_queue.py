"""The start form's queue questions in Chromium: "in danger now" goes first and is shown 112."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    People,
    axe_violations,
    open_console,
    start_chat,
)
from tests.support import Server, counselor, run_async

pytestmark = pytest.mark.browser


def test_a_visitor_in_danger_goes_first_and_is_shown_112(baken: Server, people: People) -> None:
    calm = people.visitor().new_page()
    first = start_chat(calm, baken, "rustig")
    expect(calm.locator("#queue-urgent")).to_be_hidden()

    urgent = people.visitor().new_page()
    urgent.goto(baken.base + "/")
    assert not axe_violations(urgent), "start form with the queue questions"
    urgent.locator("#age-band").select_option("under_16")
    urgent.get_by_label("Ik ben nu in gevaar").check()
    second = start_chat(urgent, baken, "dringend", open_page=False)
    note = urgent.locator("#queue-urgent")
    expect(note).to_be_visible()
    expect(note.get_by_role("link")).to_have_attribute("href", "tel:112")
    expect(urgent.locator("#queue-position")).to_have_text("Jij bent de volgende.")

    # The counselor's queue lists the visitor in danger first, marked as urgent.
    console = open_console(people.counselor(), baken)
    items = console.locator("#queue-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-id", second)
    expect(items.nth(1)).to_have_attribute("data-id", first)
    # The calm visitor moved back to second place, live.
    expect(calm.locator("#queue-position")).to_contain_text("2")
    assert not people.script_errors


def test_a_waiting_visitor_sees_the_expected_wait_once_chats_are_taken(
    baken: Server, people: People
) -> None:
    _sid, token = baken.add_staff()

    async def take(count: int) -> None:
        c = await counselor(baken, token)
        for _ in range(count):
            await c.send({"type": "take_next"})
            await c.expect("accepted")
        await c.close()

    # With fewer than three recent accepts there is no honest estimate: nothing is shown.
    page = people.visitor().new_page()
    start_chat(page, baken)
    wait = page.locator("#queue-wait")
    expect(wait).to_be_hidden()
    for _ in range(2):
        baken.start_visitor()
    run_async(take(3))  # the page's own chat is first in line: it is taken too

    later = people.visitor().new_page()
    start_chat(later, baken)
    expect(wait).to_be_hidden()
    expect(later.locator("#queue-wait")).to_be_visible()
    expect(later.locator("#queue-wait")).to_have_text(
        re.compile(r"^Verwachte wachttijd: (minder dan een minuut|ongeveer \d+ minuten)\.$")
    )
    assert not people.script_errors
