"""Indicator signals in the console (issue 19, item 2), in Debian's Chromium: the visitor's words
are marked in the counselor's panel with the indicator's name on hover and focus, the side list
confirms (pre-filling the registration) or dismisses (counted per label, nothing else), and the
visitor's own page never shows a mark."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, expect

from baken.campaigns.codes import local_day
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.signal_dismissal_repo import dismissals_between
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.browser_support import (
    WCAG_TAGS,
    People,
    accept,
    open_console,
    start_chat,
    t,
    texts,
    visitor_send,
)
from tests.support import Server, run_async

pytestmark = pytest.mark.browser

TEXT = "hij heeft mijn paspoort en ik moet alles afgeven"
DOCUMENTS = t("nl", "Retention of documents")
WAGES = t("nl", "Withholding of wages")
STATIC = Path(__file__).resolve().parents[1] / "src" / "baken" / "web" / "static"


def dismissed(server: Server, label: str, day: date) -> int:
    async def read() -> int:
        db = Database(server.settings)
        try:
            rows = await dismissals_between(db, day, day, DEFAULT_ORGANISATION)
        finally:
            await db.dispose()
        return next((row.dismissed for row in rows if row.label == label), 0)

    total: int = run_async(read())
    return total


def indicator(panel: Locator, value_label: str) -> Locator:
    return panel.locator('fieldset[data-field="indicators"]').get_by_label(value_label, exact=True)


def test_marks_side_list_confirm_and_dismiss(baken: Server, people: People) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Sam")
    console = open_console(people.counselor(), baken)
    panel = accept(console, conversation_id)
    log = panel.locator(".log")
    signals = panel.locator('[data-role="signals"]')
    expect(signals).to_be_hidden()  # nothing found yet: no empty box

    visitor_send(visitor, TEXT)

    # The words are marked, the text itself is unchanged (marks are elements around text).
    marks = log.locator("mark.signal-mark")
    expect(marks).to_have_count(2)
    expect(texts(log).last).to_have_text(TEXT)
    expect(marks.nth(0)).to_have_text("heeft mijn paspoort en ik moet ")
    expect(marks.nth(1)).to_have_text("alles afgeven")
    # The name on hover (title) and on focus (the accessible description, and tabindex).
    expect(marks.nth(0)).to_have_attribute("title", DOCUMENTS)
    expect(marks.nth(1)).to_have_attribute("title", f"{DOCUMENTS}, {WAGES}")
    expect(marks.nth(0)).to_have_attribute("tabindex", "0")
    expect(marks.nth(0)).to_have_accessible_description(
        t("nl", "Possible signal: {name}", name=DOCUMENTS)
    )
    expect(marks.nth(1)).to_have_accessible_description(
        " ".join(t("nl", "Possible signal: {name}", name=name) for name in (DOCUMENTS, WAGES))
    )
    marks.nth(1).focus()
    expect(marks.nth(1)).to_be_focused()

    # The side list: each indicator once, how often, with confirm and dismiss.
    expect(signals).to_be_visible()
    items = signals.locator("li")
    expect(items).to_have_count(2)
    expect(items.locator(".signals__name")).to_have_text([DOCUMENTS, WAGES])
    expect(items.locator(".signals__count")).to_have_text(["1×", "1×"])

    found = Axe().run(
        console,
        context=f'.chat-panel[data-id="{conversation_id}"]',
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}},
    )
    assert [v["id"] for v in found.response["violations"]] == []

    # Confirm: pre-filled in the registration when the counselor opens it, and only that one.
    confirm = signals.get_by_role("button", name=t("nl", "Confirm signal: {name}", name=DOCUMENTS))
    confirm.click()
    expect(confirm).to_have_attribute("aria-pressed", "true")
    expect(items.nth(0).locator(".signals__verdict")).to_have_text(
        t("nl", "Confirmed — pre-filled in the registration")
    )
    panel.locator(".reg-details__summary").click()
    expect(indicator(panel, "afpakken van documenten")).to_be_checked()
    expect(indicator(panel, "inhouden van loon")).not_to_be_checked()
    expect(panel.locator(".reg-field__prefilled")).to_have_text(
        t("nl", "Confirmed signals are ticked under Indicators. Check them; you decide.")
    )
    # The counselor still decides: unticking stands (saved as their draft).
    indicator(panel, "afpakken van documenten").uncheck()
    expect(panel.locator(".reg-form .reg-status")).to_contain_text(
        t("nl", "Draft saved at {time}.", time="")[:-1]
    )
    expect(indicator(panel, "afpakken van documenten")).not_to_be_checked()
    # Confirming again does not overrule that: each value is pre-filled once.
    confirm.click()
    expect(confirm).to_have_attribute("aria-pressed", "false")
    confirm.click()
    expect(confirm).to_have_attribute("aria-pressed", "true")
    expect(indicator(panel, "afpakken van documenten")).not_to_be_checked()

    # Dismiss: counted once for the organisation and the day; its marks go.
    today = local_day(utcnow())
    before = dismissed(baken, "withholding_wages", today)
    signals.get_by_role("button", name=t("nl", "Dismiss signal: {name}", name=WAGES)).click()
    expect(items.nth(1).locator(".signals__verdict")).to_have_text(t("nl", "Dismissed"))
    expect(items.nth(1).get_by_role("button")).to_have_count(0)
    expect(marks).to_have_count(1)
    expect(marks.nth(0)).to_have_text("heeft mijn paspoort en ik moet alles afgeven")
    expect(marks.nth(0)).to_have_attribute("title", DOCUMENTS)
    assert dismissed(baken, "withholding_wages", today) == before + 1
    expect(indicator(panel, "inhouden van loon")).not_to_be_checked()

    # The visitor's page: the message, and never a mark or this script.
    expect(visitor.locator(".msg__text").last).to_have_text(TEXT)
    expect(visitor.locator("mark")).to_have_count(0)
    scripts = visitor.evaluate("[...document.scripts].map((s) => s.src).join(' ')")
    assert "signals" not in scripts
    assert "signals" not in (STATIC / "visitor.js").read_text(encoding="utf-8")
    assert people.script_errors == []


def test_an_emoji_before_the_words_does_not_shift_the_mark(baken: Server, people: People) -> None:
    # The server counts code points, the browser UTF-16 units: an emoji is one and two of them.
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken)
    console = open_console(people.counselor(), baken)
    panel = accept(console, conversation_id)
    visitor_send(visitor, "😢😢 " + TEXT)
    marks = panel.locator(".log mark.signal-mark")
    expect(marks).to_have_count(2)
    expect(marks.nth(0)).to_have_text("heeft mijn paspoort en ik moet ")
    expect(marks.nth(1)).to_have_text("alles afgeven")
    assert people.script_errors == []
