"""A warm hand-off in Debian's Chromium (issue 17, item 3; docs/partners.md): the counselor
refers, the visitor consents to a warm hand-off, a partner professional signs in (two steps),
joins from their Invitations page, chats with the visitor, leaves an appointment in the mailbox;
the visitor, back later with their code, reads it. Every wait is Playwright's auto-waiting
`expect`."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from baken.audit.kinds import SYSTEM
from baken.directory import synthetic
from baken.directory.hsds_file import dump, parse
from baken.directory.model import TAXONOMY_ORGANISATION, TAXONOMY_WARM_HANDOFF
from baken.directory.repository import DirectoryRepository
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from tests.authz_world import in_db
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    open_console,
    start_chat,
    t,
    visitor_send,
)
from tests.support import PASSWORD, Server, add_staff_with_role
from tests.test_return_code_browser import get_code, return_with

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SUMMARY = "Zoekt een veilige slaapplek, liefst vandaag nog."
APPOINTMENT = "Afspraak: dinsdag 10:00 bij Fier. Bel 088-1234567 als het niet lukt."


def _attribute(service_id: str, taxonomy: str, code: str, value: str) -> dict[str, Any]:
    return {
        "id": f"{service_id}-{code}",
        "value": value,
        "taxonomy_term": {
            "id": f"{taxonomy}:{code}",
            "code": code,
            "name": code,
            "description": code,
            "taxonomy": taxonomy,
        },
    }


def partner_service(server: Server, partner_org: str) -> str:
    """A service in the helpline's directory that takes warm hand-offs through Baken, run by the
    partner organisation; its id."""
    items = synthetic.services(1, seed=5, prefix="wh")
    item = items[0]
    item["name"] = "Fier hulp"
    sid = str(item["id"])
    item["attributes"] = [
        a
        for a in item["attributes"]
        if a["taxonomy_term"]["taxonomy"] not in (TAXONOMY_WARM_HANDOFF, TAXONOMY_ORGANISATION)
    ] + [
        _attribute(sid, TAXONOMY_WARM_HANDOFF, "warm_handoff", "true"),
        _attribute(sid, TAXONOMY_ORGANISATION, "organisation", partner_org),
    ]
    parsed = parse(dump(items))

    async def fill(db: Database) -> None:
        await DirectoryRepository(db).import_items("org_default", parsed, SYSTEM)

    in_db(server, fill)
    return parsed[0].service.id


def partner_organisation(server: Server) -> str:
    async def add(db: Database) -> str:
        made = await OrganisationRepository(db).add(
            "fier-" + secrets.token_hex(3), "Fier", kind="partner"
        )
        return made.id

    return in_db(server, add)


def invite_in_console(panel: Locator, name: str) -> None:
    """The chat panel's warm hand-off: find the partner organisation's people, invite one."""
    box = panel.locator('[data-role="partner-invite"]')
    expect(box).to_be_visible()
    box.get_by_role("button", name=t("nl", "Invite a partner professional")).click()
    person = box.locator('[data-role="partner-candidates"] li', has_text=name)
    expect(person).to_contain_text(t("nl", "online"))
    person.get_by_role("button", name=t("nl", "Invite")).click()


def sign_in_partner(page: Page, server: Server, username: str) -> None:
    page.goto(server.base + "/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff/login/code")
    page.locator("#code").fill(server.totp_code(username))
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(server.base + "/staff/partner")


def test_a_partner_joins_chats_and_leaves_an_appointment_the_visitor_reads_with_the_code(
    baken: Server, people: People
) -> None:
    partner_org = partner_organisation(baken)
    service_id = partner_service(baken, partner_org)
    username = "fier-" + secrets.token_hex(3)
    _partner_id, _token = add_staff_with_role(
        baken, Role.PARTNER, username, "Sanne (Fier)", organisation_id=partner_org
    )

    counselor = open_console(people.counselor(viewport=LAPTOP), baken)
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    visitor_send(visitor, "Ik wil ergens veilig heen.")
    panel = accept(counselor, conversation_id)
    code = get_code(visitor)

    # The counselor refers; the visitor chooses a warm hand-off and shares their nickname.
    referrals = panel.locator('[data-role="referrals"]')
    referrals.locator('[data-role="referral-service"]').select_option(service_id)
    referrals.locator('[data-role="referral-summary"]').fill(SUMMARY)
    referrals.get_by_role("button", name=t("nl", "Propose to the visitor")).click()
    card = visitor.locator("#referral-cards .referral-card")
    expect(card).to_be_visible()
    card.get_by_label(t("nl", "My nickname")).check()
    card.get_by_label(t("nl", "The summary my counselor wrote (shown here)")).check()
    card.get_by_role("button", name=t("nl", "Warm hand-off")).click()
    expect(referrals.locator(".referrals__status")).to_have_text(t("nl", "Warm hand-off"))

    # The partner signs in first: the counselor sees them online in the chat's panel.
    partner = people.counselor(viewport=LAPTOP).new_page()
    sign_in_partner(partner, baken, username)
    expect(partner.locator("#no-invitations")).to_be_visible()
    invite_in_console(panel, "Sanne (Fier)")
    assert axe_all_violations(counselor) == []  # the chat panel with its warm hand-off part
    invited = t("nl", "Invited until {time}.", time="{time}").split("{time}")[0]
    expect(panel.locator('[data-role="partner-status"]')).to_contain_text(invited)

    # The partner with two steps and joins from their Invitations page.
    partner.get_by_role("button", name=t("nl", "Join the chat")).click()
    chat = partner.locator("#partner-chat")
    expect(chat).to_be_visible()
    expect(partner.locator("#partner-shared")).to_contain_text("Mila")
    expect(partner.locator("#partner-shared")).to_contain_text(SUMMARY)
    expect(partner.locator("#partner-shared")).to_contain_text(t("nl", "Summary"))
    assert axe_all_violations(partner) == []  # the partner's page with the chat open
    # Only from the join on: the visitor's earlier words are not there.
    expect(partner.locator("#partner-messages")).to_contain_text(
        t("nl", "{name} joined the chat.", name="Sanne (Fier)")
    )
    expect(partner.locator("#partner-messages")).not_to_contain_text("veilig heen")

    # The visitor sees who joined, in their language, and the way to say no.
    expect(visitor.locator("#log")).to_contain_text(
        t(
            "nl",
            "{name} from the organisation you agreed to has joined the chat. "
            "Your counselor stays with you.",
            name="Sanne (Fier)",
        )
    )
    expect(visitor.locator("#partner-refuse")).to_be_visible()

    partner.locator("#partner-text").fill("Hallo Mila, ik ben Sanne van Fier.")
    partner.locator("#partner-composer button[type=submit]").click()
    expect(visitor.locator("#log")).to_contain_text("Hallo Mila, ik ben Sanne van Fier.")
    visitor_send(visitor, "Hoi Sanne")
    expect(partner.locator("#partner-messages")).to_contain_text("Hoi Sanne")

    partner.locator("#partner-mailbox-text").fill(APPOINTMENT)
    partner.locator("#partner-mailbox button[type=submit]").click()
    expect(partner.locator("#partner-status")).to_have_text(
        t("nl", "Left in the visitor's mailbox.")
    )
    partner.locator("#partner-leave").click()
    expect(chat).to_be_hidden()
    expect(partner.locator("#partner-status")).to_have_text(t("nl", "You left the chat."))
    expect(visitor.locator("#partner-refuse")).to_be_hidden()
    expect(panel.locator('[data-role="partner-status"]')).to_have_text(
        t("nl", "The partner left the chat.")
    )

    # Invited again: this time the visitor says no with one tap, and the partner is out at once.
    invite_in_console(panel, "Sanne (Fier)")
    partner.get_by_role("button", name=t("nl", "Join the chat")).click()
    expect(chat).to_be_visible()
    visitor.locator("#partner-refuse").click()
    expect(chat).to_be_hidden()
    expect(partner.locator("#partner-status")).to_have_text(
        t("nl", "The visitor did not want you in the chat; it is closed to you.")
    )
    expect(visitor.locator("#partner-refuse")).to_be_hidden()
    expect(panel.locator('[data-role="partner-status"]')).to_have_text(
        t("nl", "The visitor said no; the partner is out.")
    )

    # Later, in a fresh browser: the code brings the visitor back, with the appointment.
    again = people.visitor().new_page()
    again.goto(baken.base + "/")
    return_with(again, code)
    # Under the partner organisation's name, not the helpline's, nor the professional's own.
    expect(again.locator("#followup-list li")).to_have_text(
        [f"{t('nl', 'From {name}', name='Fier')}: {APPOINTMENT}"]
    )
    assert people.script_errors == []
