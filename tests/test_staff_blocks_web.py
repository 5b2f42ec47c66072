"""The blocks page (issue 15, item 5): supervisors and administrators see the organisation's
visitor blocks in force and lift them, on two server processes sharing one database (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from baken.audit import kinds
from baken.crypto.envelope import CipherCache
from baken.domain.conversation import Role
from baken.store.block_repo import BlockRepository
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.tables import audit_log
from tests.conftest import _postgres_or_skip
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    counselor,
    master_key,
    postgres_database,
    run_async,
    start_server,
    visitor,
)

ROW = re.compile(r'<tr data-block="([^"]+)">')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def pair_of_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two Baken processes on one database and one data directory (one master key)."""
    tmp: Path = tmp_path_factory.mktemp(f"baken-blocks-{request.param}")
    if request.param == "sqlite":
        first, second = start_server(tmp), start_server(tmp)
        yield first, second
        first.stop()
        second.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        first = start_server(tmp, database_url=url)
        second = start_server(tmp, database_url=url)
        yield first, second
        first.stop()
        second.stop()


@pytest.fixture
def srv(pair_of_servers: tuple[Server, Server]) -> Server:
    return pair_of_servers[0]


def in_db(srv: Server, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        db = Database(srv.settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return run_async(run())


def get(srv: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(
        srv.base + path, headers={"Cookie": f"__Host-baken_s={token}"}, follow_redirects=False
    )


def lift(srv: Server, token: str, block_id: str, origin: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{srv.base}/staff/blocks/{block_id}/lift",
        headers={"Cookie": f"__Host-baken_s={token}", "Origin": origin or srv.origin},
        follow_redirects=False,
    )


def come_back(srv: Server, code: str) -> httpx.Response:
    return httpx.post(
        srv.base + "/api/visitor/return",
        json={"code": code, "lang": "nl"},
        headers={"Origin": srv.origin},
    )


def lift_records(srv: Server, block_id: str) -> list[Any]:
    async def read(db: Database) -> list[Any]:
        async with db.reader.connect() as conn:
            query = select(audit_log).where(
                audit_log.c.kind == kinds.BLOCK_LIFT, audit_log.c.object_id == block_id
            )
            return list((await conn.execute(query)).all())

    found: list[Any] = in_db(srv, read)
    return found


async def blocked_chat(srv: Server, name: str) -> tuple[str, str, str]:
    """A chat whose counselor blocks the visitor by the return code; (block id, code, chat)."""
    conversation_id, vtoken = srv.start_visitor("bezoeker")
    _sid, stoken = srv.add_staff(display_name=name)
    v: Client = await visitor(srv, vtoken)
    c: Client = await counselor(srv, stoken)
    try:
        await c.send({"type": "accept", "conversation_id": conversation_id})
        await c.expect("accepted", conversation_id=conversation_id)
        await v.send({"type": "request_code", "conversation_id": conversation_id})
        code = (await v.expect("return_code"))["code"]
        await c.send(
            {"type": "block", "conversation_id": conversation_id, "reason": "threats", "hours": 48}
        )
        block_id = (await c.expect("blocked", conversation_id=conversation_id))["block_id"]
    finally:
        await v.close()
        await c.close()
    return block_id, code, conversation_id


def plain_block(srv: Server, organisation_id: str = "org_default") -> str:
    """A block without a return code, placed straight in the database."""
    placed_by, _token = add_staff_with_role(srv, Role.COUNSELOR, organisation_id=organisation_id)

    async def add(db: Database) -> str:
        repo = ConversationRepository(db, CipherCache(master_key(srv.settings)))
        record, _visitor = await repo.create("Nora", "nl", organisation_id=organisation_id)
        block = await BlockRepository(db).add(
            organisation_id, record.id, None, "spam", timedelta(hours=24), placed_by
        )
        return block.id

    return str(in_db(srv, add))


def test_a_supervisor_lifts_a_block_and_it_stops_at_once_on_every_process(
    pair_of_servers: tuple[Server, Server],
) -> None:
    first, second = pair_of_servers
    block_id, code, conversation_id = run_async(blocked_chat(first, "Bas"))
    # The other process refuses the code as well.
    refused = come_back(second, code)
    assert refused.status_code == 403 and refused.json()["error"] == "blocked"

    sup_id, sup = add_staff_with_role(first, Role.SUPERVISOR)
    page = get(first, sup, "/staff/blocks?lang=en")
    assert page.status_code == 200
    assert block_id in ROW.findall(page.text)
    assert "Threats" in page.text and "Bas" in page.text and "Return code" in page.text
    # Never the code, the chat or anything the visitor wrote.
    assert code not in page.text and conversation_id not in page.text
    assert "bezoeker" not in page.text

    done = lift(first, sup, block_id)
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/blocks?done=lifted&lang=nl"
    # The other process lets the code in right away: it reads blocks at every check.
    back = come_back(second, code)
    assert back.status_code == 200, back.text
    records = lift_records(first, block_id)
    assert [(r.actor_id, r.organisation_id, r.detail) for r in records] == [
        (sup_id, "org_default", "reason=threats")
    ]
    assert block_id not in ROW.findall(get(first, sup, "/staff/blocks").text)


def test_two_supervisors_lifting_at_once_one_lifts_the_other_is_told_calmly(
    pair_of_servers: tuple[Server, Server],
) -> None:
    first, second = pair_of_servers
    block_id = plain_block(first)
    _a, sup_a = add_staff_with_role(first, Role.SUPERVISOR)
    _b, sup_b = add_staff_with_role(first, Role.ADMIN)

    async def one(server: Server, token: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(
                f"{server.base}/staff/blocks/{block_id}/lift",
                headers={"Cookie": f"__Host-baken_s={token}", "Origin": server.origin},
            )

    async def both() -> list[httpx.Response]:
        return list(await asyncio.gather(one(first, sup_a), one(second, sup_b)))

    answers = run_async(both())
    assert [a.status_code for a in answers] == [303, 303]
    places = sorted(a.headers["location"] for a in answers)
    assert places == ["/staff/blocks?done=already&lang=nl", "/staff/blocks?done=lifted&lang=nl"]
    assert len(lift_records(first, block_id)) == 1
    calm = get(first, sup_a, "/staff/blocks?done=already&lang=en")
    assert calm.status_code == 200 and "already been lifted" in calm.text


def test_only_supervisors_and_administrators_of_the_organisation(srv: Server) -> None:
    block_id = plain_block(srv)
    for role in (Role.COUNSELOR, Role.RESEARCHER):
        _sid, token = add_staff_with_role(srv, role)
        assert get(srv, token, "/staff/blocks").status_code == 403
        assert lift(srv, token, block_id).status_code == 403
    assert get(srv, "nothing", "/staff/blocks").headers.get("location") == "/staff/login"

    async def add_partner(db: Database) -> str:
        return (await OrganisationRepository(db).add("blk-" + secrets.token_hex(3), "Lijn")).id

    partner = str(in_db(srv, add_partner))
    for role in (Role.SUPERVISOR, Role.ADMIN):
        _sid, token = add_staff_with_role(srv, role, organisation_id=partner)
        page = get(srv, token, "/staff/blocks")
        assert page.status_code == 200 and block_id not in page.text
        assert lift(srv, token, block_id).status_code == 404
    _sid, sup = add_staff_with_role(srv, Role.SUPERVISOR)
    assert lift(srv, sup, block_id, origin="http://evil.example").status_code == 403
    assert lift(srv, sup, "b_nothing").status_code == 404
    assert lift_records(srv, block_id) == []
    assert block_id in ROW.findall(get(srv, sup, "/staff/blocks").text)


def test_lifting_over_the_socket_is_audited_too(srv: Server) -> None:
    block_id = plain_block(srv)
    sup_id, sup = add_staff_with_role(srv, Role.SUPERVISOR)

    async def run() -> None:
        client = await counselor(srv, sup)
        try:
            await client.send({"type": "unblock", "block_id": block_id})
            await client.expect("unblocked", block_id=block_id)
        finally:
            await client.close()

    run_async(run())
    assert [r.actor_id for r in lift_records(srv, block_id)] == [sup_id]
