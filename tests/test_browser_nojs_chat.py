"""The visitor's chat with JavaScript switched off, in Debian's Chromium (issue 13, item 5): the
visitor starts with the plain form, waits in line on a page that refreshes itself, reads what the
counselor (a normal console, with JavaScript) writes once the transcript frame refreshes, writes
back (the counselor sees it live), reloads, sends one message twice (stored once), ends the chat
and quick-exits. Every no-JS page passes axe.

Screenshots go to /tmp/shots-nojs-chat/ (looked at by people, not asserted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser_support import (
    PHONE,
    WAIT_MS,
    NeutralSite,
    People,
    Traffic,
    accept,
    axe_violations,
    counselor_send,
    open_console,
    t,
)
from tests.support import Server

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-nojs-chat")


@pytest.fixture
def no_js(browser: Browser) -> Iterator[tuple[BrowserContext, Traffic]]:
    """A visitor's phone with JavaScript switched off; every request it makes is kept."""
    context = browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    traffic = Traffic()
    traffic.watch(context)
    yield context, traffic
    context.close()


def _axe(page: Page, server: Server) -> list[str]:
    """axe-core's violations on what this page shows, checked on an exact copy of its DOM in a
    page with JavaScript (axe needs timers; see test_browser_nojs._axe), without the page's
    self-refresh, which would reload the copy in the middle of the check."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
    html = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", html)
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(locale="nl-NL", viewport=PHONE)  # type: ignore[arg-type]
    try:
        copy = context.new_page()
        url = server.base + "/__copy-for-axe"
        copy.route(
            url, lambda route: route.fulfill(status=200, content_type="text/html", body=html)
        )
        copy.goto(url)
        return axe_violations(copy)
    finally:
        context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _shot_console(console: Page) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SHOTS / "console-no-live.png"))


def test_a_visitor_without_javascript_chats_both_ways_ends_and_quick_exits(
    baken: Server,
    neutral: NeutralSite,
    people: People,
    no_js: tuple[BrowserContext, Traffic],
) -> None:
    context, traffic = no_js
    page = context.new_page()
    page.goto(baken.base + "/")
    page.get_by_role("button", name=t("nl", "Start chat")).click()
    # The visitor page sends a browser without JavaScript on to the chat without it.
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl$"))
    expect(page.locator("#view-title")).to_have_text(t("nl", "Waiting for a counselor"))
    expect(page.locator("#queue-position")).to_have_text(t("nl", "You are next in line."))
    assert not (found := _axe(page, baken)), found
    _shot(page, "queued")

    console = open_console(people.counselor(), baken)
    item = console.locator("#queue-list li").first
    expect(item).to_be_visible()
    conversation_id = item.get_attribute("data-id")
    assert conversation_id
    panel = accept(console, conversation_id)
    # The counselor is told that this visitor has no live connection.
    no_live = panel.locator('[data-role="nolive"]')
    expect(no_live).to_have_text(
        t("nl", "Without live connection — replies arrive at the next refresh")
    )
    expect(no_live).to_be_visible()
    _shot_console(console)

    # The waiting page refreshes itself into the chat, with nobody pressing anything.
    frame = page.frame_locator("#nojs-log")
    expect(page.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    counselor_send(panel, "Hoi, ik ben Anna. <b>Welkom</b>.")
    # And the transcript frame refreshes itself until the counselor's words are there.
    expect(frame.locator(".msg__text")).to_have_text(["Hoi, ik ben Anna. <b>Welkom</b>."])
    assert frame.locator(".msg__text b").count() == 0
    assert not (found := _axe(page, baken)), found
    _shot(page, "chat")

    page.locator("#message").fill("Hallo Anna.\nIk wil iets vragen.")
    page.get_by_role("button", name=t("nl", "Send")).click()
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl$"))
    expect(page.locator("#message")).to_have_value("")
    counselor_texts = panel.locator(".msg__text")
    expect(counselor_texts.filter(has_text="Ik wil iets vragen.")).to_have_count(1)

    page.reload()
    expect(frame.locator(".msg__text")).to_have_text(
        ["Hoi, ik ben Anna. <b>Welkom</b>.", "Hallo Anna.\nIk wil iets vragen."]
    )

    # One message sent twice: a double tap, then the very same form posted once more.
    form_id = page.locator("input[name=client_msg_id]").get_attribute("value")
    assert form_id
    page.locator("#message").fill("Dit stuur ik twee keer.")
    page.get_by_role("button", name=t("nl", "Send")).dblclick()
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl$"))
    resent = context.request.post(
        baken.base + "/chat/send",
        form={"text": "Dit stuur ik twee keer.", "client_msg_id": form_id, "lang": "nl"},
        headers={"Origin": baken.origin},
        max_redirects=0,
    )
    assert resent.status == 303
    page.reload()
    expect(frame.locator(".msg__text")).to_have_text(
        [
            "Hoi, ik ben Anna. <b>Welkom</b>.",
            "Hallo Anna.\nIk wil iets vragen.",
            "Dit stuur ik twee keer.",
        ]
    )
    expect(counselor_texts.filter(has_text="Dit stuur ik twee keer.")).to_have_count(1)

    # Ending takes a second step.
    page.get_by_role("link", name=t("nl", "End chat")).click()
    expect(page.locator(".confirm__text")).to_have_text(t("nl", "Do you want to end the chat?"))
    assert not (found := _axe(page, baken)), found
    _shot(page, "end-confirm")
    page.get_by_role("button", name=t("nl", "Yes, end the chat")).click()
    expect(page.locator("#view-title")).to_have_text(t("nl", "The chat has ended"))
    expect(panel).to_contain_text(t("nl", "The visitor ended the chat."))
    expect(no_live).to_be_hidden()
    assert not (found := _axe(page, baken)), found
    _shot(page, "ended")

    page.locator("#quick-exit").click()
    expect(page).to_have_url(neutral.url)
    assert not [c for c in context.cookies() if c["name"].startswith("__Host-baken")]
    assert not traffic.outside(baken.base, neutral.base), traffic.outside(baken.base, neutral.base)
    assert not people.script_errors, people.script_errors
