"""The visitor's forms without JavaScript (issue 12), over plain HTTP: POST /closed/message,
/closed/answers, /return and /return/destroy run the JSON routes' own rules (origin, limits,
throttles, the one answer for wrong and unknown codes) and answer with the visitor page, which shows
the result next to the form and keeps what the visitor typed when it is refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.domain.conversation import Role
from baken.domain.rate import TokenBucket
from baken.web.service_routes import left_messages
from baken.web.services import services_of
from tests.browser_support import t
from tests.support import Server, add_staff_with_role, start_server

ALWAYS_CLOSED = {"enabled": True, "weekly": {}, "message_nl": "Morgen zijn we er weer."}
UNKNOWN_CODE = "appel banaan citroen druif kiwi peer"


# --- helpers --------------------------------------------------------------------------------------


def _app(server: Server) -> Any:
    """The running app (the server runs in this process): for emptying a throttle's bucket."""
    return server._server.config.app


def _post(server: Server, path: str, form: dict[str, str], **headers: str) -> httpx.Response:
    return httpx.post(
        server.base + path,
        data=form,
        headers={"Origin": server.origin, **headers},
        follow_redirects=False,
        timeout=20,
    )


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _visitor_token(response: httpx.Response) -> str | None:
    """httpx keeps Secure cookies off plain http: read the header itself."""
    header = response.headers.get("set-cookie", "")
    if not header.startswith("__Host-baken_v="):
        return None
    return header.split("=", 1)[1].split(";", 1)[0] or None


def _text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert found, f"#{element_id} is not on the page"
    return html.unescape(found.group(1)).strip()


def _classes(page: str, element_id: str) -> list[str]:
    found = re.search(rf'id="{element_id}" class="([^"]*)"', page)
    assert found, f"#{element_id} is not on the page"
    return found.group(1).split()


def _textarea(page: str, element_id: str) -> str:
    found = re.search(rf'<textarea id="{element_id}"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert found, f"textarea #{element_id} is not on the page"
    return html.unescape(found.group(1))


def _value(page: str, element_id: str) -> str:
    found = re.search(rf'<input id="{element_id}"[^>]* value="([^"]*)"', page)
    assert found, f"input #{element_id} is not on the page"
    return html.unescape(found.group(1))


def _left_code(page: str) -> str:
    found = re.search(r'class="closed-code__value" data-role="code"[^>]*>([^<]+)<', page)
    assert found, "no code on the page"
    return html.unescape(found.group(1))


def _answers(page: str) -> list[str]:
    block = re.search(r'<ul id="read-answer-list"[^>]*>(.*?)</ul>', page, re.S)
    assert block
    return [html.unescape(i) for i in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)]


def _threads(server: Server, counselor: str) -> list[dict[str, Any]]:
    listed = httpx.get(server.base + "/api/left-messages", headers=_cookie(counselor))
    threads: list[dict[str, Any]] = listed.json()["threads"]
    return threads


def _reply(server: Server, counselor: str, thread_id: str, text: str) -> None:
    reply = httpx.post(
        server.base + f"/api/left-messages/{thread_id}/reply",
        json={"text": text},
        headers={**_cookie(counselor), "Origin": server.origin},
    )
    assert reply.status_code == 200, reply.text


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def closed(srv: Server) -> Server:
    _, admin = add_staff_with_role(srv, Role.ADMIN)
    saved = httpx.put(
        srv.base + "/api/service-hours",
        json={"version": 0, "config": ALWAYS_CLOSED},
        headers={**_cookie(admin), "Origin": srv.origin},
    )
    assert saved.status_code == 200
    return srv


# --- the closed page ------------------------------------------------------------------------------


