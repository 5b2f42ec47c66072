"""Issue 16: on a phone the exploiter may hold later, the keyboard must learn nothing from what the
visitor typed. Every field a visitor can type in, in every state the visitor page is served in
(start, waiting in a chat, the page without JavaScript, the code box with a result, closed with
each form's result), has autocomplete="off", spellcheck="false" and autocapitalize="off".
The pages are parsed as served (hidden fields carry no typing and are left out)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from tests.support import Server, add_staff_with_role, start_server

WANTED = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
CLOSED_ALL_WEEK = {
    "enabled": True,
    "weekly": {},
    "exceptions": [],
    "numbers": [],
    "message_nl": "Nu gesloten.",
    "message_en": "Closed now.",
}


class Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "textarea" or (tag == "input" and found.get("type") != "hidden"):
            self.fields.append({"tag": tag, **found})


def typed_fields(html: str) -> list[dict[str, str | None]]:
    parser = Fields()
    parser.feed(html)
    return parser.fields


def assert_private(html: str, state: str) -> set[str]:
    fields = typed_fields(html)
    assert fields, f"no fields found in state {state}"
    for field in fields:
        wrong = {k: field.get(k) for k, v in WANTED.items() if field.get(k) != v}
        assert not wrong, (state, field.get("id") or field.get("name"), wrong)
    return {str(f.get("id")) for f in fields if f.get("id")}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    yield srv
    srv.stop()


def _form(srv: Server, path: str, data: dict[str, str]) -> httpx.Response:
    return httpx.post(srv.base + path, data=data, headers={"Origin": srv.origin})


def test_every_visitor_field_keeps_the_keyboard_from_learning(server: Server) -> None:
    srv = server
    seen: set[str] = set()
    for lang in ("nl", "en"):
        seen |= assert_private(httpx.get(f"{srv.base}/?lang={lang}").text, f"start {lang}")
    wrong_code = _form(srv, "/return", {"code": "appel peer", "lang": "nl"})
    assert wrong_code.status_code == 400
    seen |= assert_private(wrong_code.text, "code box with an error")

    _conversation, token = srv.start_visitor("Noor")
    cookie = {"Cookie": f"__Host-baken_v={token}"}
    seen |= assert_private(httpx.get(srv.base + "/", headers=cookie).text, "waiting")
    no_js = httpx.get(srv.base + "/chat?lang=nl", headers=cookie)
    # The chat page without JavaScript shows its composer once a counselor has taken the chat.
    if no_js.status_code == 200 and typed_fields(no_js.text):
        seen |= assert_private(no_js.text, "chat without JavaScript")

    _, admin = add_staff_with_role(srv, Role.ADMIN)
    closed = httpx.put(
        srv.base + "/api/service-hours",
        json={"version": 0, "config": CLOSED_ALL_WEEK},
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": srv.origin},
    )
    assert closed.status_code == 200
    seen |= assert_private(httpx.get(srv.base + "/?lang=nl").text, "closed")
    left = _form(srv, "/closed/message", {"text": "Kan iemand mij helpen?", "lang": "nl"})
    assert left.status_code == 200
    seen |= assert_private(left.text, "closed, message left")
    answers = _form(srv, "/closed/answers", {"code": "appel peer", "lang": "nl"})
    seen |= assert_private(answers.text, "closed, answers read")

    # Every kind of field the visitor types in was among those checked.
    expected = {"nickname", "return-code", "message", "queue-message-text"}
    expected |= {"leave-message-text", "read-answer-code", "danger"}
    assert expected <= seen, expected - seen
