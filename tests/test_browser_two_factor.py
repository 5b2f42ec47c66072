"""Two-step sign-in in Debian's Chromium (issue 5): a new counselor sets up an authenticator,
saves the recovery codes, works, signs out, and signs in again with password and code; an open
console whose session an administrator ends goes back to the sign-in page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from baken.auth import totp
from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    axe_violations,
    t,
)
from tests.staff_login_helpers import StaffBrowser
from tests.support import PASSWORD, Server, add_staff_with_role, add_staff_without_factor

pytestmark = pytest.mark.browser

USED_CODE = (
    "That code is not correct, or it was used already. Wait for the next code and try again."
)


def test_enrolment_and_sign_in_with_a_code(baken: Server, people: People) -> None:
    add_staff_without_factor(baken, "noor", "Noor")
    context = people.counselor()
    page = context.new_page()

    page.goto(baken.base + "/staff/login")
    page.locator("#username").fill("noor")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()

    # First sign-in: the enrolment page, with a QR code drawn by Baken itself.
    expect(page).to_have_url(baken.base + "/staff/enrol")
    expect(page.locator("h1")).to_have_text(t("nl", "Set up two-step sign-in"))
    qr = page.locator("img.enrol-qr")
    expect(qr).to_have_attribute("src", "/staff/enrol/qr.svg")
    # The image arrives after the page: wait until it has loaded (a broken one never gets wide).
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=qr.element_handle())
    assert axe_violations(page) == []
    secret = (page.locator("#totp-secret").text_content() or "").replace(" ", "")
    assert len(secret) == 32

    # A typo first, then the code the phone shows.
    step = totp.step_at(datetime.now(UTC))
    page.locator("#code").fill(totp.code_at_step(secret, step + 7))
    page.locator("form.login-form button[type=submit]").click()
    expect(page.locator("#code-error")).to_be_visible()
    page.locator("#code").fill(totp.code_at_step(secret, step))
    page.locator("form.login-form button[type=submit]").click()

    # The recovery codes, once; then the console.
    expect(page.locator("h1")).to_have_text(t("nl", "Save your recovery codes"))
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert axe_violations(page) == []
    page.locator("#continue").click()
    expect(page).to_have_url(baken.base + "/staff")
    expect(page.locator(".staffbar__name")).to_have_text("Noor")
    # Sign out only once the console has loaded what it asks for at start (canned texts, left
    # messages, pending registrations): a request cut off by the sign-out would be answered 401.
    expect(page.locator("#queue-empty")).to_be_visible()
    page.wait_for_load_state("networkidle")

    page.locator(".staffbar__logout button").click()
    expect(page).to_have_url(baken.base + "/staff/login")

    # Signing in again: password, then a code — not the one used for enrolment.
    baken.totp_secrets["noor"] = secret
    baken.totp_steps["noor"] = step
    page.locator("#username").fill("noor")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(baken.base + "/staff/login/code")
    assert axe_violations(page) == []
    page.locator("#code").fill(totp.code_at_step(secret, step))
    page.locator("form.login-form button[type=submit]").click()
    expect(page.locator("#code-error")).to_have_text(t("nl", USED_CODE))
    page.locator("#code").fill(baken.totp_code("noor"))
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(baken.base + "/staff")
    expect(page.locator("#queue-empty")).to_be_visible()
    # The two refused codes were answered 401 on purpose; Chromium logs those. Nothing else.
    refused = [e for e in people.script_errors if "status of 401" in e]
    assert len(refused) == 2, refused
    assert [e for e in people.script_errors if e not in refused] == []


def test_an_open_console_goes_to_sign_in_when_an_admin_ends_its_session(
    baken: Server, people: People
) -> None:
    from tests.browser_support import login_with_form

    staff_id, _ = add_staff_with_role(baken, Role.COUNSELOR, "tom", "Tom")
    _, admin_token = add_staff_with_role(baken, Role.ADMIN, "ada", "Ada")
    page = people.counselor().new_page()
    login_with_form(page, baken, "tom")
    expect(page.locator("#queue-empty")).to_be_visible()

    admin = StaffBrowser(baken, {"__Host-baken_s": admin_token})
    assert admin.post(f"/staff/accounts/{staff_id}/end-sessions", {}).status_code == 303
    expect(page).to_have_url(baken.base + "/staff/login")
    expect(page.locator("#username")).to_be_visible()
