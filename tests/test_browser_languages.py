"""Issue 14, item 3, in Chromium: Arabic mirrors the visitor page, every language passes axe.

Mirroring is measured, not assumed: the same element's box on the Dutch page and on the Arabic page
of a 360 px phone must be each other's reflection (quick exit, the message box and its send button,
the visitor's own message bubble). Screenshots of the Arabic and Polish pages go to /tmp/shots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from baken.i18n import LANGUAGE_NAMES, VISITOR_LANGUAGES
from tests.browser_support import PHONE, People, axe_violations, start_chat, t, visitor_send
from tests.support import Server

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
WIDTH = PHONE["width"]
# Layout rounding: a reflected box may land a pixel off.
SLACK = 2.0


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


def _starts_mirror(ltr: dict[str, float], rtl: dict[str, float]) -> bool:
    """The left edge on the LTR page is the right edge on the RTL page, reflected."""
    return abs((rtl["x"] + rtl["width"]) - (WIDTH - ltr["x"])) <= SLACK


def _ends_mirror(ltr: dict[str, float], rtl: dict[str, float]) -> bool:
    """The right edge on the LTR page is the left edge on the RTL page, reflected."""
    return abs(rtl["x"] - (WIDTH - ltr["x"] - ltr["width"])) <= SLACK


def _shot(page: Page, name: str) -> None:
    """What a 360×640 phone shows first (the viewport, not the whole page)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _open_chat(people: People, baken: Server, locale: str, lang: str) -> Page:
    page = people.visitor(locale=locale).new_page()
    page.goto(baken.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    return page


def test_arabic_is_right_to_left_and_the_visitor_page_mirrors(
    baken: Server, people: People
) -> None:
    # The browser's preference picks the language: no ?lang= needed.
    dutch = _open_chat(people, baken, "nl-NL", "nl")
    arabic = _open_chat(people, baken, "ar-EG", "ar")
    expect(dutch.locator("html")).to_have_attribute("dir", "ltr")
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.locator("#quick-exit")).to_have_text(t("ar", "Quick exit"))
    expect(arabic.locator("#start-button")).to_have_text(t("ar", "Start chat"))

    # Quick exit sits at the inline end of the safety bar: right in Dutch, left in Arabic.
    exit_nl, exit_ar = _box(dutch.locator("#quick-exit")), _box(arabic.locator("#quick-exit"))
    assert exit_nl["x"] > WIDTH / 2 > exit_ar["x"] + exit_ar["width"], (exit_nl, exit_ar)
    assert _ends_mirror(exit_nl, exit_ar), (exit_nl, exit_ar)
    # The title starts at the inline start, the language picker ends at the inline end.
    title_nl, title_ar = _box(dutch.locator("#view-title")), _box(arabic.locator("#view-title"))
    assert _starts_mirror(title_nl, title_ar), (title_nl, title_ar)
    picker_nl = _box(dutch.locator("details.langs summary"))
    picker_ar = _box(arabic.locator("details.langs summary"))
    assert _ends_mirror(picker_nl, picker_ar), (picker_nl, picker_ar)
    _shot(arabic, "ar-start.png")
    # Opened, the list drops down from that side and stays on the screen.
    arabic.locator("details.langs summary").click()
    menu = _box(arabic.locator(".langs ul"))
    assert menu["x"] >= 0 and menu["x"] < WIDTH / 2, menu
    _shot(arabic, "ar-picker.png")
    arabic.locator("details.langs summary").click()
    expect(arabic.locator(".langs ul")).to_be_hidden()

    start_chat(dutch, baken, open_page=False)
    start_chat(arabic, baken, open_page=False)
    expect(arabic.locator("#queue-position")).to_have_text(
        t("ar", "You are number {n} in line.", n=2)
    )
    # The queue box fills the column in both directions.
    queue_nl, queue_ar = _box(dutch.locator("#queue-box")), _box(arabic.locator("#queue-box"))
    assert _starts_mirror(queue_nl, queue_ar) and _ends_mirror(queue_nl, queue_ar)

    # The message box: the send button is on the inline end, the text field before it.
    for page in (dutch, arabic):
        visitor_send(page, "Hello, this is a test 123")
    send_nl, send_ar = _box(dutch.locator("#send-button")), _box(arabic.locator("#send-button"))
    field_nl, field_ar = _box(dutch.locator("#message")), _box(arabic.locator("#message"))
    assert send_nl["x"] > field_nl["x"] and send_ar["x"] < field_ar["x"], (send_ar, field_ar)
    assert _ends_mirror(send_nl, send_ar), (send_nl, send_ar)
    assert _starts_mirror(field_nl, field_ar), (field_nl, field_ar)

    # The visitor's own message sits on the inline-end side; its Latin text keeps its direction.
    own_nl = dutch.locator(".msg--own").last
    own_ar = arabic.locator(".msg--own").last
    expect(own_ar.locator(".msg__text")).to_have_attribute("dir", "auto")
    bubble_nl, bubble_ar = _box(own_nl), _box(own_ar)
    assert _ends_mirror(bubble_nl, bubble_ar), (bubble_nl, bubble_ar)
    assert bubble_ar["x"] < WIDTH / 2 < bubble_nl["x"] + bubble_nl["width"]
    direction = own_ar.locator(".msg__text").evaluate("e => getComputedStyle(e).direction")
    assert direction == "ltr"
    _shot(arabic, "ar-chat.png")


@pytest.mark.parametrize("lang", VISITOR_LANGUAGES)
def test_the_visitor_page_passes_axe_in_every_language(
    baken: Server, people: People, lang: str
) -> None:
    page = people.visitor().new_page()
    page.goto(f"{baken.base}/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#start-button")).to_have_text(t(lang, "Start chat"))
    # The picker's links are real links to the same page in each language.
    page.locator("details.langs summary").click()
    for code, name in LANGUAGE_NAMES.items():
        link = page.locator(f".langs a[hreflang={code}]")
        expect(link).to_be_visible()
        expect(link).to_have_text(name)
        expect(link).to_have_attribute("lang", code)
    assert axe_violations(page) == []
    page.locator("details.langs summary").click()
    page.set_viewport_size({"width": 360, "height": 640})
    # Issue 12 holds in every language: the start button is on a 360×640 phone's first screen.
    start = _box(page.locator("#start-button"))
    assert start["y"] + start["height"] <= 640, (lang, start)
    if lang in ("ar", "pl"):
        _shot(page, f"{lang}-start.png")
    page.locator("#return-box summary").click()
    expect(page.locator("#return-code")).to_be_visible()
    assert axe_violations(page) == []
    if lang in ("ar", "pl"):
        _shot(page, f"{lang}-start-code.png")
    start_chat(page, baken, open_page=False)
    expect(page.locator("#view-title")).to_have_text(t(lang, "Waiting for a counselor"))
    assert axe_violations(page) == []
    if lang in ("ar", "pl"):
        _shot(page, f"{lang}-waiting.png")
    assert not people.script_errors, people.script_errors


def test_the_picker_works_without_javascript_and_keeps_the_chat(
    baken: Server, people: People
) -> None:
    page = people.visitor(locale="pl-PL").new_page()
    page.goto(baken.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    start_chat(page, baken, open_page=False)
    page.locator("details.langs summary").click()
    page.locator(".langs a[hreflang=uk]").click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#view-title")).to_have_text(t("uk", "Waiting for a counselor"))
    _shot(page, "uk-waiting.png")
