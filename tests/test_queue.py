"""The queue over the wire: danger first, take-next, caps, and a wait estimate from real accepts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import Server, counselor, start_server, visitor


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, queue_max=4, max_chats=10)
    yield srv
    srv.stop()


def start(srv: Server, **body: object) -> httpx.Response:
    return httpx.post(srv.base + "/api/visitor/start", json=body, headers={"Origin": srv.origin})


async def test_danger_goes_first_and_take_next_takes_it(fresh: Server) -> None:
    first, _ = fresh.start_visitor("eerste")
    young = start(fresh, age_band="under_16").json()["conversation"]
    urgent = start(fresh, danger=True).json()["conversation"]
    assert urgent["position"] == 1 and urgent["urgent"] is True
    assert young["urgent"] is False

    _sid, token = fresh.add_staff()
    c = await counselor(fresh, token)
    queue = await c.expect("queue")
    assert [e["conversation_id"] for e in queue["entries"]] == [urgent["id"], young["id"], first]
    assert [e["urgent"] for e in queue["entries"]] == [True, False, False]

    await c.send({"type": "take_next"})
    assert (await c.expect("accepted"))["conversation_id"] == urgent["id"]
    await c.send({"type": "take_next"})
    assert (await c.expect("accepted"))["conversation_id"] == young["id"]
    await c.send({"type": "take_next"})
    assert (await c.expect("accepted"))["conversation_id"] == first
    await c.send({"type": "take_next"})
    assert (await c.expect("error", ref="take_next"))["code"] == "queue_empty"


async def test_waiting_visitors_get_an_estimate_once_chats_are_taken(fresh: Server) -> None:
    _sid, token = fresh.add_staff()
    c = await counselor(fresh, token)
    for _ in range(3):  # three accepts make a service rate
        fresh.start_visitor()
        await c.send({"type": "take_next"})
        await c.expect("accepted")
    _cid, vtoken = fresh.start_visitor()
    v = await visitor(fresh, vtoken)
    info = v.frames[0]["conversations"][0]
    assert info["position"] == 1
    assert isinstance(info["estimated_wait_seconds"], int) and info["estimated_wait_seconds"] >= 0


def test_queue_cap_refuses_calmly_but_never_someone_in_danger(fresh: Server) -> None:
    for _ in range(4):
        assert start(fresh).status_code == 200
    full = start(fresh)
    assert full.status_code == 503
    assert full.json()["error"] == "queue_full"
    assert "set-cookie" not in full.headers
    assert start(fresh, danger=True).status_code == 200
    page = httpx.post(fresh.base + "/start", data={"lang": "nl"}, headers={"Origin": fresh.origin})
    assert page.status_code == 503
    assert "112" in page.text


@pytest.mark.parametrize(
    "body",
    [{"danger": "yes"}, {"danger": 1}, {"age_band": "12"}, {"age_band": ["under_16"]}],
)
def test_start_rejects_bad_queue_fields(fresh: Server, body: dict[str, object]) -> None:
    response = start(fresh, **body)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_danger", "invalid_age_band")


async def test_a_burst_of_simultaneous_starts_does_not_overshoot_the_cap(fresh: Server) -> None:
    import asyncio

    async with httpx.AsyncClient(base_url=fresh.base, headers={"Origin": fresh.origin}) as client:
        answers = await asyncio.gather(
            *(client.post("/api/visitor/start", json={}) for _ in range(20))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 4 and codes.count(503) == 16
    assert all(a.json()["error"] == "queue_full" for a in answers if a.status_code == 503)


async def test_the_estimate_moves_with_the_place_after_each_accept(fresh: Server) -> None:
    _sid, token = fresh.add_staff()
    c = await counselor(fresh, token)
    for _ in range(3):  # a service rate first
        fresh.start_visitor()
        await c.send({"type": "take_next"})
        await c.expect("accepted")
    first_id, _ = fresh.start_visitor()
    second_id, second_token = fresh.start_visitor()
    v = await visitor(fresh, second_token)
    info = v.frames[0]["conversations"][0]
    assert info["id"] == second_id and info["position"] == 2
    await c.send({"type": "accept", "conversation_id": first_id})
    await c.expect("accepted", conversation_id=first_id)
    place = await v.expect("place", conversation_id=second_id)
    assert place["position"] == 1
    # One place closer and one more accept in the rate: the estimate does not grow.
    assert isinstance(place["estimated_wait_seconds"], int)
    assert place["estimated_wait_seconds"] <= info["estimated_wait_seconds"]
    assert set(place) == {"type", "conversation_id", "position", "estimated_wait_seconds"}


async def test_places_reach_the_whole_line_when_they_go_out_in_slices(tmp_path: Path) -> None:
    # 600 waiting: the places go out in slices of PLACES_PER_TURN (the loop turns between
    # them); after an accept at the front, visitors in the first, second and last slice each
    # get their new place, and the one who was taken gets none.
    from baken.realtime.hub import PLACES_PER_TURN

    waiting = 600
    assert waiting > 2 * PLACES_PER_TURN
    srv = start_server(tmp_path, queue_max=waiting + 10, max_chats=10)
    try:
        _sid, staff_token = srv.add_staff()
        c = await counselor(srv, staff_token)
        started = [srv.start_visitor() for _ in range(waiting)]
        watched = {}
        for position in (2, PLACES_PER_TURN + 10, waiting):
            conversation_id, token = started[position - 1]
            v = await visitor(srv, token)
            assert v.frames[0]["conversations"][0]["position"] == position
            watched[position] = (conversation_id, v)
        await c.send({"type": "accept", "conversation_id": started[0][0]})
        await c.expect("accepted", conversation_id=started[0][0])
        for position, (conversation_id, v) in watched.items():
            place = await v.expect("place", conversation_id=conversation_id)
            assert place["position"] == position - 1
    finally:
        srv.stop()
