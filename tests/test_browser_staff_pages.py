"""The staff pages in Debian's Chromium (issue 12), on a 1366×768 desktop: every role reaches each
page it may use through the navigation in the header, axe (all WCAG 2.1 A/AA rules and its best
practices) finds nothing on any of them, and a page the role may not open is the staff error page,
never the visitor's with quick exit and 112. The console is also checked with a chat open, a
consultation line and a supervisor's whisper. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from baken.domain.conversation import Role
from baken.web import staff_nav
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    counselor_send,
    start_chat,
    t,
    visitor_send,
)
from tests.registration_helpers import World, utc
from tests.support import PASSWORD, Server, add_staff_with_role, run_async

pytestmark = pytest.mark.browser

WALK_VIEWPORT: ViewportSize = {"width": 1366, "height": 768}  # the desktop of the usability walk
REPORT_YEAR = 2021


def sign_in(people: People, server: Server, role: Role, name: str = "Rita") -> Page:
    """A new staff member of this role, signed in through both steps; on their start page."""
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    add_staff_with_role(server, role, username=username, display_name=name)
    page = people.counselor().new_page()
    page.set_viewport_size(WALK_VIEWPORT)
    page.goto(server.base + "/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff/login/code")
    page.locator("#code").fill(server.totp_code(username))
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + staff_nav.home_for(role).path)
    return page


def staff_nav_of(page: Page) -> Locator:
    return page.get_by_role("navigation", name=t("nl", "Staff pages"))


def assert_axe_clean(page: Page, what: str) -> None:
    found = axe_all_violations(page)
    assert not found, f"{what}: {found}"


def errors_besides(people: People, refused: list[str]) -> list[str]:
    """Script and console errors, but for the failed load Chromium logs for each refused page:
    those 403s are what the test asked for."""
    expected = tuple(
        f"status of {code} ({url})"
        for url in refused
        for code in ("403 (Forbidden)", "404 (Not Found)")
    )
    return [error for error in people.script_errors if not error.endswith(expected)]


def seed_report_year(server: Server) -> None:
    """Enough registered people in one year for the report's tables and charts to show."""

    async def fill() -> None:
        world = await World(server.settings).start()
        try:
            for n in range(12):
                await world.person(
                    utc(REPORT_YEAR, 1 + n, 10, 20),
                    trafficking_request="yes",
                    victim_assessment="victim",
                    contact_role="self",
                    gender="female",
                    age=16 + n,
                    exploitation_types=["sexual"],
                )
        finally:
            await world.close()

    run_async(fill())


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_the_navigation_reaches_every_page_of_the_role_and_axe_finds_nothing(
    baken: Server, people: People, role: Role
) -> None:
    # sign_in makes accounts of the default organisation: its administrator is a platform one.
    listed = staff_nav.pages_for(role, platform=role is Role.ADMIN)
    if staff_nav.RESEARCH in listed:
        seed_report_year(baken)
    page = sign_in(people, baken, role)
    home = staff_nav.home_for(role)
    nav = staff_nav_of(page)
    expect(nav.get_by_role("link")).to_have_text([t("nl", item.label) for item in listed])

    for item in listed:
        link = nav.get_by_role("link", name=t("nl", item.label), exact=True)
        with page.expect_navigation() as opened:
            link.click()
        response = opened.value
        assert response is not None and response.status == 200, (item.path, response)
        expect(page).to_have_url(baken.base + item.path)
        expect(link).to_have_attribute("aria-current", "page")
        expect(nav.locator('[aria-current="page"]')).to_have_count(1)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        if item is staff_nav.CONSOLE and role is not Role.COUNSELOR:
            # The live overview has arrived: the console is in its settled state.
            expect(page.locator("#overview-counselors li")).to_have_count(1)
        assert_axe_clean(page, f"{role.value} on {item.path}")

    if staff_nav.RESEARCH in listed:
        # A year with a report: its tables and charts.
        page.goto(baken.base + f"/research?year={REPORT_YEAR}")
        expect(page.locator("#table-trend")).to_be_visible()
        assert_axe_clean(page, f"{role.value} on the report of {REPORT_YEAR}")

    refused = []
    # Issue 17, item 3: a partner professional is answered as if no other staff page existed.
    status, heading = (
        (404, "This page does not exist.")
        if role is Role.PARTNER
        else (403, "You do not have access to this page.")
    )
    for item in staff_nav.PAGES:
        if item in listed or (item is staff_nav.CONSOLE and role is not Role.PARTNER):
            continue  # researchers are sent from the console to their report, not refused
        refused.append(baken.base + item.path)
        refusal = page.goto(baken.base + item.path)
        assert refusal is not None and refusal.status == status, (item.path, refusal)
        expect(page.get_by_role("heading", level=1)).to_have_text(t("nl", heading))
        expect(page.locator("#quick-exit")).to_have_count(0)
        expect(page.locator('a[href^="tel:"]')).to_have_count(0)
        expect(page.locator("#staff-home")).to_have_attribute("href", home.path)
        expect(staff_nav_of(page).get_by_role("link")).to_have_count(len(listed))
        assert_axe_clean(page, f"{role.value} refused {item.path}")

    assert not errors_besides(people, refused), errors_besides(people, refused)


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.SUPERVISOR], ids=lambda role: role.value)
def test_a_colleague_opening_the_audit_log_gets_the_staff_error_page(
    baken: Server, people: People, role: Role
) -> None:
    page = sign_in(people, baken, role)
    response = page.goto(baken.base + "/staff/audit")
    assert response is not None and response.status == 403
    expect(page.locator("#quick-exit")).to_have_count(0)
    expect(page.locator('a[href="tel:112"]')).to_have_count(0)
    expect(page.get_by_text(t("nl", "Acute danger? Call {number}", number="112"))).to_have_count(0)
    back = page.get_by_role("link", name=t("nl", "Back to the console"))
    expect(back).to_have_attribute("href", "/staff")
    back.click()
    expect(page).to_have_url(baken.base + "/staff")
    refused = [baken.base + "/staff/audit"]
    assert not errors_besides(people, refused), errors_besides(people, refused)


