"""A referral in Debian's Chromium (issue 17, item 2; docs/referrals.md): the counselor searches
the partner directory in the chat's side panel and proposes a service with a summary; the visitor
reads the card in their language, ticks what may be shared and chooses a warm hand-off; the
console shows the consent at once. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from baken.audit.kinds import SYSTEM
from baken.directory import synthetic
from baken.directory.hsds_file import dump, parse
from baken.directory.repository import DirectoryRepository
from baken.store.database import Database
from tests.authz_world import in_db
from tests.browser_support import People, accept, open_console, start_chat, t, visitor_send
from tests.support import Server

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SUMMARY = "Zoekt een veilige plek om te slapen."


def test_counselor_proposes_visitor_consents_console_shows_it(
    baken: Server, people: People
) -> None:
    items = synthetic.services(1, seed=3, prefix="pw")
    items[0]["name"] = "Opvang Oost"
    parsed = parse(dump(items))

    async def fill(db: Database) -> None:
        await DirectoryRepository(db).import_items("org_default", parsed, SYSTEM)

    in_db(baken, fill)
    service = parsed[0].service

    counselor = open_console(people.counselor(viewport=LAPTOP), baken)
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    visitor_send(visitor, "Ik heb geen plek om te slapen.")
    panel = accept(counselor, conversation_id)

    referrals = panel.locator('[data-role="referrals"]')
    options = referrals.locator('[data-role="referral-service"] option')
    expect(options.first).to_be_attached()
    referrals.locator('[data-role="referral-service"]').select_option(service.id)
    referrals.locator('[data-role="referral-summary"]').fill(SUMMARY)
    referrals.get_by_role("button", name=t("nl", "Propose to the visitor")).click()
    expect(referrals.locator('[data-role="referral-status"]')).to_have_text(
        t("nl", "Proposed. Waiting for the visitor's choice.")
    )
    expect(referrals.locator(".referrals__status")).to_have_text(t("nl", "Waiting for the visitor"))

    card = visitor.locator("#referral-cards .referral-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Opvang Oost")
    expect(card.locator(".referral-card__summary")).to_have_text(SUMMARY)
    if service.accepts_warm_handoff:
        card.get_by_label(t("nl", "My age group")).check()
        card.get_by_label(t("nl", "The summary my counselor wrote (shown here)")).check()
        card.get_by_role("button", name=t("nl", "Warm hand-off")).click()
        status, shared = (
            t("nl", "Warm hand-off"),
            t("nl", "Shared: {items}", items="leeftijdsgroep, samenvatting"),
        )
    else:
        card.get_by_role("button", name=t("nl", "Just the contact details for me")).click()
        status, shared = t("nl", "Contact details only"), ""
    expect(visitor.locator("#referral-cards")).to_contain_text(
        t("nl", "Thank you. Your choice has been saved.")
    )
    expect(referrals.locator(".referrals__status")).to_have_text(status)
    expect(referrals.locator(".referrals__scope")).to_have_text(shared)
    # The registration's "Referrals" field is ticked from the real referral (the counselor
    # checks it and saves; nothing is saved for them).
    panel.locator(".reg-details__summary").click()
    referral_field = panel.locator('fieldset[data-field="referrals"]')
    expect(referral_field.locator("input:checked")).to_have_count(1)
    expect(referral_field).to_contain_text(
        t("nl", "Ticked from the referral in this chat. Check it; you decide.")
    )
