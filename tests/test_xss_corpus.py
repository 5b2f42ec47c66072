"""XSS and injection corpus (issue 5, "Bad input to try"), protocol level: every field that reaches
another person's screen carries each payload as data, byte for byte, and server-rendered HTML never
expands or un-escapes it. The browser half (payloads on the real pages in Chromium) is in
tests/test_xss_browser.py.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape
from playwright.sync_api import Locator, Page, expect

from baken.domain.conversation import Role
from baken.domain.text import NICKNAME_MAX_CHARS, clean_nickname
from tests.browser_support import (
    People,
    accept,
    login_with_form,
    queue_item,
    start_chat,
)
from tests.support import (
    Server,
    add_staff_with_role,
    counselor,
    run_async,
    start_server,
    visitor,
)
from tests.xss_payloads import (
    EXPANDED,
    INJECTED_SELECTORS,
    LONG_PAYLOAD,
    PAYLOADS,
    SHORT_PAYLOADS,
    TEMPLATE_MARKERS,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("xss"), max_chats=50)
    yield srv
    srv.stop()


def _staff(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _headers(server: Server, token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}", "Origin": server.origin}


def _accepted_chat(
    server: Server, staff_token: str, nickname: str | None = None
) -> tuple[str, str]:
    """A visitor's chat accepted by this counselor over the real protocol; (id, visitor token)."""
    conversation_id, visitor_token = server.start_visitor(nickname)

    async def accept() -> None:
        staff = await counselor(server, staff_token)
        try:
            await staff.send({"type": "accept", "conversation_id": conversation_id})
            await staff.expect("accepted", conversation_id=conversation_id)
        finally:
            await staff.close()

    run_async(accept())
    return conversation_id, visitor_token


