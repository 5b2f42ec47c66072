"""Counselor tools over the wire: notes, warm and cold transfer, end reasons and blocks.

Real WebSocket clients against a real server (SQLite and PostgreSQL for the shared `server`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.domain.conversation import Role
from baken.store import clock
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    assigned_conversation,
    counselor,
    start_server,
    visitor,
)


async def pair(server: Server, name: str = "Anna") -> tuple[str, Client, Client, str]:
    """A visitor and a counselor in one active chat; returns (conversation, visitor, counselor,
    counselor's staff id)."""
    conversation_id, vtoken = server.start_visitor("bezoeker")
    staff_id, stoken = server.add_staff(display_name=name)
    v = await visitor(server, vtoken)
    c = await counselor(server, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await v.expect("messages", conversation_id=conversation_id)
    return conversation_id, v, c, staff_id


async def outcome(client: Client, ok: str, ref: str) -> dict[str, Any]:
    """The answer to one frame: the success frame, or the error that refers to it."""
    return await client.seen(
        lambda f: f.get("type") == ok or (f.get("type") == "error" and f.get("ref") == ref)
    )


async def got(client: Client, kind: str, **match: Any) -> dict[str, Any]:
    """A frame of this type and these values, whether it came before or comes next."""
    return await client.seen(
        lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in match.items())
    )


def event_codes(client: Client, conversation_id: str) -> list[str]:
    found = []
    for frame in client.frames:
        batch = []
        if frame.get("type") == "message" and frame["conversation_id"] == conversation_id:
            batch = [frame["message"]]
        elif frame.get("type") == "messages" and frame["conversation_id"] == conversation_id:
            batch = frame["messages"]
        found += [m["event"] for m in batch if m["sender"] == "system"]
    return found


# --- notes -------------------------------------------------------------------------------------


async def test_notes_are_for_the_assigned_counselor_and_supervisors_only(server: Server) -> None:
    conversation_id, v, c, _sid = await pair(server)
    secret = "<b>let op</b>: noemt een adres; niet doorgeven"
    await c.send({"type": "note_add", "conversation_id": conversation_id, "text": secret})
    note = await c.expect("note", conversation_id=conversation_id)
    assert note["note"]["text"] == secret and note["note"]["author"] == "Anna"

    # A supervisor of the organisation may read them; another counselor may not.
    _sup, sup_token = add_staff_with_role(server, Role.SUPERVISOR)
    sup = await counselor(server, sup_token)
    await sup.send({"type": "notes_get", "conversation_id": conversation_id})
    listed = await sup.expect("notes", conversation_id=conversation_id)
    assert [n["text"] for n in listed["notes"]] == [secret]
    _other, other_token = server.add_staff(display_name="Bert")
    other = await counselor(server, other_token)
    for frame in (
        {"type": "notes_get", "conversation_id": conversation_id},
        {"type": "note_add", "conversation_id": conversation_id, "text": "ik ook"},
    ):
        await other.send(frame)
        error = await other.expect("error", ref=frame["type"])
        assert error["code"] == "not_a_participant"

    # The visitor may not even ask, and never receives a note.
    await v.send({"type": "notes_get", "conversation_id": conversation_id})
    assert (await v.expect("error", ref="notes_get"))["code"] == "unknown_type"
    await c.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "n1", "text": "hoi"}
    )
    await v.expect_message(conversation_id, "counselor")
    assert not [f for f in v.frames if f.get("type") in ("note", "notes")]
    assert secret not in str(v.frames)

    await c.send({"type": "note_add", "conversation_id": conversation_id, "text": "   "})
    assert (await c.expect("error", ref="note_add"))["code"] == "text_empty"
    await c.send({"type": "note_add", "conversation_id": conversation_id, "text": "x" * 4001})
    assert (await c.expect("error", ref="note_add"))["code"] == "text_too_long"


