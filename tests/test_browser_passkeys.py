"""Passkeys in Debian's Chromium (issue 16), with the browser's own virtual authenticator (DevTools
protocol, WebAuthn domain): a counselor adds a passkey on the security page and signs in with
password and passkey; an administrator requires passkeys, and a counselor without one is led to
add one right after the code, then signs in with it alone.

WebAuthn needs a secure context and a host name (no IP address), so these pages are opened on
http://localhost, which browsers treat as secure. Screenshots go to /tmp/shots-passkeys/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from baken.audit import kinds
from baken.domain.conversation import Role
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.database import Database
from baken.store.passkey_repo import PasskeyRepository
from tests.browser_support import People, axe_all_violations, t
from tests.support import PASSWORD, Server, add_staff_with_role, run_async

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-passkeys")


def local(server: Server) -> str:
    return f"http://localhost:{server.port}"


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator with user verification, like a laptop's fingerprint reader."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def password_step(page: Page, server: Server, username: str) -> None:
    page.goto(local(server) + "/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(local(server) + "/staff/login/code")


def sign_in_with_code(page: Page, server: Server, username: str) -> None:
    password_step(page, server, username)
    page.locator("#code").fill(server.totp_code(username))
    page.locator("form.login-form button[type=submit]").click()


def sign_out(page: Page, server: Server) -> None:
    # Only once the console has loaded what it asks for at start (canned texts, left messages,
    # pending registrations): a request cut off by the sign-out is answered 401, and the browser
    # reports that as a console error (CI saw it for /api/left-messages).
    page.wait_for_load_state("networkidle")
    page.locator(".staffbar__logout button").click()
    expect(page).to_have_url(local(server) + "/staff/login")


def db_work(server: Server, work: Any) -> Any:
    async def run() -> Any:
        db = Database(server.settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return run_async(run())


def test_add_a_passkey_and_sign_in_with_it(baken: Server, people: People) -> None:
    staff_id, _ = add_staff_with_role(baken, Role.COUNSELOR, "lotte", "Lotte")
    context = people.counselor()
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(context, page)

    sign_in_with_code(page, baken, "lotte")
    expect(page).to_have_url(local(baken) + "/staff")
    page.get_by_role("link", name=t("nl", "Passkeys"), exact=True).click()
    expect(page).to_have_url(local(baken) + "/staff/security")
    expect(page.locator("#passkey-none")).to_be_visible()
    assert axe_all_violations(page) == []
    shot(page, "security-empty")

    page.locator("#passkey-name").fill("Werklaptop")
    page.locator("#passkey-add").click()
    expect(page).to_have_url(local(baken) + "/staff/security?done=added")
    expect(page.locator("#security-done")).to_have_text(t("nl", "The passkey has been added."))
    expect(page.locator("#passkey-list tbody tr")).to_have_count(1)
    expect(page.locator("#passkey-list tbody td").first).to_have_text("Werklaptop")
    assert axe_all_violations(page) == []
    shot(page, "security-one-passkey")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(held) == 1 and held[0]["rpId"] == "localhost" and held[0]["isResidentCredential"]

    # The same authenticator a second time: the browser refuses (the server listed it as
    # excluded), the page says so calmly, and nothing is added.
    page.locator("#passkey-name").fill("Nog een keer")
    page.locator("#passkey-add").click()
    expect(page.locator("#passkey-status")).to_have_text(
        t("nl", "This passkey could not be added. Try again, or use another one.")
    )
    expect(page.locator("#passkey-list tbody tr")).to_have_count(1)

    # Signing in again: the password, then the passkey instead of a code.
    sign_out(page, baken)
    password_step(page, baken, "lotte")
    expect(page.locator("h1")).to_have_text(t("nl", "Sign in with your passkey"))
    expect(page.locator("#code")).to_be_visible()  # the code still works beside it
    assert axe_all_violations(page) == []
    shot(page, "sign-in-with-passkey")
    page.locator("#passkey-button").click()
    expect(page).to_have_url(local(baken) + "/staff")
    expect(page.locator(".staffbar__name")).to_have_text("Lotte")

    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    passkey = db_work(baken, lambda db: PasskeyRepository(db).of_member(staff_id))[0]
    assert passkey.last_used_at is not None
    assert passkey.credential.sign_count == held[0]["signCount"] >= 1

    async def used(db: Database) -> list[str]:
        page = await AuditLog(db).page(AuditFilter(actor_id=staff_id), limit=100)
        return [record.kind for record in page]

    assert kinds.PASSKEY_USE in db_work(baken, used)
    assert people.script_errors == []


def test_a_required_passkey_is_added_right_after_the_code(baken: Server, people: People) -> None:
    add_staff_with_role(baken, Role.ADMIN, "ada", "Ada")
    add_staff_with_role(baken, Role.COUNSELOR, "joris", "Joris")

    # The administrator turns the rule on, on the security page.
    admin = people.counselor().new_page()
    sign_in_with_code(admin, baken, "ada")
    admin.goto(local(baken) + "/staff/security")
    admin.locator("#organisation-rule-button").click()
    expect(admin.locator("#security-done")).to_have_text(
        t("nl", "Passkeys are now required in your organisation.")
    )
    expect(admin.locator("#passkeys-required")).to_be_visible()
    assert axe_all_violations(admin) == []
    shot(admin, "security-admin-required")

    # A counselor without a passkey: password, code, and then the passkey before any session.
    context = people.counselor()
    page = context.new_page()
    virtual_authenticator(context, page)
    sign_in_with_code(page, baken, "joris")
    expect(page).to_have_url(local(baken) + "/staff/login/new-passkey")
    expect(page.locator("h1")).to_have_text(t("nl", "Add a passkey"))
    assert axe_all_violations(page) == []
    shot(page, "required-new-passkey")
    page.locator("#passkey-name").fill("Telefoon")
    page.locator("#passkey-add").click()
    expect(page).to_have_url(local(baken) + "/staff")
    expect(page.locator(".staffbar__name")).to_have_text("Joris")

    # From now on only the passkey completes sign-in.
    sign_out(page, baken)
    password_step(page, baken, "joris")
    expect(page.locator("#passkey-only")).to_be_visible()
    expect(page.locator("#code")).to_have_count(0)
    assert axe_all_violations(page) == []
    shot(page, "sign-in-passkey-only")
    page.locator("#passkey-button").click()
    expect(page).to_have_url(local(baken) + "/staff")
    assert people.script_errors == []
