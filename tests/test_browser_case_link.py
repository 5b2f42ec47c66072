"""The console's registration panel in Debian's Chromium (issue 6): with registration required,
an ended chat's panel cannot be closed until its registration is complete (the visitor's chat
ended at once); and a counselor links a chat to an earlier one they handled."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect
from sqlalchemy import select

from baken.store.database import Database
from baken.store.tables import conversations
from tests.browser_support import (
    NeutralSite,
    People,
    accept,
    chat_panel,
    login_with_form,
    start_baken,
    start_chat,
    t,
)
from tests.support import Server, assigned_conversation, run_async

pytestmark = pytest.mark.browser


def answer_everything_unknown(form: Locator) -> None:
    for fieldset in form.locator("fieldset.reg-field:visible").all():
        select_box = fieldset.locator("select")
        if select_box.count():
            if not select_box.input_value():
                select_box.select_option("unknown")
            continue
        unknown = fieldset.get_by_label("onbekend", exact=True)
        if unknown.count() and not fieldset.locator("input:checked").count():
            unknown.check()


def test_a_required_registration_keeps_the_panel_not_the_visitor(
    tmp_path: Path, neutral: NeutralSite, people: People
) -> None:
    baken = start_baken(tmp_path, neutral, registration_required=True)
    try:
        visitor = people.visitor().new_page()
        conversation_id = start_chat(visitor, baken, "Sam")
        console = people.counselor().new_page()
        baken.add_staff(username="req-anna", display_name="Anna")
        login_with_form(console, baken, "req-anna")
        panel = accept(console, conversation_id)
        expect(panel.locator(".reg-details__summary")).to_have_text(
            t("nl", "Registration (required)")
        )

        # Ending is not held up: the visitor's chat ends at once.
        panel.locator('[data-action="end"]').click()
        panel.locator('[data-action="end-yes"]').click()
        expect(visitor.locator("#message")).to_be_hidden()

        # The panel stays until the registration is complete, and says why.
        close = panel.locator('[data-action="close"]')
        expect(close).to_be_visible()
        expect(panel.locator(".reg-form")).to_be_visible()  # opened by itself
        expect(close).to_have_attribute("aria-disabled", "true")
        close.click(force=True)  # aria-disabled: Playwright would wait for it to be enabled
        expect(chat_panel(console, conversation_id)).to_be_visible()
        notice = panel.locator(".reg-required")
        expect(notice).to_have_text(
            t("nl", "Registration is required: mark it complete before you close this chat.")
        )
        item = console.locator(f'#to-register-list li[data-id="{conversation_id}"]')
        expect(item).to_contain_text(t("nl", "required"))

        form = panel.locator(".reg-form")
        answer_everything_unknown(form)
        form.get_by_role("button", name=t("nl", "Mark complete")).click()
        expect(form.locator(".reg-status")).to_have_text(t("nl", "Registration complete."))
        expect(close).not_to_have_attribute("aria-disabled", "true")
        close.click()
        expect(chat_panel(console, conversation_id)).to_have_count(0)
        expect(item).to_have_count(0)
        assert not people.script_errors, people.script_errors
    finally:
        baken.stop()


def _case_ids(server: Server, *ids: str) -> list[str | None]:
    async def read() -> list[str | None]:
        db = Database(server.settings)
        try:
            async with db.reader.connect() as conn:
                result = await conn.execute(
                    select(conversations.c.id, conversations.c.case_id).where(
                        conversations.c.id.in_(ids)
                    )
                )
                found = {row.id: row.case_id for row in result}
        finally:
            await db.dispose()
        return [found[i] for i in ids]

    cases: list[str | None] = run_async(read())
    return cases


def test_a_counselor_links_the_chat_to_an_earlier_one(
    tmp_path: Path, neutral: NeutralSite, people: People
) -> None:
    baken = start_baken(tmp_path, neutral)
    try:
        anna_id = baken.add_staff(username="link-anna", display_name="Anna")[0]
        earlier = assigned_conversation(baken, anna_id)
        visitor = people.visitor().new_page()
        conversation_id = start_chat(visitor, baken, "Sam")
        console = people.counselor().new_page()
        login_with_form(console, baken, "link-anna")
        panel = accept(console, conversation_id)
        panel.locator(".reg-details__summary").click()
        link = panel.locator(".case-link")
        expect(link).to_contain_text(t("nl", "Same person as an earlier chat?"))
        choice = link.get_by_label(t("nl", "Earlier chat"))
        expect(choice).to_have_value(earlier)
        link.get_by_role("button", name=t("nl", "Link"), exact=True).click()
        expect(link.locator(".reg-status")).to_have_text(
            t("nl", "Linked: this chat counts as the same person.")
        )
        expect(choice.locator("option")).to_contain_text(t("nl", "(linked)"))
        earlier_case, case = _case_ids(baken, earlier, conversation_id)
        assert earlier_case is not None and case == earlier_case
        assert not people.script_errors, people.script_errors
    finally:
        baken.stop()