def test_notes_are_encrypted_at_rest(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:

        async def go() -> None:
            conversation_id, _v, c, _sid = await pair(server)
            await c.send(
                {"type": "note_add", "conversation_id": conversation_id, "text": "geheimzinnig"}
            )
            await c.expect("note")

        asyncio.run(go())
        raw = (tmp_path / "baken.sqlite3").read_bytes()
        wal = tmp_path / "baken.sqlite3-wal"
        raw += wal.read_bytes() if wal.exists() else b""
        assert b"geheimzinnig" not in raw
    finally:
        server.stop()


# --- warm transfer -------------------------------------------------------------------------------


async def test_warm_transfer_hands_the_chat_and_its_note_to_a_colleague(server: Server) -> None:
    conversation_id, v, a, _a_id = await pair(server, "Anna")
    b_id, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)
    await a.send({"type": "colleagues_get"})
    colleagues = (await a.expect("colleagues"))["colleagues"]
    assert b_id in [col["id"] for col in colleagues]

    await a.send(
        {
            "type": "transfer",
            "conversation_id": conversation_id,
            "to_staff_id": b_id,
            "note": "Wil graag met een man praten.",
        }
    )
    await a.expect("transferred", conversation_id=conversation_id, to_staff_id=b_id)
    await got(a, "released", conversation_id=conversation_id, reason="transferred")
    await b.expect("transfer_in", conversation_id=conversation_id)
    # Bert now has the chat from the first line, and the note.
    await b.seen(
        lambda f: (
            f.get("type") == "conversation"
            and f["conversation"]["id"] == conversation_id
            and f["conversation"]["counselor"] == "Bert"
        )
    )
    await b.send({"type": "notes_get", "conversation_id": conversation_id})
    notes = (await b.expect("notes", conversation_id=conversation_id))["notes"]
    assert [(n["kind"], n["text"]) for n in notes] == [
        ("transfer", "Wil graag met een man praten.")
    ]
    # The visitor sees one neutral line, never the note.
    line = await v.expect_message(conversation_id, "system")
    assert line["message"]["event"] == "transferred"
    assert "man praten" not in str(v.frames)

    # Messages now go between the visitor and Bert; Anna can no longer write or read along.
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "v1", "text": "hoi"}
    )
    await b.expect_message(conversation_id, "visitor")
    await a.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "a9", "text": "nog"}
    )
    assert (await a.expect("error", ref="a9"))["code"] == "not_a_participant"
    assert not [
        f
        for f in a.frames
        if f.get("type") == "message"
        and f["conversation_id"] == conversation_id
        and f["message"]["sender"] == "visitor"
    ]


async def test_transfer_to_an_offline_or_full_colleague_is_refused(server: Server) -> None:
    conversation_id, _v, a, _a_id = await pair(server)
    offline_id, _token = server.add_staff(display_name="Slaap")
    await a.send(
        {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": offline_id}
    )
    assert (await a.expect("error", ref="transfer"))["code"] == "colleague_offline"

    full_id, full_token = server.add_staff(display_name="Vol")
    for _ in range(server.settings.max_chats):
        assigned_conversation(server, full_id, "Vol")
    full = await counselor(server, full_token)
    await a.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": full_id})
    error = await a.expect("error", ref="transfer")
    assert error["code"] == "colleague_full"
    assert "Vol" in error["message"]
    assert not [f for f in full.frames if f.get("type") == "transfer_in"]

    await a.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": "s_nope"})
    assert (await a.expect("error", ref="transfer"))["code"] == "unknown_colleague"
    # Nothing moved: Anna still writes in the chat.
    await a.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "still", "text": "ja"}
    )
    await a.expect("ack", client_msg_id="still")


