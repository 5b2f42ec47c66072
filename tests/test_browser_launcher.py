"""Issue 18, items 1 and 2 in Chromium: a partner's page with a strict CSP embeds the launcher
(tests/data/launcher_host.html); the button opens the chat in a new top-level tab with the
campaign code, and exactly one visit (and then one start) is counted. The supervisor's page never
shows a count below the report threshold; axe checks the button and the page."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from baken.campaigns.codes import local_day
from baken.campaigns.repository import Tally, counts_between
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.browser_support import (
    WAIT_MS,
    NeutralSite,
    Traffic,
    axe_all_violations,
    axe_violations,
    login_with_form,
    start_baken,
    t,
)
from tests.support import Server, add_staff_with_role, run_async

pytestmark = pytest.mark.browser

HOST_PAGE = Path(__file__).parent / "data" / "launcher_host.html"


def host_csp(baken: str) -> str:
    """What a careful school site sends: nothing inline, Baken allowed only for the script and
    its availability request (the two lines docs/reach.md asks for), no frames at all."""
    return (
        "default-src 'none'; "
        f"script-src {baken}; "
        f"connect-src {baken}; "
        "style-src 'self'; img-src 'self'; frame-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; require-trusted-types-for 'script'"
    )


@dataclass
class HostSite:
    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_host(baken: str, org: str, campaign: str) -> HostSite:
    body = (
        HOST_PAGE.read_text(encoding="utf-8")
        .replace("{{BAKEN}}", baken)
        .replace("{{ORG}}", org)
        .replace("{{CAMPAIGN}}", campaign)
        .encode()
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/":
                self.send_response(204 if self.path == "/favicon.ico" else 404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", host_csp(baken))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return HostSite(httpd, thread)


@dataclass
class World:
    server: Server
    partner: HostSite
    stranger: HostSite
    code: str


@pytest.fixture
def world(tmp_path: Path, neutral: NeutralSite) -> Iterator[World]:
    code = "school-" + secrets.token_hex(3)
    # The partner's origin is only known once its server listens; Baken reads its settings live.
    server = start_baken(tmp_path, neutral)
    partner = start_host(server.base, "default", code)
    stranger = start_host(server.base, "default", code)
    server.settings.partner_origins = [partner.base]
    yield World(server, partner, stranger, code)
    server.stop()
    partner.stop()
    stranger.stop()


def stored(server: Server, code: str) -> Tally:
    """Today's stored counts for a code, after the server wrote what it holds in memory (the
    supervisor's page flushes before it reads)."""
    _staff_id, token = add_staff_with_role(server, Role.SUPERVISOR)
    page = httpx.get(
        server.base + "/staff/campaigns", headers={"Cookie": f"__Host-baken_s={token}"}
    )
    assert page.status_code == 200

    async def read() -> Tally:
        db = Database(server.settings)
        try:
            day = local_day(datetime.now(UTC))
            rows = await counts_between(db, DEFAULT_ORGANISATION, day, day)
        finally:
            await db.dispose()
        return next((row.tally for row in rows if row.code == code), Tally())

    result: Tally = run_async(read())
    return result


def watch_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    page.on("console", console)
    return problems


