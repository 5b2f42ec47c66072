"""The visitor's chat without JavaScript (issue 13, item 5), over plain HTTP: GET /chat,
GET /chat/log, POST /chat/send and POST /chat/end run the socket path's rules (the chat service's
send: text check, writer, resend detection per conversation and author) on the conversation behind
the visitor's own cookie, and answer bad input with a clear page, never a 500."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.domain.rate import TokenBucket
from tests.browser_support import t
from tests.support import Client, Server, counselor, run_async, start_server, visitor

STORM = t(
    "nl", "You are refreshing very often. Please wait a few seconds. In danger now? Call 112."
)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    server.stop()


def _visitor(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_v={token}"}


def _get(server: Server, path: str, token: str | None) -> httpx.Response:
    headers = _visitor(token) if token else {}
    return httpx.get(server.base + path, headers=headers, follow_redirects=False, timeout=20)


def _post(
    server: Server, path: str, token: str | None, form: dict[str, str], **headers: str
) -> httpx.Response:
    sent = {"Origin": server.origin, **(_visitor(token) if token else {}), **headers}
    return httpx.post(
        server.base + path, data=form, headers=sent, follow_redirects=False, timeout=20
    )


def _form_id(page: str) -> str:
    found = re.search(r'name="client_msg_id" value="([^"]+)"', page)
    assert found, "no message form on the page"
    return found.group(1)


def _log_texts(server: Server, token: str) -> list[str]:
    """The transcript frame's message texts, in order."""
    page = _get(server, "/chat/log?lang=nl", token)
    assert page.status_code == 200, page.text
    texts = re.findall(r'<p class="msg__text"[^>]*>(.*?)</p>', page.text, re.S)
    return [html.unescape(text) for text in texts]


def _app(server: Server) -> Any:
    return server._server.config.app


async def _accept(server: Server, staff_token: str, conversation_id: str) -> Client:
    console = await counselor(server, staff_token)
    await console.send({"type": "accept", "conversation_id": conversation_id})
    await console.expect("accepted", conversation_id=conversation_id)
    return console


async def _counselor_says(console: Client, conversation_id: str, text: str) -> None:
    await console.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "c1", "text": text}
    )
    await console.expect("ack", client_msg_id="c1")


def _active_chat(server: Server, text: str = "Hoi, ik ben Anna.") -> tuple[str, str, str]:
    """A visitor's chat accepted by a counselor who wrote one line; (id, visitor, staff token)."""
    conversation_id, token = server.start_visitor()
    _, staff = server.add_staff()

    async def go() -> None:
        console = await _accept(server, staff, conversation_id)
        await _counselor_says(console, conversation_id, text)
        await console.close()

    run_async(go())
    return conversation_id, token, staff


def test_waiting_page_refreshes_itself_and_shows_the_place(srv: Server) -> None:
    _conversation_id, token = srv.start_visitor()
    page = _get(srv, "/chat?lang=nl", token)
    assert page.status_code == 200
    # Issue 19, item 3: the refresh carries the place shown (tests/test_nojs_queue_moved.py).
    assert '<meta http-equiv="refresh" content="5; url=/chat?lang=nl&amp;shown=1">' in page.text
    assert t("nl", "You are next in line.") in page.text
    assert 'name="client_msg_id"' not in page.text  # writing waits for the counselor


def test_a_message_sent_with_the_form_is_stored_once_and_the_counselor_gets_it(
    srv: Server,
) -> None:
    conversation_id, token, staff = _active_chat(srv, "Hoi <b>daar</b>, ik ben Anna.")
    page = _get(srv, "/chat?lang=nl", token)
    assert page.status_code == 200
    # No refresh of the page itself: only the transcript frame refreshes, the message box stays.
    assert 'http-equiv="refresh"' not in page.text
    assert 'src="/chat/log?lang=nl"' in page.text
    form_id = _form_id(page.text)
    assert form_id != _form_id(_get(srv, "/chat?lang=nl", token).text)  # one per form

    log = _get(srv, "/chat/log?lang=nl", token)
    assert '<meta http-equiv="refresh" content="5">' in log.text
    assert "Hoi &lt;b&gt;daar&lt;/b&gt;, ik ben Anna." in log.text  # autoescaped, never HTML

    async def go() -> list[dict[str, Any]]:
        console = await counselor(srv, staff)
        await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 2})
        form = {"text": "Dank je.\r\nIk wil praten.", "client_msg_id": form_id, "lang": "nl"}
        first = _post(srv, "/chat/send", token, form)
        assert first.status_code == 303 and first.headers["location"] == "/chat?lang=nl"
        got = await console.expect_message(conversation_id, "visitor")
        # The same form again (a double click, a resent post): the same answer, nothing new.
        again = _post(srv, "/chat/send", token, form)
        assert again.status_code == 303
        await console.close()
        return [got["message"]]

    got = run_async(go())
    assert got[0]["text"] == "Dank je.\nIk wil praten."
    assert _log_texts(srv, token) == ["Hoi <b>daar</b>, ik ben Anna.", "Dank je.\nIk wil praten."]


def test_a_send_after_the_chat_ended_gets_a_clear_page(srv: Server) -> None:
    _conversation_id, token, _staff = _active_chat(srv)
    form_id = _form_id(_get(srv, "/chat?lang=nl", token).text)
    # Ending is a second step: the first shows the question, the post ends.
    ask = _get(srv, "/chat?end=ask&lang=nl", token)
    assert t("nl", "Do you want to end the chat?") in ask.text
    ended = _post(srv, "/chat/end", token, {"lang": "nl"})
    assert ended.status_code == 303 and ended.headers["location"] == "/chat?lang=nl"
    late = _post(srv, "/chat/send", token, {"text": "nog iets", "client_msg_id": form_id})
    assert late.status_code == 409
    assert t("nl", "This chat has ended. Your message was not sent.") in late.text
    assert t("nl", "Start a new chat") in late.text
    assert _get(srv, "/chat?lang=nl", token).status_code == 200


