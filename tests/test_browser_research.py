"""The researcher page in Debian's Chromium: a researcher signs in with both steps, reads the
headline table of a seeded year, sees a chart image load and downloads the CSV; a counselor who
signed in is refused the page."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    Traffic,
)
from tests.registration_helpers import World, utc
from tests.support import PASSWORD, Server, add_staff_with_role, run_async, start_server

pytestmark = pytest.mark.browser

PERSONS = 12  # all self-reporting victims in 2021, so no headline cell is suppressed


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)

    async def fill() -> None:
        world = await World(server.settings).start()
        try:
            for n in range(PERSONS):
                await world.person(
                    utc(2021, 1 + n, 10, 20),
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
    yield server
    server.stop()


def sign_in(page: Page, server: Server, username: str) -> None:
    """Password, then the authenticator code: the two steps every staff member takes."""
    page.goto(server.base + "/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff/login/code")
    page.locator("#code").fill(server.totp_code(username))
    page.locator("form.login-form button[type=submit]").click()


def test_a_researcher_reads_the_report_sees_a_chart_and_downloads_csv(
    seeded: Server, people: People
) -> None:
    context = people.counselor("en-GB")
    traffic = Traffic()
    traffic.watch(context)
    username = "res-" + secrets.token_hex(4)
    add_staff_with_role(seeded, Role.RESEARCHER, username=username)
    page = context.new_page()
    sign_in(page, seeded, username)
    expect(page).to_have_url(seeded.base + "/research")  # researchers land on their page

    page.goto(seeded.base + "/research?year=2021&lang=en")
    expect(page.locator("#year")).to_have_value("2021")
    headline = page.locator("#table-headline")
    expect(headline).to_be_visible()
    persons = headline.locator("tr", has_text="Persons with a help request about human trafficking")
    # Columns: the previous year, the year, the change.
    expect(persons.locator("td").nth(0)).to_have_text("0")
    expect(persons.locator("td").nth(1)).to_have_text(str(PERSONS))

    chart = page.locator("img.report-chart").first
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )

    with page.expect_download() as downloading:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    csv_text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "Persons with a help request about human trafficking" in csv_text
    assert str(PERSONS) in csv_text

    assert people.script_errors == []
    assert traffic.outside(seeded.base) == []


def test_a_counselor_is_refused_the_research_page(seeded: Server, people: People) -> None:
    username = "c-" + secrets.token_hex(4)
    seeded.add_staff(username=username, display_name="Anna")
    page = people.counselor("en-GB").new_page()
    sign_in(page, seeded, username)
    expect(page).to_have_url(seeded.base + "/staff")
    refused = page.goto(seeded.base + "/research?year=2021&lang=en")
    assert refused is not None and refused.status == 403
    expect(page.locator("#table-headline")).to_have_count(0)
    csv = page.request.get(seeded.base + "/research/2021/report.csv")
    assert csv.status == 403
