"""Counselor statuses and capacity (issue 15, item 1; docs/supervision.md): a status set in the
console reaches the supervisors' overview live and survives a reconnect; only "available" takes
new chats (take-next and accept give a typed refusal otherwise); a wrap-up ends by itself after its
maximum (injected clock); a supervisor's capacity per counselor is stored, audited and enforced;
"open" for visitors counts only counselors who are available or busy — on SQLite and PostgreSQL,
and a status set on one process is seen on the other (Redis)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from baken.audit import kinds
from baken.domain.conversation import Role
from baken.domain.staff_status import StaffStatus, effective, parse_status
from baken.realtime.staff_status import StaffStatuses
from baken.store.database import Database
from baken.store.tables import audit_log, staff_capacity
from tests.authz_world import in_db
from tests.support import Client, Server, add_staff_with_role, counselor, run_async, start_server
from tests.test_wellbeing import partner_organisation, staff

# --- the rules ------------------------------------------------------------------------------------

NOON = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)


def test_a_wrap_up_past_its_maximum_is_available() -> None:
    until = NOON + timedelta(minutes=10)
    assert effective(StaffStatus.WRAP_UP, until, NOON) is StaffStatus.WRAP_UP
    assert effective(StaffStatus.WRAP_UP, until, until) is StaffStatus.AVAILABLE
    assert effective(StaffStatus.BREAK, None, until) is StaffStatus.BREAK


def test_an_unknown_status_on_the_wire_counts_as_available() -> None:
    assert parse_status("busy") is StaffStatus.BUSY
    assert parse_status("asleep") is StaffStatus.AVAILABLE
    assert parse_status(None) is StaffStatus.AVAILABLE


# --- on a real server ----------------------------------------------------------------------------


def _statuses(server: Server) -> StaffStatuses:
    app: Any = server._server.config.app
    found: StaffStatuses = app.state.baken.chat.statuses
    return found


@pytest.fixture
def clock(server: Server) -> Iterator[list[datetime]]:
    statuses = _statuses(server)
    now = [datetime.now(UTC)]
    original = statuses.clock
    statuses.clock = lambda: now[0]
    try:
        yield now
    finally:
        statuses.clock = original


def _counselor_in(frame: dict[str, Any], staff_id: str) -> dict[str, Any] | None:
    for entry in frame.get("counselors", []):
        if entry["id"] == staff_id:
            return dict(entry)
    return None


async def _overview_shows(sup: Client, staff_id: str, **fields: Any) -> dict[str, Any]:
    """The first overview, received before or from now on, in which this counselor has these
    values (the overview is rebuilt shortly after a change: wait for that state)."""

    def shows(frame: dict[str, Any]) -> bool:
        if frame.get("type") != "overview":
            return False
        entry = _counselor_in(frame, staff_id)
        return entry is not None and all(entry.get(k) == v for k, v in fields.items())

    return await sup.seen(shows, timeout=15)


async def _set_status(client: Client, status: str) -> dict[str, Any]:
    await client.send({"type": "set_status", "status": status})
    return await client.expect("staff_status", status=status, timeout=10)


def test_status_live_in_the_overview_and_only_available_takes_chats(
    server: Server, clock: list[datetime]
) -> None:
    anna_id, anna_token = staff(server)
    _bert_id, bert_token = staff(server)
    _sup_id, sup_token = staff(server, Role.SUPERVISOR)

    async def run() -> None:
        anna = await counselor(server, anna_token)
        bert = await counselor(server, bert_token)
        sup = await counselor(server, sup_token)
        try:
            welcome = anna.frames[0]
            assert welcome["status"] == {
                "type": "staff_status",
                "status": "available",
                "until": None,
            }
            await sup.send({"type": "overview_subscribe"})
            await _overview_shows(sup, anna_id, status="available")

            await _set_status(anna, "busy")
            await _overview_shows(sup, anna_id, status="busy")
            waiting = server.start_visitor()[0]
            await anna.send({"type": "take_next"})
            refused = await anna.expect("error", ref="take_next")
            assert refused["code"] == "not_available" and "busy" in refused["message"]
            await anna.send({"type": "accept", "conversation_id": waiting})
            assert (await anna.expect("error", ref="accept"))["code"] == "not_available"
            # The colleague who is available takes it.
            await bert.send({"type": "accept", "conversation_id": waiting})
            await bert.expect("accepted", conversation_id=waiting)

            # A wrap-up ends by itself at its maximum: the console is told, and chats come again.
            wrap = await _set_status(anna, "wrap_up")
            until = datetime.fromisoformat(wrap["until"].replace("Z", "+00:00"))
            assert until > clock[0]
            statuses = _statuses(server)
            assert statuses.tick(until - timedelta(seconds=1)) == []
            clock[0] = until
            assert statuses.tick() == [anna_id]
            back = await anna.expect("staff_status", status="available", timeout=10)
            assert back["until"] is None
            await _overview_shows(sup, anna_id, status="available")

            # A status survives a reconnect.
            await _set_status(anna, "away")
            await anna.close()
            anna = await counselor(server, anna_token)
            assert anna.frames[0]["status"]["status"] == "away"
            await _overview_shows(sup, anna_id, status="away")
            # Nonsense is refused with a clear error, and changes nothing.
            await anna.send({"type": "set_status", "status": "asleep"})
            assert (await anna.expect("error", ref="set_status"))["code"] == "invalid_frame"
            assert statuses.of(anna_id) is StaffStatus.AWAY
            await _set_status(anna, "available")
        finally:
            for client in (anna, bert, sup):
                await client.close()

    run_async(run())


def _capacity_rows(server: Server, staff_id: str) -> list[int]:
    async def read(db: Database) -> list[int]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(staff_capacity.c.max_chats).where(staff_capacity.c.staff_id == staff_id)
            )
            return [int(r.max_chats) for r in rows]

    result: list[int] = in_db(server, read)
    return result


def _audited(server: Server, staff_id: str) -> list[str | None]:
    async def read(db: Database) -> list[str | None]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(audit_log.c.detail)
                .where(audit_log.c.kind == kinds.STAFF_CAPACITY, audit_log.c.object_id == staff_id)
                .order_by(audit_log.c.id)
            )
            return [r.detail for r in rows]

    result: list[str | None] = in_db(server, read)
    return result


def test_a_supervisor_sets_a_capacity_that_take_next_keeps(server: Server) -> None:
    anna_id, anna_token = staff(server)
    _sup_id, sup_token = staff(server, Role.SUPERVISOR)
    partner = partner_organisation(server)
    foreign_id, _foreign_token = staff(server, Role.COUNSELOR, partner)
    _psup, partner_sup_token = staff(server, Role.SUPERVISOR, partner)

    async def run() -> None:
        anna = await counselor(server, anna_token)
        sup = await counselor(server, sup_token)
        partner_sup = await counselor(server, partner_sup_token)
        try:
            await sup.send({"type": "overview_subscribe"})
            await sup.send({"type": "set_capacity", "staff_id": anna_id, "max_chats": 1})
            assert (await sup.expect("capacity_set", staff_id=anna_id))["max_chats"] == 1
            assert (await anna.expect("capacity"))["max_chats"] == 1
            await _overview_shows(sup, anna_id, max_chats=1)

            first = server.start_visitor()[0]
            await anna.send({"type": "accept", "conversation_id": first})
            await anna.expect("accepted", conversation_id=first)
            second = server.start_visitor()[0]
            await anna.send({"type": "accept", "conversation_id": second})
            refused = await anna.expect("error", ref="accept")
            assert refused["code"] == "at_capacity" and "1 chats" in refused["message"]
            await anna.send({"type": "take_next"})
            assert (await anna.expect("error", ref="take_next"))["code"] == "at_capacity"

            # A counselor cannot set capacities; another organisation's supervisor cannot reach
            # this one's counselors, and is answered as for an account that does not exist.
            await anna.send({"type": "set_capacity", "staff_id": anna_id, "max_chats": 9})
            assert (await anna.expect("error", ref="set_capacity"))["code"] == "forbidden"
            for target in (anna_id, "no-such-account"):
                await partner_sup.send({"type": "set_capacity", "staff_id": target, "max_chats": 5})
                error = await partner_sup.expect("error", ref="set_capacity")
                assert error["code"] == "unknown_colleague"
            await sup.send({"type": "set_capacity", "staff_id": foreign_id, "max_chats": 5})
            assert (await sup.expect("error", ref="set_capacity"))["code"] == "unknown_colleague"
            await sup.send({"type": "set_capacity", "staff_id": anna_id, "max_chats": 0})
            assert (await sup.expect("error", ref="set_capacity"))["code"] == "invalid_frame"
            assert _capacity_rows(server, anna_id) == [1]

            # Back to the default: a second chat is taken again.
            await sup.send({"type": "set_capacity", "staff_id": anna_id, "max_chats": None})
            await sup.expect("capacity_set", staff_id=anna_id, max_chats=server.settings.max_chats)
            await anna.send({"type": "accept", "conversation_id": second})
            await anna.expect("accepted", conversation_id=second)
            assert _capacity_rows(server, anna_id) == []
            assert _audited(server, anna_id) == ["1", "default"]
            assert _capacity_rows(server, foreign_id) == []
        finally:
            for client in (anna, sup, partner_sup):
                await client.close()

    run_async(run())


# --- "open" counts only counselors available or busy ------------------------------------------


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, open_needs_staff=True, availability_cache_seconds=0)
    yield server
    server.stop()


def _open(srv: Server) -> tuple[bool, bool]:
    availability = httpx.get(srv.base + "/api/availability", timeout=30).json()
    return availability["open"], availability["staffed"]


async def _until_open(srv: Server, wanted: tuple[bool, bool]) -> None:
    for _ in range(500):
        if await asyncio.to_thread(_open, srv) == wanted:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {wanted}; now {_open(srv)}")


async def test_open_needs_someone_available_or_busy(srv: Server) -> None:
    _cid, token = add_staff_with_role(srv, Role.COUNSELOR, "c-" + secrets.token_hex(4))
    anna = await counselor(srv, token)
    try:
        await _until_open(srv, (True, True))
        await _set_status(anna, "break")
        await _until_open(srv, (False, False))
        await _set_status(anna, "busy")  # keeps their chats; visitors may still queue
        await _until_open(srv, (True, True))
        await _set_status(anna, "away")
        await _until_open(srv, (False, False))
        await _set_status(anna, "available")
        await _until_open(srv, (True, True))
    finally:
        await anna.close()


def test_a_transfer_respects_the_colleagues_capacity(server: Server) -> None:
    _anna_id, anna_token = staff(server)
    bert_id, bert_token = staff(server)
    _sup_id, sup_token = staff(server, Role.SUPERVISOR)

    async def run() -> None:
        anna = await counselor(server, anna_token)
        bert = await counselor(server, bert_token)
        sup = await counselor(server, sup_token)
        try:
            await sup.send({"type": "set_capacity", "staff_id": bert_id, "max_chats": 1})
            await sup.expect("capacity_set", staff_id=bert_id)
            await anna.send({"type": "colleagues_get"})
            colleagues = (await anna.expect("colleagues"))["colleagues"]
            assert [c["max_chats"] for c in colleagues if c["id"] == bert_id] == [1]
            chats = []
            for client in (bert, anna):
                conversation_id = server.start_visitor()[0]
                await client.send({"type": "accept", "conversation_id": conversation_id})
                await client.expect("accepted", conversation_id=conversation_id)
                chats.append(conversation_id)
            await anna.send(
                {"type": "transfer", "conversation_id": chats[1], "to_staff_id": bert_id}
            )
            refused = await anna.expect("error", ref="transfer")
            assert refused["code"] == "colleague_full" and "1 chats" in refused["message"]
        finally:
            for client in (anna, bert, sup):
                await client.close()

    run_async(run())
