"""Per-counselor figures and the choice to share in Debian's Chromium (issue 15, items 6 and 7;
docs/wellbeing.md): a counselor has a chat, chooses on "My day" to share her figures, and a
supervisor of the same organisation finds her heavy chats on the per-counselor page, reached from
the service figures; when she stops, the supervisor's next look shows "not shared". A colleague
who never shared shows "not shared" throughout, and a counselor gets the staff error page. axe
(WCAG 2.1 A/AA and best practice) finds nothing on these pages, nor on the staff pages that no
navigation link leads to (tests/test_browser_staff_pages.py walks the linked ones). Every wait is
Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    counselor_send,
    login_with_form,
    start_chat,
    t,
    visitor_send,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SHARING = (
    "Since {date} your supervisors also see your heavy chats, your time in chats and your longest "
    "time without a break. You can stop at any time; it stops at once."
)


def signed_in(context: BrowserContext, server: Server, role: Role, name: str) -> Page:
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    add_staff_with_role(server, role, username=username, display_name=name)
    page = context.new_page()
    login_with_form(page, server, username)
    return page


def assert_axe_clean(page: Page, what: str) -> None:
    found = axe_all_violations(page)
    assert not found, f"{what}: {found}"


def row_of(page: Page, name: str) -> Locator:
    return page.locator("#counselor-figures tbody tr").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def test_shared_figures_reach_the_supervisor_and_stop_at_once(
    baken: Server, people: People
) -> None:
    anna = signed_in(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Anna")
    expect(anna.locator("#queue-list")).not_to_have_attribute("aria-busy", "true")
    signed_in(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Bram").close()
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    visitor_send(visitor, "Ik weet niet meer wat ik moet doen.")
    panel = accept(anna, conversation_id)
    counselor_send(panel, "Fijn dat je schrijft. Ik ben er.")
    heavy = panel.get_by_role("button", name=t("nl", "This was a heavy chat"))
    heavy.click()
    expect(heavy).to_have_attribute("aria-pressed", "true")

    anna.goto(baken.base + "/staff/wellbeing")
    expect(anna.locator("#share-state")).to_have_text(
        t(
            "nl",
            "For planning, your supervisors see how many chats you had and your time to a first "
            "reply. Your heavy chats, your time in chats and your time without a break only if "
            "you share them.",
        )
    )
    anna.get_by_role("button", name=t("nl", "Share my figures with my supervisors")).click()
    stop = anna.get_by_role("button", name=t("nl", "Stop sharing my figures"))
    expect(stop).to_be_visible()
    sharing = t("nl", SHARING).split("{date}")[1]  # after the date: today's, in Amsterdam
    expect(anna.locator("#share-state")).to_contain_text(sharing)
    assert_axe_clean(anna, "My day, sharing")

    sara = signed_in(people.counselor(viewport=LAPTOP), baken, Role.SUPERVISOR, "Sara")
    nav = sara.get_by_role("navigation", name=t("nl", "Staff pages"))
    nav.get_by_role("link", name=t("nl", "Service figures"), exact=True).click()
    expect(sara).to_have_url(baken.base + "/staff/figures")
    sara.get_by_role("link", name=t("nl", "Figures per counselor")).click()
    expect(sara.get_by_role("heading", level=1)).to_have_text(t("nl", "Figures per counselor"))
    expect(sara.locator("#figures-purpose")).to_be_visible()
    names = sara.locator("#counselor-figures tbody th[scope=row]")
    # Alphabetical, whatever the figures say.
    expect(names).to_have_text(["Anna", "Bram", "Sara"])
    anna_row = row_of(sara, "Anna")
    expect(anna_row.locator("td").nth(0)).to_have_text("1")  # one chat, still open
    expect(anna_row.locator("td.shared").first).to_have_text("1")  # the heavy mark
    expect(row_of(sara, "Bram").locator("td.not-shared")).to_have_text(t("nl", "Not shared"))
    assert_axe_clean(sara, "figures per counselor")

    stop.click()
    share = anna.get_by_role("button", name=t("nl", "Share my figures with my supervisors"))
    expect(share).to_be_visible()
    sara.reload()
    expect(row_of(sara, "Anna").locator("td.not-shared")).to_have_text(t("nl", "Not shared"))
    expect(row_of(sara, "Anna").locator("td.shared")).to_have_count(0)

    # A counselor is refused with the staff error page.
    refused = anna.goto(baken.base + "/staff/figures/counselors")
    assert refused is not None and refused.status == 403
    expect(anna.get_by_role("heading", level=1)).to_have_text(
        t("nl", "You do not have access to this page.")
    )
    expected = [e for e in people.script_errors if "status of 403" in e]
    assert len(expected) == 1 and [e for e in people.script_errors if e not in expected] == []


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.SUPERVISOR, "/staff/figures/counselors"),
        (Role.ADMIN, "/staff/figures/counselors?from=2026-01-01&to=2026-12-31"),
        (Role.ADMIN, "/staff/directory/edit"),
    ],
    ids=["supervisor-counselors", "admin-counselors-year", "admin-directory-edit"],
)
def test_axe_finds_nothing_on_the_pages_no_link_leads_to(
    baken: Server, people: People, role: Role, path: str
) -> None:
    page = signed_in(people.counselor(viewport=LAPTOP), baken, role, "Rita")
    opened = page.goto(baken.base + path)
    assert opened is not None and opened.status == 200, (path, opened)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert_axe_clean(page, f"{role.value} on {path}")
    assert people.script_errors == []
