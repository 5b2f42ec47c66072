"""The registration form in the console, in Debian's Chromium: a counselor registers a chat while
chatting and after it ended, drafts survive a reload, and the server's field errors are shown at
the field."""

from __future__ import annotations

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.browser_support import (
    WCAG_TAGS,
    People,
    chat_panel,
    login_with_form,
    queue_item,
    start_chat,
    t,
)
from tests.support import Server

pytestmark = pytest.mark.browser


def accept(console: Page, conversation_id: str) -> Locator:
    queue_item(console, conversation_id).get_by_role("button").click()
    panel = chat_panel(console, conversation_id)
    expect(panel.locator("textarea.composer__input")).to_be_editable()
    return panel


def field(form: Locator, field_id: str) -> Locator:
    return form.locator(f'fieldset[data-field="{field_id}"]')


def choose(form: Locator, field_id: str, label: str) -> None:
    field(form, field_id).get_by_label(label, exact=True).check()


def saved(form: Locator) -> None:
    expect(form.locator(".reg-status")).to_contain_text(
        t("nl", "Draft saved at {time}.", time="")[:-1]
    )


def answer_everything_unknown(form: Locator) -> None:
    """What a counselor who knows nothing more does: 'onbekend' in every open question."""
    for fieldset in form.locator("fieldset.reg-field:visible").all():
        select = fieldset.locator("select")
        if select.count():
            if not select.input_value():
                select.select_option("unknown")
            continue
        unknown = fieldset.get_by_label("onbekend", exact=True)
        if unknown.count() and not fieldset.locator("input:checked").count():
            unknown.check()


def test_counselor_registers_a_chat_end_to_end(baken: Server, people: People) -> None:
    visitor = people.visitor().new_page()
    conversation_id = start_chat(visitor, baken, "Sam")
    console: Page = people.counselor().new_page()
    baken.add_staff(username="reg-anna", display_name="Anna")
    login_with_form(console, baken, "reg-anna")
    panel = accept(console, conversation_id)

    # While chatting: open the form beside the chat, answer two questions, the draft is saved.
    panel.locator(".reg-details__summary").click()
    form = panel.locator(".reg-form")
    expect(field(form, "trafficking_request")).to_be_visible()
    expect(field(form, "gender").locator("legend")).to_have_text("Gender")
    # Origin (codebook 2026.2) is on the form, in the page language.
    expect(field(form, "origin").locator("legend")).to_have_text("Herkomst")
    africa = field(form, "origin").locator('select option[value="africa"]')
    expect(africa).to_have_text("Afrika")  # a list: more than a few groups
    choose(form, "trafficking_request", "ja")
    choose(form, "victim_assessment", "geen slachtoffer")
    saved(form)
    # Only the fields that apply are shown: "not a victim" hides the exploitation types.
    expect(field(form, "exploitation_types")).to_be_hidden()
    expect(field(form, "origin")).to_be_hidden()  # victims only

    # A value the server refuses is shown at its field, clearly and for screen readers too.
    age = field(form, "age").locator("input")
    age.fill("150")
    error = field(form, "age").locator(".reg-field__error")
    expect(error).to_have_text("Vul een getal van 0 tot en met 120 in.")
    expect(age).to_have_attribute("aria-invalid", "true")
    assert (error.get_attribute("id") or "-") in (age.get_attribute("aria-describedby") or "")
    expect(form.locator(".reg-summary")).to_be_visible()
    expect(form.locator(".reg-status")).to_have_text(t("nl", "Not saved: check the marked fields."))
    age.fill("15")
    saved(form)
    expect(error).to_be_empty()

    # Marking complete too early: every open question the server names is marked at its field,
    # and the focus goes to the first of them (issue 12).
    form.get_by_role("button", name=t("nl", "Mark complete")).click()
    contact = field(form, "contact_role")
    expect(contact.locator(".reg-field__error")).to_have_text(t("nl", "Not answered yet."))
    expect(contact.get_by_label("onbekend", exact=True)).to_be_focused()
    expect(form.locator(".reg-summary")).to_be_visible()

    # A reload keeps what was saved.
    console.reload()
    panel = chat_panel(console, conversation_id)
    panel.locator(".reg-details__summary").click()
    form = panel.locator(".reg-form")
    expect(field(form, "trafficking_request").get_by_label("ja", exact=True)).to_be_checked()
    expect(
        field(form, "victim_assessment").get_by_label("geen slachtoffer", exact=True)
    ).to_be_checked()
    expect(field(form, "age").locator("input")).to_have_value("15")
    found = Axe().run(
        console,
        context=".reg-details",
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}},
    )
    violations = [v["id"] for v in found.response["violations"]]
    assert not violations, f"axe on the registration form: {violations}"

    # The chat ends and its panel is closed: the chat waits in "To register".
    panel.locator('[data-action="end"]').click()
    panel.locator('[data-action="end-yes"]').click()
    panel.locator('[data-action="close"]').click()
    item = console.locator(f'#to-register-list li[data-id="{conversation_id}"]')
    expect(item).to_contain_text("Sam")
    expect(item).to_contain_text(t("nl", "Draft"))
    expect(console.locator("#to-register-count")).to_have_text("1")

    # Registering after the chat: the dialog has the draft; answering the rest completes it.
    item.get_by_role("button", name=t("nl", "Register")).click()
    dialog = console.locator("#register-dialog")
    expect(dialog).to_be_visible()
    form = dialog.locator(".reg-form")
    expect(field(form, "age").locator("input")).to_have_value("15")
    answer_everything_unknown(form)
    saved(form)
    form.get_by_role("button", name=t("nl", "Mark complete")).click()
    expect(form.locator(".reg-status")).to_have_text(t("nl", "Registration complete."))
    dialog.get_by_role("button", name=t("nl", "Close")).click()
    expect(item).to_have_count(0)
    expect(console.locator("#to-register-empty")).to_be_visible()

    # The server agrees: complete, with the values the counselor chose.
    token = next(c["value"] for c in console.context.cookies() if c["name"] == "__Host-baken_s")
    stored = httpx.get(
        f"{baken.base}/api/conversations/{conversation_id}/registration",
        headers={"Cookie": f"__Host-baken_s={token}"},
    ).json()
    assert stored["complete"] is True
    assert stored["values"]["trafficking_request"] == "yes"
    assert stored["values"]["age"] == 15 and stored["values"]["is_minor"] == "yes"
    assert stored["values"]["contact_role"] == "unknown"
    assert stored["values"]["exploitation_types"] is None
    assert stored["values"]["origin"] is None
    # Chromium logs every 4xx answer as a console error; the refused saves above were meant.
    unexpected = [e for e in people.script_errors if "status of 422" not in e]
    assert not unexpected, unexpected