async def test_tool_frames_for_a_foreign_conversation_are_refused(server: Server) -> None:
    conversation_id, _v, _a, _a_id = await pair(server)
    b_id, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)
    frames: list[dict[str, Any]] = [
        {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": b_id},
        {"type": "requeue", "conversation_id": conversation_id},
        {"type": "block", "conversation_id": conversation_id, "reason": "abusive"},
        {"type": "end_reason", "conversation_id": conversation_id, "reason": "helped"},
        {"type": "notes_get", "conversation_id": "c_does_not_exist"},
    ]
    for frame in frames:
        await b.send(frame)
        assert (await b.expect("error", ref=frame["type"]))["code"] == "not_a_participant"
    _vid, vtoken = server.start_visitor()
    v = await visitor(server, vtoken)
    for frame in frames:
        await v.send(frame)
        assert (await v.expect("error", ref=frame["type"]))["code"] == "unknown_type"


async def test_a_supervisor_may_hand_on_someone_elses_chat(server: Server) -> None:
    conversation_id, _v, a, _a_id = await pair(server)
    b_id, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)
    _sup, sup_token = add_staff_with_role(server, Role.SUPERVISOR)
    sup = await counselor(server, sup_token)
    await sup.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": b_id})
    await sup.expect("transferred", conversation_id=conversation_id)
    await got(a, "released", conversation_id=conversation_id, reason="transferred")
    await b.expect("transfer_in", conversation_id=conversation_id)


