"""Completing a registration and the counselor's "to register" list, on a real server."""

from __future__ import annotations

from typing import Any

import httpx

from baken.crypto.envelope import CipherCache
from baken.domain.conversation import EndedBy, Role
from baken.registration.codebook import FIELDS, Kind
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from tests.support import Server, add_staff_with_role, assigned_conversation, master_key, run_async

PATH = "/api/conversations/{}/registration?lang=en"


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _put(server: Server, token: str, conversation_id: str, body: object) -> httpx.Response:
    headers = {**_cookie(token), "Origin": server.origin}
    return httpx.put(server.base + PATH.format(conversation_id), json=body, headers=headers)


def _pending(server: Server, token: str) -> list[dict[str, Any]]:
    response = httpx.get(server.base + "/api/registrations/pending", headers=_cookie(token))
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["conversations"]
    return found


def _end(server: Server, conversation_id: str) -> None:
    async def end() -> None:
        db = Database(server.settings)
        try:
            repo = ConversationRepository(db, CipherCache(master_key(server.settings)))
            assert await repo.end(conversation_id, EndedBy.VISITOR) is not None
        finally:
            await db.dispose()

    run_async(end())


def _all_unknown() -> dict[str, object]:
    return {
        f.id: (["unknown"] if f.kind is Kind.MULTI else None if f.kind is Kind.INT else "unknown")
        for f in FIELDS
    }


def test_complete_needs_every_applicable_answer_and_leaves_the_list(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    still_open = assigned_conversation(server, staff_id)
    untouched = assigned_conversation(server, staff_id)
    _end(server, conversation_id)
    _end(server, untouched)

    # Active chats are in their panels, not in the list; ended ones are, newest first.
    listed = _pending(server, token)
    assert [c["id"] for c in listed] == [untouched, conversation_id]
    assert {c["registration"] for c in listed} == {"none"}
    assert still_open not in [c["id"] for c in listed]

    # A draft: only two answers; "not a victim" makes the exploitation questions not apply.
    draft = {"trafficking_request": "no", "victim_assessment": "not_victim"}
    saved = _put(server, token, conversation_id, {"version": 0, "values": draft})
    assert saved.status_code == 200 and saved.json()["complete"] is False
    assert {c["id"]: c["registration"] for c in _pending(server, token)}[conversation_id] == "draft"

    # Complete too early: each open question is named, nothing is stored.
    early = _put(server, token, conversation_id, {"version": 1, "values": draft, "complete": True})
    assert early.status_code == 422 and early.json()["error"] == "incomplete"
    fields = early.json()["fields"]
    assert fields["contact_role"]["code"] == "required"
    assert fields["contact_role"]["message"] == "Choose an answer, or 'unknown' if you do not know."
    for not_applicable in ("exploitation_types", "in_exploitation_now", "age"):
        assert not_applicable not in fields
    assert "is_minor" in fields  # no age given, so someone has to say
    assert (
        _put(server, token, conversation_id, {"version": 1, "values": draft}).json()["version"] == 2
    )  # the refused attempt changed nothing

    values = {**_all_unknown(), **draft, "age": 15}
    for not_applicable in ("exploitation_types", "in_exploitation_now", "exploitation_duration"):
        values[not_applicable] = None
    done = _put(server, token, conversation_id, {"version": 2, "values": values, "complete": True})
    assert done.status_code == 200, done.text
    assert done.json()["complete"] is True and done.json()["completed_at"]
    assert [c["id"] for c in _pending(server, token)] == [untouched]

    # Later edits keep it complete, so they must keep it complete too.
    emptied = {**values, "gender": None}
    refused = _put(server, token, conversation_id, {"version": 3, "values": emptied})
    assert refused.status_code == 422 and set(refused.json()["fields"]) == {"gender"}
    again = _put(
        server, token, conversation_id, {"version": 3, "values": {**values, "gender": "male"}}
    )
    assert again.status_code == 200 and again.json()["complete"] is True
    # Back to a draft, on purpose.
    reopened = _put(
        server, token, conversation_id, {"version": 4, "values": emptied, "complete": False}
    )
    assert reopened.status_code == 200 and reopened.json()["complete"] is False
    assert conversation_id in [c["id"] for c in _pending(server, token)]


def test_the_list_is_per_counselor_and_needs_staff(server: Server) -> None:
    anna_id, anna = server.add_staff()
    _bert_id, bert = server.add_staff(display_name="Bert")
    conversation_id = assigned_conversation(server, anna_id)
    _end(server, conversation_id)
    assert conversation_id in [c["id"] for c in _pending(server, anna)]
    assert conversation_id not in [c["id"] for c in _pending(server, bert)]
    _, researcher = add_staff_with_role(server, Role.RESEARCHER)
    url = server.base + "/api/registrations/pending"
    assert httpx.get(url, headers=_cookie(researcher)).status_code == 403
    assert httpx.get(url).status_code == 401
    # Another counselor cannot complete it either.
    body = {"version": 0, "values": _all_unknown(), "complete": True}
    assert _put(server, bert, conversation_id, body).status_code == 403
    assert _put(server, anna, conversation_id, {**body, "complete": "yes"}).status_code == 400