def _visitor_post(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    """A visitor's JSON post; return codes share one global hashing rate, so "try again in a
    moment" (429 try_later) is waited out rather than counted as an answer."""
    for _attempt in range(40):
        response = httpx.post(server.base + path, json=body, headers={"Origin": server.origin})
        if response.status_code != 429 or response.json().get("error") != "try_later":
            return response
        time.sleep(0.25)
    raise AssertionError(f"{path} stayed at try_later")


def _assert_not_rendered_as_html(page: str, payload: str, where: str) -> None:
    """The page shows the payload as text: never its markup raw, never a template expanded."""
    if any(ch in payload for ch in "<>\"'"):
        assert payload not in page, f"{where}: the payload is in the HTML unescaped: {payload!r}"
    assert EXPANDED not in page, f"{where}: a template expression was expanded"


# --- chat messages -------------------------------------------------------------------------------


def test_messages_arrive_byte_identical_both_ways_and_after_a_resync(server: Server) -> None:
    staff_id, staff_token = add_staff_with_role(server, Role.COUNSELOR)
    conversation_id, visitor_token = _accepted_chat(server, staff_token)

    async def run() -> None:
        staff = await counselor(server, staff_token)
        person = await visitor(server, visitor_token)
        try:
            for client in (staff, person):  # as the pages do: from the start, then live
                await client.send(
                    {"type": "sync", "conversation_id": conversation_id, "after_seq": 0}
                )
                await client.expect("messages", conversation_id=conversation_id)
            for n, payload in enumerate(PAYLOADS):
                await person.send(_message(conversation_id, f"v{n}", payload))
                got = await staff.expect_message(conversation_id, "visitor")
                assert got["message"]["text"] == payload
                await staff.send(_message(conversation_id, f"c{n}", payload))
                back = await person.expect_message(conversation_id, "counselor")
                assert back["message"]["text"] == payload
            # And read back from the database (decrypted), as after a reconnect.
            await staff.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
            stored: list[str] = []
            while len(stored) < 2 * len(PAYLOADS):
                frame = await staff.expect("messages", conversation_id=conversation_id)
                stored += [m["text"] for m in frame["messages"] if m["sender"] != "system"]
            assert stored == [p for p in PAYLOADS for _ in (0, 1)]
        finally:
            await staff.close()
            await person.close()

    run_async(run())
    assert staff_id


def _message(conversation_id: str, ref: str, text: str) -> dict[str, Any]:
    return {"type": "send", "conversation_id": conversation_id, "client_msg_id": ref, "text": text}


# --- nickname ------------------------------------------------------------------------------------


def test_nicknames_arrive_as_data_in_the_queue_and_the_chat(server: Server) -> None:
    _, staff_token = add_staff_with_role(server, Role.COUNSELOR)
    fitting = [p for p in SHORT_PAYLOADS if len(p) <= NICKNAME_MAX_CHARS]
    started = {server.start_visitor(p)[0]: clean_nickname(p) for p in fitting}
    assert len(started) >= 15

    async def run() -> None:
        staff = await counselor(server, staff_token)
        try:
            queue = await staff.expect("queue")
            shown = {e["conversation_id"]: e["nickname"] for e in queue["entries"]}
            for conversation_id, expected in started.items():
                assert shown[conversation_id] == expected
        finally:
            await staff.close()

    run_async(run())
    # Only control and format characters go (documented in domain/text.py): markup stays text.
    assert clean_nickname("<script>x</script>") == "<script>x</script>"
    assert clean_nickname("\u202eabc\u200b") == "abc"


# --- notes, whispers, consultations --------------------------------------------------------------


def test_notes_whispers_and_consultations_arrive_as_data(server: Server) -> None:
    staff_id, staff_token = add_staff_with_role(server, Role.COUNSELOR)
    _, colleague_token = add_staff_with_role(server, Role.COUNSELOR)
    _, supervisor_token = add_staff_with_role(server, Role.SUPERVISOR)
    conversation_id, _ = _accepted_chat(server, staff_token)

    async def run() -> None:
        staff = await counselor(server, staff_token)
        colleague = await counselor(server, colleague_token)
        boss = await counselor(server, supervisor_token)
        try:
            await boss.send({"type": "observe", "conversation_id": conversation_id})
            await boss.expect("observing", conversation_id=conversation_id)
            for payload in PAYLOADS:
                await staff.send(
                    {"type": "note_add", "conversation_id": conversation_id, "text": payload}
                )
                note = await staff.expect("note", conversation_id=conversation_id)
                assert note["note"]["text"] == payload
                await boss.send(
                    {"type": "whisper", "conversation_id": conversation_id, "text": payload}
                )
                whisper = await staff.expect("whisper", conversation_id=conversation_id)
                assert whisper["whisper"]["text"] == payload
                await staff.send({"type": "consult_send", "to": "team", "text": payload})
                consult = await colleague.expect("consult")
                assert consult["message"]["text"] == payload
            await staff.send({"type": "notes_get", "conversation_id": conversation_id})
            notes = await staff.expect("notes", conversation_id=conversation_id)
            stored = [n["text"] for n in notes["notes"] if n["kind"] == "note"]
            assert stored == list(PAYLOADS)
        finally:
            for client in (staff, colleague, boss):
                await client.close()

    run_async(run())
    assert staff_id


# --- canned responses ----------------------------------------------------------------------------


def test_canned_responses_arrive_as_data(server: Server) -> None:
    _, supervisor_token = add_staff_with_role(server, Role.SUPERVISOR)
    _, counselor_token = add_staff_with_role(server, Role.COUNSELOR)
    made: dict[str, tuple[str, str]] = {}
    for payload in (*SHORT_PAYLOADS, LONG_PAYLOAD[:2000]):
        title = payload[:60]
        created = httpx.post(
            server.base + "/api/canned",
            json={"scope": "team", "lang": "nl", "title": title, "body": payload},
            headers=_headers(server, supervisor_token),
        )
        assert created.status_code == 201, created.text
        made[created.json()["canned"]["id"]] = (created.json()["canned"]["title"], payload)
    # A colleague's console gets them back exactly.
    listed = httpx.get(server.base + "/api/canned", headers=_headers(server, counselor_token))
    by_id = {c["id"]: (c["title"], c["body"]) for c in listed.json()["canned"]}
    for canned_id, (title, body) in made.items():
        assert by_id[canned_id] == (title, body)


# --- messages left while closed, and the answers -------------------------------------------------


def test_left_messages_and_answers_arrive_as_data(server: Server) -> None:
    _, staff_token = add_staff_with_role(server, Role.COUNSELOR)
    for payload in PAYLOADS[:6] + PAYLOADS[-3:]:
        left = _visitor_post(server, "/api/visitor/message", {"text": payload, "lang": "nl"})
        assert left.status_code == 200, left.text
        code = left.json()["code"]
        threads = httpx.get(
            server.base + "/api/left-messages", headers=_headers(server, staff_token)
        )
        thread_id = threads.json()["threads"][-1]["id"]
        thread = httpx.get(
            server.base + f"/api/left-messages/{thread_id}", headers=_headers(server, staff_token)
        ).json()
        assert [m["text"] for m in thread["messages"]] == [payload]
        replied = httpx.post(
            server.base + f"/api/left-messages/{thread_id}/reply",
            json={"text": payload},
            headers=_headers(server, staff_token),
        )
        assert replied.status_code == 200, replied.text
        mailbox = _visitor_post(server, "/api/visitor/mailbox", {"code": code, "lang": "nl"})
        assert [m["text"] for m in mailbox.json()["messages"]] == [payload]


# --- registrations: no free text -----------------------------------------------------------------


def test_registration_fields_take_no_free_text(server: Server) -> None:
    _, staff_token = add_staff_with_role(server, Role.COUNSELOR)
    conversation_id, _ = _accepted_chat(server, staff_token)
    path = server.base + f"/api/conversations/{conversation_id}/registration"
    codebook = httpx.get(server.base + "/api/registrations/codebook", headers=_staff(staff_token))
    fields = [f["id"] for f in codebook.json()["fields"]]
    for payload in (PAYLOADS[0], PAYLOADS[1], "{{7*7}}", "'; DROP TABLE registrations; --"):
        for key in fields:
            refused = httpx.put(
                path,
                json={"version": 0, "values": {key: payload}},
                headers=_headers(server, staff_token),
            )
            assert refused.status_code in (400, 422), (key, refused.status_code)
    stored = httpx.get(path, headers=_staff(staff_token)).json()
    assert stored["version"] == 0  # nothing was saved


# --- server-rendered pages -----------------------------------------------------------------------


def test_server_rendered_pages_show_user_text_escaped(server: Server) -> None:
    """Where the server itself puts someone's text into HTML: the visitor's nickname (their page),
    a counselor's display name (the visitor's page title, colleagues' and admins' pages)."""
    _, admin_token = add_staff_with_role(server, Role.ADMIN, display_name="Beheer")
    for payload in SHORT_PAYLOADS:
        if len(payload) > 80:
            continue
        _, staff_token = add_staff_with_role(server, Role.COUNSELOR, display_name=payload)
        nickname = clean_nickname(payload) if len(payload) <= NICKNAME_MAX_CHARS else None
        _, visitor_token = _accepted_chat(server, staff_token, nickname)
        pages = {
            "visitor page": httpx.get(
                server.base + "/", headers={"Cookie": f"__Host-baken_v={visitor_token}"}
            ),
            "console": httpx.get(server.base + "/staff", headers=_staff(staff_token)),
            "password page": httpx.get(
                server.base + "/staff/password", headers=_staff(staff_token)
            ),
            "accounts page": httpx.get(
                server.base + "/staff/accounts", headers=_staff(admin_token)
            ),
        }
        for where, page in pages.items():
            assert page.status_code == 200, where
            _assert_not_rendered_as_html(page.text, payload, where)
        # It is there, as text: escaped in the title of the visitor's page.
        assert str(escape(payload)) in pages["visitor page"].text
        assert str(escape(payload)) in pages["accounts page"].text


def test_the_closed_message_is_shown_escaped(server: Server) -> None:
    """The admin's closed-state text reaches every visitor's screen."""
    _, admin_token = add_staff_with_role(server, Role.ADMIN)
    headers = _headers(server, admin_token)
    current = httpx.get(server.base + "/api/service-hours", headers=headers).json()
    payload = " ".join(SHORT_PAYLOADS[:6] + TEMPLATE_MARKERS)[:600]
    closed = {
        **current["config"],
        "enabled": True,
        "weekly": {str(day): [] for day in range(7)},  # never open
        "message_nl": payload,
        "message_en": payload,
    }
    saved = httpx.put(
        server.base + "/api/service-hours",
        json={"version": current["version"], "config": closed},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    try:
        page = httpx.get(server.base + "/?lang=nl")
        assert page.status_code == 200
        _assert_not_rendered_as_html(page.text, payload, "closed visitor page")
        for part in SHORT_PAYLOADS[:6]:
            assert part not in page.text
        status = httpx.get(server.base + "/api/service/status?lang=nl").json()
        assert status["open"] is False and status["message"] == payload
    finally:
        version = saved.json()["version"]
        reopened = httpx.put(
            server.base + "/api/service-hours",
            json={"version": version, "config": current["config"]},
            headers=headers,
        )
        assert reopened.status_code == 200, reopened.text


def test_csv_exports_do_not_start_cells_with_formulas(tmp_path: Path) -> None:
    """Exports are opened in spreadsheets: a cell that starts like a formula is defused."""
    from baken.reports.export import safe_cell

    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"):
        assert not safe_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe_cell("gewoon") == "gewoon"


# --- in the browser: the counselor console and the visitor page ----------------------------------

# A selection that covers every family (markup, URLs, templates, unicode, long), to keep it quick.
BROWSER_PAYLOADS = (*SHORT_PAYLOADS[:12], *TEMPLATE_MARKERS[:3], *SHORT_PAYLOADS[-7:], LONG_PAYLOAD)
NO_SCRIPT_RAN = (
    "() => ({pwned: window.__pwned === undefined ? null : window.__pwned, title: document.title})"
)


def _assert_shown_as_text(page: Page, shown: Locator, payloads: tuple[str, ...]) -> None:
    expect(shown).to_have_count(len(payloads))
    assert shown.all_text_contents() == list(payloads)
    ran = page.evaluate(NO_SCRIPT_RAN)
    assert ran["pwned"] is None, "a payload ran script"
    assert ran["title"] != "PWNED", "a payload changed the title"
    for selector in INJECTED_SELECTORS:
        assert page.locator(selector).count() == 0, (
            f"markup from a payload is in the page: {selector}"
        )


@pytest.mark.browser
def test_the_console_shows_hostile_nicknames_messages_and_texts_as_text(
    server: Server, people: People
) -> None:
    username = "c-" + secrets.token_hex(4)
    _, staff_token = add_staff_with_role(server, Role.COUNSELOR, username=username)
    nickname = "<img src=x onerror=window.__pwned=1>"
    conversation_id, visitor_token = server.start_visitor(nickname)
    for payload in BROWSER_PAYLOADS[:6]:  # team texts in the canned-response list
        created = httpx.post(
            server.base + "/api/canned",
            json={"scope": "personal", "lang": "nl", "title": payload[:60], "body": payload},
            headers=_headers(server, staff_token),
        )
        assert created.status_code == 201, created.text
    console = people.counselor().new_page()
    login_with_form(console, server, username)
    expect(queue_item(console, conversation_id)).to_contain_text(nickname)
    panel = accept(console, conversation_id)

    async def visitor_and_notes() -> None:
        person = await visitor(server, visitor_token)
        staff = await counselor(server, staff_token)
        try:
            for n, payload in enumerate(BROWSER_PAYLOADS):
                await person.send(_message(conversation_id, f"b{n}", payload))
                await person.expect("ack", client_msg_id=f"b{n}")
            for payload in BROWSER_PAYLOADS[:4]:
                await staff.send(
                    {"type": "note_add", "conversation_id": conversation_id, "text": payload}
                )
                await staff.expect("note", conversation_id=conversation_id)
        finally:
            await person.close()
            await staff.close()

    run_async(visitor_and_notes())
    _assert_shown_as_text(console, panel.locator(".msg__text"), BROWSER_PAYLOADS)
    expect(panel).to_contain_text(nickname)
    assert people.script_errors == []


@pytest.mark.browser
def test_the_visitor_page_shows_a_hostile_counselor_name_and_messages_as_text(
    server: Server, people: People
) -> None:
    name = "<svg onload=window.__pwned=1>{{7*7}}"
    _, staff_token = add_staff_with_role(server, Role.COUNSELOR, display_name=name)
    page = people.visitor().new_page()
    nickname = "<b>{{ 6007*7 }}</b>"
    conversation_id = start_chat(page, server, nickname)

    async def counselor_writes() -> None:
        staff = await counselor(server, staff_token)
        try:
            await staff.send({"type": "accept", "conversation_id": conversation_id})
            await staff.expect("accepted", conversation_id=conversation_id)
            for n, payload in enumerate(BROWSER_PAYLOADS):
                await staff.send(_message(conversation_id, f"k{n}", payload))
                await staff.expect("ack", client_msg_id=f"k{n}")
        finally:
            await staff.close()

    run_async(counselor_writes())
    _assert_shown_as_text(page, page.locator("#log .msg__text"), BROWSER_PAYLOADS)
    expect(page.locator("#view-title")).to_contain_text(name)
    assert EXPANDED not in page.content() and "49" not in page.locator("#view-title").inner_text()
    assert people.script_errors == []
