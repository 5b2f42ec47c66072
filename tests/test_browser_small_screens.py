"""The visitor pages on small and zoomed phones, in Chromium (issue 12).

Three screens: a 360×640 phone, the same phone at 200 % zoom (180×320 CSS px at device scale 2,
WCAG 1.4.4) and 320 px wide (reflow, WCAG 1.4.10). On every visitor view (start, start with "I have
a code" open, waiting, waiting in danger, chat, ended with the feedback questions, closed) the main
control, quick exit and the 112 link can be reached and are not covered by anything, nothing
scrolls sideways and no word is broken across lines. Also: the start button is on the first screen
of the phone, a visitor in danger sees the whole 112 alert, the offer to leave a message fits the
moment it is made in, and leaving one does not tell the visitor they stopped the chat.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from baken.domain.conversation import Role
from baken.store.clock import utcnow
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.browser_support import (
    WAIT_MS,
    NeutralSite,
    axe_violations,
    start_baken,
    start_chat,
    t,
)
from tests.support import Server, add_staff_with_role, counselor, run_async

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    scale: int = 1


PHONE = Screen("phone 360×640", 360, 640)
ZOOMED = Screen("phone at 200 % zoom", 180, 320, 2)
NARROW = Screen("320 px wide", 320, 640)
SCREENS = [PHONE, ZOOMED, NARROW]

# Quick exit and 112 are in the top bar of every visitor page.
QUICK_EXIT = "#quick-exit"
CALL_112 = ".topbar .danger-link"

# What stands at the centre of an element, or why nothing can be tapped there.
COVERED_SCRIPT = """(el) => {
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (r.width === 0 || r.height === 0) return "not shown";
  if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return "outside the screen";
  const hit = document.elementFromPoint(x, y);
  if (hit === el || el.contains(hit)) return "";
  return hit ? "covered by " + hit.outerHTML.slice(0, 120) : "nothing there";
}"""

# Words whose letters are shown on more than one line (a squeezed box breaks them anywhere). A
# hyphen or soft hyphen is a proper place to break; text in a closed <details> is not shown.
BROKEN_WORDS_SCRIPT = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, noscript, select, [hidden]")) continue;
    if (parent.closest("details:not([open]) > :not(summary)")) continue;
    for (const match of node.data.matchAll(/[^\\s\\u00ad-]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""

OVERFLOW_SCRIPT = "() => [document.documentElement.scrollWidth, window.innerWidth]"


# --- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_baken(tmp_path_factory: pytest.TempPathFactory, neutral: NeutralSite) -> Iterator[Server]:
    """One server for the views that need the service open; every test makes its own visitors."""
    # A light proof-of-work: the page still does it before every start, only faster.
    server = start_baken(tmp_path_factory.mktemp("open"), neutral, pow_base_number=1_000)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closed_baken(
    tmp_path_factory: pytest.TempPathFactory, neutral: NeutralSite
) -> Iterator[Server]:
    server = start_baken(tmp_path_factory.mktemp("closed"), neutral, pow_base_number=1_000)
    _, admin = add_staff_with_role(server, Role.ADMIN)
    closed_all_week = {"enabled": True, "weekly": {}, "exceptions": [], "numbers": []}
    saved = httpx.put(
        server.base + "/api/service-hours",
        json={"version": 0, "config": closed_all_week},
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": server.origin},
    )
    assert saved.status_code == 200, saved.text
    yield server
    server.stop()


@pytest.fixture
def own_baken(tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    """A server of its own: the test sets the queue's history, which others must not see."""
    server = start_baken(tmp_path, neutral, pow_base_number=1_000)
    yield server
    server.stop()


# --- phones --------------------------------------------------------------------------------------


@dataclass
class Errors:
    """Script errors and console errors of the pages: a page that throws is a broken page."""

    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda m: self.seen.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )


