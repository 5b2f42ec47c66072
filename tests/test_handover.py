"""Shift handover (issue 15, item 4; docs/counselor-tools.md, "Shift handover"): a counselor passes
an open chat to a colleague or back to the queue with a handover note that the next counselor reads
(sealed at rest); bad input changes nothing; signing out with chats open puts them back in the queue
at their old place; every handover is audited — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from baken.audit import kinds
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.tables import audit_log, conversation_notes, conversations
from baken.store.tables import staff as staff_table
from tests.authz_world import in_db
from tests.support import Client, Server, counselor, run_async
from tests.test_wellbeing import partner_organisation, staff, start_visitor

NOTE = "Overdracht: ze wil om 16:00 terugkomen, vraag naar haar veiligheid."


async def take(server: Server, client: Client, organisation_id: str) -> str:
    conversation_id = start_visitor(server, organisation_id)
    await client.send({"type": "accept", "conversation_id": conversation_id})
    await client.expect("accepted", conversation_id=conversation_id)
    return conversation_id


async def notes_of(client: Client, conversation_id: str) -> list[dict[str, Any]]:
    await client.send({"type": "notes_get", "conversation_id": conversation_id})
    frame = await client.expect("notes", conversation_id=conversation_id, timeout=10)
    notes: list[dict[str, Any]] = frame["notes"]
    return notes


def state_of(server: Server, conversation_id: str) -> tuple[str, str | None]:
    async def read(db: Database) -> tuple[str, str | None]:
        async with db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(conversations.c.state, conversations.c.counselor_id).where(
                        conversations.c.id == conversation_id
                    )
                )
            ).one()
        return str(row.state), row.counselor_id

    result: tuple[str, str | None] = in_db(server, read)
    return result


def handovers_of(server: Server, conversation_id: str) -> list[str | None]:
    async def read(db: Database) -> list[str | None]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(audit_log.c.detail)
                .where(
                    audit_log.c.kind == kinds.CONVERSATION_HANDOVER,
                    audit_log.c.object_id == conversation_id,
                )
                .order_by(audit_log.c.id)
            )
            return [r.detail for r in rows]

    result: list[str | None] = in_db(server, read)
    return result


def sealed_bodies(server: Server, conversation_id: str) -> list[bytes]:
    async def read(db: Database) -> list[bytes]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(conversation_notes.c.body).where(
                    conversation_notes.c.conversation_id == conversation_id
                )
            )
            return [bytes(r.body) for r in rows]

    result: list[bytes] = in_db(server, read)
    return result


def test_a_chat_handed_to_a_colleague_and_one_to_the_queue(server: Server) -> None:
    org = partner_organisation(server)
    anna_id, anna_token = staff(server, Role.COUNSELOR, org)
    bert_id, bert_token = staff(server, Role.COUNSELOR, org)
    gone_id, _gone_token = staff(server, Role.COUNSELOR, org)

    async def disable(db: Database) -> None:
        async with db.writer.begin() as conn:
            await conn.execute(
                update(staff_table).where(staff_table.c.id == gone_id).values(active=False)
            )

    in_db(server, disable)

    async def run() -> None:
        anna = await counselor(server, anna_token)
        bert = await counselor(server, bert_token)
        try:
            warm = await take(server, anna, org)
            cold = await take(server, anna, org)

            # Bad input first: nothing moves.
            for frame, code in (
                ({"to_staff_id": gone_id}, "unknown_colleague"),  # a disabled account
                ({"to_staff_id": "no-such-account"}, "unknown_colleague"),
                ({"note": "x" * 5000}, "text_too_long"),
            ):
                await anna.send({"type": "handover", "conversation_id": warm, **frame})
                error = await anna.expect("error", ref="handover")
                assert error["code"] == code, error
                assert state_of(server, warm) == ("active", anna_id)
            await bert.send({"type": "handover", "conversation_id": warm})  # not Bert's chat
            assert (await bert.expect("error", ref="handover"))["code"] == "not_a_participant"
            assert handovers_of(server, warm) == []

            # To a colleague: the colleague gets the chat and reads the note.
            await anna.send(
                {"type": "handover", "conversation_id": warm, "to_staff_id": bert_id, "note": NOTE}
            )
            await anna.expect("handed_over", conversation_id=warm, to_staff_id=bert_id)
            await bert.expect("transfer_in", conversation_id=warm)
            assert state_of(server, warm) == ("active", bert_id)
            assert [n["text"] for n in await notes_of(bert, warm)] == [NOTE]

            # To the queue: at its old place, with the note for whoever takes it.
            await anna.send({"type": "handover", "conversation_id": cold, "note": NOTE})
            await anna.expect("handed_over", conversation_id=cold, to_staff_id=None)
            assert state_of(server, cold) == ("queued", None)
            await bert.send({"type": "accept", "conversation_id": cold})
            await bert.expect("accepted", conversation_id=cold)
            assert [n["text"] for n in await notes_of(bert, cold)] == [NOTE]

            assert handovers_of(server, warm) == ["colleague"]
            assert handovers_of(server, cold) == ["queue"]
            for conversation_id in (warm, cold):
                bodies = sealed_bodies(server, conversation_id)
                assert bodies and all(NOTE.encode() not in body for body in bodies)
        finally:
            await anna.close()
            await bert.close()

    run_async(run())


def test_signing_out_puts_open_chats_back_in_the_queue(server: Server) -> None:
    org = partner_organisation(server)
    anna_id, anna_token = staff(server, Role.COUNSELOR, org)

    async def run() -> list[str]:
        anna = await counselor(server, anna_token)
        try:
            return [await take(server, anna, org) for _ in range(2)]
        finally:
            await anna.close()

    chats: list[str] = run_async(run())
    assert all(state_of(server, c) == ("active", anna_id) for c in chats)
    response = httpx.post(
        f"{server.base}/staff/logout",
        headers={"Cookie": f"__Host-baken_s={anna_token}", "Origin": server.origin},
        timeout=20,
    )
    assert response.status_code == 303
    for conversation_id in chats:
        assert state_of(server, conversation_id) == ("queued", None)
        assert handovers_of(server, conversation_id) == ["sign_out"]
