"""The partner directory in Debian's Chromium (issue 17, item 1; docs/directory.md): a counselor
opens it from the staff navigation, searches by need, age and language, and reads what a service
offers, for whom, how to reach it and whether it takes warm hand-offs. axe (WCAG 2.1 A/AA and best
practice) finds nothing on the page. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from baken.audit.kinds import SYSTEM
from baken.directory import synthetic
from baken.directory.hsds_file import dump, parse
from baken.directory.repository import DirectoryRepository
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.authz_world import in_db
from tests.browser_support import People, axe_all_violations, login_with_form, t
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def test_a_counselor_searches_the_directory(baken: Server, people: People) -> None:
    items = synthetic.services(30, prefix=f"br{secrets.token_hex(2)}")
    # One service to look for: a shelter for adults that speaks Ukrainian and takes hand-offs.
    target = items[9]  # 9 % 9 → shelter
    target["name"] = "Veilige Haven Oekraïne"
    target["languages"] = [{"id": "l-uk", "code": "uk"}]
    target["attributes"][-1]["value"] = "true"
    parsed = parse(dump(items))

    async def load(db: Database) -> None:
        await DirectoryRepository(db).import_items(DEFAULT_ORGANISATION, parsed, SYSTEM)

    in_db(baken, load)
    username = "cou-" + secrets.token_hex(4)
    add_staff_with_role(baken, Role.COUNSELOR, username=username, display_name="Anna")
    page = people.counselor(viewport=LAPTOP).new_page()
    login_with_form(page, baken, username)

    page.get_by_role("link", name=t("nl", "Partner directory")).first.click()
    expect(page).to_have_url(baken.base + "/staff/directory")
    page.get_by_label(t("nl", "Need")).select_option("shelter")
    page.get_by_label(t("nl", "Age")).fill("30")
    page.get_by_label(t("nl", "Language (code, e.g. en)")).fill("uk")
    page.get_by_label(t("nl", "Search words")).fill("haven oekraine")
    page.get_by_role("button", name=t("nl", "Search")).click()

    results = page.locator("#directory-results > li")
    expect(results).to_have_count(1)
    found = results.first
    expect(found.get_by_role("heading")).to_have_text("Veilige Haven Oekraïne")
    expect(found).to_contain_text(t("nl", "Shelter"))
    expect(found).to_contain_text(f"06-0000{9:04d}")
    expect(found).to_contain_text("09:00–17:00")
    expect(found.locator(".directory-service__handoff")).to_have_text(t("nl", "yes"))
    expect(page.locator("#directory-add")).to_have_count(0)  # counselors do not edit
    violations = axe_all_violations(page)
    assert not violations, f"partner directory: {violations}"
    assert people.script_errors == []