@contextmanager
def phone(
    browser: Browser, screen: Screen, errors: Errors, locale: str = "nl-NL"
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        locale=locale,
        viewport={"width": screen.width, "height": screen.height},
        device_scale_factor=screen.scale,
        has_touch=True,
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        errors.watch(page)
        yield page
    finally:
        context.close()


def assert_usable(page: Page, primary: Locator, screen: Screen, view: str) -> None:
    """The main control, quick exit and 112 can be reached and tapped; nothing scrolls sideways
    and no word is broken over two lines."""
    where = f"{view} on a {screen.name}"
    scroll_width, inner_width = page.evaluate(OVERFLOW_SCRIPT)
    assert scroll_width <= inner_width, f"{where}: the page scrolls sideways ({scroll_width} px)"
    broken = page.evaluate(BROKEN_WORDS_SCRIPT)
    assert not broken, f"{where}: words broken over lines: {broken}"
    for name, control in (
        ("main control", primary),
        ("quick exit", page.locator(QUICK_EXIT)),
        ("112", page.locator(CALL_112)),
    ):
        control.scroll_into_view_if_needed()
        problem = control.evaluate(COVERED_SCRIPT)
        assert not problem, f"{where}: the {name} cannot be tapped: {problem}"


def assert_accessible(page: Page, screen: Screen, view: str) -> None:
    if screen is NARROW:
        violations = axe_violations(page)
        assert not violations, f"{view} at 320 px: {violations}"


def assert_wholly_in_view(element: Locator, what: str) -> None:
    """Every corner of the element is on screen and is the element itself (nothing over it)."""
    corners = element.evaluate(
        """(el) => {
          const r = el.getBoundingClientRect();
          const inset = 3;
          const points = [[r.left + inset, r.top + inset], [r.right - inset, r.top + inset],
                          [r.left + inset, r.bottom - inset], [r.right - inset, r.bottom - inset]];
          return points.map(([x, y]) => {
            if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return "off screen";
            const hit = document.elementFromPoint(x, y);
            return hit === el || el.contains(hit) ? "" : "covered by " + (hit ? hit.tagName : "?");
          });
        }"""
    )
    assert corners == ["", "", "", ""], f"{what} is not wholly in view: {corners}"


# --- the counselor, over the WebSocket -----------------------------------------------------------


def counselor_does(server: Server, token: str, *frames: dict[str, Any]) -> None:
    """Send these frames as a signed-in counselor, each one done before the next."""

    async def run() -> None:
        client = await counselor(server, token)
        for frame in frames:
            await client.send(frame)
            kind = frame["type"]
            if kind == "accept":
                await client.expect("accepted", conversation_id=frame["conversation_id"])
            elif kind == "send":
                await client.expect("ack", client_msg_id=frame["client_msg_id"])
            elif kind == "end":
                await client.expect("ended", conversation_id=frame["conversation_id"])
        await client.close()

    run_async(run())


def counselor_says(conversation_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "send",
        "conversation_id": conversation_id,
        "client_msg_id": "m-" + secrets.token_hex(6),
        "text": text,
    }


# --- the views -----------------------------------------------------------------------------------


def test_the_start_view_fits_every_screen_and_the_button_is_on_the_first(
    open_baken: Server, browser: Browser
) -> None:
    errors = Errors()
    for screen in SCREENS:
        with phone(browser, screen, errors) as page:
            page.goto(open_baken.base + "/")
            page.wait_for_load_state("load")
            start = page.locator("#start-button")
            if screen is PHONE:
                box = start.bounding_box()
                assert page.evaluate("window.scrollY") == 0
                assert box is not None and box["y"] + box["height"] <= 640, box
            assert_usable(page, start, screen, "start")
            assert_accessible(page, screen, "start")

            page.locator("#return-box summary").click()
            expect(page.locator("#return-code")).to_be_visible()
            assert_usable(page, page.locator("#return-button"), screen, "start with a code")
            assert_usable(page, start, screen, "start with a code")
            assert_accessible(page, screen, "start with a code")
    # English words are longer in places: the narrowest screen in English too.
    with phone(browser, ZOOMED, errors, locale="en-GB") as page:
        page.goto(open_baken.base + "/?lang=en")
        expect(page.locator("#start-button")).to_have_text(t("en", "Start chat"))
        assert_usable(page, page.locator("#start-button"), ZOOMED, "start in English")
    assert not errors.seen, errors.seen


def test_a_visitor_in_danger_sees_the_whole_112_alert_while_waiting(
    open_baken: Server, browser: Browser
) -> None:
    errors = Errors()
    for screen in SCREENS:
        with phone(browser, screen, errors) as page:
            page.goto(open_baken.base + "/")
            page.wait_for_load_state("load")
            page.locator("#danger").check()
            start_chat(page, open_baken, open_page=False)
            alert = page.locator("#queue-urgent")
            expect(alert).to_be_visible()
            expect(alert.get_by_role("link")).to_have_attribute("href", "tel:112")
            # Right after the start, before anyone scrolls: the whole alert, nothing over it.
            assert_wholly_in_view(alert, f"the 112 alert on a {screen.name}")
            assert_wholly_in_view(
                page.locator("#queue-position"), f"the place in line on a {screen.name}"
            )
            assert_usable(page, page.locator("#message"), screen, "waiting in danger")
            assert_accessible(page, screen, "waiting in danger")
    assert not errors.seen, errors.seen


def test_waiting_chatting_and_the_end_fit_every_screen(
    open_baken: Server, browser: Browser
) -> None:
    errors = Errors()
    _, token = open_baken.add_staff(display_name="Anna")
    for screen in SCREENS:
        with phone(browser, screen, errors) as page:
            conversation_id = start_chat(page, open_baken)
            expect(page.locator("#queue-position")).to_be_visible()
            assert_usable(page, page.locator("#message"), screen, "waiting")
            assert_accessible(page, screen, "waiting")

            counselor_does(
                open_baken, token, {"type": "accept", "conversation_id": conversation_id}
            )
            expect(page.locator("#queue-box")).to_be_hidden()
            page.locator("#message").fill("Hallo, ik wil iets vragen over mijn werk.")
            page.locator("#message").press("Enter")
            expect(page.locator(".msg--own")).to_have_count(1)
            counselor_does(
                open_baken, token, counselor_says(conversation_id, "Fijn dat je er bent. Vertel.")
            )
            answer = page.locator(".msg--theirs")
            expect(answer).to_have_count(1)
            # The newest message is shown in the transcript, however small the screen.
            expect(answer).to_be_in_viewport()
            assert_usable(page, page.locator("#message"), screen, "chat")
            assert_accessible(page, screen, "chat")

            counselor_does(open_baken, token, {"type": "end", "conversation_id": conversation_id})
            expect(page.locator("#ended-box")).to_be_visible()
            feedback = page.locator("#feedback-form")
            expect(feedback).to_be_visible()
            restart = page.locator("#restart-form button[type=submit]")
            assert_usable(page, restart, screen, "ended")
            # Each answer is easy to tap: a radio of at least 24 px in a row of at least 44 px.
            for label in feedback.locator("label").all():
                label.scroll_into_view_if_needed()
                radio = label.locator("input[type=radio]").bounding_box()
                row = label.bounding_box()
                assert radio is not None and radio["width"] >= 24 and radio["height"] >= 24
                assert row is not None and row["height"] >= 44
            feedback.locator("label").first.click()
            expect(feedback.locator("input[type=radio]").first).to_be_checked()
            assert_usable(page, restart, screen, "ended")
            assert_accessible(page, screen, "ended")
    assert not errors.seen, errors.seen


def test_the_closed_page_fits_every_screen(closed_baken: Server, browser: Browser) -> None:
    errors = Errors()
    for screen in SCREENS:
        with phone(browser, screen, errors) as page:
            page.goto(closed_baken.base + "/")
            expect(page.locator("#view-title")).to_have_text(t("nl", "The chat is closed now"))
            assert_usable(page, page.locator("#leave-message-text"), screen, "closed")
            assert_accessible(page, screen, "closed")
    assert not errors.seen, errors.seen


# --- leaving a message instead of waiting --------------------------------------------------------


def test_the_offer_to_leave_a_message_fits_the_moment_and_leaving_one_stops_nothing(
    own_baken: Server, browser: Browser
) -> None:
    errors = Errors()
    # Three chats taken in the last hour, the first 50 minutes ago: the server then expects a wait
    # of about 1,000 s for the first in line, more than the 600 s after which a message is offered.
    # Real accepts would all fall within the last seconds and promise a short wait.
    app: Any = own_baken._server.config.app  # the FastAPI app of this in-process server
    hub = app.state.baken.chat.hub
    accepts = hub.recent_accepts[DEFAULT_ORGANISATION]
    accepts.extend([utcnow() - timedelta(minutes=minutes) for minutes in (50, 30, 10)])
    assert own_baken.settings.offer_message_after_seconds == 600
    estimate_text = t(
        "nl",
        "It may take a while. You can also leave a message. A counselor answers it later, and "
        "you read the answer here with a code.",
    )
    waited_text = t(
        "nl",
        "Waiting a long time? You can also leave a message. A counselor answers it later, and you "
        "read the answer here with a code.",
    )
    # Issue 15: an estimate needs a counselor available now; one stays online, taking nobody.
    _sid, token = own_baken.add_staff()
    online = threading.Event()
    done = threading.Event()

    async def stay_online() -> None:
        c = await counselor(own_baken, token)
        try:
            online.set()
            while not done.is_set():
                await c.send({"type": "ping", "t": 1})
                await c.expect("pong")
                await asyncio.to_thread(done.wait, 0.5)
        finally:
            await c.close()

    # A daemon: should the test fail halfway, the server's stop ends this socket and the thread.
    threading.Thread(target=run_async, args=(stay_online(),), daemon=True).start()
    assert online.wait(60), "the counselor never came online"
    for screen in (ZOOMED, NARROW):
        with phone(browser, screen, errors) as page:
            start_chat(page, own_baken)
            expect(page.locator("#queue-wait")).to_have_text(re.compile(r"\d+ minuten"))
            # Shown at once (the page would wait 600 s otherwise), in words for a long estimate.
            offer = page.locator("#queue-offer")
            expect(offer).to_be_visible()
            # The one text shown (the other is hidden) is the one for a long estimate.
            expect(offer.locator(".queue-offer__text:visible")).to_have_text([estimate_text])
            assert_usable(page, page.locator("#queue-offer-button"), screen, "waiting, offer")
            assert_accessible(page, screen, "waiting with the offer")

            page.locator("#queue-offer-button").click()
            page.locator("#queue-message-text").fill("Ik kan niet langer wachten.")
            assert_usable(page, page.locator("#queue-message-text"), screen, "leave a message")
            page.get_by_role("button", name=t("nl", "Leave message and stop waiting")).click()

            expect(page.locator("#ended-box")).to_be_visible()
            code = page.locator('#queue-message-code [data-role="code"]')
            expect(code).to_have_text(re.compile(r"\S+( \S+){3,}"))
            assert_wholly_in_view(code, f"the code on a {screen.name}")
            expect(page.locator("#view-title")).to_have_text(t("nl", "Message left"))
            expect(page.locator("#log")).to_have_text(t("nl", "You are no longer waiting in line."))
            shown = page.locator("body").inner_text()  # what is on screen, hidden texts left out
            assert t("nl", "You ended the chat.") not in shown
            assert t("nl", "The chat has ended") not in shown
            expect(page.locator("#ended-box")).to_contain_text(
                t(
                    "nl",
                    "A counselor answers your message later. You can start a new chat any time.",
                )
            )
            assert_usable(
                page, page.locator("#restart-form button[type=submit]"), screen, "message left"
            )
            assert_accessible(page, screen, "message left")

    # Without a long estimate it is offered only after a real wait, and then asks about it.
    hub.recent_accepts.clear()
    own_baken.settings.offer_message_after_seconds = 1  # the page reads it when it loads
    with phone(browser, PHONE, errors) as page:
        start_chat(page, own_baken)
        expect(page.locator("#queue-wait")).to_be_hidden()  # too little history to estimate
        offer = page.locator("#queue-offer")
        expect(offer).to_be_visible()
        expect(offer.locator(".queue-offer__text:visible")).to_have_text([waited_text])
    done.set()
    assert not errors.seen, errors.seen
