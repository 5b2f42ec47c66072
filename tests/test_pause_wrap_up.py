"""Team operations (issue 15, items 1 and 6; docs/wellbeing.md, docs/supervision.md): the pause
after a heavy chat is a wrap-up with the pause's timer — no new chats, capped like every wrap-up,
available again when it ends — and a supervisor's take-over counts their own capacity, like accept
and take-next. Over the staff socket, on SQLite and PostgreSQL, with injected clocks.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from baken.domain.conversation import Role
from baken.domain.staff_status import StaffStatus, wrap_up_until
from baken.realtime.staff_status import StaffStatuses
from baken.realtime.wellbeing import Wellbeing
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    assigned_conversation,
    counselor,
    run_async,
)
from tests.test_counselor_tools import pair
from tests.test_wellbeing import staff

NOON = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)


def test_a_wrap_up_ends_at_the_pause_or_its_maximum_whichever_is_first() -> None:
    ten = timedelta(minutes=10)
    assert wrap_up_until(NOON, 10) == NOON + ten
    assert wrap_up_until(NOON, 10, NOON + timedelta(minutes=4)) == NOON + timedelta(minutes=4)
    assert wrap_up_until(NOON, 10, NOON + timedelta(minutes=60)) == NOON + ten


# --- on a real server ----------------------------------------------------------------------------


def _chat(server: Server) -> Any:
    app: Any = server._server.config.app
    return app.state.baken.chat


@pytest.fixture
def clock(server: Server) -> Iterator[list[datetime]]:
    """One time for the statuses and the pauses, set by the test; put back afterwards."""
    statuses: StaffStatuses = _chat(server).statuses
    wellbeing: Wellbeing = _chat(server).wellbeing
    started = datetime.now(UTC)
    # Whole milliseconds: times go over the wire with millisecond precision.
    now = [started.replace(microsecond=started.microsecond // 1000 * 1000)]
    originals = statuses.clock, wellbeing.clock
    statuses.clock = wellbeing.clock = lambda: now[0]
    try:
        yield now
    finally:
        statuses.clock, wellbeing.clock = originals


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


async def _pause(client: Client, minutes: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask for a pause; the console's two answers: the pause's state and the status."""
    await client.send({"type": "pause", "minutes": minutes})
    state = await client.expect("pause_state", timeout=10)
    status = await client.expect("staff_status", timeout=10)
    return state, status


def test_a_pause_is_a_wrap_up_with_its_timer(server: Server, clock: list[datetime]) -> None:
    anna_id, anna_token = staff(server)
    statuses: StaffStatuses = _chat(server).statuses
    cap = server.settings.wrap_up_max_minutes
    # The pause offered fits in a wrap-up (a longer one would be cut short anyway).
    offered = min(server.settings.wellbeing_pause_minutes, cap)

    async def run() -> None:
        anna = await counselor(server, anna_token)
        try:
            await anna.send({"type": "wellbeing_get"})
            assert (await anna.expect("wellbeing"))["pause_minutes"] == offered

            state, status = await _pause(anna, offered)
            until = _at(state["until"])
            assert until == clock[0] + timedelta(minutes=offered)
            assert status["status"] == "wrap_up" and _at(status["until"]) == until
            assert statuses.of(anna_id) is StaffStatus.WRAP_UP
            # No new chats during the pause: take-next and accept refuse, as for any wrap-up.
            waiting = server.start_visitor()[0]
            await anna.send({"type": "take_next"})
            refused = await anna.expect("error", ref="take_next")
            assert refused["code"] == "not_available" and "wrap_up" in refused["message"]
            await anna.send({"type": "accept", "conversation_id": waiting})
            assert (await anna.expect("error", ref="accept"))["code"] == "not_available"

            # The pause ends at its time: the wrap-up's own end makes her available, and the
            # console hears both (the timer stops, the status is back).
            assert statuses.tick(until - timedelta(seconds=1)) == []
            clock[0] = until
            assert statuses.tick() == [anna_id]
            back = await anna.expect("staff_status", status="available", timeout=10)
            assert back["until"] is None
            assert (await anna.expect("pause_state", timeout=10))["until"] is None
            await anna.send({"type": "accept", "conversation_id": waiting})
            await anna.expect("accepted", conversation_id=waiting)
        finally:
            await anna.close()

    run_async(run())