def test_axe_finds_nothing_on_the_console_with_a_chat_a_consultation_and_a_whisper(
    baken: Server, people: People
) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, nickname="Mila")
    anna = sign_in(people, baken, Role.COUNSELOR, name="Anna")
    panel = accept(anna, conversation_id)
    counselor_send(panel, "Ik ben Anna.")
    visitor_send(visitor, "Hoi Anna.")
    expect(panel.locator(".msg--theirs .msg__text")).to_have_text(["Hoi Anna."])
    assert_axe_clean(anna, "console with a chat open")

    # A consultation line to the team room, from the labelled fields.
    anna.get_by_label(t("nl", "Message to colleagues")).fill("Wie kan even meelezen?")
    about = anna.get_by_label(t("nl", "About a chat (optional)"))
    about.focus()  # the list of one's chats is filled in when it gets focus
    about.select_option(conversation_id)
    anna.get_by_role("button", name=t("nl", "Send to colleagues")).click()
    consult_log = anna.get_by_role("log", name=t("nl", "Consultation"))
    expect(consult_log.get_by_role("listitem")).to_have_count(1)
    expect(consult_log).to_contain_text("Wie kan even meelezen?")
    assert_axe_clean(anna, "console with a consultation line")

    # A supervisor reads the consultation, observes the chat and whispers.
    rita = sign_in(people, baken, Role.SUPERVISOR, name="Rita")
    expect(rita.get_by_role("log", name=t("nl", "Consultation"))).to_contain_text(
        "Wie kan even meelezen?"
    )
    chat_row = rita.locator(f'#overview-chats li[data-id="{conversation_id}"]')
    chat_row.get_by_role(
        "button", name=t("nl", "Observe the chat with {name}", name="Mila")
    ).click()
    observe = rita.locator(f'.observe-panel[data-id="{conversation_id}"]')
    expect(observe.locator(".msg__text")).to_have_text(["Ik ben Anna.", "Hoi Anna."])
    observe.get_by_label(t("nl", "Whisper to the counselor (only they see it)")).fill(
        "Vraag naar haar veiligheid."
    )
    observe.get_by_role("button", name=t("nl", "Whisper"), exact=True).click()
    expect(observe.get_by_role("log", name=t("nl", "Your whispers"))).to_contain_text(
        "Vraag naar haar veiligheid."
    )
    assert_axe_clean(rita, "console observing a chat, with a whisper sent")

    whispers = panel.get_by_role(
        "log", name=t("nl", "Whispers from a supervisor (the visitor does not see these)")
    )
    expect(whispers.get_by_role("listitem")).to_have_count(1)
    expect(whispers.get_by_role("listitem")).to_contain_text("Vraag naar haar veiligheid.")
    assert_axe_clean(anna, "console with a whisper in the chat panel")
    assert not people.script_errors, people.script_errors


def test_axe_finds_nothing_on_the_organisation_pages_with_their_errors_shown(
    baken: Server, people: People
) -> None:
    page = sign_in(people, baken, Role.ADMIN)
    page.goto(baken.base + "/staff/organisation")
    page.get_by_label(t("nl", "Emergency number")).fill("bel me")
    page.get_by_label(t("nl", "Quick-exit address")).fill("http://www.nu.nl/")
    page.get_by_label(t("nl", "A visitor waits longer than (minutes)")).fill("0")
    page.get_by_role("button", name=t("nl", "Save settings")).click()
    expect(page.locator("#emergency_number-error")).to_be_visible()
    expect(page.locator("#alert_wait_minutes-error")).to_be_visible()
    expect(page.get_by_label(t("nl", "Emergency number"))).to_have_value("bel me")
    assert_axe_clean(page, "own organisation with refused values")

    page.goto(baken.base + "/staff/organisations")
    page.get_by_label(t("nl", "Short name")).fill("staff")
    page.get_by_label(t("nl", "Name"), exact=True).fill("Nieuwe lijn")
    page.get_by_role("button", name=t("nl", "Add organisation")).click()
    expect(page.locator("#new-slug-error")).to_have_text(
        t("nl", "This short name is reserved. Choose another.")
    )
    assert_axe_clean(page, "organisations with a refused short name")
    # Chromium logs each refused form's 400 answer; that is what this test asked for.
    refused = tuple(
        f"status of 400 (Bad Request) ({baken.base}{path}?lang=nl)"
        for path in ("/staff/organisation", "/staff/organisations")
    )
    others = [error for error in people.script_errors if not error.endswith(refused)]
    assert not others, others
