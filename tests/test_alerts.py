"""Alerts for supervisors (issue 15, item 3; docs/supervision.md, "Alerts"): computed by a periodic
job on an injected clock (the test moves the time and runs it; nothing waits), sent as an `alerts`
frame to the organisation's supervisors only, and only when they change — on SQLite and PostgreSQL.
Each organisation here is fresh, so the counts are exact."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, update

from baken.domain.conversation import Role
from baken.realtime.alerts import Alerts
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.return_code_repo import CodeState, Direction
from baken.store.tables import mailbox_messages, organisations, return_codes
from baken.team.alerts_repository import AlertRepository
from tests.authz_world import in_db
from tests.support import Client, Server, counselor, open_socket, run_async
from tests.test_staff_status import _set_status
from tests.test_timeouts import on_server
from tests.test_wellbeing import SLUGS, partner_organisation, staff


def _alerts(server: Server) -> Alerts:
    app: Any = server._server.config.app
    found: Alerts = app.state.baken.chat.alerts
    return found


async def alerts_at(
    server: Server, sup: Client, organisation_id: str, at: datetime
) -> list[dict[str, Any]]:
    """Run the job at this time; what it computed is what the supervisor's next frame says."""
    computed: dict[str, list[dict[str, Any]]] = await on_server(server, _alerts(server).run(at))
    frame = await sup.expect("alerts", timeout=10)
    assert frame["alerts"] == computed[organisation_id]
    found: list[dict[str, Any]] = frame["alerts"]
    return found


def kinds_of(alerts: list[dict[str, Any]]) -> set[str]:
    return {a["kind"] for a in alerts}