def test_a_client_msg_id_from_another_conversation_does_not_touch_it(srv: Server) -> None:
    _first, token_a, _ = _active_chat(srv, "Voor A")
    _second, token_b, _ = _active_chat(srv, "Voor B")
    replayed = "same-id-in-both"
    for token, text in ((token_a, "Van A"), (token_b, "Van B")):
        sent = _post(srv, "/chat/send", token, {"text": text, "client_msg_id": replayed})
        assert sent.status_code == 303
    assert _log_texts(srv, token_a) == ["Voor A", "Van A"]
    assert _log_texts(srv, token_b) == ["Voor B", "Van B"]


def test_bad_sends_are_refused_with_the_text_kept(srv: Server) -> None:
    _conversation_id, token, _ = _active_chat(srv)
    form_id = _form_id(_get(srv, "/chat?lang=nl", token).text)
    empty = _post(srv, "/chat/send", token, {"text": "  ", "client_msg_id": form_id})
    assert empty.status_code == 400
    assert t("nl", "Please type a message first.") in empty.text
    long_text = "x" * (srv.settings.max_message_chars + 1)
    too_long = _post(srv, "/chat/send", token, {"text": long_text, "client_msg_id": form_id})
    assert too_long.status_code == 400
    assert t("nl", "Your message is too long. Please make it shorter.") in too_long.text
    assert long_text in too_long.text
    assert _form_id(too_long.text) == form_id  # sent again, it still counts once
    forged = _post(srv, "/chat/send", token, {"text": "hoi", "client_msg_id": "<script>"})
    assert forged.status_code == 400
    foreign = _post(
        srv,
        "/chat/send",
        token,
        {"text": "hoi", "client_msg_id": form_id},
        Origin="https://evil.example",
    )
    assert foreign.status_code == 403
    assert _post(srv, "/chat/end", token, {}, Origin="https://evil.example").status_code == 403
    assert _log_texts(srv, token) == ["Hoi, ik ben Anna."]


def test_a_refresh_storm_gets_a_calm_page(srv: Server) -> None:
    conversation_id, token, _ = _active_chat(srv)
    assert _get(srv, "/chat?lang=nl", token).status_code == 200
    # This visitor's bucket, run dry (as a storm of refreshes would leave it).
    _app(srv).state.nojs_buckets._buckets[conversation_id] = TokenBucket(0.0, 0.0)
    for path in ("/chat?lang=nl", "/chat/log?lang=nl"):
        refused = _get(srv, path, token)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "10"
        assert STORM in refused.text
    form = {"text": "hoi", "client_msg_id": "storm-1"}
    assert _post(srv, "/chat/send", token, form).status_code == 429
    # Another visitor is not held up by this one's storm.
    _other, other_token, _ = _active_chat(srv)
    assert _get(srv, "/chat?lang=nl", other_token).status_code == 200


def test_only_the_transcript_page_may_be_framed_and_only_by_this_site(srv: Server) -> None:
    _conversation_id, token, _staff = _active_chat(srv)
    log = _get(srv, "/chat/log", token)
    assert "frame-ancestors 'self'" in log.headers["content-security-policy"]
    assert log.headers["x-frame-options"] == "SAMEORIGIN"
    assert log.headers["cache-control"] == "no-store"
    for path in ("/chat", "/", "/staff/login"):
        page = _get(srv, path, token)
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"


def test_without_a_visitor_cookie_nothing_of_a_chat_is_shown(srv: Server) -> None:
    _conversation_id, _token, staff = _active_chat(srv, "Geheim voor anderen")
    staff_cookie = {"Cookie": f"__Host-baken_s={staff}"}
    for path in ("/chat", "/chat/log"):
        for headers in ({}, staff_cookie):
            page = httpx.get(srv.base + path, headers=headers, timeout=20)
            assert page.status_code == 200
            assert "Geheim voor anderen" not in page.text
            assert 'name="client_msg_id"' not in page.text


def test_the_counselor_hears_when_the_visitor_has_no_live_connection(srv: Server) -> None:
    conversation_id, token = srv.start_visitor()
    _, staff = srv.add_staff()

    def link(frame: dict[str, Any], live: bool | None) -> bool:
        info = frame.get("conversation") or {}
        return (
            frame.get("type") == "conversation"
            and info.get("id") == conversation_id
            and info.get("state") == "active"
            and info.get("visitor_live") is live
        )

    async def go() -> None:
        console = await _accept(srv, staff, conversation_id)
        # A visitor only ever seen on a socket (or not at all): nothing to tell.
        await console.seen(lambda frame: link(frame, None))
        assert _get(srv, "/chat?lang=nl", token).status_code == 200
        await console.seen(lambda frame: link(frame, False))
        # Seen once is enough: the refreshes that follow publish nothing more.
        before = len([f for f in console.frames if link(f, False)])
        assert _get(srv, "/chat/log?lang=nl", token).status_code == 200
        # Back on a socket (JavaScript turned on again): live.
        socket = await visitor(srv, token)
        await console.seen(lambda frame: link(frame, True))
        assert len([f for f in console.frames if link(f, False)]) == before
        await socket.close()
        await console.close()

    run_async(go())
