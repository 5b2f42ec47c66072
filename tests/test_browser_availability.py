"""Issue 18, item 3: a partner's page in Chromium reads /api/availability across origins; a page
on an unlisted origin cannot (and Baken's own headers, CORP included, do not get in the way)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser_support import NeutralSite, start_baken, start_neutral_site
from tests.support import Server

pytestmark = pytest.mark.browser

READ = """async (url) => {
  try {
    const response = await fetch(url);
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


@pytest.fixture
def partner_and_stranger(tmp_path: Path) -> Iterator[tuple[Server, NeutralSite, NeutralSite]]:
    partner, stranger = start_neutral_site(), start_neutral_site()
    server = start_baken(tmp_path, partner, partner_origins=[partner.base])
    yield server, partner, stranger
    server.stop()
    partner.stop()
    stranger.stop()


def test_listed_partner_reads_it_unlisted_origin_cannot(
    partner_and_stranger: tuple[Server, NeutralSite, NeutralSite], browser: Browser
) -> None:
    server, partner, stranger = partner_and_stranger
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(partner.url)
        read = page.evaluate(READ, server.base + "/api/availability")
        assert read.get("status") == 200, read
        assert read["body"]["open"] is True and read["body"]["staffed"] is False

        page.goto(stranger.url)
        refused = page.evaluate(READ, server.base + "/api/availability")
        assert "blocked" in refused, refused
    finally:
        context.close()
