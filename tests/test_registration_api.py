"""The registration JSON API on a real server (SQLite and PostgreSQL): who may read and write,
validation at the field, and version conflicts."""

from __future__ import annotations

import httpx

from baken.domain.conversation import Role
from tests.support import Server, add_staff_with_role, assigned_conversation

PATH = "/api/conversations/{}/registration"


def _get(
    server: Server, token: str | None, conversation_id: str, lang: str = "en"
) -> httpx.Response:
    cookies = {"Cookie": f"__Host-baken_s={token}"} if token else {}
    return httpx.get(server.base + PATH.format(conversation_id) + f"?lang={lang}", headers=cookies)


def _put(
    server: Server,
    token: str | None,
    conversation_id: str,
    body: object,
    *,
    origin: str | None = "same",
    lang: str = "en",
) -> httpx.Response:
    headers = {"Cookie": f"__Host-baken_s={token}"} if token else {}
    if origin == "same":
        headers["Origin"] = server.origin
    elif origin:
        headers["Origin"] = origin
    return httpx.put(
        server.base + PATH.format(conversation_id) + f"?lang={lang}", json=body, headers=headers
    )


def test_codebook_is_served_to_staff_in_their_language(server: Server) -> None:
    _, token = server.add_staff()
    nl = httpx.get(server.base + "/api/registrations/codebook?lang=nl",
                   headers={"Cookie": f"__Host-baken_s={token}"})  # fmt: skip
    assert nl.status_code == 200
    body = nl.json()
    assert body["version"] == "2026.2"
    gender = next(f for f in body["fields"] if f["id"] == "gender")
    assert (
        gender["label"] == "Gender" and {"id": "unknown", "label": "onbekend"} in gender["values"]
    )
    assert httpx.get(server.base + "/api/registrations/codebook").status_code == 401


def test_the_assigned_counselor_registers_and_conflicts_are_refused(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    empty = _get(server, token, conversation_id)
    assert empty.status_code == 200
    assert empty.json()["version"] == 0 and empty.json()["values"]["gender"] is None

    saved = _put(server, token, conversation_id, {"version": 0, "values": {
        "trafficking_request": "yes", "victim_assessment": "victim", "age": 15,
        "exploitation_types": ["sexual"], "gender": "female",
    }})  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    assert saved.json()["values"]["is_minor"] == "yes"  # follows from the age

    # Two counselors (or two tabs) both edited version 1: the second save must not win silently.
    first = _put(server, token, conversation_id, {"version": 1, "values": {"age": 16}})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = _put(server, token, conversation_id, {"version": 1, "values": {"age": 17}})
    assert stale.status_code == 409
    assert stale.json()["error"] == "version_conflict"
    assert stale.json()["current_version"] == 2
    assert "Someone else" in stale.json()["message"]
    assert _get(server, token, conversation_id).json()["values"]["age"] == 16


def test_bad_values_are_refused_per_field_and_nothing_is_saved(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    bad = _put(server, token, conversation_id, {"version": 0, "values": {
        "age": 130, "gender": "robot", "victim_assessment": "not_victim",
        "exploitation_types": ["sexual"], "region": "west",
    }}, lang="nl")  # fmt: skip
    assert bad.status_code == 422
    fields = bad.json()["fields"]
    assert set(fields) == {"age", "gender"}  # type errors first; contradictions after those
    assert "0 tot en met 120" in fields["age"]["message"]
    contradiction = _put(server, token, conversation_id, {"version": 0, "values": {
        "victim_assessment": "not_victim", "exploitation_types": ["sexual"], "region": "west",
    }})  # fmt: skip
    assert contradiction.status_code == 422
    assert set(contradiction.json()["fields"]) == {"exploitation_types"}
    # Nothing half-saved: the valid region did not get stored either.
    after = _get(server, token, conversation_id).json()
    assert after["version"] == 0 and after["values"]["region"] is None
    bodies: list[object] = [
        {"values": {}},
        {"version": "1", "values": {}},
        {"version": -1, "values": {}},
        {"version": 0, "values": []},
        {"version": 0, "values": {}, "extra": 1},
        [1, 2],
    ]
    for body in bodies:
        assert _put(server, token, conversation_id, body).status_code == 400


def test_only_the_assigned_counselor_or_a_supervisor_may_see_or_change_it(
    server: Server,
) -> None:
    owner_id, owner = server.add_staff()
    _, other = server.add_staff()
    _, supervisor = add_staff_with_role(server, Role.SUPERVISOR)
    _, researcher = add_staff_with_role(server, Role.RESEARCHER)
    conversation_id = assigned_conversation(server, owner_id)
    body = {"version": 0, "values": {"gender": "female"}}

    assert _get(server, other, conversation_id).status_code == 403
    assert _put(server, other, conversation_id, body).status_code == 403
    assert _get(server, researcher, conversation_id).status_code == 403
    assert _put(server, researcher, conversation_id, body).status_code == 403
    assert _get(server, None, conversation_id).status_code == 401
    assert _put(server, None, conversation_id, body).status_code == 401

    assert _put(server, owner, conversation_id, body).status_code == 200
    assert _get(server, supervisor, conversation_id).status_code == 200
    updated = _put(server, supervisor, conversation_id, {"version": 1, "values": {}})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert _get(server, owner, "c_does-not-exist").status_code == 404


def test_a_visitor_cookie_gets_nothing(server: Server) -> None:
    conversation_id, visitor_token = server.start_visitor("Sam")
    headers = {"Cookie": f"__Host-baken_v={visitor_token}"}
    got = httpx.get(server.base + PATH.format(conversation_id), headers=headers)
    assert got.status_code == 401
    put = httpx.put(
        server.base + PATH.format(conversation_id),
        json={"version": 0, "values": {}},
        headers={**headers, "Origin": server.origin},
    )
    assert put.status_code == 401
    # Not even with the visitor's cookie presented as a staff session.
    assert _get(server, visitor_token, conversation_id).status_code == 401


def test_a_save_from_another_site_is_refused(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    body = {"version": 0, "values": {"gender": "female"}}
    assert (
        _put(server, token, conversation_id, body, origin="https://evil.example").status_code == 403
    )
    assert _put(server, token, conversation_id, body, origin=None).status_code == 403
    assert _get(server, token, conversation_id).json()["version"] == 0
