"""Helpers for the browser tests: Debian Chromium, a neutral site to exit to, and the Baken pages.

Everything here drives the real pages the way people do: clicks, keys and forms (counselors sign in
through the login form every time).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect

from baken.i18n import translations
from tests.support import PASSWORD, Server, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
NEUTRAL_TITLE = "Weer"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Hard limit for any single wait: generous for a shared 2-core machine, never a fixed sleep.
WAIT_MS = 10_000

_NEUTRAL_PAGE = (
    b"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Weer</title></head>"
    b"<body><h1>Weer</h1><p>Morgen droog, 14 graden.</p></body></html>"
)


def t(lang: str, msgid: str, **values: Any) -> str:
    """A text as the app shows it: its own catalogue, placeholders filled in."""
    text = translations(lang).gettext(msgid)
    return text.format(**values) if values else text


# --- the neutral site ----------------------------------------------------------------------------


class _NeutralHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/favicon"):
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(_NEUTRAL_PAGE)))
        self.end_headers()
        self.wfile.write(_NEUTRAL_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for the tests."""


@dataclass
class NeutralSite:
    """A plain weather page on another 127.0.0.1 port: where quick exit lands, without Internet."""

    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + "/weer"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_neutral_site() -> NeutralSite:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NeutralHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return NeutralSite(httpd, thread)


def start_baken(tmp: Path, neutral: NeutralSite, **overrides: Any) -> Server:
    """A real Baken server whose quick exit goes to the neutral site.

    `start_server` always passes its own exit_url, so it cannot take one as an override; the app
    reads the very Settings object the server holds, so setting it here is what BAKEN_EXIT_URL does.
    """
    # The page does the proof-of-work before every start, as it does in production (issue 5).
    server = start_server(tmp, **{"proof_of_work": True, **overrides})
    server.settings.exit_url = neutral.url
    return server


# --- what the browser talks to -------------------------------------------------------------------


@dataclass
class Traffic:
    """Every request (and WebSocket) a browser context makes."""

    urls: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)

    def _watch_page(self, page: Page) -> None:
        page.on("websocket", lambda ws: self.urls.append(ws.url))

    def outside(self, *origins: str) -> list[str]:
        """The URLs not on one of these http origins (their ws:// twins count as the same site)."""
        allowed: set[tuple[str, str]] = set()
        for origin in origins:
            parts = urlsplit(origin)
            allowed.add((parts.scheme, parts.netloc))
            allowed.add(({"http": "ws", "https": "wss"}[parts.scheme], parts.netloc))
        return [
            url for url in self.urls if (urlsplit(url).scheme, urlsplit(url).netloc) not in allowed
        ]


# --- contexts and pages --------------------------------------------------------------------------


