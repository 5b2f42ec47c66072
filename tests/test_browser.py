"""Real browser tests: Debian Chromium drives the visitor page and the counselor console of a real
Baken server (one per test), with a local "neutral site" for quick exit to land on.

Every wait is Playwright's auto-waiting `expect` with a timeout; nothing sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser_support import (
    NEUTRAL_TITLE,
    NeutralSite,
    People,
    Traffic,
    accept,
    axe_violations,
    chat_panel,
    counselor_send,
    login_with_form,
    open_console,
    queue_item,
    start_baken,
    start_chat,
    t,
    texts,
    visitor_send,
)
from tests.support import Server

pytestmark = pytest.mark.browser

# Words a title or icon must never show: over a shoulder it should read as "a chat", no more.
TELLING_WORDS = [
    "mensenhandel",
    "trafficking",
    "uitbuiting",
    "exploitation",
    "slachtoffer",
    "victim",
    "hulp",
    "help",
    "politie",
    "police",
    "baken",
]

STORAGE_SCRIPT = """async () => ({
    cookie: document.cookie,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    indexedDB: (await indexedDB.databases()).length,
    serviceWorkers: (await navigator.serviceWorker.getRegistrations()).length,
    caches: (await caches.keys()).length,
})"""
# Elements that reach past the right edge of the screen, or boxes that scroll sideways.
WIDER_THAN_SCREEN_SCRIPT = """() => [...document.querySelectorAll("body *")]
    .filter((node) => {
        const box = node.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) return false;
        if (box.right > window.innerWidth + 0.5) return true;
        const scrolls = ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
        return scrolls && node.scrollWidth > node.clientWidth + 1;
    })
    .map((node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "")
        + (node.className ? "." + String(node.className).split(" ").join(".") : ""))"""
EMPTY_STORAGE = {
    "cookie": "",
    "localStorage": 0,
    "sessionStorage": 0,
    "indexedDB": 0,
    "serviceWorkers": 0,
    "caches": 0,
}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def one_chat_baken(tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    """A Baken server where a counselor may have only one open chat (max_chats=1)."""
    server = start_baken(tmp_path, neutral, max_chats=1)
    yield server
    server.stop()


# --- small checks --------------------------------------------------------------------------------


def storage_of(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(STORAGE_SCRIPT)
    return found


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe found WCAG 2.1 A/AA violations on the {what}:\n" + "\n".join(
        violations
    )


def record_dialogs(page: Page, into: list[str]) -> None:
    def on_dialog(dialog: Dialog) -> None:
        into.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)


def assert_ended_by_quick_exit(panel: Locator) -> None:
    """What the counselor must see when the visitor used quick exit."""
    left = t("nl", "The visitor left via quick exit.")
    expect(panel.locator(".msg--system").last).to_have_text(left)
    expect(panel.locator(".msg--system").last).to_have_class(re.compile(r"\bmsg--alert\b"))
    expect(panel.locator(".chat-panel__state")).to_have_text(t("nl", "Ended"))
    expect(panel.locator('[data-role="ended"]')).to_have_text(left)
    expect(panel.locator('[data-role="composer"]')).to_be_hidden()


def assert_still_on_chat(page: Page, server: Server, after: str) -> None:
    """Quick exit did not start: exit() marks the page at once, in the key handler itself."""
    try:
        exiting = page.evaluate("document.documentElement.classList.contains('is-exiting')")
    except PlaywrightError as error:  # the page is already navigating away
        raise AssertionError(f"quick exit started after {after}: {error.message}") from error
    assert exiting is False, f"quick exit started after {after}"
    assert page.url == server.base + "/", f"the page left after {after}: {page.url}"


# --- 1 + 5: the whole chat -----------------------------------------------------------------------


def test_chat_end_to_end_with_reload_and_quick_exit(
    baken: Server, neutral: NeutralSite, people: People
) -> None:
    traffic = Traffic()
    visitor_context = people.visitor()
    counselor_context = people.counselor()
    traffic.watch(visitor_context)
    traffic.watch(counselor_context)
    earlier_id, _ = baken.start_visitor(nickname="Eerder")  # somebody is already waiting

    # The visitor comes from an everyday page and starts a chat with one tap, without a nickname.
    visitor = visitor_context.new_page()
    visitor.goto(neutral.base + "/zoeken")
    conversation_id = start_chat(visitor, baken)
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Waiting for a counselor"))
    expect(visitor.locator("#queue-position")).to_have_text(
        t("nl", "You are number {n} in line.", n=2)
    )
    expect(visitor.locator("#view-start")).to_be_hidden()

    # The counselor signs in through the real form and sees both waiting visitors, in order.
    console = counselor_context.new_page()
    baken.add_staff(username="anna", display_name="Anna")
    login_with_form(console, baken, "anna")
    expect(console.locator("#queue-list li")).to_have_count(2)
    expect(console.locator("#queue-list li").first).to_have_attribute("data-id", earlier_id)
    expect(queue_item(console, conversation_id)).to_contain_text(t("nl", "Anonymous"))
    expect(console.locator("#queue-count")).to_have_text("2")

    panel = accept(console, conversation_id)
    visitor_name = t("nl", "Anonymous {n}", n=1)
    expect(panel.locator(".chat-panel__title")).to_have_text(visitor_name)
    expect(console.locator("#queue-list li")).to_have_count(1)
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    expect(visitor.locator("#queue-box")).to_be_hidden()
    expect(visitor.locator("#log .msg--system")).to_have_text(
        [t("nl", "{name} has joined the chat.", name="Anna")]
    )

    visitor_log = visitor.locator("#log")
    counselor_log = panel.locator(".log")
    from_visitor: list[str] = []
    from_counselor: list[str] = []

    def both_screens_show_everything() -> None:
        everything = [*from_visitor, *from_counselor]
        # Each side sees its own messages as its own, the other's as theirs, in the order sent.
        expect(visitor_log.locator(".msg--own .msg__text")).to_have_text(from_visitor)
        expect(visitor_log.locator(".msg--theirs .msg__text")).to_have_text(from_counselor)
        expect(counselor_log.locator(".msg--own .msg__text")).to_have_text(from_counselor)
        expect(counselor_log.locator(".msg--theirs .msg__text")).to_have_text(from_visitor)
        assert texts(visitor_log).all_inner_texts() == texts(counselor_log).all_inner_texts()
        assert sorted(texts(visitor_log).all_inner_texts()) == sorted(everything)

    for text in ["Hallo, is daar iemand?", "Ik weet niet of ik dit mag vragen."]:
        visitor_send(visitor, text)
        from_visitor.append(text)
    both_screens_show_everything()
    # The chat is on the counselor's screen: one `read` receipt (read implies delivered) turns
    # the visitor's last message to "Read".
    expect(visitor_log.locator(".msg--own .msg__status").last).to_have_text(t("nl", "Read"))
    counselor_send(panel, "Hoi, ik ben Anna. Fijn dat je schrijft. Alles mag.")
    from_counselor.append("Hoi, ik ben Anna. Fijn dat je schrijft. Alles mag.")
    both_screens_show_everything()
    expect(visitor_log.locator(".msg--theirs .msg__who")).to_have_text(["Anna"])
    expect(counselor_log.locator(".msg--theirs .msg__who").first).to_have_text(visitor_name)

    # Typing shows on the other screen, and goes away when the message arrives.
    counselor_typing = panel.locator('[data-role="typing"]')
    visitor.locator("#message").press_sequentially("Mijn paspoort is afgepakt")
    expect(counselor_typing).to_have_text(t("nl", "{name} is typing…", name=visitor_name))
    visitor.locator("#message").press("Enter")
    from_visitor.append("Mijn paspoort is afgepakt")
    both_screens_show_everything()
    expect(counselor_typing).to_have_text("")

    visitor_typing = visitor.locator("#typing")
    panel.locator("textarea").press_sequentially("Dat is niet toegestaan")
    expect(visitor_typing).to_have_text(t("nl", "{name} is typing…", name="Anna"))
    panel.locator("textarea").press("Enter")
    from_counselor.append("Dat is niet toegestaan")
    both_screens_show_everything()
    expect(visitor_typing).to_have_text("")

    # Nothing of the chat is kept in the browser while it runs.
    assert storage_of(visitor) == EMPTY_STORAGE

    # The visitor reloads: the conversation is shown again and goes on.
    visitor.reload()
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    both_screens_show_everything()
    visitor_send(visitor, "Ik ben er weer.")
    from_visitor.append("Ik ben er weer.")
    counselor_send(panel, "Goed zo. Ben je nu veilig?")
    from_counselor.append("Goed zo. Ben je nu veilig?")
    both_screens_show_everything()
    assert storage_of(visitor) == EMPTY_STORAGE

    # Quick exit with the button: the neutral site, and the counselor sees the chat end.
    visitor.locator("#quick-exit").click()
    expect(visitor).to_have_url(neutral.url)
    expect(visitor).to_have_title(NEUTRAL_TITLE)
    assert_ended_by_quick_exit(panel)

    # Nothing of Baken is left in this browser.
    assert visitor_context.cookies(baken.base) == []
    assert visitor_context.service_workers == []
    fresh = visitor_context.new_page()
    fresh.goto(baken.base + "/healthz")
    assert storage_of(fresh) == EMPTY_STORAGE
    fresh.close()

    # Back does not bring the chat back: the chat page is not in the tab's history at all.
    visitor.go_back()
    expect(visitor).to_have_url(neutral.base + "/zoeken")
    expect(visitor.locator("#log")).to_have_count(0)
    for text in [*from_visitor, *from_counselor]:
        expect(visitor.get_by_text(text)).to_have_count(0)

    # 5: nobody else heard about any of this.
    assert traffic.urls, "no requests were recorded"
    assert traffic.outside(baken.base, neutral.base) == []
    assert people.script_errors == []


# --- 2: Shift three times ------------------------------------------------------------------------


def test_shift_three_times_exits_but_not_as_modifier_or_when_interrupted(
    baken: Server, neutral: NeutralSite, people: People
) -> None:
    console = open_console(people.counselor(), baken)
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken)
    panel = accept(console, conversation_id)
    expect(visitor.locator("#queue-box")).to_be_hidden()

    message = visitor.locator("#message")
    message.click()
    keys = visitor.keyboard

    # Shift used for a capital letter does not count, before or after two real presses.
    keys.press("Shift")
    keys.press("Shift")
    keys.press("Shift+A")
    assert_still_on_chat(visitor, baken, "Shift, Shift, Shift+A")
    keys.press("k")
    keys.press("Shift+A")
    keys.press("Shift")
    keys.press("Shift")
    assert_still_on_chat(visitor, baken, "Shift+A, Shift, Shift")

    # Another key in between starts the count again.
    keys.press("k")
    keys.press("Shift")
    keys.press("Shift")
    keys.press("b")
    keys.press("Shift")
    assert_still_on_chat(visitor, baken, "Shift, Shift, b, Shift")
    expect(message).to_have_value("AkAkb")  # every key went into the message as typed
    expect(panel.locator(".chat-panel__state")).to_have_text(t("nl", "Active"))

    # Three presses of Shift alone: gone.
    keys.press("End")
    keys.press("Shift")
    keys.press("Shift")
    keys.press("Shift")
    expect(visitor).to_have_url(neutral.url)
    expect(visitor).to_have_title(NEUTRAL_TITLE)
    assert_ended_by_quick_exit(panel)
    assert people.script_errors == []


# --- 3: the skip link ----------------------------------------------------------------------------


def test_first_tab_focuses_the_quick_exit_skip_link_and_enter_exits(
    baken: Server, neutral: NeutralSite, people: People
) -> None:
    visitor_context = people.visitor()
    visitor = visitor_context.new_page()
    skip = visitor.locator("a.skip-exit")

    visitor.goto(baken.base + "/")
    visitor.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    expect(skip).to_have_text(t("nl", "Skip to quick exit"))

    # In the middle of a chat, freshly loaded: the first Tab again, and Enter leaves.
    other_id, _ = baken.start_visitor()
    start_chat(visitor, baken)
    visitor.reload()
    expect(visitor.locator("#queue-box")).to_be_visible()
    visitor.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    visitor.keyboard.press("Enter")
    expect(visitor).to_have_url(neutral.url)
    expect(visitor).to_have_title(NEUTRAL_TITLE)
    assert visitor_context.cookies(baken.base) == []

    # The chat really ended: only the other visitor is still waiting.
    console = open_console(people.counselor(), baken)
    expect(console.locator("#queue-list li")).to_have_count(1)
    expect(console.locator("#queue-list li")).to_have_attribute("data-id", other_id)
    assert people.script_errors == []


# --- 4: user text is text ------------------------------------------------------------------------


def test_markup_in_nickname_and_messages_is_shown_as_text(baken: Server, people: People) -> None:
    traffic = Traffic()
    dialogs: list[str] = []
    counselor_context = people.counselor()
    visitor_context = people.visitor()
    traffic.watch(counselor_context)
    traffic.watch(visitor_context)
    console = open_console(counselor_context, baken)
    visitor = visitor_context.new_page()
    record_dialogs(console, dialogs)
    record_dialogs(visitor, dialogs)

    nickname = "<img src=x onerror=alert(1)>"
    payloads = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]
    reply = "<b>vet</b><img src=x onerror=alert(2)><svg onload=alert(3)>"

    conversation_id = start_chat(visitor, baken, nickname=nickname)
    expect(queue_item(console, conversation_id).locator(".queue-item__name")).to_have_text(nickname)
    panel = accept(console, conversation_id)
    expect(panel.locator(".chat-panel__title")).to_have_text(nickname)
    expect(console.locator(".chat-tab")).to_have_text([nickname])

    for text in payloads:
        visitor_send(visitor, text)
    counselor_send(panel, reply)

    visitor_log = visitor.locator("#log")
    counselor_log = panel.locator(".log")
    expect(texts(visitor_log)).to_have_text([*payloads, reply])
    expect(texts(counselor_log)).to_have_text([*payloads, reply])
    expect(counselor_log.locator(".msg--theirs .msg__who").first).to_have_text(nickname)

    for page, log in ((visitor, visitor_log), (console, counselor_log)):
        for tag in ("img", "script", "svg", "b"):
            expect(log.locator(tag)).to_have_count(0)
        # The one picture in main is our own: the language picker's globe (issue 14).
        expect(page.locator("main img, main svg:not(.langs__icon)")).to_have_count(0)
    visitor.reload()  # and once more from the server's copy
    expect(texts(visitor_log)).to_have_text([*payloads, reply])
    expect(visitor_log.locator("img, script, svg, b")).to_have_count(0)

    assert dialogs == []
    assert not [url for url in traffic.urls if url.split("?")[0].endswith("/x")]
    assert people.script_errors == []


# --- 6: accessibility ----------------------------------------------------------------------------


def test_axe_finds_no_wcag_violations_on_any_view(baken: Server, people: People) -> None:
    counselor_context = people.counselor()
    login = counselor_context.new_page()
    login.goto(baken.base + "/staff/login")
    expect(login.locator("#username")).to_be_visible()
    assert_no_axe_violations(login, "staff login page")

    console = open_console(counselor_context, baken)
    expect(console.locator("#queue-empty")).to_be_visible()
    expect(console.locator("#chats-empty")).to_be_visible()
    assert_no_axe_violations(console, "empty console")

    visitor = people.visitor().new_page()
    visitor.goto(baken.base + "/")
    expect(visitor.locator("#view-start")).to_be_visible()
    assert_no_axe_violations(visitor, "visitor start view")

    conversation_id = start_chat(visitor, baken)
    expect(visitor.locator("#queue-position")).to_have_text(t("nl", "You are next in line."))
    assert_no_axe_violations(visitor, "visitor waiting view")

    expect(queue_item(console, conversation_id)).to_be_visible()
    panel = accept(console, conversation_id)
    visitor_send(visitor, "Hallo")
    counselor_send(panel, "Hoi, waar kan ik je mee helpen?")
    expect(texts(visitor.locator("#log"))).to_have_count(2)
    expect(texts(panel.locator(".log"))).to_have_count(2)
    assert_no_axe_violations(visitor, "visitor chat view")
    assert_no_axe_violations(console, "console with an active chat")

    visitor.locator("#leave-button").click()
    visitor.locator("#leave-yes").click()
    expect(visitor.locator("#ended-box")).to_be_visible()
    expect(visitor.locator("#view-title")).to_have_text(t("nl", "The chat has ended"))
    assert_no_axe_violations(visitor, "visitor ended view")
    expect(panel.locator(".chat-panel__state")).to_have_text(t("nl", "Ended"))
    assert_no_axe_violations(console, "console with an ended chat")
    assert people.script_errors == []


# --- 7: the page itself says nothing -------------------------------------------------------------


def assert_neutral_and_safe(page: Page, what: str) -> None:
    """Any visitor state: neutral title, quick exit and 112 on screen, no sideways scrolling."""
    title = page.title()
    assert not [w for w in TELLING_WORDS if w in title.lower()], f"{what}: title {title!r}"
    exit_button = page.locator("#quick-exit")
    expect(exit_button).to_be_visible()
    expect(exit_button).to_be_in_viewport()
    expect(exit_button).to_have_text(t("nl", "Quick exit"))
    danger = page.locator("a.danger-link")
    expect(danger).to_be_visible()
    expect(danger).to_be_in_viewport()
    expect(danger).to_contain_text("112")
    expect(danger).to_have_attribute("href", "tel:112")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{what}: the page is {width} px wide on a 360 px screen"
    # Nor does anything stick out, or scroll sideways inside its own box (the chat log scrolls).
    sticking_out = page.evaluate(WIDER_THAN_SCREEN_SCRIPT)
    assert sticking_out == [], f"{what}: wider than the 360 px screen: {sticking_out}"


def test_visitor_page_is_neutral_fits_a_phone_and_always_offers_exit_and_112(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    visitor.goto(baken.base + "/")
    expect(visitor).to_have_title(t("nl", "Chat"))

    icon = visitor.locator("link[rel=icon]")
    expect(icon).to_have_count(1)
    response = visitor.request.get(baken.base + (icon.get_attribute("href") or ""))
    assert response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text().lower()
    assert "<text" not in svg and "<title" not in svg
    assert not [w for w in TELLING_WORDS if w in svg]

    expect(visitor.locator("#view-start")).to_be_visible()
    assert_neutral_and_safe(visitor, "start view")

    conversation_id = start_chat(visitor, baken)
    assert_neutral_and_safe(visitor, "waiting view")

    console = open_console(people.counselor(), baken)
    panel = accept(console, conversation_id)
    long_word = "x" * 300
    link = "https://voorbeeld.nl/" + "a/" * 80 + "?q=" + "b" * 80
    visitor_send(visitor, long_word)
    counselor_send(panel, link)
    expect(texts(visitor.locator("#log"))).to_have_text([long_word, link])
    expect(visitor.locator("#queue-box")).to_be_hidden()
    assert_neutral_and_safe(visitor, "chat view")

    panel.locator('[data-action="end"]').click()
    panel.locator('[data-action="end-yes"]').click()
    expect(visitor.locator("#ended-box")).to_be_visible()
    expect(visitor.locator("#log .msg--system").last).to_have_text(
        t("nl", "{name} ended the chat.", name="Anna")
    )
    assert_neutral_and_safe(visitor, "ended view")
    assert people.script_errors == []


# --- 8: English ----------------------------------------------------------------------------------


def test_english_browser_gets_english_and_the_language_link_switches(
    baken: Server, people: People
) -> None:
    visitor = people.visitor(locale="en-GB").new_page()
    visitor.goto(baken.base + "/")
    html = visitor.locator("html")
    title = visitor.locator("#view-title")
    expect(html).to_have_attribute("lang", "en")
    expect(title).to_have_text("Chat with a counselor")
    expect(visitor.locator("#start-button")).to_have_text("Start chat")
    expect(visitor.locator("#quick-exit")).to_have_text("Quick exit")
    expect(visitor.locator("a.danger-link")).to_have_text("Acute danger? Call 112")
    # Issue 14: the picker lists every visitor language in its own name.
    picker = visitor.locator("details.langs summary")
    language = visitor.locator(".langs a[hreflang=nl]")
    english = visitor.locator(".langs a[hreflang=en]")
    expect(language).to_have_text("Nederlands")
    expect(language).to_have_attribute("lang", "nl")
    expect(english).to_have_attribute("aria-current", "true")

    picker.click()
    language.click()
    expect(html).to_have_attribute("lang", "nl")
    expect(title).to_have_text(t("nl", "Chat with a counselor"))
    expect(visitor.locator("#start-button")).to_have_text(t("nl", "Start chat"))
    expect(language).to_have_attribute("aria-current", "true")
    language = english

    # The chosen language holds for the chat started from it, also after a reload.
    start_chat(visitor, baken, open_page=False)
    expect(title).to_have_text(t("nl", "Waiting for a counselor"))
    expect(visitor.locator("#queue-position")).to_have_text(t("nl", "You are next in line."))
    visitor.reload()
    expect(html).to_have_attribute("lang", "nl")
    expect(visitor.locator("#queue-position")).to_have_text(t("nl", "You are next in line."))

    # And back to English in the middle of the chat: same chat, English words.
    picker.click()
    language.click()
    expect(html).to_have_attribute("lang", "en")
    expect(title).to_have_text("Waiting for a counselor")
    expect(visitor.locator("#queue-position")).to_have_text("You are next in line.")
    expect(visitor.locator("#message")).to_be_enabled()
    expect(visitor.locator("#message")).to_have_attribute("placeholder", "Type your message")
    assert people.script_errors == []


# --- 9: at most max_chats ------------------------------------------------------------------------


def test_counselor_at_max_chats_cannot_accept_more(one_chat_baken: Server, people: People) -> None:
    server = one_chat_baken
    first_id, _ = server.start_visitor(nickname="Eerste")
    second_id, _ = server.start_visitor(nickname="Tweede")
    console = open_console(people.counselor(), server)
    expect(console.locator("#chats-title .hint")).to_have_text(t("nl", "(at most {n})", n=1))
    second_accept = queue_item(console, second_id).get_by_role("button")
    expect(second_accept).to_be_enabled()

    first = accept(console, first_id)
    expect(console.locator("#queue-list li")).to_have_count(1)
    expect(second_accept).to_be_disabled()
    capacity = console.locator("#queue-capacity")
    expect(capacity).to_be_visible()
    expect(capacity).to_have_text(
        t("nl", "You have reached the maximum number of open chats ({n}).", n=1)
    )

    # A button that is enabled anyway (a stale screen) gets a calm no, and nothing changes.
    second_accept.evaluate("button => { button.disabled = false; }")
    second_accept.click()
    expect(console.locator("#queue-error")).to_have_text(
        t("nl", "You already have the maximum number of chats.")
    )
    expect(chat_panel(console, second_id)).to_have_count(0)
    expect(queue_item(console, second_id)).to_be_visible()

    # Once the first chat has ended, the next visitor can be accepted.
    first.locator('[data-action="end"]').click()
    first.locator('[data-action="end-yes"]').click()
    expect(first.locator(".chat-panel__state")).to_have_text(t("nl", "Ended"))
    expect(second_accept).to_be_enabled()
    expect(capacity).to_be_hidden()
    second = accept(console, second_id)
    expect(second.locator(".chat-panel__title")).to_have_text("Tweede")
    expect(console.locator("#queue-empty")).to_be_visible()
    assert people.script_errors == []


# --- quick exit in one tab clears the others ---------------------------------------------------


def test_quick_exit_in_one_tab_takes_every_tab_of_the_chat_away(
    baken: Server, neutral: NeutralSite, people: People
) -> None:
    console = open_console(people.counselor(), baken)
    context = people.visitor()
    first = context.new_page()
    conversation_id = start_chat(first, baken)
    panel = accept(console, conversation_id)
    visitor_send(first, "geheim bericht")
    second = context.new_page()
    second.goto(baken.base + "/")
    expect(second.locator("#log")).to_contain_text("geheim bericht")

    first.locator("#quick-exit").click()
    expect(first).to_have_url(neutral.url)
    # The other tab leaves as well, instead of keeping the transcript on screen.
    expect(second).to_have_url(neutral.url)
    expect(second).to_have_title(NEUTRAL_TITLE)
    assert_ended_by_quick_exit(panel)
    assert people.script_errors == []
