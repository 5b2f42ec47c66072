"""BAKEN_REGISTRATION_REQUIRED on a real server: ending a chat is never held up (the visitor is
let go at once), and the API and the "to register" list tell the console the registration is
required until it is complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baken.registration.codebook import FIELDS, Kind
from tests.support import Server, counselor, start_server, visitor


@pytest.fixture
def required_server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, registration_required=True)
    yield server
    server.stop()


def _all_unknown() -> dict[str, object]:
    """Every question answered with "unknown": a complete registration."""
    return {
        f.id: (["unknown"] if f.kind is Kind.MULTI else None if f.kind is Kind.INT else "unknown")
        for f in FIELDS
    }


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _pending(server: Server, token: str) -> list[dict[str, object]]:
    got = httpx.get(server.base + "/api/registrations/pending", headers=_cookie(token))
    assert got.status_code == 200
    items: list[dict[str, object]] = got.json()["conversations"]
    return items


async def _ended_chat(server: Server, token: str) -> str:
    conversation_id, vtoken = server.start_visitor()
    anna = await counselor(server, token)
    v = await visitor(server, vtoken)
    await anna.send({"type": "accept", "conversation_id": conversation_id})
    await anna.expect("accepted")
    # Nothing is registered, and still the counselor's end ends the chat for both sides.
    await anna.send({"type": "end", "conversation_id": conversation_id})
    await anna.expect("ended")
    while True:
        update = (await v.expect("conversation"))["conversation"]
        if update["state"] == "ended":
            break
    assert update["id"] == conversation_id and update["ended_by"] == "counselor"
    return conversation_id


async def test_ending_is_never_held_up_and_the_registration_stays_required(
    required_server: Server,
) -> None:
    server = required_server
    _, token = server.add_staff(display_name="Anna")
    conversation_id = await _ended_chat(server, token)

    form = httpx.get(
        server.base + f"/api/conversations/{conversation_id}/registration", headers=_cookie(token)
    )
    assert form.status_code == 200 and form.json()["required"] is True
    assert [(p["id"], p["required"]) for p in _pending(server, token)] == [(conversation_id, True)]

    saved = httpx.put(
        server.base + f"/api/conversations/{conversation_id}/registration",
        json={"version": 0, "values": _all_unknown(), "complete": True},
        headers={**_cookie(token), "Origin": server.origin},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["complete"] is True and saved.json()["required"] is True
    assert _pending(server, token) == []


async def test_by_default_registration_is_not_required(server: Server) -> None:
    _, token = server.add_staff(display_name="Anna")
    conversation_id = await _ended_chat(server, token)
    form = httpx.get(
        server.base + f"/api/conversations/{conversation_id}/registration", headers=_cookie(token)
    )
    assert form.json()["required"] is False
    listed = [p for p in _pending(server, token) if p["id"] == conversation_id]
    assert listed and listed[0]["required"] is False


def test_the_console_page_carries_the_setting(required_server: Server) -> None:
    _, token = required_server.add_staff(display_name="Anna")
    page = httpx.get(required_server.base + "/staff", headers=_cookie(token))
    assert page.status_code == 200
    assert 'data-required="true"' in page.text