def one(alerts: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    found = [a for a in alerts if a["kind"] == kind]
    return found[0] if found else None


def start_in(server: Server, organisation_id: str, danger: bool = False) -> tuple[str, str]:
    """A visitor of this organisation: (conversation id, visitor token)."""
    response = httpx.post(
        f"{server.base}/o/{SLUGS[organisation_id]}/api/visitor/start",
        json={"nickname": None, "lang": "nl", "danger": danger},
        headers={"Origin": server.origin},
        timeout=20,
    )
    response.raise_for_status()
    header = response.headers["set-cookie"]
    token = header.split("=", 1)[1].split(";", 1)[0]
    return response.json()["conversation"]["id"], token


def test_alerts_reach_the_supervisors_as_things_need_attention(server: Server) -> None:
    org = partner_organisation(server)
    _sup_id, sup_token = staff(server, Role.SUPERVISOR, org)
    _cid, counselor_token = staff(server, Role.COUNSELOR, org)
    _other, other_sup_token = staff(server, Role.SUPERVISOR)  # another organisation's

    async def run() -> None:
        sup = await counselor(server, sup_token)
        anna = await counselor(server, counselor_token)
        other = await counselor(server, other_sup_token)
        visitor: Client | None = None
        try:
            now = utcnow()
            assert await alerts_at(server, sup, org, now) == []
            waiting, _t = start_in(server, org)
            # Eleven minutes later (the clock is moved, nobody waits).
            later = now + timedelta(minutes=11)
            alerts = await alerts_at(server, sup, org, later)
            assert kinds_of(alerts) == {"long_wait"}
            long_wait = one(alerts, "long_wait")
            assert long_wait is not None and long_wait["count"] == 1
            assert long_wait["longest_seconds"] >= 10 * 60 and long_wait["minutes"] == 10

            # The counselor is busy and the supervisor (who takes chats too) on a break: the
            # visitors waiting have nobody to go to.
            await _set_status(anna, "busy")
            await _set_status(sup, "break")
            alerts = await alerts_at(server, sup, org, later)
            assert kinds_of(alerts) == {"long_wait", "all_at_capacity"}
            await _set_status(anna, "available")
            await _set_status(sup, "available")
            urgent, urgent_token = start_in(server, org, danger=True)
            alerts = await alerts_at(server, sup, org, later)
            assert kinds_of(alerts) == {"long_wait", "urgent_waiting"}
            assert (one(alerts, "urgent_waiting") or {})["count"] == 1

            # Both are taken; the urgent visitor writes and gets no answer for six minutes.
            for conversation_id in (urgent, waiting):
                await anna.send({"type": "accept", "conversation_id": conversation_id})
                await anna.expect("accepted", conversation_id=conversation_id)
            visitor = await open_socket(server, "/ws/visitor", urgent_token)
            await visitor.expect("welcome")
            await visitor.send(
                {"type": "send", "conversation_id": urgent, "client_msg_id": "v1", "text": "Help"}
            )
            await visitor.expect("ack", client_msg_id="v1")
            six = utcnow() + timedelta(minutes=6)
            alerts = await alerts_at(server, sup, org, six)
            silent = one(alerts, "counselor_silent")
            assert silent is not None and silent["conversation_ids"] == [urgent], alerts

            # The counselor answers: the alert is gone at the next round.
            await anna.send(
                {
                    "type": "send",
                    "conversation_id": urgent,
                    "client_msg_id": "c1",
                    "text": "Ik ben er.",
                }
            )
            await anna.expect("ack", client_msg_id="c1")
            assert one(await alerts_at(server, sup, org, six), "counselor_silent") is None

            # Nothing changed since: nothing is sent again.
            before = len([f for f in sup.frames if f.get("type") == "alerts"])
            await on_server(server, _alerts(server).run(six))
            await sup.send({"type": "ping", "t": 7})
            await sup.expect("pong")
            assert len([f for f in sup.frames if f.get("type") == "alerts"]) == before

            # Another organisation's supervisor never hears of these; a counselor gets none.
            assert all(
                not (f.get("alerts") or [])
                or all(a.get("conversation_ids", []) != [urgent] for a in f["alerts"])
                for f in other.frames
                if f.get("type") == "alerts"
            )
            assert not [f for f in anna.frames if f.get("type") == "alerts"]
        finally:
            for client in (sup, anna, other, visitor):
                if client is not None:
                    await client.close()

    run_async(run())


def test_queue_near_its_cap(server: Server) -> None:
    org = partner_organisation(server)
    _sup_id, sup_token = staff(server, Role.SUPERVISOR, org)

    async def cap(db: Database) -> None:
        async with db.writer.begin() as conn:
            await conn.execute(
                update(organisations).where(organisations.c.id == org).values(queue_max=2)
            )

    in_db(server, cap)

    async def run() -> None:
        sup = await counselor(server, sup_token)
        try:
            start_in(server, org)
            assert "queue_near_cap" not in kinds_of(await alerts_at(server, sup, org, utcnow()))
            start_in(server, org)
            near = one(await alerts_at(server, sup, org, utcnow()), "queue_near_cap")
            assert near == {"kind": "queue_near_cap", "count": 2, "cap": 2}
        finally:
            await sup.close()

    run_async(run())


def test_unanswered_left_messages_are_counted_after_the_limit(server: Server) -> None:
    org = partner_organisation(server)
    base = 1_800_000_000_000  # ms; rows are written directly (bodies are never read here)

    async def work(db: Database) -> list[int]:
        codes = []
        for _ in range(3):
            code_id = "r_" + secrets.token_hex(8)
            codes.append(code_id)
            async with db.writer.begin() as conn:
                await conn.execute(
                    insert(return_codes).values(
                        id=code_id,
                        organisation_id=org,
                        code_hash=secrets.token_hex(32),
                        state=CodeState.ACTIVE,
                        created_at=utcnow(),
                        key_id="k",
                    )
                )
        rows = [
            (codes[0], 1, Direction.TO_STAFF, base),  # unanswered
            (codes[1], 1, Direction.TO_STAFF, base),
            (codes[1], 2, Direction.TO_VISITOR, base + 1000),  # answered
            (codes[2], 1, Direction.TO_STAFF, base + 10 * 3_600_000),  # too recent
        ]
        async with db.writer.begin() as conn:
            for code_id, seq, direction, at in rows:
                await conn.execute(
                    insert(mailbox_messages).values(
                        return_code_id=code_id,
                        seq=seq,
                        direction=direction,
                        body=b"x",
                        sent_at_ms=at,
                    )
                )
        repo = AlertRepository(db)
        return [
            await repo.unanswered_left_messages(org, base - 1),
            await repo.unanswered_left_messages(org, base + 3_600_000),
            await repo.unanswered_left_messages(org, base + 11 * 3_600_000),
        ]

    assert in_db(server, work) == [0, 1, 2]