async def test_two_transfers_of_one_chat_at_once_exactly_one_wins(server: Server) -> None:
    conversation_id, _v, a, _a_id = await pair(server)
    targets = []
    for name in ("Bert", "Cor"):
        staff_id, token = server.add_staff(display_name=name)
        targets.append((staff_id, await counselor(server, token)))
    _sup, sup_token = add_staff_with_role(server, Role.SUPERVISOR)
    sup = await counselor(server, sup_token)
    await asyncio.gather(
        a.send(
            {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": targets[0][0]}
        ),
        sup.send(
            {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": targets[1][0]}
        ),
    )
    results = [
        await outcome(a, "transferred", "transfer"),
        await outcome(sup, "transferred", "transfer"),
    ]
    assert sorted(r["type"] for r in results) == ["error", "transferred"]
    assert next(r for r in results if r["type"] == "error")["code"] == "not_held"
    receivers = []
    for staff_id, client in targets:
        try:
            await client.expect("transfer_in", timeout=1.5)
            receivers.append(staff_id)
        except AssertionError:
            pass
    assert len(receivers) == 1


async def test_two_chats_racing_for_a_colleagues_last_place(server: Server) -> None:
    first, _v1, a, _a = await pair(server, "Anna")
    second, _v2, c, _c = await pair(server, "Cor")
    b_id, b_token = server.add_staff(display_name="Bert")
    for _ in range(server.settings.max_chats - 1):
        assigned_conversation(server, b_id, "Bert")
    await counselor(server, b_token)
    await asyncio.gather(
        a.send({"type": "transfer", "conversation_id": first, "to_staff_id": b_id}),
        c.send({"type": "transfer", "conversation_id": second, "to_staff_id": b_id}),
    )
    results = [
        await outcome(a, "transferred", "transfer"),
        await outcome(c, "transferred", "transfer"),
    ]
    assert sorted(r["type"] for r in results) == ["error", "transferred"]
    assert next(r for r in results if r["type"] == "error")["code"] == "colleague_full"


# --- cold transfer (back to the queue) -----------------------------------------------------------


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, max_chats=5)
    yield srv
    srv.stop()


async def test_requeue_keeps_the_original_place_and_one_accept_wins(roomy: Server) -> None:
    conversation_id, v, a, _a = await pair(roomy)
    later, _later_token = roomy.start_visitor("later")
    await a.send({"type": "requeue", "conversation_id": conversation_id})
    await a.expect("requeued", conversation_id=conversation_id)
    await got(a, "released", conversation_id=conversation_id, reason="requeued")
    # The visitor is told they wait again, in the place they had: before who came later.
    info = await v.seen(
        lambda f: f.get("type") == "conversation" and f["conversation"]["state"] == "queued"
    )
    assert info["conversation"]["position"] == 1
    assert (await v.expect_message(conversation_id, "system"))["message"]["event"] == "requeued"

    clients = []
    for name in ("Bert", "Cor"):
        _sid, token = roomy.add_staff(display_name=name)
        clients.append(await counselor(roomy, token))
    queue = await clients[0].expect("queue")
    assert [e["conversation_id"] for e in queue["entries"]][:2] == [conversation_id, later]
    await asyncio.gather(
        *(cl.send({"type": "accept", "conversation_id": conversation_id}) for cl in clients)
    )
    results = [await outcome(cl, "accepted", "accept") for cl in clients]
    assert sorted(r["type"] for r in results) == ["accepted", "error"]
    assert next(r for r in results if r["type"] == "error")["code"] == "not_queued"
    # The counselor who gave it back can take it again later (rejoining is allowed).
    await a.send({"type": "requeue", "conversation_id": conversation_id})
    assert (await a.expect("error", ref="requeue"))["code"] == "not_a_participant"


async def test_requeue_and_transfer_at_once_exactly_one_happens(server: Server) -> None:
    conversation_id, _v, a, _a = await pair(server)
    b_id, b_token = server.add_staff(display_name="Bert")
    await counselor(server, b_token)
    _sup, sup_token = add_staff_with_role(server, Role.SUPERVISOR)
    sup = await counselor(server, sup_token)
    await asyncio.gather(
        a.send({"type": "requeue", "conversation_id": conversation_id}),
        sup.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": b_id}),
    )
    results = [
        await outcome(a, "requeued", "requeue"),
        await outcome(sup, "transferred", "transfer"),
    ]
    assert sorted(r["type"] for r in results).count("error") == 1


# --- ending with a reason ---------------------------------------------------------------------


async def test_end_with_a_reason_and_reason_after_the_visitor_left(server: Server) -> None:
    conversation_id, _v, c, _sid = await pair(server)
    await c.send({"type": "end", "conversation_id": conversation_id, "reason": "helped"})
    assert (await c.expect("ended", conversation_id=conversation_id))["reason"] == "helped"
    await c.send({"type": "end", "conversation_id": conversation_id, "reason": "because"})
    assert (await c.expect("error", ref="end"))["code"] == "invalid_frame"

    other, v2, c2, _sid2 = await pair(server)
    await c2.send({"type": "end_reason", "conversation_id": other, "reason": "visitor_left"})
    assert (await c2.expect("error", ref="end_reason"))["code"] == "not_ended"
    await v2.send({"type": "leave", "conversation_id": other})
    await c2.seen(
        lambda f: f.get("type") == "conversation" and f["conversation"]["state"] == "ended"
    )
    await c2.send({"type": "end_reason", "conversation_id": other, "reason": "visitor_left"})
    saved = await c2.expect("end_reason_saved", conversation_id=other)
    assert saved["reason"] == "visitor_left"


# --- blocks ------------------------------------------------------------------------------------


def come_back(server: Server, code: str) -> httpx.Response:
    return httpx.post(
        server.base + "/api/visitor/return",
        json={"code": code, "lang": "nl"},
        headers={"Origin": server.origin},
    )


async def test_block_by_code_lasts_until_it_expires(
    roomy: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id, v, c, _sid = await pair(roomy)
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code = (await v.expect("return_code"))["code"]

    await c.send(
        {"type": "block", "conversation_id": conversation_id, "reason": "abusive", "hours": 12}
    )
    assert (await c.expect("error", ref="block"))["code"] == "invalid_duration"
    await c.send({"type": "block", "conversation_id": conversation_id, "reason": "threats"})
    blocked = await c.expect("blocked", conversation_id=conversation_id)
    assert blocked["by_code"] is True

    # The visitor sees a calm end of the chat and cannot write on.
    ended = await v.seen(
        lambda f: f.get("type") == "conversation" and f["conversation"]["state"] == "ended"
    )
    assert ended["conversation"]["ended_by"] == "counselor"
    assert "ended_blocked" in event_codes(v, conversation_id) or (
        (await v.expect_message(conversation_id, "system"))["message"]["event"] == "ended_blocked"
    )
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "x", "text": "hé"}
    )
    assert (await v.expect("error", ref="x"))["code"] == "conversation_ended"

    # With the code: refused, calmly, for as long as the block lasts.
    refused = come_back(roomy, code)
    assert refused.status_code == 403
    assert refused.json()["error"] == "blocked"
    assert "set-cookie" not in refused.headers

    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(hours=23))
    assert come_back(roomy, code).status_code == 403
    monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(hours=24, minutes=1))
    back = come_back(roomy, code)
    assert back.status_code == 200, back.text


