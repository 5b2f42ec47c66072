"""A network that blocks WebSockets (issue 13, item 6), in Debian's Chromium against the server.

- The server refuses the visitor's WebSocket (``BAKEN_VISITOR_WEBSOCKETS=false``, as behind a proxy
  that cannot carry them): after three failed tries the page carries on over the HTTP door (an event
  stream in, posts out). The chat works both ways, through a reload, nothing lost or doubled.
- A network that lets neither a socket nor a stream through: the page moves to the chat that needs
  no script. That block is made in the browser: `WebSocket` and `EventSource` are replaced, before
  any of the page's scripts run, by ones that fail like a filtered connection does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
    start_baken,
    start_chat,
    t,
    texts,
    visitor_send,
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
  class BlockedStream extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      window.__streamAttempts = (window.__streamAttempts || 0) + 1;
      setTimeout(() => {
        this.readyState = 2;
        if (this.onerror) this.onerror(new Event("error"));
      }, 20);
    }
    close() { this.readyState = 2; }
  }
  window.EventSource = BlockedStream;
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
    # Three failed socket tries, three failed stream tries (about 8 seconds of back-off), then
    # the chat without a socket.
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl$"), timeout=4 * WAIT_MS)
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


@pytest.fixture
def no_visitor_sockets(tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    server = start_baken(tmp_path, neutral, visitor_websockets=False)
    yield server
    server.stop()


def test_a_visitor_whose_socket_the_server_refuses_chats_over_http(
    no_visitor_sockets: Server, neutral: NeutralSite, people: People
) -> None:
    server = no_visitor_sockets
    context = people.visitor()
    traffic = Traffic()
    traffic.watch(context)
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    conversation_id = start_chat(page, server, nickname="Mila")
    console = open_console(people.counselor(), server)
    panel = accept(console, conversation_id)
    # The server refused the socket three times; the page went on over the event stream, on the
    # same page (no move to the chat without script), and the counselor sees a live visitor.
    expect(page.locator("#view-title")).to_have_text(
        t("nl", "Chat with {name}", name="Anna"), timeout=3 * WAIT_MS
    )
    assert page.url.startswith(server.base + "/") and "/chat" not in page.url, page.url
    assert len(sockets) >= 3, sockets
    assert any("/api/visitor/stream?after_seq=" in url for url in traffic.urls), traffic.urls
    expect(panel.locator('[data-role="nolive"]')).to_be_hidden()

    counselor_send(panel, "Hoi Mila, ik ben Anna.")
    expect(texts(page.locator("#log"))).to_have_text(["Hoi Mila, ik ben Anna."])
    for line in ("Mijn netwerk laat geen chat toe.", "Werkt dit zo ook?", "Fijn."):
        visitor_send(page, line)
    history = [
        "Hoi Mila, ik ben Anna.",
        "Mijn netwerk laat geen chat toe.",
        "Werkt dit zo ook?",
        "Fijn.",
    ]
    # In the order sent, each once, on both sides; the visitor's own lines acknowledged.
    expect(texts(panel.locator(".log"))).to_have_text(history)
    expect(texts(page.locator("#log"))).to_have_text(history)
    expect(page.locator("#log .msg--pending")).to_have_count(0)
    assert any(url.endswith("/api/visitor/command") for url in traffic.urls)

    # A reload: the socket is refused again, the stream starts from the first line; nothing is
    # doubled, and the chat carries on both ways.
    page.reload()
    expect(texts(page.locator("#log"))).to_have_text(history, timeout=3 * WAIT_MS)
    counselor_send(panel, "Ik ben er nog.")
    expect(texts(page.locator("#log"))).to_have_text([*history, "Ik ben er nog."])
    visitor_send(page, "Ik ook.")
    expect(texts(panel.locator(".log"))).to_have_text([*history, "Ik ben er nog.", "Ik ook."])

    page.locator("#quick-exit").click()
    expect(page).to_have_url(neutral.url)
    assert not traffic.outside(server.base, neutral.base), traffic.outside(
        server.base, neutral.base
    )
    # Chromium itself logs each refused handshake; nothing else may have gone wrong.
    errors = [e for e in people.script_errors if "/ws/visitor' failed" not in e]
    assert not errors, errors