def test_a_message_left_with_the_form_shows_its_code_and_the_answer_is_read_with_it(
    closed: Server,
) -> None:
    _, counselor = closed.add_staff()
    # As a browser sends a textarea: line breaks as CRLF.
    left = _post(closed, "/closed/message", {"text": "Hallo,\r\nik wil iets vragen.", "lang": "en"})
    assert left.status_code == 200
    assert left.headers["cache-control"] == "no-store"
    assert "location" not in left.headers and "set-cookie" not in left.headers
    page = left.text
    assert '<html lang="en"' in page and "Morgen zijn we er weer." not in page
    assert _text_of(page, "leave-message-status") == t("en", "Your message has been left.")
    code = _left_code(page)
    assert len(code.split()) >= 6
    assert _textarea(page, "leave-message-text") == ""  # left: the form is empty again

    threads = _threads(closed, counselor)
    assert len(threads) == 1
    thread = httpx.get(
        closed.base + f"/api/left-messages/{threads[0]['id']}", headers=_cookie(counselor)
    ).json()
    assert [m["text"] for m in thread["messages"]] == ["Hallo,\nik wil iets vragen."]
    _reply(closed, counselor, threads[0]["id"], "Dank je. <i>Vertel</i> gerust meer.")

    read = _post(closed, "/closed/answers", {"code": code.upper() + " ", "lang": "nl"})
    assert read.status_code == 200
    assert _answers(read.text) == ["Dank je. <i>Vertel</i> gerust meer."]
    assert "<i>Vertel</i>" not in read.text  # text, never HTML
    assert _text_of(read.text, "read-answer-status") == t("nl", "The answer:")
    again = _post(closed, "/closed/answers", {"code": code, "lang": "nl"})
    assert again.status_code == 200 and _answers(again.text) == []
    assert _text_of(again.text, "read-answer-status") == t(
        "nl", "There is no new answer yet. Please look again later."
    )


def test_an_empty_or_too_long_message_is_refused_with_the_text_kept(closed: Server) -> None:
    _, counselor = closed.add_staff()
    empty = _post(closed, "/closed/message", {"text": " \r\n ", "lang": "nl"})
    assert empty.status_code == 400
    assert _text_of(empty.text, "leave-message-status") == t("nl", "Please type a message first.")
    assert "field__error" in _classes(empty.text, "leave-message-status")
    assert 'aria-invalid="true"' in empty.text
    assert 'data-role="code" dir="ltr"></p>' in empty.text  # no code

    long_text = "\nEerste regel <b>vet</b> & meer\n" + "x" * closed.settings.max_message_chars
    too_long = _post(closed, "/closed/message", {"text": long_text, "lang": "nl"})
    assert too_long.status_code == 400
    assert _text_of(too_long.text, "leave-message-status") == t(
        "nl", "Your message is too long. Please make it shorter."
    )
    # Kept exactly, leading line break included; escaped, so shown as text.
    assert _textarea(too_long.text, "leave-message-text") == long_text
    assert "<b>vet</b>" not in too_long.text
    assert _threads(closed, counselor) == []  # nothing was stored

    # A form far beyond any message is not read to the end; the page still says why.
    huge = "x" * (closed.settings.max_message_chars * 20)
    refused = _post(closed, "/closed/message", {"text": huge, "lang": "nl"})
    assert refused.status_code == 413
    assert _text_of(refused.text, "leave-message-status") == t(
        "nl", "Your message is too long. Please make it shorter."
    )
    assert _threads(closed, counselor) == []


