"""Accounts and blocks on the web (issue 15, item 5) in Debian's Chromium: an administrator makes
an account, the new counselor opens the one-time link in another browser, chooses a password, sets
up two-step sign-in and reaches the console; a supervisor lifts a block. axe on every new page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from baken.auth import totp
from baken.crypto.envelope import CipherCache
from baken.domain.conversation import Role
from baken.store.block_repo import BlockRepository
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from tests.browser_support import People, axe_all_violations, login_with_form, t
from tests.support import Server, add_staff_with_role, master_key, run_async

pytestmark = pytest.mark.browser

NEW_PASSWORD = "blauwe fiets onder de brug"


def assert_axe_clean(page: Page, what: str) -> None:
    found = axe_all_violations(page)
    assert not found, f"{what}: {found}"


def test_an_admin_makes_an_account_and_the_new_counselor_sets_it_up(
    baken: Server, people: People
) -> None:
    add_staff_with_role(baken, Role.ADMIN, "ada", "Ada")
    admin = people.counselor().new_page()
    login_with_form(admin, baken, "ada")
    admin.goto(baken.base + "/staff/accounts")
    assert_axe_clean(admin, "accounts page")

    # A refused form first: the error is shown, nothing is made.
    admin.locator("#new-username").fill("Met Spatie")
    admin.locator("#new-name").fill("Noor")
    admin.locator("form.account-form button[type=submit]").click()
    expect(admin.locator("#accounts-error")).to_be_visible()
    assert_axe_clean(admin, "accounts page with a refused form")

    admin.locator("#new-username").fill("noor")
    admin.locator("#new-name").fill("Noor")
    admin.locator("#new-role").select_option("counselor")
    admin.get_by_label("Polski").check()
    admin.locator("form.account-form button[type=submit]").click()
    link_box = admin.locator("#invite-link")
    expect(link_box).to_be_visible()
    assert_axe_clean(admin, "accounts page with the one-time link")
    link = link_box.input_value()
    assert link.startswith(baken.base + "/staff/invite/")
    row = admin.locator('tr[data-username="noor"]')
    expect(row).to_contain_text(t("nl", "Not set up yet: the link is waiting"))

    # The new counselor, in a browser of their own.
    noor = people.counselor().new_page()
    noor.goto(link)
    expect(noor.locator("h1")).to_have_text(t("nl", "Welcome to Baken"))
    assert_axe_clean(noor, "the invitation page")
    noor.locator("#new").fill(NEW_PASSWORD)
    noor.locator("#again").fill(NEW_PASSWORD + "x")
    noor.locator("form.login-form button[type=submit]").click()
    expect(noor.locator("#invite-error")).to_have_text(
        t("nl", "The two new passwords are not the same.")
    )
    assert_axe_clean(noor, "the invitation page with an error")
    noor.locator("#new").fill(NEW_PASSWORD)
    noor.locator("#again").fill(NEW_PASSWORD)
    noor.locator("form.login-form button[type=submit]").click()

    # Two-step sign-in, as at any first sign-in.
    expect(noor).to_have_url(baken.base + "/staff/enrol")
    secret = (noor.locator("#totp-secret").text_content() or "").replace(" ", "")
    step = totp.step_at(datetime.now(UTC))
    noor.locator("#code").fill(totp.code_at_step(secret, step))
    noor.locator("form.login-form button[type=submit]").click()
    expect(noor.locator("#recovery-codes li")).to_have_count(10)
    noor.locator("#continue").click()
    expect(noor).to_have_url(baken.base + "/staff")
    expect(noor.locator(".staffbar__name")).to_have_text("Noor")
    expect(noor.locator("#queue-empty")).to_be_visible()

    # The link has done its work: a second use gets the calm page.
    again = people.counselor().new_page()
    again.goto(link)
    expect(again.locator("#invite-unusable")).to_be_visible()
    assert_axe_clean(again, "a used invitation link")

    admin.goto(baken.base + "/staff/accounts")
    expect(admin.locator('tr[data-username="noor"]')).not_to_contain_text(
        t("nl", "Not set up yet: the link is waiting")
    )
    # The two refused forms answer 400 and the used link 410, on purpose; Chromium logs those
    # loads. Nothing else went wrong.
    expected = [e for e in people.script_errors if "status of 400" in e or "status of 410" in e]
    assert len(expected) == 3, people.script_errors
    assert [e for e in people.script_errors if e not in expected] == []


def test_a_supervisor_lifts_a_block(baken: Server, people: People) -> None:
    placed_by, _token = add_staff_with_role(baken, Role.COUNSELOR, "bas", "Bas")
    add_staff_with_role(baken, Role.SUPERVISOR, "sara", "Sara")

    async def block() -> str:
        db = Database(baken.settings)
        try:
            repo = ConversationRepository(db, CipherCache(master_key(baken.settings)))
            record, _visitor = await repo.create("Nora", "nl")
            made = await BlockRepository(db).add(
                "org_default", record.id, None, "abusive", timedelta(hours=24), placed_by
            )
            return made.id
        finally:
            await db.dispose()

    block_id: str = run_async(block())
    page = people.counselor().new_page()
    login_with_form(page, baken, "sara")
    page.get_by_role("navigation", name=t("nl", "Staff pages")).get_by_role(
        "link", name=t("nl", "Blocks")
    ).click()
    expect(page).to_have_url(baken.base + "/staff/blocks")
    row = page.locator(f'tr[data-block="{block_id}"]')
    expect(row).to_contain_text("Bas")
    expect(row).to_contain_text(t("nl", "Abusive"))
    assert_axe_clean(page, "blocks page")
    row.get_by_role("button", name=t("nl", "Lift block")).click()
    expect(page.locator("#blocks-done")).to_have_text(
        t("nl", "The block has been lifted. The visitor can start a chat again.")
    )
    expect(page.locator("#blocks-none")).to_be_visible()
    assert_axe_clean(page, "blocks page after a lift")
    assert people.script_errors == []
