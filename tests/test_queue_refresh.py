"""The estimates' refresh is paced (issue 21): with 18,000 waiting, re-sending every estimate in
turns of 250 held each chat message up by every turn it needed (p99 190 ms beside the waiting
line). Counted, never timed: how many waiting visitors the refresh looks at between two turns of
the event loop, and that it still reaches the whole line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from baken.realtime.hub import REFRESH_SLICE, Hub
from tests.support import counselor, start_server, visitor
from tests.test_staff_status import _set_status
from tests.test_start_cost import _chat, on_server


async def test_a_refresh_reaches_the_whole_line_a_slice_per_turn(tmp_path: Path) -> None:
    waiting = 3 * REFRESH_SLICE + 40
    srv = start_server(tmp_path, queue_max=waiting + 10, max_chats=10)
    try:
        _sid, staff_token = srv.add_staff()
        c = await counselor(srv, staff_token)
        for _ in range(3):  # a service rate, so that every waiting visitor has an estimate
            srv.start_visitor()
            await c.send({"type": "take_next"})
            await c.expect("accepted")
        started = [srv.start_visitor() for _ in range(waiting)]
        watched = {}
        for position in (1, REFRESH_SLICE + 1, waiting):
            conversation_id, token = started[position - 1]
            v = await visitor(srv, token)
            info = v.frames[0]["conversations"][0]
            assert info["position"] == position and info["estimated_wait_seconds"] is not None
            watched[position] = (conversation_id, v)

        hub = _chat(srv).hub
        looked_at: list[str] = []
        tell_place = hub._tell_place

        def counting(*args: Any) -> None:
            looked_at.append(args[0])
            tell_place(*args)

        async def turns_of_the_refresh(the_hub: Hub) -> list[int]:
            """Visitors looked at per turn of the loop while a refresh runs."""
            # A refresh already under way (the counselor's sign-in asked for one) ends first.
            while the_hub._refresh_task is not None and not the_hub._refresh_task.done():
                await asyncio.sleep(0.01)
            per_turn = []
            seen = 0
            the_hub.refresh_queue()
            task = the_hub._refresh_task
            assert task is not None
            while not task.done():
                await asyncio.sleep(0)
                per_turn.append(len(looked_at) - seen)
                seen = len(looked_at)
            return per_turn

        hub._tell_place = counting  # type: ignore[method-assign,assignment]
        try:
            per_turn = await on_server(srv, turns_of_the_refresh(hub))
        finally:
            del hub._tell_place
        # Everyone in the line (the server's own 30-s refresh may add a second pass meanwhile).
        assert set(looked_at) == {conversation_id for conversation_id, _token in started}
        assert max(per_turn) <= REFRESH_SLICE
        assert sum(1 for n in per_turn if n) >= 4  # in slices, with turns in between

        # The real path: the only counselor goes on a break, so nobody's estimate holds any
        # more; the paced refresh that follows tells the whole line, its last slice too.
        await _set_status(c, "break")
        for position, (conversation_id, v) in watched.items():
            place = await v.expect("place", conversation_id=conversation_id, timeout=10)
            assert place["position"] == position
            assert place["estimated_wait_seconds"] is None
    finally:
        srv.stop()
