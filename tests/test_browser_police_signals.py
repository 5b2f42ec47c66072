"""A police signal in Debian's Chromium (issue 17, item 4; docs/police-signals.md): a counselor
follows the link in a chat's registration, drafts a signal and submits it; a supervisor opens it,
approves it and downloads the signed PDF and JSON. The drafter cannot approve their own. axe finds
nothing on the signal's page. Every wait is Playwright's auto-waiting `expect`."""

from __future__ import annotations

import secrets

import orjson
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from baken.domain.conversation import Role
from tests.browser_support import (
    People,
    accept,
    axe_all_violations,
    login_with_form,
    start_chat,
    t,
    visitor_send,
)
from tests.support import Server, add_staff_with_role

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def signed_in(context: BrowserContext, server: Server, role: Role, name: str) -> Page:
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    add_staff_with_role(server, role, username=username, display_name=name)
    page = context.new_page()
    login_with_form(page, server, username)
    return page


def test_draft_then_a_second_colleague_approves_and_downloads(
    baken: Server, people: People
) -> None:
    counselor = signed_in(people.counselor(viewport=LAPTOP), baken, Role.COUNSELOR, "Anna")
    expect(counselor.locator("#queue-list")).not_to_have_attribute("aria-busy", "true")
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Mila")
    visitor_send(visitor, "Er staan elke nacht busjes bij de loods aan de haven.")
    panel = accept(counselor, conversation_id)

    panel.locator(".reg-details > summary").click()
    link = panel.get_by_role("link", name=t("nl", "Draft a police signal about this chat"))
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None and conversation_id in href
    draft = counselor.context.new_page()
    draft.goto(baken.base + href)

    # The visitor's nickname is refused, naming the field; nothing is saved.
    draft.locator("#what").fill("Vrouwen worden 's nachts met busjes naar een loods gebracht.")
    draft.locator("#perpetrators").fill("Een man die Mila ophaalt")
    draft.locator("#city").fill("Rotterdam")
    draft.get_by_label("seksueel").check()
    draft.get_by_role("button", name=t("nl", "Save draft")).click()
    expect(draft.locator("#perpetrators-error")).to_be_visible()
    expect(draft.locator("#perpetrators")).to_have_attribute("aria-invalid", "true")

    draft.locator("#perpetrators").fill("Een man van rond de 40 met een witte bestelbus.")
    draft.get_by_role("button", name=t("nl", "Save draft")).click()
    expect(draft.locator("#police-signal-status")).to_have_attribute("data-status", "draft")
    draft.get_by_role("button", name=t("nl", "Submit for approval")).click()
    expect(draft.locator("#police-signal-status")).to_have_attribute("data-status", "submitted")
    expect(draft.locator("#police-signal-approve")).to_have_count(0)
    signal_url = draft.url.split("?")[0]

    supervisor = signed_in(people.counselor(viewport=LAPTOP), baken, Role.SUPERVISOR, "Sanne")
    supervisor.goto(baken.base + "/staff/police-signals")
    supervisor.locator(f'a[href^="{signal_url.removeprefix(baken.base)}"]').click()
    expect(supervisor.locator("#police-signal-fields")).to_contain_text("Rotterdam")
    found = axe_all_violations(supervisor)
    assert not found, f"a signal waiting for approval: {found}"
    supervisor.get_by_role("button", name=t("nl", "Approve")).click()
    expect(supervisor.locator("#police-signal-status")).to_have_attribute("data-status", "approved")

    with supervisor.expect_download() as pdf_download:
        supervisor.locator("#police-signal-pdf").click()
    pdf_path = pdf_download.value.path()
    with open(pdf_path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    with supervisor.expect_download() as json_download:
        supervisor.locator("#police-signal-json").click()
    with open(json_download.value.path(), "rb") as handle:
        content = orjson.loads(handle.read())
    assert content["signal"]["where"]["city"] == "Rotterdam"
    assert "Mila" not in orjson.dumps(content).decode()
    assert conversation_id not in orjson.dumps(content).decode()
    supervisor.reload()
    expect(supervisor.locator("#police-signal-status")).to_have_attribute("data-status", "exported")