def new_context(browser: Browser, locale: str, viewport: dict[str, int]) -> BrowserContext:
    context = browser.new_context(locale=locale, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    return context


def start_chat(
    page: Page, server: Server, nickname: str | None = None, *, open_page: bool = True
) -> str:
    """Open the visitor page (unless it is open already), tap "Start chat" once; returns the
    conversation id."""
    if open_page:
        page.goto(server.base + "/")
    # After a link click (the language link) the new page's DOM can be checked before its module
    # scripts have run; a tap then sends the plain form (POST /start), not the JSON start.
    page.wait_for_load_state("load")
    if nickname is not None:
        page.locator("#nickname").fill(nickname)
    with page.expect_response(lambda r: r.url.endswith("/api/visitor/start")) as started:
        page.locator("#start-button").click()
    conversation_id: str = started.value.json()["conversation"]["id"]
    expect(page.locator("#queue-box")).to_be_visible()
    expect(page.locator("#message")).to_be_enabled()
    return conversation_id


def login_with_form(page: Page, server: Server, username: str) -> None:
    """Password, then the code the account's authenticator shows (issue 5: two steps)."""
    page.goto(server.base + "/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff/login/code")
    page.locator("#code").fill(server.totp_code(username))
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff")


def open_when_known(page: Page, url: str) -> None:
    """A new organisation reaches the server's entry within its 5-second snapshot (issue 14):
    load the page until it answers (a state, polled), or fail."""
    for _ in range(200):
        response = page.goto(url)
        if response is not None and response.status == 200:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{url} never answered")


def open_console(context: BrowserContext, server: Server, display_name: str = "Anna") -> Page:
    """The counselor console of a new counselor, signed in through the login form."""
    username = "c-" + secrets.token_hex(4)
    server.add_staff(username=username, display_name=display_name)
    page = context.new_page()
    login_with_form(page, server, username)
    return page


def queue_item(console: Page, conversation_id: str) -> Locator:
    return console.locator(f'#queue-list li[data-id="{conversation_id}"]')


def chat_panel(console: Page, conversation_id: str) -> Locator:
    return console.locator(f'.chat-panel[data-id="{conversation_id}"]')


def accept(console: Page, conversation_id: str) -> Locator:
    """Accept this visitor from the live queue; returns the chat panel."""
    queue_item(console, conversation_id).get_by_role("button").click()
    panel = chat_panel(console, conversation_id)
    expect(panel).to_be_visible()
    expect(panel.locator("textarea")).to_be_editable()
    return panel


def visitor_send(page: Page, text: str) -> None:
    page.locator("#message").fill(text)
    page.locator("#message").press("Enter")
    expect(page.locator("#message")).to_have_value("")


def counselor_send(panel: Locator, text: str) -> None:
    panel.locator("textarea").fill(text)
    panel.locator("textarea").press("Enter")
    expect(panel.locator("textarea")).to_have_value("")


def texts(log: Locator) -> Locator:
    """The texts of the (non-system) messages in a chat log, in screen order."""
    return log.locator(".msg__text")


# --- accessibility -------------------------------------------------------------------------------

_AXE = Axe()
# The staff pages are held to axe's best practices too ("region": all content inside landmarks,
# "heading-order", ...), on top of WCAG 2.1 A/AA.
ALL_AXE_TAGS = [*WCAG_TAGS, "best-practice"]


def _axe_lines(page: Page, tags: list[str]) -> list[str]:
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": tags}})
    lines = []
    for violation in results.response["violations"]:
        targets = [node.get("target") for node in violation.get("nodes", [])]
        lines.append(f"{violation['id']} ({violation.get('impact')}): {targets}")
    return lines


def axe_violations(page: Page) -> list[str]:
    """axe-core WCAG 2.1 A/AA violations on this page, one line per rule with its node targets."""
    return _axe_lines(page, WCAG_TAGS)


def axe_all_violations(page: Page) -> list[str]:
    """axe-core violations of WCAG 2.1 A/AA and of best practice, one line per rule."""
    return _axe_lines(page, ALL_AXE_TAGS)


# --- one browser, many people --------------------------------------------------------------------


@dataclass
class People:
    """Fresh browser contexts (one per person) that are all closed after the test.

    Script errors and console errors of every page are collected: a page that throws, or content
    the browser refused to load, is a broken page.
    """

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def _new(self, locale: str, viewport: dict[str, int]) -> BrowserContext:
        context = new_context(self.browser, locale, viewport)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        # Errors logged by the page or the browser for it: also refused content (CSP) and 404s.
        # Not counted: the /favicon.ico Chromium asks for on its own for non-HTML documents (JSON).
        source = message.location.get("url", "")
        if message.type == "error" and not source.endswith("/favicon.ico"):
            self.script_errors.append(f"{page.url}: console: {message.text} ({source})")

    def visitor(self, locale: str = "nl-NL") -> BrowserContext:
        return self._new(locale, PHONE)

    def counselor(
        self, locale: str = "nl-NL", viewport: dict[str, int] | None = None
    ) -> BrowserContext:
        return self._new(locale, viewport or DESKTOP)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