def test_the_launcher_opens_the_chat_in_a_new_tab_and_counts_one_visit(
    world: World, browser: Browser
) -> None:
    server, code = world.server, world.code
    assert stored(server, code) == Tally()
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(WAIT_MS)
    traffic = Traffic()
    traffic.watch(context)
    referers: list[str | None] = []
    context.on(
        "request",
        lambda r: referers.append(r.headers.get("referer")) if "/c/" in r.url else None,
    )
    try:
        host = context.new_page()
        problems = watch_problems(host)
        host.goto(world.partner.base + "/")
        button = host.get_by_role("button", name=t("nl", "Chat anonymously"))
        expect(button).to_be_visible()
        # Open, nobody online yet: "open" without a wait (the wait is unknown).
        status = host.locator(".baken-launcher__status")
        expect(status).to_have_text(t("nl", "Open now"))
        assert button.get_attribute("aria-describedby") == status.get_attribute("id")
        assert axe_violations(host) == []

        with context.expect_page() as opened:
            button.click()
        chat = opened.value
        chat_problems = watch_problems(chat)
        expect(chat.locator("#start-form")).to_be_visible()
        assert chat.url == f"{server.base}/o/default/?c={code}&lang=nl"
        # A new top-level tab with no way back to the partner's page, and no Referer sent.
        assert chat.evaluate("window.opener === null && window.top === window")
        assert host.frames == [host.main_frame], "no frame on the partner's page"
        assert referers == [None]
        assert stored(server, code) == Tally(visits=1)

        with chat.expect_response(lambda r: r.url.endswith("/api/visitor/start")) as started:
            chat.locator("#start-button").click()
        assert started.value.status == 200
        expect(chat.locator("#queue-box")).to_be_visible()
        assert stored(server, code) == Tally(visits=1, started=1)

        # The partner's page talked to nobody but itself and Baken.
        assert traffic.outside(world.partner.base, server.base) == []
        assert problems == [] and chat_problems == [], problems + chat_problems
    finally:
        context.close()


def test_an_unlisted_site_gets_the_button_without_the_status(
    world: World, browser: Browser
) -> None:
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        # The answer comes, but the browser keeps it from the page (no CORS header) and says so.
        with page.expect_console_message(lambda m: "CORS" in m.text):
            page.goto(world.stranger.base + "/")
        button = page.get_by_role("button", name=t("nl", "Chat anonymously"))
        expect(button).to_be_visible()
        expect(page.locator(".baken-launcher__status")).to_be_hidden()
        assert button.get_attribute("aria-describedby") is None
    finally:
        context.close()


def test_counts_below_the_threshold_never_show_and_the_page_is_accessible(
    world: World, browser: Browser
) -> None:
    server, code = world.server, world.code
    for _ in range(3):
        httpx.get(f"{server.base}/c/{code}", follow_redirects=False)
    for _ in range(7):
        httpx.get(f"{server.base}/c/big-{code}", follow_redirects=False)
    username = "sup-" + secrets.token_hex(4)
    add_staff_with_role(server, Role.SUPERVISOR, username=username)
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        login_with_form(page, server, username)
        page.goto(server.base + "/staff/campaigns")
        small = page.locator("#campaigns-table tbody tr", has_text=code).filter(has_not_text="big-")
        expect(small.locator("td")).to_have_text([code, "< 5", "0", "0"])
        big = page.locator("#campaigns-table tbody tr", has_text=f"big-{code}")
        expect(big.locator("td")).to_have_text([f"big-{code}", "7", "0", "0"])
        assert " 3<" not in page.content() and ">3<" not in page.content()
        assert axe_all_violations(page) == []
    finally:
        context.close()


def test_closed_shows_the_next_opening_in_the_visitors_language(
    world: World, browser: Browser
) -> None:
    server = world.server
    server.settings.availability_cache_seconds = 0
    _, admin = add_staff_with_role(server, Role.ADMIN)
    # Open only on the day three days from now: closed today, the next opening at 09:00.
    day = str((datetime.now(UTC).weekday() + 3) % 7)
    config = {"enabled": True, "weekly": {day: [["09:00", "17:00"]]}, "exceptions": []}
    saved = httpx.put(
        server.base + "/api/service-hours",
        json={"version": 0, "config": {**config, "numbers": []}},
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": server.origin},
    )
    assert saved.status_code == 200, saved.text
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(world.partner.base + "/")
        status = page.locator(".baken-launcher__status")
        expect(status).to_be_visible()
        opens = t("nl", "Opens {when}").split("{when}")[0]
        expect(status).to_contain_text(f"{t('nl', 'Closed now')} · {opens}")
        expect(status).to_contain_text("09:00")
        # Closed or not, the button still leads to the entry (which then shows the closed page).
        expect(page.get_by_role("button", name=t("nl", "Chat anonymously"))).to_be_enabled()
    finally:
        context.close()
