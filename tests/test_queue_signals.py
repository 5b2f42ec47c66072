"""The risk-ranked queue over the wire (issue 19, item 3; docs/signals.md): a waiting visitor's
first message is stored like any message, read by the detector, and a later visitor with possible
acute danger is offered first — on SQLite and PostgreSQL; `BAKEN_SIGNALS=false` keeps arrival order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import server_on
from tests.support import Server, counselor, send_frame, start_server, visitor

ACUTE = "de baas heeft mijn paspoort en hij staat nu voor de deur"


@pytest.fixture(params=["sqlite", "postgres"])
def ranked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with server_on(request.param, tmp_path, max_chats=5) as srv:
        yield srv


def _first(frame: dict[str, Any]) -> str | None:
    entries = frame.get("entries") or [None]
    return entries[0]["conversation_id"] if entries[0] else None


async def test_a_later_visitor_in_acute_danger_is_offered_first(ranked: Server) -> None:
    earlier, earlier_token = ranked.start_visitor("Eerst")
    later, later_token = ranked.start_visitor("Later")
    _sid, staff_token = ranked.add_staff()
    c = await counselor(ranked, staff_token)
    a = await visitor(ranked, earlier_token)
    b = await visitor(ranked, later_token)
    try:
        queue = await c.expect("queue")
        if _first(queue) != earlier:  # the queue as it stood before anyone wrote
            queue = await c.seen(lambda f: f.get("type") == "queue" and _first(f) == earlier)
        assert [e["ranked_by"] for e in queue["entries"]] == [[], []]
        assert a.frames[0]["conversations"][0]["position"] == 1

        # The earlier visitor writes something ordinary; the later one possible acute danger.
        await a.send(send_frame(earlier, "a1", "hoi, ik wil iets vragen over mijn werk"))
        await a.expect("ack", client_msg_id="a1")
        await b.send(send_frame(later, "b1", ACUTE))
        ack = await b.expect("ack", client_msg_id="b1")
        assert ack["seq"] == 1

        ranked_queue = await c.seen(lambda f: f.get("type") == "queue" and _first(f) == later)
        assert [e["conversation_id"] for e in ranked_queue["entries"]] == [later, earlier]
        assert ranked_queue["entries"][0]["ranked_by"] == ["acute_signal", "signals"]
        assert ranked_queue["entries"][0]["urgent"] is False  # not self-declared
        assert ranked_queue["entries"][1]["ranked_by"] == []
        # The earlier visitor is told their new place (and only that: no reason, no words).
        moved = await a.seen(lambda f: f.get("type") == "place" and f["position"] == 2)
        assert set(moved) == {"type", "conversation_id", "position", "estimated_wait_seconds"}
        assert not [f for f in a.frames + b.frames if f.get("type") == "signals"]

        await c.send({"type": "take_next"})
        assert (await c.expect("accepted"))["conversation_id"] == later
        # The counselor who accepts reads the first message, stored like any other.
        caught_up = await c.seen(
            lambda f: (
                f.get("type") == "messages" and f["conversation_id"] == later and f["messages"]
            )
        )
        first = caught_up["messages"][0]
        assert (first["sender"], first["text"]) == ("visitor", ACUTE)
        # And sees what the detector found in it, marked like any later message (signals.md).
        marks = await c.seen(lambda f: f.get("type") == "signals" and f["conversation_id"] == later)
        assert marks["seq"] == 1
        assert marks["labels"] == ["retention_of_documents", "acute_danger"]
        # Taken: the queue's reading is cleared; the earlier visitor is next again.
        await a.seen(lambda f: f.get("type") == "place" and f["position"] == 1)
        await b.send({"type": "ping", "t": 1})
        await b.expect("pong")
        assert not [f for f in a.frames + b.frames if f.get("type") == "signals"]
    finally:
        for client in (a, b, c):
            await client.close()


async def test_off_keeps_arrival_order(tmp_path: Path) -> None:
    server = start_server(tmp_path, signals=False)
    try:
        app: Any = server._server.config.app  # the FastAPI app of this in-process server
        assert app.state.baken.chat.queue_signals is None
        earlier, _ = server.start_visitor("Eerst")
        later, later_token = server.start_visitor("Later")
        _sid, staff_token = server.add_staff()
        c = await counselor(server, staff_token)
        b = await visitor(server, later_token)
        await b.send(send_frame(later, "b1", ACUTE))
        await b.expect("ack", client_msg_id="b1")
        await c.send({"type": "take_next"})
        assert (await c.expect("accepted"))["conversation_id"] == earlier
        await b.close()
        await c.close()
    finally:
        server.stop()
