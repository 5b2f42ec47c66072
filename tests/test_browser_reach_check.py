"""Issue 18, items 5 and 6, in Debian's Chromium: the self-check without JavaScript at an
organisation's entry (answers → result → a chat at that organisation, nothing stored), and the
disguise round trip (cover on → neutral tab, chat hidden, a counselor's message does not show →
three presses on "Check" → the chat with the message), quick exit from the cover, axe in Dutch and
Arabic.

Screenshots at 360×640 go to /tmp/shots-reach/ (looked at by people, not asserted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select

from baken.store.database import Database
from baken.store.tables import conversations
from tests.browser_support import (
    WAIT_MS,
    NeutralSite,
    People,
    Traffic,
    accept,
    axe_violations,
    counselor_send,
    open_console,
    open_when_known,
    start_chat,
    t,
)
from tests.support import Server, add_organisation, row_counts, run_async

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-reach")
SMALL = {"width": 360, "height": 640}
ICON = "/static/cover-icon.svg"
# Anything that could make a sound, vibrate or notify, recorded instead of done.
_WATCH_NOISE = """
window.__noise = [];
const note = (what) => window.__noise.push(what);
navigator.vibrate = () => { note("vibrate"); return false; };
window.Notification = function () { note("Notification"); };
window.Notification.requestPermission = () => {
  note("requestPermission");
  return Promise.resolve("denied");
};
HTMLMediaElement.prototype.play = function () { note("play"); return Promise.resolve(); };
window.AudioContext = function () { note("AudioContext"); };
window.webkitAudioContext = window.AudioContext;
"""


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _chats_of(server: Server, organisation_id: str) -> int:
    async def count() -> int:
        db = Database(server.settings)
        try:
            async with db.reader.connect() as conn:
                query = select(func.count()).where(
                    conversations.c.organisation_id == organisation_id
                )
                return int((await conn.execute(query)).scalar_one())
        finally:
            await db.dispose()

    return int(run_async(count()))


@pytest.fixture
def no_js(browser: Browser) -> Iterator[tuple[BrowserContext, Traffic]]:
    context = browser.new_context(locale="nl-NL", viewport=SMALL, java_script_enabled=False)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    traffic = Traffic()
    traffic.watch(context)
    yield context, traffic
    context.close()


def _answer(page: Page, lang: str, choices: dict[int, str]) -> None:
    """Tap the answers' words, as a visitor does (question number → "Yes" / "No" / "Not sure")."""
    for number, word in choices.items():
        question = page.locator("fieldset.check-question").nth(number - 1)
        question.get_by_text(t(lang, word), exact=True).click()


# --- the self-check ------------------------------------------------------------------------------


def test_the_self_check_without_javascript_leads_to_a_chat_at_the_organisation_and_stores_nothing(
    baken: Server, neutral: NeutralSite, no_js: tuple[BrowserContext, Traffic]
) -> None:
    context, traffic = no_js
    slug, organisation_id = add_organisation(baken, "regio", "Hulplijn Regio")
    page = context.new_page()
    open_when_known(page, f"{baken.base}/o/{slug}/?lang=nl")

    # From the start page, the small link below the form.
    start_box = page.locator("#start-button").bounding_box()
    assert start_box is not None and start_box["y"] + start_box["height"] <= SMALL["height"]
    page.locator("#check-link").click()
    expect(page).to_have_url(f"{baken.base}/o/{slug}/check?lang=nl")
    expect(page).to_have_title(t("nl", "Is this OK?"))
    expect(page.locator("fieldset.check-question")).to_have_count(10)
    _shot(page, "check-nl-questions")

    before = row_counts(baken)
    _answer(page, "nl", {1: "Yes", 2: "No", 4: "Not sure", 10: "Yes"})
    page.locator("#check-button").click()
    # The result is the answer to the POST itself: no redirect, nothing of the answers in the URL.
    expect(page).to_have_url(f"{baken.base}/o/{slug}/check")
    expect(page.locator("h1")).to_have_text(t("nl", "What your answers may mean"))
    danger = page.locator("#check-danger")
    expect(danger).to_have_text(
        t(
            "nl",
            "You said you may be in danger right now. Call {number} first if you can.",
            number="112",
        )
    )
    expect(danger.locator('a[href="tel:112"]')).to_be_visible()
    danger_box, outcome_box = danger.bounding_box(), page.locator("#check-outcome").bounding_box()
    assert danger_box is not None and outcome_box is not None
    assert danger_box["y"] < outcome_box["y"]  # 112 first
    expect(page.locator("#check-outcome")).to_have_attribute("data-outcome", "signs")
    expect(page.locator("#check-start-button")).to_be_visible()
    expect(page.locator("#check-danger-box")).to_be_checked()
    # 112 and the start button both on the first screen of a 360×640 phone.
    button_box = page.locator("#check-start-button").bounding_box()
    assert button_box is not None and button_box["y"] + button_box["height"] <= SMALL["height"]
    _shot(page, "check-nl-result-danger")
    assert row_counts(baken) == before
    assert _chats_of(baken, organisation_id) == 0

    # The start button starts a chat at this organisation; the page without JavaScript follows.
    page.locator("#check-start-button").click()
    expect(page).to_have_url(re.compile(rf"/o/{slug}/chat\?lang=nl$"))
    assert _chats_of(baken, organisation_id) == 1
    _shot(page, "check-nl-started-nojs")
    assert traffic.outside(baken.base) == []