async def test_unblock_is_for_supervisors_and_the_blocker(roomy: Server) -> None:
    conversation_id, v, c, _sid = await pair(roomy)
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code = (await v.expect("return_code"))["code"]
    await c.send(
        {"type": "block", "conversation_id": conversation_id, "reason": "spam", "hours": 48}
    )
    block_id = (await c.expect("blocked"))["block_id"]

    _other, other_token = roomy.add_staff(display_name="Bert")
    other = await counselor(roomy, other_token)
    await other.send({"type": "unblock", "block_id": block_id})
    assert (await other.expect("error", ref="unblock"))["code"] == "forbidden"
    assert come_back(roomy, code).status_code == 403

    _sup, sup_token = add_staff_with_role(roomy, Role.SUPERVISOR)
    sup = await counselor(roomy, sup_token)
    await sup.send({"type": "unblock", "block_id": block_id})
    await sup.expect("unblocked", block_id=block_id)
    await sup.send({"type": "unblock", "block_id": block_id})
    assert (await sup.expect("error", ref="unblock"))["code"] == "not_found"
    assert come_back(roomy, code).status_code == 200


async def test_block_without_a_code_ends_that_conversation(server: Server) -> None:
    conversation_id, v, c, _sid = await pair(server)
    await c.send({"type": "block", "conversation_id": conversation_id, "reason": "sexual"})
    blocked = await c.expect("blocked", conversation_id=conversation_id)
    assert blocked["by_code"] is False
    await v.seen(
        lambda f: f.get("type") == "conversation" and f["conversation"]["state"] == "ended"
    )


# --- canned responses (HTTP) -----------------------------------------------------------------


