"""Nothing left hanging (issue 15): a visitor who is gone leaves the queue, a silent chat is warned
and then closed, a visitor who comes back in time keeps everything — on SQLite and PostgreSQL, and
across a restart. The server's own clock is not moved: each test calls the sweep with a time of
its choosing (the clock is injected), so nothing here waits for minutes to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

import baken.realtime.timeouts as timeouts_module
from baken.config import Settings
from baken.realtime.timeouts import SweepResult, Timeouts
from baken.store.clock import utcnow
from tests.conftest import _postgres_or_skip
from tests.support import Server, counselor, postgres_database, start_server, visitor

T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    _postgres_or_skip()
    with postgres_database() as url:
        yield url


# The shipped limits (tests/support.py puts them out of the way for every other test).
DEFAULT_LIMITS = {
    name: Settings.model_fields[name].default
    for name in ("queue_gone_seconds", "active_gone_minutes", "idle_minutes")
}


@pytest.fixture
def srv(tmp_path: Path, database_url: str) -> Iterator[Server]:
    server = start_server(tmp_path, database_url=database_url, max_chats=10, **DEFAULT_LIMITS)
    yield server
    server.stop()


def _timeouts(server: Server) -> Timeouts:
    app: Any = server._server.config.app
    timeouts: Timeouts = app.state.baken.chat.timeouts
    return timeouts


async def on_server(server: Server, work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the server's own event loop (its database engines live there)."""
    loop = _timeouts(server).loop
    assert loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


async def sweep(server: Server, at: datetime) -> SweepResult:
    return await on_server(server, _timeouts(server).sweep(at))


async def gone_from_hub(server: Server, conversation_id: str) -> None:
    """Wait until the server noticed the visitor's socket closed (a state, not a time)."""
    timeouts = _timeouts(server)
    for _ in range(400):
        if conversation_id not in timeouts.present():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server still counts the closed socket as present")


def timed_out(frame: dict[str, Any]) -> bool:
    return frame.get("type") == "conversation" and frame["conversation"]["ended_by"] == "timeout"


async def test_a_waiting_visitor_who_is_gone_leaves_the_queue(srv: Server) -> None:
    limits = _timeouts(srv).limits
    cid, token = srv.start_visitor("Weg")
    stays, stays_token = srv.start_visitor("Blijft")
    v = await visitor(srv, token)
    keep = await visitor(srv, stays_token)
    seen_at = utcnow()
    assert await on_server(srv, _timeouts(srv).write_presence(seen_at)) == 2
    await v.close()
    await gone_from_hub(srv, cid)

    _sid, staff_token = srv.add_staff()
    c = await counselor(srv, staff_token)
    await c.expect("queue")
    just_in_time = await sweep(srv, seen_at + limits.queue_gone - timedelta(seconds=1))
    assert just_in_time.left == []
    late = await sweep(srv, seen_at + limits.queue_gone + timedelta(seconds=1))
    assert late.left == [cid]  # the one still connected stays, whatever the clock says
    queue = await c.seen(
        lambda f: (
            f.get("type") == "queue" and cid not in {e["conversation_id"] for e in f["entries"]}
        )
    )
    assert [e["conversation_id"] for e in queue["entries"]] == [stays]
    # Ended as "left", and the sweep on another process (or again) changes nothing.
    record = await on_server(srv, _timeouts(srv).repo.get(cid))
    assert record is not None and record.state.value == "ended"
    assert record.ended_by is not None and record.ended_by.value == "left"
    assert (await sweep(srv, seen_at + timedelta(hours=1))).left == []
    await keep.close()
    await c.close()