@pytest.mark.parametrize("lang", ["nl", "ar"])
def test_axe_on_the_self_check_pages(baken: Server, people: People, lang: str) -> None:
    page = people.visitor(locale=lang).new_page()
    page.set_viewport_size(SMALL)  # type: ignore[arg-type]
    page.goto(f"{baken.base}/check?lang={lang}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    assert axe_violations(page) == []
    _shot(page, f"check-{lang}-questions-js")
    _answer(page, lang, {3: "Not sure", 5: "No"})
    page.locator("#check-button").click()
    expect(page.locator("#check-outcome")).to_have_attribute("data-outcome", "unsure")
    expect(page.locator("#check-danger")).to_have_count(0)
    assert axe_violations(page) == []
    _shot(page, f"check-{lang}-result-unsure")
    assert people.script_errors == []


# --- the disguise --------------------------------------------------------------------------------


def _covered(page: Page, lang: str) -> None:
    expect(page.locator("#cover")).to_be_visible()
    expect(page).to_have_title(t(lang, "Homework"))
    expect(page.locator('link[rel="icon"]')).to_have_attribute("href", ICON)
    expect(page.locator("#main")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()


def test_the_cover_hides_the_chat_keeps_the_tab_neutral_and_comes_back_with_the_message(
    baken: Server, people: People
) -> None:
    traffic = Traffic()
    visitor_context = people.visitor()
    visitor_context.add_init_script(_WATCH_NOISE)
    traffic.watch(visitor_context)
    console = open_console(people.counselor(), baken)
    visitor = visitor_context.new_page()
    visitor.set_viewport_size(SMALL)  # type: ignore[arg-type]
    conversation_id = start_chat(visitor, baken)
    panel = accept(console, conversation_id)
    chat_title = visitor.title()
    icon = visitor.locator('link[rel="icon"]').get_attribute("href")
    assert icon is not None and "favicon.svg" in icon
    # The cover's code is not part of the page until it is asked for.
    assert not any("cover" in url for url in traffic.urls)

    visitor.locator("#cover-button").click()
    _covered(visitor, "nl")
    assert any(url.endswith("/static/cover.js") for url in traffic.urls)
    _shot(visitor, "cover-nl")

    # A message arrives under the cover: it is there, unseen, and the tab does not change.
    counselor_send(panel, "Ben je er nog?")
    log_text = visitor.locator("#log .msg__text", has_text="Ben je er nog?")
    expect(log_text).to_have_count(1)
    expect(log_text).to_be_hidden()
    expect(visitor).to_have_title(t("nl", "Homework"))
    expect(visitor.locator('link[rel="icon"]')).to_have_attribute("href", ICON)

    # One or two presses on "Check" keep the homework; the third brings the chat back.
    check = visitor.get_by_role("button", name=t("nl", "Check"))
    check.click()
    check.click()
    _covered(visitor, "nl")
    check.click()
    expect(visitor.locator("#cover")).to_be_hidden()
    expect(log_text).to_be_visible()
    expect(visitor).to_have_title(chat_title)
    expect(visitor.locator('link[rel="icon"]')).to_have_attribute("href", icon)
    expect(visitor.locator("#cover-button")).to_be_focused()

    # Again, without fetching it twice: the same cover comes back at once.
    visitor.locator("#cover-button").click()
    _covered(visitor, "nl")
    assert [u for u in traffic.urls if u.endswith("/static/cover.js")] != []
    assert sum(1 for u in traffic.urls if "/cover?lang=" in u) == 1

    assert visitor.evaluate("window.__noise") == []
    assert traffic.outside(baken.base) == []
    assert people.script_errors == []


def test_a_double_tap_on_hide_chat_still_brings_everything_back(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    start_chat(visitor, baken)
    visitor.locator("#cover-button").dblclick()
    _covered(visitor, "nl")
    check = visitor.get_by_role("button", name=t("nl", "Check"))
    for _ in range(3):
        check.click()
    expect(visitor.locator("#cover")).to_be_hidden()
    expect(visitor.locator("#main")).to_be_visible()
    expect(visitor.locator(".topbar")).to_be_visible()
    expect(visitor.locator("#message")).to_be_visible()
    assert people.script_errors == []


@pytest.mark.parametrize("way", ["shift", "close"])
def test_quick_exit_works_from_the_cover(
    baken: Server, neutral: NeutralSite, people: People, way: str
) -> None:
    visitor = people.visitor().new_page()
    start_chat(visitor, baken)
    visitor.locator("#cover-button").click()
    _covered(visitor, "nl")
    if way == "shift":
        visitor.locator("#cover input").first.click()
        for _ in range(3):
            visitor.keyboard.press("Shift")
    else:
        visitor.get_by_role("link", name=t("nl", "Close")).click()
    expect(visitor).to_have_url(neutral.url)
    assert people.script_errors == []


@pytest.mark.parametrize("lang", ["nl", "ar"])
def test_axe_on_the_cover(baken: Server, people: People, lang: str) -> None:
    visitor = people.visitor(locale=lang).new_page()
    visitor.set_viewport_size(SMALL)  # type: ignore[arg-type]
    visitor.goto(f"{baken.base}/?lang={lang}")
    start_chat(visitor, baken, open_page=False)
    expect(visitor.locator("#cover-button")).to_be_visible()
    assert axe_violations(visitor) == []
    _shot(visitor, f"cover-button-{lang}")
    visitor.locator("#cover-button").click()
    _covered(visitor, lang)
    expect(visitor.locator("#cover")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    assert axe_violations(visitor) == []
    _shot(visitor, f"cover-{lang}")
    assert people.script_errors == []