def test_a_long_pause_is_capped_like_every_wrap_up(server: Server, clock: list[datetime]) -> None:
    _id, token = staff(server)
    cap = timedelta(minutes=server.settings.wrap_up_max_minutes)

    async def run() -> None:
        client = await counselor(server, token)
        try:
            state, status = await _pause(client, 60)  # the most a pause frame may ask
            assert _at(state["until"]) == clock[0] + cap
            assert status["status"] == "wrap_up" and _at(status["until"]) == clock[0] + cap
            await client.send({"type": "wellbeing_get"})
            day = await client.expect("wellbeing")
            assert _at(day["pause_until"]) == clock[0] + cap
        finally:
            await client.close()

    run_async(run())


def test_ending_the_pause_or_choosing_a_status_ends_both(
    server: Server, clock: list[datetime]
) -> None:
    bert_id, token = staff(server)
    statuses: StaffStatuses = _chat(server).statuses
    wellbeing: Wellbeing = _chat(server).wellbeing

    async def run() -> None:
        client = await counselor(server, token)
        try:
            # Ended early: available at once.
            await _pause(client, 5)
            await client.send({"type": "pause", "minutes": 0})
            assert (await client.expect("pause_state", timeout=10))["until"] is None
            back = await client.expect("staff_status", status="available", timeout=10)
            assert back["until"] is None
            assert wellbeing.paused_until(bert_id) is None

            # Another status chosen during a pause ends the pause too, and keeps that status.
            await _pause(client, 5)
            await client.send({"type": "set_status", "status": "busy"})
            await client.expect("staff_status", status="busy", timeout=10)
            assert (await client.expect("pause_state", timeout=10))["until"] is None
            assert wellbeing.paused_until(bert_id) is None
            assert statuses.of(bert_id) is StaffStatus.BUSY

            # "End the pause" with no pause running changes no status.
            before = len(client.frames)
            await client.send({"type": "pause", "minutes": 0})
            await client.expect("pause_state", timeout=10)
            await client.send({"type": "ping", "t": 1})
            await client.expect("pong")
            assert not [f for f in client.frames[before:] if f.get("type") == "staff_status"]
            assert statuses.of(bert_id) is StaffStatus.BUSY
            await client.send({"type": "set_status", "status": "available"})
            await client.expect("staff_status", status="available", timeout=10)
        finally:
            await client.close()

    run_async(run())


# --- take-over counts the supervisor's own capacity ----------------------------------------------


def test_take_over_uses_the_supervisors_own_capacity(server: Server) -> None:
    max_chats = server.settings.max_chats
    name = "Toezicht-" + secrets.token_hex(2)
    sup_id, sup_token = add_staff_with_role(
        server, Role.SUPERVISOR, "sup-" + secrets.token_hex(4), name
    )
    # The supervisor already holds as many chats as BAKEN_MAX_CHATS allows.
    for _ in range(max_chats):
        assigned_conversation(server, sup_id, name)

    async def run() -> None:
        first, v1, c1, _c1 = await pair(server)
        second, v2, c2, _c2 = await pair(server, "Bert")
        sup = await counselor(server, sup_token)
        try:
            await sup.send({"type": "take_over", "conversation_id": first})
            refused = await sup.expect("error", ref="take_over")
            assert refused["code"] == "at_capacity"
            assert f"{max_chats} chats" in refused["message"]

            # One more for this supervisor (set by a supervisor, as for accept and take-next).
            await sup.send({"type": "set_capacity", "staff_id": sup_id, "max_chats": max_chats + 1})
            await sup.expect("capacity_set", staff_id=sup_id)
            await sup.send({"type": "take_over", "conversation_id": first})
            await sup.expect("taken_over", conversation_id=first)

            # Full again, at their own capacity: the answer names it.
            await sup.send({"type": "take_over", "conversation_id": second})
            refused = await sup.expect("error", ref="take_over")
            assert refused["code"] == "at_capacity"
            assert f"{max_chats + 1} chats" in refused["message"]
        finally:
            for client in (sup, v1, c1, v2, c2):
                await client.close()

    run_async(run())
