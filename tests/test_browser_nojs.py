"""The visitor's forms with JavaScript switched off, in Debian's Chromium (issue 12): nothing a
visitor types is lost without a word. On the closed page a message is left and its code shown, a
counselor answers, and the answer is read with the code; an empty message and a wrong code are
answered next to the form. On the start page the "I have a code" form starts a chat (with the
waiting answer shown) and destroys a code. Every result page passes axe.

Screenshots of the result pages go to /tmp/shots-nojs/ (looked at by people, not asserted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    PHONE,
    WAIT_MS,
    NeutralSite,
    Traffic,
    axe_violations,
    start_baken,
    start_neutral_site,
    t,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-nojs")
CLOSED_ALL_WEEK = {
    "enabled": True,
    "weekly": {},
    "exceptions": [],
    "numbers": [
        {"label_nl": "Fier advieslijn", "label_en": "Fier advice", "number": "058 215 70 70"}
    ],
    "message_nl": "Vannacht zijn we er niet.",
    "message_en": "We are not here tonight.",
}


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Server, NeutralSite]]:
    neutral = start_neutral_site()
    server = start_baken(tmp_path, neutral)
    yield server, neutral
    server.stop()
    neutral.stop()


def _close(server: Server) -> None:
    _, admin = add_staff_with_role(server, Role.ADMIN)
    saved = httpx.put(
        server.base + "/api/service-hours",
        json={"version": 0, "config": CLOSED_ALL_WEEK},
        headers={**_cookie(admin), "Origin": server.origin},
    )
    assert saved.status_code == 200


@pytest.fixture
def no_js(browser: Browser) -> Iterator[tuple[BrowserContext, Traffic]]:
    """A visitor's phone with JavaScript switched off; every request it makes is kept."""
    context = browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    traffic = Traffic()
    traffic.watch(context)
    yield context, traffic
    context.close()


def _threads(server: Server, counselor: str) -> list[dict[str, Any]]:
    listed = httpx.get(server.base + "/api/left-messages", headers=_cookie(counselor))
    threads: list[dict[str, Any]] = listed.json()["threads"]
    return threads


def _answer(server: Server, counselor: str, text: str) -> None:
    """A counselor answers the one waiting thread over the console's API."""
    threads = _threads(server, counselor)
    assert len(threads) == 1
    reply = httpx.post(
        server.base + f"/api/left-messages/{threads[0]['id']}/reply",
        json={"text": text},
        headers={**_cookie(counselor), "Origin": server.origin},
    )
    assert reply.status_code == 200


