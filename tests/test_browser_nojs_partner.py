"""Warm hand-off with JavaScript switched off, in Debian's Chromium (issue 17, item 3): the
transcript frame shows who joined and a one-tap "no"; tapping it ends the partner's access and the
whole tab (not only the frame) shows the chat again with a calm sentence. axe finds nothing on the
chat page or the frame."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent
from baken.store import tables
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.authz_world import in_db
from tests.browser_support import PHONE, WAIT_MS, axe_violations, t
from tests.support import Server, add_organisation, add_staff_with_role, counselor, run_async
from tests.test_partner_access import Handoffs, access_row, partner_service

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def _axe_html(browser: Browser, server: Server, html: str) -> list[str]:
    """axe on an exact copy of a no-JS page, in a page with JavaScript, without its refresh."""
    html = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", html)
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


def _waiting_conversation(server: Server) -> str:
    async def read(db: Database) -> str:
        c = tables.conversations.c
        async with db.reader.connect() as conn:
            return str((await conn.execute(select(c.id).where(c.state == "queued"))).scalar_one())

    return in_db(server, read)


def _partner_joins(server: Server, conversation_id: str, handoffs: Handoffs) -> str:
    """A counselor takes the chat, invites a partner professional on a consented referral, who
    joins; the access id. (The access stays open after their sockets close.)"""
    _staff_id, staff_token = server.add_staff(display_name="Anna")
    _slug, partner_org = add_organisation(server, "fier", "Fier")
    partner_id, partner_token = add_staff_with_role(
        server, Role.PARTNER, display_name="Sanne (Fier)", organisation_id=partner_org
    )
    referral_id, service_id = secrets.token_hex(16), "svc-" + secrets.token_hex(4)
    handoffs.consents[referral_id] = HandoffConsent(
        referral_id,
        conversation_id,
        DEFAULT_ORGANISATION,
        frozenset(),
        handoffs.now[0],
        service_id,
    )
    handoffs.partners[service_id] = partner_org

    async def go() -> str:
        c = await counselor(server, staff_token)
        await c.send({"type": "accept", "conversation_id": conversation_id})
        await c.expect("accepted", conversation_id=conversation_id)
        p = await counselor(server, partner_token)
        frame: dict[str, Any] = {
            "type": "partner_invite",
            "conversation_id": conversation_id,
            "referral_id": referral_id,
            "partner_staff_id": partner_id,
        }
        await c.send(frame)
        access_id = str((await c.expect("partner_invited"))["access"]["id"])
        await p.send({"type": "partner_join", "access_id": access_id})
        await p.expect("partner_joined")
        await p.close()
        await c.close()
        return access_id

    access: str = run_async(go())
    return access


def test_a_visitor_without_javascript_says_no_with_one_tap(
    baken: Server, browser: Browser, no_js: BrowserContext
) -> None:
    service = partner_service(baken)
    handoffs = Handoffs()
    service.consent, service.target = handoffs.consent, handoffs.target

    page = no_js.new_page()
    page.goto(baken.base + "/")
    page.get_by_role("button", name=t("nl", "Start chat")).click()
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl"))
    access_id = _partner_joins(baken, _waiting_conversation(baken), handoffs)

    # The waiting page refreshes itself into the chat; the frame shows who joined, and the no.
    expect(page.locator("#view-title")).to_have_text(t("nl", "Chat with {name}", name="Anna"))
    frame = page.frame_locator("#nojs-log")
    joined = t(
        "nl",
        "{name} from the organisation you agreed to has joined the chat. "
        "Your counselor stays with you.",
        name="Sanne (Fier)",
    )
    expect(frame.locator(".msg--system").filter(has_text=joined)).to_have_count(1)
    refuse = frame.get_by_role("button", name=t("nl", "I do not want this person in the chat"))
    expect(refuse).to_be_visible()
    log = next(f for f in page.frames if f.url.split("?")[0].endswith("/chat/log"))
    assert not (found := _axe_html(browser, baken, log.content())), found

    refuse.click()
    # The whole tab shows the chat again (not the frame alone), and says so calmly.
    expect(page).to_have_url(re.compile(r"/chat\?lang=nl&partner=refused$"))
    expect(page.locator("#nojs-notice")).to_have_text(
        t("nl", "You said no. This person is no longer in the chat. Your counselor stays with you.")
    )
    expect(page.locator("#nojs-log")).to_have_count(1)
    left = t("nl", "{name} has left the chat.", name="Sanne (Fier)")
    expect(frame.locator(".msg--system").filter(has_text=left)).to_have_count(1)
    expect(refuse).to_have_count(0)
    assert access_row(baken, access_id)["ended_reason"] == "visitor_refused"
    assert not (found := _axe_html(browser, baken, page.content())), found