def api(server: Server, token: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Origin": server.origin}
    if token:
        headers["Cookie"] = f"__Host-baken_s={token}"
    return httpx.request(method, server.base + path, headers=headers, **kwargs)


def test_canned_responses_personal_and_team_with_authorization(server: Server) -> None:
    _a, anna = server.add_staff(display_name="Anna")
    _b, bert = server.add_staff(display_name="Bert")
    _s, sup = add_staff_with_role(server, Role.SUPERVISOR)
    _r, researcher = add_staff_with_role(server, Role.RESEARCHER)
    markup = '<img src=x onerror="alert(1)">Hoi, <b>fijn</b> dat je er bent.\nWat speelt er?'

    mine = api(
        server,
        anna,
        "POST",
        "/api/canned",
        json={"lang": "nl", "title": "  welkom ", "body": markup},
    )
    assert mine.status_code == 201, mine.text
    item = mine.json()["canned"]
    assert item["body"] == markup and item["title"] == "welkom" and item["scope"] == "personal"
    # A counselor may not make team texts; a supervisor may.
    refused = api(
        server,
        anna,
        "POST",
        "/api/canned",
        json={"scope": "team", "lang": "en", "title": "t", "body": "b"},
    )
    assert refused.status_code == 403
    team = api(
        server,
        sup,
        "POST",
        "/api/canned",
        json={"scope": "team", "lang": "en", "title": "hello", "body": "Hi."},
    )
    assert team.status_code == 201
    team_id = team.json()["canned"]["id"]

    listed = api(server, anna, "GET", "/api/canned").json()
    assert {c["title"]: c["editable"] for c in listed["canned"]} == {"hello": False, "welkom": True}
    assert listed["may_manage_team"] is False
    # Bert sees the team text, not Anna's; he cannot change or delete either.
    assert [c["title"] for c in api(server, bert, "GET", "/api/canned").json()["canned"]] == [
        "hello"
    ]
    body = {"lang": "nl", "title": "x", "body": "y"}
    assert api(server, bert, "PUT", f"/api/canned/{item['id']}", json=body).status_code == 404
    assert api(server, bert, "DELETE", f"/api/canned/{item['id']}").status_code == 404
    assert api(server, bert, "PUT", f"/api/canned/{team_id}", json=body).status_code == 403
    assert api(server, bert, "DELETE", f"/api/canned/{team_id}").status_code == 403
    # Researchers and strangers get nothing.
    assert api(server, researcher, "GET", "/api/canned").status_code == 403
    assert api(server, None, "GET", "/api/canned").status_code == 401
    # Another site cannot change them.
    foreign = httpx.post(
        server.base + "/api/canned",
        json={"lang": "nl", "title": "x", "body": "y"},
        headers={"Origin": "https://evil.example", "Cookie": f"__Host-baken_s={anna}"},
    )
    assert foreign.status_code == 403

    changed = api(
        server,
        sup,
        "PUT",
        f"/api/canned/{team_id}",
        json={"lang": "en", "title": "hello", "body": "Hello!"},
    )
    assert changed.status_code == 200 and changed.json()["canned"]["body"] == "Hello!"
    assert api(server, anna, "DELETE", f"/api/canned/{item['id']}").status_code == 204
    assert api(server, anna, "DELETE", f"/api/canned/{item['id']}").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"lang": "de", "title": "t", "body": "b"}, 422, "invalid_lang"),
        ({"lang": "nl", "title": "   ", "body": "b"}, 422, "title_empty"),
        ({"lang": "nl", "title": "t" * 61, "body": "b"}, 422, "title_too_long"),
        ({"lang": "nl", "title": "t", "body": " \n "}, 422, "body_empty"),
        ({"lang": "nl", "title": "t", "body": "b" * 2001}, 422, "body_too_long"),
        ({"lang": "nl", "title": "t", "body": "a\x00b"}, 422, "invalid_text"),
        ({"lang": "nl", "title": "t", "body": 5}, 422, "body_empty"),
        ({"lang": "nl", "title": "t", "body": "b", "owner": "x"}, 400, "bad_request"),
        ({"scope": "everyone", "lang": "nl", "title": "t", "body": "b"}, 400, "invalid_scope"),
    ],
)
def test_canned_bad_input_is_refused_clearly(
    sqlite_server: Server, payload: dict[str, Any], status: int, code: str
) -> None:
    _a, anna = sqlite_server.add_staff()
    response = api(sqlite_server, anna, "POST", "/api/canned", json=payload)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert api(sqlite_server, anna, "GET", "/api/canned").json()["canned"] == []


@pytest.mark.parametrize("lang", ["pl", "ro", "bg", "uk", "ar"])
def test_canned_answers_can_be_written_in_every_visitor_language(
    sqlite_server: Server, lang: str
) -> None:
    """Issue 14: so a counselor can insert one in the visitor's own language."""
    _a, anna = sqlite_server.add_staff()
    body = {
        "pl": "Dzień dobry.",
        "ro": "Bună ziua.",
        "bg": "Здравей.",
        "uk": "Привіт.",
        "ar": "مرحبا.",
    }
    made = api(
        sqlite_server,
        anna,
        "POST",
        "/api/canned",
        json={"lang": lang, "title": "hoi", "body": body[lang]},
    )
    assert made.status_code == 201, made.text
    listed = api(sqlite_server, anna, "GET", "/api/canned").json()["canned"]
    assert [(c["lang"], c["body"]) for c in listed] == [(lang, body[lang])]