def test_the_exact_limit_counts_line_breaks_once(closed: Server) -> None:
    limit = closed.settings.max_message_chars
    text = "a\r\n" * (limit // 2)  # limit characters in the page, more on the wire
    left = _post(closed, "/closed/message", {"text": text, "lang": "nl"})
    assert left.status_code == 200, _text_of(left.text, "leave-message-status")


def test_wrong_and_unknown_codes_get_the_same_answer_and_the_code_is_kept(closed: Server) -> None:
    answers = [
        _post(closed, "/closed/answers", {"code": raw, "lang": "nl"})
        for raw in (UNKNOWN_CODE, "dit is geen code", "x" * 129)
    ]
    wrong = t("nl", "This code does not work. Check it, or start a new chat.")
    for response, raw in zip(answers, (UNKNOWN_CODE, "dit is geen code", "x" * 129), strict=True):
        assert response.status_code == 400
        assert _text_of(response.text, "read-answer-status") == wrong
        assert _value(response.text, "read-answer-code") == raw
        assert _answers(response.text) == []
    empty = _post(closed, "/closed/answers", {"code": "  ", "lang": "nl"})
    assert empty.status_code == 400
    assert _text_of(empty.text, "read-answer-status") == t("nl", "Type your code first.")


def test_a_message_sent_twice_is_stored_twice_with_two_codes(closed: Server) -> None:
    """Documented double submit: each post that is stored is a new message with its own code (a
    resent form after a reload, say). The page empties the field once it is stored, so pressing
    the button again sends nothing."""
    _, counselor = closed.add_staff()
    form = {"text": "Twee keer verstuurd", "lang": "nl"}
    first, second = _post(closed, "/closed/message", form), _post(closed, "/closed/message", form)
    assert first.status_code == second.status_code == 200
    assert _left_code(first.text) != _left_code(second.text)
    assert len(_threads(closed, counselor)) == 2
    again = _post(closed, "/closed/message", {"text": "", "lang": "nl"})  # the emptied form
    assert again.status_code == 400 and len(_threads(closed, counselor)) == 2


def test_the_forms_refuse_other_origins_and_change_nothing(closed: Server) -> None:
    _, counselor = closed.add_staff()
    forms = {
        "/closed/message": {"text": "Hallo", "lang": "nl"},
        "/closed/answers": {"code": UNKNOWN_CODE},
        "/return": {"code": UNKNOWN_CODE},
        "/return/destroy": {"code": UNKNOWN_CODE},
    }
    for path, form in forms.items():
        for origin in ("http://evil.example", "null"):
            refused = _post(closed, path, form, Origin=origin)
            assert refused.status_code == 403, (path, origin)
        no_origin = httpx.post(closed.base + path, data=form, follow_redirects=False)
        assert no_origin.status_code == 403, path
        # "Origin: null" from the site's own page (Referrer-Policy: no-referrer) is let through
        # only when fetch metadata says the request began on this site.
        cross = _post(closed, path, form, Origin="null", **{"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403, path
    assert _threads(closed, counselor) == []
    own = _post(
        closed,
        "/closed/message",
        forms["/closed/message"],
        Origin="null",
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 200


def test_the_mailbox_throttle_applies_to_the_forms(closed: Server) -> None:
    _, counselor = closed.add_staff()
    inbox = left_messages(_app(closed))
    inbox._bucket = TokenBucket(rate=0.0, burst=0.0)  # every try across everyone is used up
    refused = _post(closed, "/closed/message", {"text": "Nu even niet?", "lang": "nl"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert _text_of(refused.text, "leave-message-status") == t("nl", "Try again in a moment.")
    assert _textarea(refused.text, "leave-message-text") == "Nu even niet?"
    read = _post(closed, "/closed/answers", {"code": UNKNOWN_CODE, "lang": "nl"})
    assert read.status_code == 429
    assert _text_of(read.text, "read-answer-status") == t("nl", "Try again in a moment.")
    assert _value(read.text, "read-answer-code") == UNKNOWN_CODE
    assert _threads(closed, counselor) == []


# --- the start page: come back with a code, or destroy it ----------------------------------------


def _code_with_answer(server: Server, counselor: str, answer: str | None) -> str:
    """A code with a thread, as a message left while closed makes one (also works while open)."""
    left = _post(server, "/closed/message", {"text": "Ik kom later terug.", "lang": "nl"})
    assert left.status_code == 200
    if answer is not None:
        thread_id = _threads(server, counselor)[-1]["id"]
        _reply(server, counselor, thread_id, answer)
    return _left_code(left.text)


def test_coming_back_with_a_code_starts_a_chat_like_the_start_form(srv: Server) -> None:
    _, counselor = srv.add_staff()
    code = _code_with_answer(srv, counselor, None)
    back = _post(srv, "/return", {"code": code, "lang": "en"})
    assert back.status_code == 303 and back.headers["location"] == "/?lang=en"
    token = _visitor_token(back)
    assert token
    chat = httpx.get(srv.base + "/?lang=en", headers={"Cookie": f"__Host-baken_v={token}"})
    assert 'data-state="queued"' in chat.text
    # Double submit: a chat is open, so the visitor is sent back to it; no second chat.
    twice = _post(srv, "/return", {"code": code}, Cookie=f"__Host-baken_v={token}")
    assert twice.status_code == 303 and _visitor_token(twice) is None


def test_messages_waiting_in_the_mailbox_are_shown_once_on_the_chat_page(srv: Server) -> None:
    _, counselor = srv.add_staff()
    code = _code_with_answer(srv, counselor, "Fijn dat je terugkomt. <b>Welkom</b>.")
    back = _post(srv, "/return", {"code": code, "lang": "nl"})
    assert back.status_code == 200 and back.headers["cache-control"] == "no-store"
    token = _visitor_token(back)
    assert token
    assert 'data-state="queued"' in back.text
    followups = re.search(r'<ul id="followup-list"[^>]*>(.*?)</ul>', back.text, re.S)
    assert followups and "Fijn dat je terugkomt. &lt;b&gt;Welkom&lt;/b&gt;." in followups.group(1)
    assert 'id="followups" class="followups" aria-labelledby="followups-title">' in back.text
    # Shown once: read now, so the chat page itself no longer has them.
    chat = httpx.get(srv.base + "/", headers={"Cookie": f"__Host-baken_v={token}"})
    assert "Fijn dat je terugkomt." not in chat.text


def test_a_wrong_code_is_refused_next_to_the_form_with_the_code_kept(srv: Server) -> None:
    wrong = _post(srv, "/return", {"code": UNKNOWN_CODE, "lang": "nl"})
    assert wrong.status_code == 400 and _visitor_token(wrong) is None
    assert '<details id="return-box" class="tips return-box" open>' in wrong.text
    assert _text_of(wrong.text, "return-status") == t(
        "nl", "This code does not work. Check it, or start a new chat."
    )
    assert "field__error" in _classes(wrong.text, "return-status")
    assert _value(wrong.text, "return-code") == UNKNOWN_CODE
    empty = _post(srv, "/return", {"code": "", "lang": "nl"})
    assert empty.status_code == 400
    assert _text_of(empty.text, "return-status") == t("nl", "Type your code first.")


def test_destroying_a_code_with_the_form(srv: Server) -> None:
    _, counselor = srv.add_staff()
    code = _code_with_answer(srv, counselor, "Een antwoord dat niemand meer leest.")
    done = t("nl", "Done. If this code existed, it no longer works.")
    for raw in (UNKNOWN_CODE, code):  # the same answer whether it existed or not
        destroyed = _post(srv, "/return/destroy", {"code": raw, "lang": "nl"})
        assert destroyed.status_code == 200
        assert _text_of(destroyed.text, "return-status") == done
        assert _value(destroyed.text, "return-code") == ""
    assert _post(srv, "/return", {"code": code, "lang": "nl"}).status_code == 400
    assert _post(srv, "/closed/answers", {"code": code, "lang": "nl"}).status_code == 400


def test_coming_back_is_refused_while_closed(closed: Server) -> None:
    _, counselor = closed.add_staff()
    code = _code_with_answer(closed, counselor, "Tot morgen.")
    back = _post(closed, "/return", {"code": code, "lang": "nl"})
    assert back.status_code == 503 and _visitor_token(back) is None
    assert 'id="view-closed"' in back.text and "Morgen zijn we er weer." in back.text
    # The code was not used: its answer can still be read.
    assert _answers(_post(closed, "/closed/answers", {"code": code}).text) == ["Tot morgen."]


def test_the_start_limits_and_the_code_throttle_apply_to_the_form(srv: Server) -> None:
    _, counselor = srv.add_staff()
    code = _code_with_answer(srv, counselor, None)
    busy = t(
        "nl", "It is very busy right now. Please try again in a minute. In danger now? Call 112."
    )
    guard = _app(srv).state.abuse
    real_bucket = guard.form_starts
    guard.form_starts = TokenBucket(rate=0.0, burst=0.0)  # the no-JavaScript start budget is used
    gated = _post(srv, "/return", {"code": code, "lang": "nl"})
    assert gated.status_code == 429 and _visitor_token(gated) is None
    assert _text_of(gated.text, "return-status") == busy
    assert _value(gated.text, "return-code") == code
    guard.form_starts = real_bucket

    services_of(_app(srv)).chat._code_bucket = TokenBucket(rate=0.0, burst=0.0)
    for path in ("/return", "/return/destroy"):
        throttled = _post(srv, path, {"code": code, "lang": "nl"})
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
        assert _value(throttled.text, "return-code") == code
    # Nothing was used or destroyed: the code still works once the throttle lets it through.
    services_of(_app(srv)).chat._code_bucket = TokenBucket(rate=1.0, burst=5.0)
    assert _post(srv, "/return", {"code": code, "lang": "nl"}).status_code == 303