def _axe(page: Page, server: Server) -> list[str]:
    """axe-core's violations on what this page shows.

    axe needs timers, and a page without JavaScript runs none (page.evaluate of axe would wait
    for ever). So axe checks an exact copy of this page's DOM in a page with JavaScript, on the
    same origin (the same stylesheet), with the page's own scripts left out and the <noscript>
    content shown as an element, as a browser without JavaScript shows it."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
    html = html.replace("<noscript>", '<div data-was="noscript">').replace("</noscript>", "</div>")
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
    # What the visitor sees after the post: the form's own anchor scrolls its result into view.
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_closed_page_without_javascript_leaves_a_message_and_reads_the_answer(
    site: tuple[Server, NeutralSite], no_js: tuple[BrowserContext, Traffic]
) -> None:
    server, _neutral = site
    _close(server)
    _, counselor = server.add_staff()
    context, traffic = no_js
    page = context.new_page()
    page.goto(server.base + "/")
    expect(page.locator("#view-title")).to_have_text(t("nl", "The chat is closed now"))
    leave = page.locator("#leave-message-form")
    status = page.locator("#leave-message-status")

    # Nothing typed: said next to the form, nothing stored.
    leave.get_by_role("button", name=t("nl", "Leave message")).click()
    expect(status).to_have_text(t("nl", "Please type a message first."))
    expect(page.locator("#leave-message-text")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#leave-message-code")).to_be_hidden()
    assert _threads(server, counselor) == []
    assert not (found := _axe(page, server)), found
    _shot(page, "closed-empty-message")

    text = "Ik wil graag iets vragen over mijn werk.\nHet is dringend."
    page.locator("#leave-message-text").fill(text)
    leave.get_by_role("button", name=t("nl", "Leave message")).click()
    expect(status).to_have_text(t("nl", "Your message has been left."))
    code_box = page.locator("#leave-message-code")
    expect(code_box).to_be_visible()
    code = code_box.locator('[data-role="code"]').inner_text().strip()
    assert len(code.split()) >= 6
    expect(page.locator("#leave-message-text")).to_have_value("")
    assert page.url == server.base + "/closed/message#leave-message-form"
    assert not (found := _axe(page, server)), found
    _shot(page, "closed-message-left")

    _answer(server, counselor, "Dank je. <i>Vertel</i> gerust meer.")

    # A wrong code first: the neutral answer, the code kept to correct it.
    read = page.locator("#read-answer-form")
    page.locator("#read-answer-code").fill("appel peer banaan kiwi druif citroen")
    read.get_by_role("button", name=t("nl", "Read answer")).click()
    expect(page.locator("#read-answer-status")).to_have_text(
        t("nl", "This code does not work. Check it, or start a new chat.")
    )
    expect(page.locator("#read-answer-code")).to_have_value("appel peer banaan kiwi druif citroen")
    expect(page.locator("#read-answer-list li")).to_have_count(0)
    assert not (found := _axe(page, server)), found
    _shot(page, "closed-wrong-code")

    page.locator("#read-answer-code").fill(code)
    read.get_by_role("button", name=t("nl", "Read answer")).click()
    expect(page.locator("#read-answer-status")).to_have_text(t("nl", "The answer:"))
    expect(page.locator("#read-answer-list li")).to_have_text(
        ["Dank je. <i>Vertel</i> gerust meer."]
    )
    assert page.locator("#read-answer-list i").count() == 0  # shown as text, never as HTML
    assert not (found := _axe(page, server)), found
    _shot(page, "closed-answer-read")

    # Read once: the next look says there is nothing new.
    read.get_by_role("button", name=t("nl", "Read answer")).click()
    expect(page.locator("#read-answer-status")).to_have_text(
        t("nl", "There is no new answer yet. Please look again later.")
    )
    # The page never fell back on the JSON APIs, and never left the site.
    assert not [u for u in traffic.urls if "/api/" in u], traffic.urls
    assert not traffic.outside(server.base), traffic.outside(server.base)


def _open_code_box(page: Page, server: Server) -> None:
    page.goto(server.base + "/")
    page.get_by_text(t("nl", "I have a code")).click()  # <details>: opens without JavaScript
    expect(page.locator("#return-code")).to_be_visible()


def test_the_code_form_without_javascript_starts_a_chat_and_destroys_a_code(
    site: tuple[Server, NeutralSite], browser: Browser, no_js: tuple[BrowserContext, Traffic]
) -> None:
    server, _neutral = site
    _, counselor = server.add_staff()
    # A code with an answer waiting, as a message left earlier makes one.
    left = httpx.post(
        server.base + "/api/visitor/message",
        json={"text": "Mag ik later terugkomen?", "lang": "nl", "pow": server.proof_of_work()},
        headers={"Origin": server.origin},
    )
    code = left.json()["code"]
    _answer(server, counselor, "Fijn dat je terugkomt. <b>Welkom</b>.")
    context, traffic = no_js

    page = context.new_page()
    _open_code_box(page, server)
    page.locator("#return-code").fill("geen echte code hier")
    page.get_by_role("button", name=t("nl", "Continue with my code")).click()
    expect(page.locator("#return-status")).to_have_text(
        t("nl", "This code does not work. Check it, or start a new chat.")
    )
    expect(page.locator("#return-code")).to_have_value("geen echte code hier")
    expect(page.locator("#return-box")).to_have_attribute("open", "")
    assert not (found := _axe(page, server)), found
    _shot(page, "return-wrong-code")

    page.locator("#return-code").fill(code.upper())
    page.get_by_role("button", name=t("nl", "Continue with my code")).click()
    # The same place as with JavaScript: waiting in line, with the helpline's answer shown once.
    expect(page.locator("#view-title")).to_have_text(t("nl", "Waiting for a counselor"))
    expect(page.locator("#queue-box")).to_be_visible()
    followups = page.locator("#followup-list li")
    expect(followups).to_have_text(
        [f"{t('nl', 'From the helpline')}: Fijn dat je terugkomt. <b>Welkom</b>."]
    )
    assert page.locator("#followups b").count() == 0
    # The way on to the chat without JavaScript (issue 13), visibly: this page does not move on
    # by itself, it shows the answer only once (Playwright's text search skips <noscript>).
    notice = page.locator("#view-chat noscript .notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(t("nl", "Go to the chat without JavaScript"))
    assert not (found := _axe(page, server)), found
    _shot(page, "return-queued")
    # Reloading the chat page shows the chat itself (the session cookie was set), the answer
    # not again: it was shown once.
    page.goto(server.base + "/")
    expect(page.locator("#queue-box")).to_be_visible()
    expect(followups).to_have_count(0)

    # Destroying, in another browser without JavaScript.
    fresh = browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)  # type: ignore[arg-type]
    try:
        fresh.set_default_timeout(WAIT_MS)
        page = fresh.new_page()
        _open_code_box(page, server)
        page.locator("#return-code").fill(code)
        page.get_by_role("button", name=t("nl", "Destroy my code")).click()
        expect(page.locator("#return-status")).to_have_text(
            t("nl", "Done. If this code existed, it no longer works.")
        )
        expect(page.locator("#return-code")).to_have_value("")
        assert not (found := _axe(page, server)), found
        _shot(page, "return-destroyed")
        page.locator("#return-code").fill(code)
        page.get_by_role("button", name=t("nl", "Continue with my code")).click()
        expect(page.locator("#return-status")).to_have_text(
            t("nl", "This code does not work. Check it, or start a new chat.")
        )
    finally:
        fresh.close()
    assert not [u for u in traffic.urls if "/api/" in u], traffic.urls