async def test_presence_is_written_in_parts_and_reaches_every_row(
    srv: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parts of two rows (the shipped part is 500): five visitors take three parts, each sorted,
    # together every one of them. The server's own presence loop may write meanwhile: only the
    # writes with this test's time are counted.
    monkeypatch.setattr(timeouts_module, "PRESENCE_PART", 2)
    repo = _timeouts(srv).repo
    started = [srv.start_visitor() for _ in range(5)]
    sockets = [await visitor(srv, token) for _cid, token in started]
    seen_at = utcnow() - timedelta(seconds=1)
    parts: list[list[str]] = []
    write = repo.mark_visitors_seen

    async def recording(ids: list[str], at: datetime) -> None:
        if at == seen_at:
            parts.append(list(ids))
        await write(ids, at)

    monkeypatch.setattr(repo, "mark_visitors_seen", recording)
    assert await on_server(srv, _timeouts(srv).write_presence(seen_at)) == 5
    assert [len(part) for part in parts] == [2, 2, 1]
    assert all(part == sorted(part) for part in parts)
    assert sorted(cid for part in parts for cid in part) == sorted(cid for cid, _ in started)
    for v in sockets:
        await v.close()


async def test_each_visitor_socket_counts_and_a_staff_socket_does_not(srv: Server) -> None:
    cid, token = srv.start_visitor()
    first = await visitor(srv, token)
    second = await visitor(srv, token)  # a second tab
    _sid, staff_token = srv.add_staff()
    c = await counselor(srv, staff_token)
    await c.send({"type": "accept", "conversation_id": cid})
    await c.expect("accepted", conversation_id=cid)
    hub = _timeouts(srv).hub
    assert hub.visitor_sockets[cid] == 2
    await first.close()
    for _ in range(400):  # until the server has let go of the first tab
        if hub.visitor_sockets.get(cid) == 1:
            break
        await asyncio.sleep(0.01)
    assert cid in _timeouts(srv).present()
    await second.close()
    await gone_from_hub(srv, cid)
    assert cid not in hub.visitor_sockets
    assert hub.by_conversation.get(cid)  # the counselor still follows the chat


async def test_a_visitor_who_reconnects_within_the_grace_period_keeps_their_place(
    srv: Server,
) -> None:
    limits = _timeouts(srv).limits
    cid, token = srv.start_visitor("Terug")
    v = await visitor(srv, token)
    place = v.frames[0]["conversations"][0]["position"]
    await v.close()
    await gone_from_hub(srv, cid)
    again = await visitor(srv, token)  # back on a new socket before the limit
    result = await sweep(srv, utcnow() + limits.queue_gone * 10)
    assert result.left == []
    assert again.frames[0]["conversations"][0]["position"] == place
    await again.close()


async def test_a_silent_chat_is_warned_once_then_closed_for_both_sides(srv: Server) -> None:
    limits = _timeouts(srv).limits
    cid, token = srv.start_visitor("Stil")
    v = await visitor(srv, token)
    _sid, staff_token = srv.add_staff()
    c = await counselor(srv, staff_token)
    await c.send({"type": "accept", "conversation_id": cid})
    await c.expect("accepted")
    accepted = utcnow()
    for client in (v, c):  # both read the transcript, as the pages do: then lines come live
        await client.send({"type": "sync", "conversation_id": cid, "after_seq": 0})

    def warning(frame: dict[str, Any]) -> bool:
        found = [frame.get("message")] if frame.get("type") == "message" else []
        found += frame.get("messages", []) if frame.get("type") == "messages" else []
        return any(m and m.get("event") == "timeout_warning" for m in found)

    early = await sweep(srv, accepted + limits.idle - limits.warning - timedelta(seconds=5))
    assert early.warned == [] and early.timed_out == []
    warned = await sweep(srv, accepted + limits.idle - limits.warning + timedelta(seconds=5))
    assert warned.warned == [cid]
    await v.seen(warning)
    await c.seen(warning)
    again = await sweep(srv, accepted + limits.idle - timedelta(seconds=5))
    assert again.warned == [] and again.timed_out == []  # warned once, not every sweep
    closed = await sweep(srv, accepted + limits.idle + timedelta(seconds=5))
    assert closed.timed_out == [cid]
    for client in (c, v):
        await client.seen(timed_out)
    await v.close()
    await c.close()


async def test_a_chat_the_sweep_cannot_settle_does_not_stop_the_others(
    srv: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen under load on PostgreSQL: one chat whose key could not be unwrapped failed the whole
    sweep, every round, so no chat after it was ever warned or closed."""
    limits = _timeouts(srv).limits
    _sid, staff_token = srv.add_staff()
    c = await counselor(srv, staff_token)
    chats = []
    for name in ("Een", "Twee", "Drie"):
        cid, _token = srv.start_visitor(name)
        await c.send({"type": "accept", "conversation_id": cid})
        await c.expect("accepted")
        chats.append(cid)
    accepted = utcnow()
    repo = _timeouts(srv).repo
    real_end = repo.end
    broken = chats[1]

    async def end(conversation_id: str, *args: Any, **kwargs: Any) -> Any:
        if conversation_id == broken:
            raise RuntimeError("this chat's key cannot be unwrapped")
        return await real_end(conversation_id, *args, **kwargs)

    monkeypatch.setattr(repo, "end", end)
    # No visitor has a socket here: all three are due to be closed as gone.
    closed = await sweep(srv, accepted + limits.active_gone + timedelta(seconds=5))
    assert sorted(closed.timed_out) == sorted([chats[0], chats[2]])
    # Once it can be settled, the next round does.
    monkeypatch.setattr(repo, "end", real_end)
    later = await sweep(srv, accepted + limits.active_gone + timedelta(seconds=15))
    assert later.timed_out == [broken]
    await c.close()


async def test_writing_keeps_a_chat_open_and_a_gone_visitor_closes_it(srv: Server) -> None:
    limits = _timeouts(srv).limits
    cid, token = srv.start_visitor("Praat")
    v = await visitor(srv, token)
    _sid, staff_token = srv.add_staff()
    c = await counselor(srv, staff_token)
    await c.send({"type": "accept", "conversation_id": cid})
    await c.expect("accepted")
    await sweep(srv, utcnow() + limits.idle - limits.warning + timedelta(seconds=5))  # warned
    # The visitor writes: the silence is over, the chat stays open past the first deadline.
    await v.send({"type": "send", "conversation_id": cid, "client_msg_id": "a", "text": "ja"})
    await v.expect("ack")
    wrote = utcnow()
    kept = await sweep(srv, wrote + limits.idle - limits.warning - timedelta(seconds=5))
    assert kept.timed_out == [] and kept.warned == []
    # The visitor's connection is gone: the chat closes after the (shorter) gone limit.
    assert await on_server(srv, _timeouts(srv).write_presence(wrote)) >= 1
    await v.close()
    await gone_from_hub(srv, cid)
    assert limits.active_gone < limits.idle
    gone = await sweep(srv, wrote + limits.active_gone + timedelta(seconds=5))
    assert gone.timed_out == [cid]
    await c.seen(timed_out)
    await c.close()


async def test_after_a_restart_the_sweep_waits_then_removes_who_did_not_come_back(
    tmp_path: Path, database_url: str
) -> None:
    first = start_server(tmp_path, database_url=database_url, **DEFAULT_LIMITS)
    try:
        gone, _gone_token = first.start_visitor("Kwijt")
        back, back_token = first.start_visitor("Terug")
        t0 = utcnow()
        assert await on_server(first, _timeouts(first).write_presence(t0)) == 0  # no sockets
    finally:
        first.stop()
    second = start_server(tmp_path, database_url=database_url, **DEFAULT_LIMITS)
    try:
        timeouts = _timeouts(second)
        # Just started: the sweep waits, so visitors' sockets can come back first.
        timeouts.clock = lambda: utcnow() + timedelta(seconds=1)
        await on_server(second, timeouts._sweep_when_settled())
        record = await on_server(second, timeouts.repo.get(gone))
        assert record is not None and record.state.value == "queued"
        v = await visitor(second, back_token)  # one comes back on the new process
        later = await sweep(second, t0 + timeouts.limits.queue_gone + timedelta(minutes=1))
        assert later.left == [gone]
        assert back not in later.left
        await v.close()
    finally:
        second.stop()
