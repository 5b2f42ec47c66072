"""Every registration answer says which fields are still open (`missing`, issue 12), as the server
decides it: the console's count after a refused "Mark complete" follows it, so the browser never
judges completeness itself."""

from __future__ import annotations

import httpx

from baken.registration.completeness import missing_fields
from tests.support import Server, assigned_conversation

PATH = "/api/conversations/{}/registration?lang=nl"


def test_missing_follows_the_answers_and_the_codebook_conditions(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    url = server.base + PATH.format(conversation_id)
    headers = {"Cookie": f"__Host-baken_s={token}", "Origin": server.origin}

    empty = httpx.get(url, headers=headers).json()
    everything = missing_fields({})
    assert empty["missing"] == everything
    assert len(everything) == 22 and "age" not in everything  # 22 with origin (2026.2)

    refused = httpx.put(url, json={"version": 0, "values": {}, "complete": True}, headers=headers)
    assert refused.status_code == 422
    assert list(refused.json()["fields"]) == everything  # same fields, same (codebook) order

    draft = httpx.put(
        url,
        json={"version": 0, "values": {"trafficking_request": "yes", "age": 15}},
        headers=headers,
    ).json()
    # Answered, and "minor" needs no answer once the age is known.
    assert draft["missing"] == [
        f for f in everything if f not in {"trafficking_request", "is_minor"}
    ]

    not_a_victim = httpx.put(
        url,
        json={
            "version": draft["version"],
            "values": {
                "trafficking_request": "yes",
                "age": 15,
                "victim_assessment": "not_victim",
            },
        },
        headers=headers,
    ).json()
    # "Not a victim": the exploitation questions no longer apply, so they are not missing.
    assert "exploitation_types" not in not_a_victim["missing"]
    assert "origin" not in not_a_victim["missing"]
    assert "victim_assessment" not in not_a_victim["missing"]
    assert "contact_role" in not_a_victim["missing"]
    assert httpx.get(url, headers=headers).json()["missing"] == not_a_victim["missing"]
