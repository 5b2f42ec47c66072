"""Issue 16: pings count towards the per-socket frame budget (generously: a client pings once
every several seconds). A flood of pings is answered with ``rate_limited``, like any frame flood;
the socket stays usable once the flood stops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from baken.realtime.connection import FRAME_BURST
from tests.support import Server, run_async, start_server, visitor

# Far above the burst: even if the server took a long time over them, the bucket (30 a second)
# could not refill fast enough to let them all through.
PINGS = 1_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    yield srv
    srv.stop()


def test_a_flood_of_pings_is_rate_limited(server: Server) -> None:
    _conversation_id, token = server.start_visitor("Noor")

    async def scenario() -> None:
        guest = await visitor(server, token)
        try:
            for n in range(PINGS):
                await guest.send({"type": "ping", "t": n})
            limited = await guest.expect("error", timeout=30, code="rate_limited")
            assert limited["code"] == "rate_limited"
            pongs = [f for f in guest.frames if f.get("type") == "pong"]
            assert FRAME_BURST <= len(pongs) + 1 < PINGS
        finally:
            await guest.close()

    run_async(scenario())


def test_a_normal_ping_gets_its_pong(server: Server) -> None:
    _conversation_id, token = server.start_visitor("Noor")

    async def scenario() -> None:
        guest = await visitor(server, token)
        try:
            await guest.send({"type": "ping", "t": 7})
            pong = await guest.expect("pong", t=7)
            assert pong["t"] == 7
        finally:
            await guest.close()

    run_async(scenario())
