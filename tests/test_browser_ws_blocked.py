"""A network that blocks WebSockets (issue 13): the visitor's page, with JavaScript, cannot open
its socket; after three failed tries it moves to the chat that needs no socket, and the chat
works both ways — in Debian's Chromium against the real server.

The block is made in the browser: the page's `WebSocket` is replaced, before any of its scripts
run, by one that fails like a filtered connection does (an error, then close code 1006).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser_support import (
    PHONE,
    WAIT_MS,
    NeutralSite,
    People,
    Traffic,
    accept,
    counselor_send,
    open_console,
    t,
)
from tests.support import Server

pytestmark = pytest.mark.browser

BLOCK_WEBSOCKETS = """
(() => {
  const Real = window.WebSocket;
  class Blocked extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      window.__wsAttempts = (window.__wsAttempts || 0) + 1;
      setTimeout(() => {
        this.readyState = 3;
        if (this.onerror) this.onerror(new Event("error"));
        if (this.onclose) this.onclose({ code: 1006, reason: "", wasClean: false });
      }, 20);
    }
    send() { throw new Error("not open"); }
    close() {}
  }
  Blocked.CONNECTING = 0; Blocked.OPEN = 1; Blocked.CLOSING = 2; Blocked.CLOSED = 3;
  window.WebSocket = Blocked;
  window.__RealWebSocket = Real;
})();
"""


@pytest.fixture
def filtered(browser: Browser) -> Iterator[tuple[BrowserContext, Traffic]]:
    context = browser.new_context(locale="nl-NL", viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(BLOCK_WEBSOCKETS)
    traffic = Traffic()
    traffic.watch(context)
    yield context, traffic
    context.close()


def test_a_visitor_whose_network_blocks_websockets_still_chats(
    baken: Server,
    neutral: NeutralSite,
    people: People,
    filtered: tuple[BrowserContext, Traffic],
) -> None:
    context, traffic = filtered
    page = context.new_page()
    page.goto(baken.base + "/")
    page.get_by_role("button", name=t("nl", "Start chat")).click()
    # Three failed tries (about 4 seconds of back-off), then the chat without a socket.
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl$"), timeout=3 * WAIT_MS)
    attempts = page.evaluate("window.__wsAttempts || 0")
    assert attempts == 0  # the /chat page itself opens no socket at all
    expect(page.locator("#view-title")).to_have_text(t("nl", "Waiting for a counselor"))

    console = open_console(people.counselor(), baken)
    item = console.locator("#queue-list li").first
    expect(item).to_be_visible()
    conversation_id = item.get_attribute("data-id")
    assert conversation_id
    panel = accept(console, conversation_id)
    expect(page.locator("#view-title")).to_have_text(
        t("nl", "Chat with {name}", name="Anna"), timeout=2 * WAIT_MS
    )
    counselor_send(panel, "Hoi, ik ben Anna.")
    frame = page.frame_locator("#nojs-log")
    expect(frame.locator(".msg__text")).to_have_text(["Hoi, ik ben Anna."], timeout=2 * WAIT_MS)
    page.locator("#message").fill("Mijn internet laat geen chat toe.")
    page.get_by_role("button", name=t("nl", "Send")).click()
    expect(panel.locator(".msg__text").filter(has_text="laat geen chat toe")).to_have_count(1)

    page.locator("#quick-exit").click()
    expect(page).to_have_url(neutral.url)
    assert not traffic.outside(baken.base, neutral.base), traffic.outside(baken.base, neutral.base)
    assert not people.script_errors, people.script_errors
