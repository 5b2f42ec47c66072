"""The `left_messages_changed` frame (issue 12, docs/protocol.md): who gets it, and that it says
nothing but "changed".

A visitor leaves a message, or writes again with the code, over HTTP; a counselor answers it. Each
time, every staff socket of the organisation whose role reads left messages (counselor, supervisor,
administrator) gets exactly `{"type": "left_messages_changed"}`: no text, no thread, no count. Other
organisations' staff and visitors get nothing. With two processes and Redis it crosses over.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from baken.devtools import enrol_second_factor
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.staff_repo import StaffRepository
from tests.conftest import IN_CI
from tests.support import (
    _PASSWORD_HASH,
    Client,
    Server,
    add_staff_with_role,
    counselor,
    master_key,
    postgres_available,
    postgres_database,
    run_async,
    start_server,
    visitor,
)
from tests.test_multiprocess import redis_available

FRAME = {"type": "left_messages_changed"}
SECRET_TEXT = "Mijn baas heeft mijn paspoort. <b>niet doorsturen</b>"
REDIS_URL = "redis://127.0.0.1:6379/0"


def partner_counselor(server: Server) -> str:
    """A counselor of another organisation with a live session; returns the session token."""

    async def create() -> str:
        db = Database(server.settings)
        try:
            repo = StaffRepository(db)
            await repo.ensure_organisation("org_partner", "org_partner")
            member = await repo.create(
                "par-" + secrets.token_hex(4), "Piet", _PASSWORD_HASH, Role.COUNSELOR, "org_partner"
            )
            await enrol_second_factor(db, master_key(server.settings), member.id)
            return await repo.start_session(member.id)
        finally:
            await db.dispose()

    token: str = run_async(create())
    return token


async def nothing_more(client: Client) -> None:
    """Frames on one socket arrive in order: once a ping is answered, nothing was queued before."""
    await client.send({"type": "ping", "t": 7})
    await client.expect("pong")
    assert not [f for f in client.frames if f.get("type") == FRAME["type"]], client.frames


async def changed(client: Client) -> None:
    frame = await client.expect(FRAME["type"])
    assert frame == FRAME  # nothing else: no text, no thread id, no count
    assert "paspoort" not in orjson.dumps(client.frames).decode()


async def test_readers_of_the_organisation_are_told_and_nobody_else(server: Server) -> None:
    _, counselor_token = server.add_staff()
    _, supervisor_token = add_staff_with_role(server, Role.SUPERVISOR)
    _, admin_token = add_staff_with_role(server, Role.ADMIN)
    partner_token = partner_counselor(server)
    _, visitor_token = server.start_visitor("Vera")
    readers = [await counselor(server, t) for t in (counselor_token, supervisor_token, admin_token)]
    partner = await counselor(server, partner_token)
    waiting_visitor = await visitor(server, visitor_token)
    staff_cookie = {"Cookie": f"__Host-baken_s={counselor_token}", "Origin": server.origin}
    try:
        async with httpx.AsyncClient(
            base_url=server.base, headers={"Origin": server.origin}
        ) as http:
            # A new left message.
            left = await http.post("/api/visitor/message", json={"text": SECRET_TEXT, "lang": "nl"})
            assert left.status_code == 200, left.text
            code = left.json()["code"]
            for reader in readers:
                await changed(reader)
            await nothing_more(partner)
            await nothing_more(waiting_visitor)

            # Reading the answers without writing changes nothing in the list: no frame.
            read = await http.post("/api/visitor/mailbox", json={"code": code})
            assert read.status_code == 200, read.text
            for client in (*readers, partner):
                client.frames.clear()
            for client in readers:
                await nothing_more(client)

            # The visitor writes again with the code.
            again = await http.post(
                "/api/visitor/mailbox", json={"code": code, "text": "Nog iets."}
            )
            assert again.status_code == 200, again.text
            for reader in readers:
                await changed(reader)
            await nothing_more(partner)

            # A counselor answers: the thread leaves everyone's list, so everyone is told.
            threads = await http.get("/api/left-messages", headers=staff_cookie)
            (thread,) = threads.json()["threads"]
            reply = await http.post(
                f"/api/left-messages/{thread['id']}/reply",
                json={"text": "Dank je, we lezen mee."},
                headers=staff_cookie,
            )
            assert reply.status_code == 200, reply.text
            for reader in readers:
                await changed(reader)
            await nothing_more(partner)
            await nothing_more(waiting_visitor)
    finally:
        for client in (*readers, partner, waiting_visitor):
            await client.close()


# --- two processes, one Redis -------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("left-push")
    common = {
        "redis_url": REDIS_URL,
        "redis_channel": "baken-test:" + secrets.token_hex(6),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    with postgres_database() as url:
        a = start_server(tmp / "a", database_url=url, **common)
        b = start_server(tmp / "b", database_url=url, **common)
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


async def test_the_frame_crosses_to_consoles_on_another_process(
    two_processes: tuple[Server, Server],
) -> None:
    a, b = two_processes
    _, token_b = b.add_staff()
    partner_b = await counselor(b, partner_counselor(b))
    on_b = await counselor(b, token_b)
    try:
        async with httpx.AsyncClient(base_url=a.base, headers={"Origin": a.origin}) as http:
            left = await http.post("/api/visitor/message", json={"text": SECRET_TEXT, "lang": "nl"})
            assert left.status_code == 200, left.text
        await changed(on_b)
        await nothing_more(partner_b)
    finally:
        await on_b.close()
        await partner_b.close()
