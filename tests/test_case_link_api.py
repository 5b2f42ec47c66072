"""Case links on a real server (SQLite and PostgreSQL): a return code joins the earlier case by
itself; a counselor links a chat to an earlier one, and only when they may register both."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.tables import conversations
from tests.support import (
    Server,
    add_staff_with_role,
    assigned_conversation,
    counselor,
    run_async,
    visitor,
)

LINK = "/api/conversations/{}/case-link"


def _cookie(token: str | None) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"} if token else {}


def _link(
    server: Server, token: str | None, conversation_id: str, body: object, origin: bool = True
) -> httpx.Response:
    headers = _cookie(token)
    if origin:
        headers["Origin"] = server.origin
    return httpx.post(server.base + LINK.format(conversation_id), json=body, headers=headers)


def _case_ids(server: Server, *conversation_ids: str) -> list[str | None]:
    async def read() -> list[str | None]:
        db = Database(server.settings)
        try:
            async with db.reader.connect() as conn:
                result = await conn.execute(
                    select(conversations.c.id, conversations.c.case_id).where(
                        conversations.c.id.in_(conversation_ids)
                    )
                )
                rows = {row.id: row.case_id for row in result}
        finally:
            await db.dispose()
        return [rows[c] for c in conversation_ids]

    found: list[str | None] = run_async(read())
    return found


async def test_returning_with_a_code_joins_the_earlier_case(server: Server) -> None:
    first_id, vtoken = server.start_visitor()
    anna_id, anna_token = server.add_staff(display_name="Anna")
    anna = await counselor(server, anna_token)
    await anna.send({"type": "accept", "conversation_id": first_id})
    await anna.expect("accepted")
    saved = httpx.put(
        server.base + f"/api/conversations/{first_id}/registration",
        json={"version": 0, "values": {"trafficking_request": "yes", "gender": "female"}},
        headers={**_cookie(anna_token), "Origin": server.origin},
    )
    assert saved.status_code == 200, saved.text
    v = await visitor(server, vtoken)
    await v.send({"type": "request_code", "conversation_id": first_id})
    code = (await v.expect("return_code"))["code"]
    await anna.send({"type": "end", "conversation_id": first_id})
    await anna.expect("ended")

    back = httpx.post(
        server.base + "/api/visitor/return", json={"code": code}, headers={"Origin": server.origin}
    )
    assert back.status_code == 200, back.text
    second_id = back.json()["conversation"]["id"]
    first_case, second_case = _case_ids(server, first_id, second_id)
    assert first_case is not None and second_case == first_case

    await anna.send({"type": "take_next"})
    assert (await anna.expect("accepted"))["conversation_id"] == second_id
    form = httpx.get(
        server.base + f"/api/conversations/{second_id}/registration?lang=en",
        headers=_cookie(anna_token),
    ).json()
    assert form["version"] == 0 and form["defaults"]["gender"] == "female"
    del anna_id


def test_a_counselor_links_a_chat_to_an_earlier_one_they_handled(server: Server) -> None:
    anna_id, anna_token = server.add_staff(display_name="Anna")
    earlier = assigned_conversation(server, anna_id)
    later = assigned_conversation(server, anna_id)
    listed = httpx.get(server.base + LINK.format(later), headers=_cookie(anna_token))
    assert listed.status_code == 200
    candidates = listed.json()["candidates"]
    assert [c["id"] for c in candidates] == [earlier] and candidates[0]["same_case"] is False

    linked = _link(server, anna_token, later, {"earlier_conversation_id": earlier})
    assert linked.status_code == 200, linked.text
    earlier_case, later_case = _case_ids(server, earlier, later)
    assert earlier_case is not None and later_case == earlier_case
    again = httpx.get(server.base + LINK.format(later), headers=_cookie(anna_token)).json()
    assert again["candidates"][0]["same_case"] is True


def test_links_are_refused_without_authority_over_both_chats(server: Server) -> None:
    anna_id, anna_token = server.add_staff(display_name="Anna")
    bram_id, bram_token = server.add_staff(display_name="Bram")
    annas = assigned_conversation(server, anna_id)
    brams = assigned_conversation(server, bram_id)
    annas_later = assigned_conversation(server, anna_id)
    _, researcher = add_staff_with_role(server, Role.RESEARCHER)
    body = {"earlier_conversation_id": brams}

    # Assigned to only one of the two, in either direction.
    assert _link(server, anna_token, annas_later, body).status_code == 403
    assert _link(server, bram_token, brams, {"earlier_conversation_id": annas}).status_code == 403
    assert _link(server, bram_token, annas_later, body).status_code == 403
    assert (
        httpx.get(server.base + LINK.format(annas), headers=_cookie(bram_token)).status_code == 403
    )
    # Researchers never; nobody signed in; another site's page.
    assert _link(server, researcher, annas_later, body).status_code == 403
    assert _link(server, None, annas_later, body).status_code == 401
    other_site = {"earlier_conversation_id": annas}
    assert _link(server, anna_token, annas_later, other_site, origin=False).status_code == 403
    # Bad input: unknown chat, itself, wrong shape.
    assert (
        _link(server, anna_token, annas_later, {"earlier_conversation_id": "c-nope"}).status_code
        == 404
    )
    assert _link(server, anna_token, annas, {"earlier_conversation_id": annas}).status_code == 422
    assert _link(server, anna_token, annas, {"earlier_conversation_id": 5}).status_code == 400
    assert (
        _link(server, anna_token, annas, {"earlier_conversation_id": annas, "x": 1}).status_code
        == 400
    )
    # Nothing was linked by any refused request.
    cases = _case_ids(server, annas, brams, annas_later)
    assert cases == [None, None, None]

    # A supervisor of the organisation may link any two of its chats.
    _, supervisor = add_staff_with_role(server, Role.SUPERVISOR)
    assert _link(server, supervisor, annas_later, body).status_code == 200
    brams_case, later_case = _case_ids(server, brams, annas_later)
    assert brams_case is not None and later_case == brams_case
