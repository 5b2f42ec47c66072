"""Hostile input (issue 5, "Bad input to try") against a real server, over HTTP and WebSocket.

Ids of the wrong type, deep nesting, 10 MB bodies and frames, awkward Unicode, SQL and JSON-operator
strings: each gets a clear 4xx / error frame (or, for an oversized frame, a close with code 1009),
never a 500 or a hang; nothing that was refused changes a row; what is accepted comes back exactly
as the rule in domain/text.py says; the server stays healthy and a normal chat still works.
The XSS corpus is in test_xss_corpus.py; schema-driven fuzzing in test_openapi_fuzz.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from baken.domain.conversation import Role
from baken.domain.text import clean_nickname
from baken.store.database import Database
from baken.store.tables import metadata
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    counselor,
    open_socket,
    run_async,
    start_server,
    visitor,
)

# Raw JSON literals: 1e309 overflows a double, so it can only be sent as text.
WRONG_TYPES = ('"1"', "true", "[]", "{}", "null", "1e309")
NON_STRINGS = tuple(literal for literal in WRONG_TYPES if not literal.startswith('"'))
INJECTIONS = (
    "' OR '1'='1",
    "1; DROP TABLE conversations; --",
    "'); DELETE FROM messages; --",
    "1 UNION SELECT secret FROM staff --",
    '{"$gt": ""}',
    '{"$where": "1"}',
    "data->>'text'",
    "@> '{}'::jsonb",
    "$..*",
)
AWKWARD = "\u202eabc\u200b\u200c\u200d\u2060\ufeffdef"  # RLO, zero-widths, word joiner, BOM
TEN_MB = 10 * 1024 * 1024

# Every JSON route: (method, path template, the keys that name something stored).
JSON_ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("POST", "/api/visitor/start", ()),
    ("POST", "/api/visitor/return", ("code",)),
    ("POST", "/api/visitor/code/destroy", ("code",)),
    ("POST", "/api/visitor/message", ()),
    ("POST", "/api/visitor/mailbox", ("code",)),
    ("POST", "/api/visitor/feedback/ticket", ()),
    ("POST", "/api/visitor/feedback/status", ("ticket",)),
    ("POST", "/api/visitor/feedback", ("ticket",)),
    ("POST", "/api/canned", ()),
    ("PUT", "/api/canned/{id}", ()),
    ("PUT", "/api/conversations/{id}/registration", ("version",)),
    ("POST", "/api/left-messages/{id}/reply", ()),
    ("PUT", "/api/service-hours", ("version",)),
)
FORM_ROUTES = (
    "/start",
    "/staff/login",
    "/staff/login/code",
    "/staff/password",
    "/staff/hours",
    "/staff/accounts",  # issue 15
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("hostile"), queue_max=10_000, max_chats=50)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def admin(server: Server) -> str:
    return add_staff_with_role(server, Role.ADMIN)[1]


def _headers(server: Server, staff_token: str, visitor_token: str | None = None) -> dict[str, str]:
    cookie = f"__Host-baken_s={staff_token}"
    if visitor_token:
        cookie += f"; __Host-baken_v={visitor_token}"
    return {"Cookie": cookie, "Origin": server.origin, "Content-Type": "application/json"}


def row_counts(server: Server) -> dict[str, int]:
    async def count() -> dict[str, int]:
        db = Database(server.settings)
        try:
            async with db.writer.connect() as conn:
                return {
                    table.name: (
                        await conn.execute(select(func.count()).select_from(table))
                    ).scalar_one()
                    for table in metadata.sorted_tables
                    # Refusals are audited on purpose (the audit log is tested on its own), and
                    # server keys are made on first use; neither is data a request could corrupt.
                    if not table.name.startswith("audit") and table.name != "installation_secrets"
                }
        finally:
            await db.dispose()

    counts: dict[str, int] = run_async(count())
    return counts


def _accepted_chat(
    server: Server, staff_token: str, nickname: str | None = None
) -> tuple[str, str]:
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


def _assert_healthy_and_chat_works(server: Server) -> None:
    assert httpx.get(f"{server.base}/healthz", timeout=10).status_code == 200
    staff_token = server.add_staff()[1]
    conversation_id, visitor_token = _accepted_chat(server, staff_token)

    async def chat() -> None:
        staff = await counselor(server, staff_token)
        person = await visitor(server, visitor_token)
        try:
            await _follow(conversation_id, staff, person)
            await person.send(
                {
                    "type": "send",
                    "conversation_id": conversation_id,
                    "client_msg_id": "after",
                    "text": "still here",
                }
            )
            await person.expect("ack", client_msg_id="after")
            got = await staff.expect_message(conversation_id, "visitor")
            assert got["message"]["text"] == "still here"
        finally:
            await person.close()
            await staff.close()

    run_async(chat())


def _is_clear_refusal(response: httpx.Response) -> bool:
    if not 400 <= response.status_code < 500:
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        return "error" in response.json()
    return True  # the form routes answer with their own page


def _path(template: str, conversation_id: str) -> str:
    return template.replace("{id}", conversation_id)


async def _follow(conversation_id: str, *clients: Client) -> None:
    """As the pages do: read the chat from the start, then get it live."""
    for client in clients:
        await client.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
        await client.expect("messages", conversation_id=conversation_id)


# --- HTTP ----------------------------------------------------------------------------------------


def test_ids_of_other_types_are_refused_over_http(server: Server, admin: str) -> None:
    conversation_id, visitor_token = _accepted_chat(server, admin)
    headers = _headers(server, admin, visitor_token)
    before = row_counts(server)
    for method, template, id_fields in JSON_ROUTES:
        for field in id_fields:
            for literal in WRONG_TYPES:
                body = f'{{"{field}": {literal}}}'
                response = httpx.request(
                    method,
                    server.base + _path(template, conversation_id),
                    content=body,
                    headers=headers,
                )
                assert response.status_code < 500, (template, body, response.text[:200])
                if literal in NON_STRINGS:
                    assert _is_clear_refusal(response), (template, body, response.status_code)
    assert row_counts(server) == before


def test_injection_strings_in_ids_change_nothing(server: Server, admin: str) -> None:
    conversation_id, visitor_token = _accepted_chat(server, admin)
    headers = _headers(server, admin, visitor_token)
    before = row_counts(server)
    for payload in INJECTIONS:
        for method, template, id_fields in JSON_ROUTES:
            for field in id_fields:
                body = orjson.dumps({field: payload})
                url = server.base + _path(template, conversation_id)
                response = httpx.request(method, url, content=body, headers=headers)
                assert response.status_code < 500, (template, payload, response.text[:200])
            if "{id}" in template:
                url = server.base + template.replace("{id}", quote(payload, safe=""))
                response = httpx.request(method, url, content=b"{}", headers=headers)
                assert _is_clear_refusal(response), (template, payload, response.status_code)
        for path in ("/api/left-messages/", "/api/canned/"):
            response = httpx.get(server.base + path + quote(payload, safe=""), headers=headers)
            assert response.status_code in (404, 405), (path, payload, response.status_code)
    assert row_counts(server) == before
    _assert_healthy_and_chat_works(server)


def test_injection_strings_in_texts_are_stored_as_text(server: Server, admin: str) -> None:
    headers = _headers(server, admin)
    for payload in INJECTIONS:
        created = httpx.post(
            f"{server.base}/api/canned",
            content=orjson.dumps({"title": payload, "body": payload, "lang": "nl"}),
            headers=headers,
        )
        assert created.status_code in (200, 201), created.text
    listed = httpx.get(f"{server.base}/api/canned", headers=headers).json()["canned"]
    stored = {(item["title"], item["body"]) for item in listed}
    assert all((payload, payload) in stored for payload in INJECTIONS)

    for payload in INJECTIONS:
        started = httpx.post(
            f"{server.base}/api/visitor/start",
            content=orjson.dumps({"nickname": payload, "lang": "nl"}),
            headers={"Origin": server.origin},
        )
        assert started.status_code == 200, started.text
        assert started.json()["conversation"]["nickname"] == clean_nickname(payload)
        left = httpx.post(
            f"{server.base}/api/visitor/message",
            content=orjson.dumps({"text": payload, "lang": "nl"}),
            headers={"Origin": server.origin},
        )
        assert left.status_code == 200, left.text
    _assert_healthy_and_chat_works(server)


def test_deep_nesting_and_ten_megabytes_get_a_clear_refusal(server: Server, admin: str) -> None:
    conversation_id, visitor_token = _accepted_chat(server, admin)
    headers = _headers(server, admin, visitor_token)
    before = row_counts(server)
    # 1,500 levels fit under every route's size limit (and beyond Python's recursion limit);
    # 100,000 levels do not; 10 MB is far beyond.
    bodies = {
        "nested 1500": b"[" * 1500 + b"]" * 1500,
        "nested object 1500": b'{"a":' * 1500 + b"1" + b"}" * 1500,
        "nested 100000": b"[" * 100_000 + b"]" * 100_000,
        "10 MB": b'{"text": "' + b"a" * TEN_MB + b'"}',
    }
    for name, body in bodies.items():
        for method, template, _fields in JSON_ROUTES:
            url = server.base + _path(template, conversation_id)
            response = httpx.request(method, url, content=body, headers=headers, timeout=60)
            assert _is_clear_refusal(response), (name, template, response.status_code)
        if name == "10 MB":
            form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            for path in FORM_ROUTES:
                response = httpx.post(
                    server.base + path, content=b"a=" + b"b" * TEN_MB, headers=form, timeout=60
                )
                # A form step that needs a half-finished sign-in sends the browser back (303)
                # before reading the body; every other one refuses it.
                refused = _is_clear_refusal(response) or response.status_code == 303
                assert refused, (path, response.status_code)
    assert row_counts(server) == before
    _assert_healthy_and_chat_works(server)


def test_awkward_unicode_over_http_follows_the_text_rule(server: Server, admin: str) -> None:
    origin = {"Origin": server.origin, "Content-Type": "application/json"}
    # Lone surrogates are not text: refused as invalid JSON, like on the WebSocket.
    for path, body in (
        ("/api/visitor/message", b'{"text": "a\\ud800b"}'),
        ("/api/visitor/message", b'{"text": "a\\udfffb"}'),
        ("/api/visitor/start", b'{"nickname": "a\\ud800b"}'),
        ("/api/visitor/return", b'{"code": "a\\ud800b"}'),
        ("/api/visitor/mailbox", b'{"code": "x", "text": "\\ud800"}'),
        ("/api/visitor/feedback/status", b'{"ticket": "\\ud800"}'),
    ):
        response = httpx.post(server.base + path, content=body, headers=origin)
        assert response.status_code == 400, (path, response.text[:200])
        assert response.json()["error"] in ("invalid_json", "bad_json"), response.text
    # NUL is refused in a message text (it truncates text in some drivers and viewers).
    nul = httpx.post(
        f"{server.base}/api/visitor/message", content=b'{"text": "a\\u0000b"}', headers=origin
    )
    assert nul.status_code == 400 and nul.json()["error"] == "invalid_text"
    # Right-to-left override and zero-width characters are text: the message is left as written.
    left = httpx.post(
        f"{server.base}/api/visitor/message",
        content=orjson.dumps({"text": AWKWARD}),
        headers=origin,
    )
    assert left.status_code == 200, left.text
    # In a nickname, format and control characters (NUL included) are dropped.
    for raw in (AWKWARD, "An\u0000na", "\u202eAnna\u200b"):
        started = httpx.post(
            f"{server.base}/api/visitor/start",
            content=orjson.dumps({"nickname": raw}),
            headers=origin,
        )
        assert started.status_code == 200, started.text
        assert started.json()["conversation"]["nickname"] == clean_nickname(raw)
        assert "\u202e" not in started.text and "\\u0000" not in started.text


# --- WebSocket -----------------------------------------------------------------------------------

# Staff frames with an id field, and the other fields that make them otherwise valid.
STAFF_ID_FRAMES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("accept", "conversation_id", {}),
    ("sync", "conversation_id", {"after_seq": 0}),
    ("send", "conversation_id", {"client_msg_id": "x1", "text": "hi"}),
    ("typing", "conversation_id", {}),
    ("notes_get", "conversation_id", {}),
    ("note_add", "conversation_id", {"text": "n"}),
    ("transfer", "conversation_id", {"to_staff_id": "s_x"}),
    ("transfer", "to_staff_id", {"conversation_id": "c_x"}),
    ("requeue", "conversation_id", {}),
    ("mark_compromised", "conversation_id", {}),
    ("mailbox_send", "conversation_id", {"text": "m"}),
    ("end", "conversation_id", {}),
    ("end_reason", "conversation_id", {"reason": "helped"}),
    ("block", "conversation_id", {"reason": "spam"}),
    ("receipt", "conversation_id", {"kind": "read", "seq": 1}),
    ("observe_stop", "conversation_id", {}),
    ("unblock", "block_id", {}),
    ("observe", "conversation_id", {}),
    ("whisper", "conversation_id", {"text": "w"}),
    ("take_over", "conversation_id", {}),
)

VISITOR_ID_FRAMES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("send", {"client_msg_id": "v1", "text": "hi"}),
    ("sync", {"after_seq": 0}),
    ("typing", {}),
    ("receipt", {"kind": "read", "seq": 1}),
    ("leave", {}),
    ("request_code", {}),
)


# Frames that end something only for the sender: an unknown id gets the normal, harmless answer.
IDEMPOTENT_STOPS = {"observe_stop": "observe_stopped"}


async def _exchange(client: Client, raw: str, kind: str) -> dict[str, Any]:
    """Send one raw frame and return its answer of ``kind``. The per-socket frame limit is part of
    the server, not of what is tested here: a ``rate_limited`` answer means wait and send again."""
    for _ in range(20):
        await client.ws.send(raw)
        while True:
            frame = await client.recv()
            if frame.get("type") == "error" and frame.get("code") == "rate_limited":
                await asyncio.sleep(0.5)
                break
            if frame.get("type") == kind:
                return frame
    raise AssertionError(f"no {kind} answer to {raw[:80]}")


async def _answer(client: Client) -> dict[str, Any]:
    """The error frame for what was just sent; other frames (queue, presence) are skipped."""
    return await client.expect("error")


async def _still_open(client: Client) -> None:
    # Pings count in the frame budget (issue 16): after a burst, the ping may first be told to wait.
    pong = await _exchange(client, orjson.dumps({"type": "ping", "t": 7}).decode(), "pong")
    assert pong["t"] == 7


def test_ids_of_other_types_and_injections_in_frames(server: Server, admin: str) -> None:
    _conversation_id, visitor_token = _accepted_chat(server, admin)
    before = row_counts(server)

    async def run() -> None:
        staff = await counselor(server, admin)
        person = await visitor(server, visitor_token)
        try:
            for kind, field, rest in STAFF_ID_FRAMES:
                for literal in WRONG_TYPES:
                    frame = orjson.dumps({"type": kind, **rest}).decode()
                    raw = frame[:-1] + f', "{field}": {literal}}}'
                    if literal not in NON_STRINGS and kind in IDEMPOTENT_STOPS:
                        await _exchange(staff, raw, IDEMPOTENT_STOPS[kind])
                        continue
                    error = await _exchange(staff, raw, "error")
                    if literal in NON_STRINGS:  # "1" is a string: an unknown id, refused as such
                        assert error["code"] in ("invalid_frame", "invalid_json"), (kind, error)
                for payload in INJECTIONS:
                    raw = orjson.dumps({"type": kind, **rest, field: payload}).decode()
                    if kind in IDEMPOTENT_STOPS:
                        # Stopping what one does not do changes nothing; the id is only echoed.
                        answer = await _exchange(staff, raw, IDEMPOTENT_STOPS[kind])
                        assert answer["conversation_id"] == payload
                        continue
                    error = await _exchange(staff, raw, "error")
                    assert isinstance(error.get("message"), str), (kind, error)
            for kind, rest in VISITOR_ID_FRAMES:
                for literal in WRONG_TYPES:
                    frame = orjson.dumps({"type": kind, **rest}).decode()
                    raw = frame[:-1] + f', "conversation_id": {literal}}}'
                    error = await _exchange(person, raw, "error")
                    if literal in NON_STRINGS:
                        assert error["code"] in ("invalid_frame", "invalid_json"), (kind, error)
                for payload in INJECTIONS:
                    raw = orjson.dumps({"type": kind, **rest, "conversation_id": payload}).decode()
                    error = await _exchange(person, raw, "error")
                    assert isinstance(error.get("message"), str), (kind, error)
            await _still_open(staff)
            await _still_open(person)
        finally:
            await person.close()
            await staff.close()

    run_async(run())
    assert row_counts(server) == before


def test_texts_in_frames_follow_the_text_rule(server: Server, admin: str) -> None:
    conversation_id, visitor_token = _accepted_chat(server, admin)
    texts = (AWKWARD, *INJECTIONS)

    async def run() -> None:
        staff = await counselor(server, admin)
        person = await visitor(server, visitor_token)
        try:
            await _follow(conversation_id, staff, person)
            for n, text in enumerate(texts):
                await person.send(
                    {
                        "type": "send",
                        "conversation_id": conversation_id,
                        "client_msg_id": f"t{n}",
                        "text": text,
                    }
                )
                await person.expect("ack", client_msg_id=f"t{n}")
                got = await staff.expect_message(conversation_id, "visitor")
                assert got["message"]["text"] == text
            await person.send(
                {
                    "type": "send",
                    "conversation_id": conversation_id,
                    "client_msg_id": "nul",
                    "text": "a\u0000b",
                }
            )
            assert (await _answer(person))["code"] == "invalid_text"
            await person.ws.send(
                '{"type": "send", "conversation_id": "%s", "client_msg_id": "sur", '
                '"text": "a\\ud800b"}'.replace("%s", conversation_id)
            )
            assert (await _answer(person))["code"] == "invalid_json"
            await staff.ws.send(
                '{"type": "note_add", "conversation_id": "%s", "text": "\\udc00"}'.replace(
                    "%s", conversation_id
                )
            )
            assert (await _answer(staff))["code"] == "invalid_json"
        finally:
            await person.close()
            await staff.close()
        # Stored without corruption: a fresh socket's catch-up reads them back from the database.
        again = await counselor(server, admin)
        try:
            await again.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
            stored = [
                m["text"]
                for m in (await again.expect("messages", conversation_id=conversation_id))[
                    "messages"
                ]
                if m["sender"] == "visitor"
            ]
            assert stored == list(texts)
        finally:
            await again.close()

    run_async(run())


def test_deep_and_huge_frames_get_an_error_frame_or_a_documented_close(
    server: Server, admin: str
) -> None:
    _conversation_id, visitor_token = _accepted_chat(server, admin)
    before = row_counts(server)

    async def run() -> None:
        for path, token in (("/ws/staff", admin), ("/ws/visitor", visitor_token)):
            client = await open_socket(server, path, token)
            await client.expect("welcome")
            try:
                await client.ws.send("[" * 1500 + "]" * 1500)
                assert (await _answer(client))["code"] == "invalid_json"
                await client.ws.send('{"type": "ping", "t": ' + "[" * 30_000 + "]" * 30_000 + "}")
                assert (await _answer(client))["code"] == "invalid_json"
                await client.ws.send("[" * 100_000 + "]" * 100_000)
                assert (await _answer(client))["code"] == "frame_too_large"
                await _still_open(client)
                # Ten megabytes are not read at all: the socket closes with 1009 (message too big).
                with pytest.raises(ConnectionClosed):
                    await client.ws.send('{"type": "ping", "x": "' + "a" * TEN_MB + '"}')
                    while True:
                        await asyncio.wait_for(client.ws.recv(), 10)
                assert client.ws.close_code == 1009
            finally:
                await client.close()

    run_async(run())
    assert row_counts(server) == before
    _assert_healthy_and_chat_works(server)
