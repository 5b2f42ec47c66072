"""Issue 21, item 3: a visitor's start costs the same with 10 or 1,000 visitors waiting.

Counted, never timed: the SQL statements the start runs, the queue keys the hub computes, the
waiting visitors the queue broadcast visits, and the frames it sends. The hub used to sort the
whole queue again after each start (a key per waiting visitor) and walk every waiting visitor to
find whose place had moved (realtime/queue_index.py says what replaced that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event

import baken.realtime.hub as hub_module
from baken.realtime.chat_service import ChatService
from baken.realtime.connection import Connection
from baken.realtime.queue_index import QueueIndex
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.conftest import server_on
from tests.support import Client, Server, counselor, visitor

T = TypeVar("T")
STARTS_MEASURED = 3


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with server_on(request.param, tmp_path, queue_max=5000, max_chats=10) as server:
        yield server


def _chat(server: Server) -> ChatService:
    app: Any = server._server.config.app
    chat: ChatService = app.state.baken.chat
    return chat


async def on_server(server: Server, work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the server's own event loop (its engines and hub live there)."""
    loop = _chat(server).timeouts.loop
    assert loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


@dataclass(frozen=True)
class StartCost:
    statements: int  # SQL run by the start itself (not by background tasks meanwhile)
    keys: int  # queue keys computed by the hub
    visited: int  # waiting visitors the queue broadcast looked at
    frames: int  # frames sent to any socket by the start and its broadcast


async def _seed(chat: ChatService, count: int) -> None:
    for _ in range(count):
        await chat.start_conversation(None, "nl", organisation_id=DEFAULT_ORGANISATION)
    await _broadcast_done(chat)


async def _broadcast_done(chat: ChatService) -> None:
    task = chat.hub._queue_task
    if task is not None:
        await task


async def _measure_starts(chat: ChatService, starts: int) -> list[StartCost]:
    """Start visitors one by one, each with its queue broadcast, counting what each costs."""
    await _broadcast_done(chat)
    me = asyncio.current_task()
    statements = 0
    keys = 0
    visited = 0
    frames = 0

    # The start's own task, and the one that writes the starts asked for at once (its row).
    writer_task = chat.repo._creates.task_name

    def on_statement(*_args: Any) -> None:
        nonlocal statements
        task = asyncio.current_task()
        if task is me or (task is not None and task.get_name() == writer_task):
            statements += 1

    hub_globals = vars(hub_module)
    real_key = hub_globals["queue_key"]
    real_tail = QueueIndex.tail
    real_send_text = Connection.send_text

    def counting_key(*args: Any) -> Any:
        nonlocal keys
        keys += 1
        return real_key(*args)

    def counting_tail(index: QueueIndex, organisation_id: str, first: int) -> Iterator[Any]:
        nonlocal visited
        for item in real_tail(index, organisation_id, first):
            visited += 1
            yield item

    def counting_send_text(conn: Connection, text: str) -> None:
        nonlocal frames
        frames += 1
        real_send_text(conn, text)

    engines = {chat.repo.db.writer.sync_engine, chat.repo.db.reader.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", on_statement)
    hub_globals["queue_key"] = counting_key
    QueueIndex.tail = counting_tail  # type: ignore[method-assign,assignment]
    Connection.send_text = counting_send_text  # type: ignore[method-assign,assignment]
    costs = []
    try:
        for _ in range(starts):
            statements = keys = visited = frames = 0
            record, _token = await chat.start_conversation(
                None, "nl", organisation_id=DEFAULT_ORGANISATION
            )
            chat.info(record)  # what the start route answers with: the place and estimate
            await _broadcast_done(chat)
            costs.append(StartCost(statements, keys, visited, frames))
    finally:
        Connection.send_text = real_send_text  # type: ignore[method-assign]
        QueueIndex.tail = real_tail  # type: ignore[method-assign]
        hub_globals["queue_key"] = real_key
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on_statement)
    return costs


async def test_a_start_costs_the_same_with_10_or_1000_waiting(srv: Server) -> None:
    chat = _chat(srv)
    _sid, token = srv.add_staff()
    staff = await counselor(srv, token)
    # A few waiting visitors on real sockets, so the broadcast has someone to tell.
    sockets: list[Client] = []
    for _ in range(3):
        _cid, vtoken = srv.start_visitor()
        sockets.append(await visitor(srv, vtoken))
    await on_server(srv, _seed(chat, 7))
    assert chat.hub.queue_size(DEFAULT_ORGANISATION) == 10
    short = await on_server(srv, _measure_starts(chat, STARTS_MEASURED))

    await on_server(srv, _seed(chat, 1000 - 10 - STARTS_MEASURED))
    assert chat.hub.queue_size(DEFAULT_ORGANISATION) == 1000
    long = await on_server(srv, _measure_starts(chat, STARTS_MEASURED))

    assert long == short, (short, long)
    for cost in long:
        assert cost.statements > 0  # the listener does see the start's own SQL
        assert cost.keys == 1  # the newcomer's key, nobody else's
        assert cost.visited == 1  # a start at the back moves nobody's place
        assert cost.frames == 1  # the staff's queue frame; the newcomer has no socket yet

    # The counts are of the real thing: the staff's queue frame says 1,000 + 3 wait, in order.
    queue = await staff.expect("queue", total=1000 + STARTS_MEASURED)
    assert [e["position"] for e in queue["entries"]] == list(range(1, 101))
    for client in [staff, *sockets]:
        await client.close()


def test_places_from_the_index_match_a_full_sort() -> None:
    """The index's places are those a full sort gives (domain/queue.py), per organisation."""
    from datetime import UTC, datetime, timedelta

    from baken.domain.queue import positions_per_group, queue_key

    index = QueueIndex()
    start = datetime(2026, 12, 6, tzinfo=UTC)
    keyed = []
    for n in range(60):
        key = queue_key(f"c{n:02}", start + timedelta(seconds=n * 7 % 31), 50 if n % 13 == 0 else 0)
        organisation = f"o{n % 3}"
        keyed.append((key, organisation))
        index.put(organisation, key)
    expected, sizes = positions_per_group(keyed)
    assert index.positions() == expected
    assert list(index.positions()) == list(expected)  # the whole queue's order too
    assert {o: index.size(o) for o in sizes} == sizes
    for conversation_id, place in expected.items():
        assert index.position(conversation_id) == place
    # Leaving and re-ranking: the reported first changed place, and the places after it.
    found = index.organisation_of("c05")
    assert found is not None
    organisation = found
    before = index.positions().copy()
    place = before["c05"]
    assert index.remove("c05") == (organisation, place)
    after = index.positions()
    for conversation_id, old in before.items():
        if conversation_id != "c05" and index.organisation_of(conversation_id) == organisation:
            assert after[conversation_id] == (old - 1 if old > place else old)
    moved = queue_key("c07", start - timedelta(days=1), 0)  # now ahead of everyone
    found = index.organisation_of("c07")
    assert found is not None
    organisation = found
    assert index.put(organisation, moved) == (organisation, 1)
    assert index.position("c07") == 1
    assert index.put(organisation, moved) is None  # the same key again: nothing changed


async def test_starts_asked_for_at_once_share_transactions(srv: Server) -> None:
    """A burst of starts is a few transactions, not a disk sync each on the one writer; every
    visitor still gets a chat of their own, waiting, that their token opens."""
    chat = _chat(srv)
    burst = 100

    async def starts() -> tuple[list[Any], int]:
        commits = 0

        def counted(*_args: Any) -> None:
            nonlocal commits
            commits += 1

        writer = chat.repo.db.writer.sync_engine
        # Commits, not begins: on PostgreSQL the reads share the engine (and roll back).
        event.listen(writer, "commit", counted)
        try:
            started = await asyncio.gather(
                *(
                    chat.start_conversation(f"v{i}", "nl", organisation_id=DEFAULT_ORGANISATION)
                    for i in range(burst)
                )
            )
        finally:
            event.remove(writer, "commit", counted)
        opened = [await chat.visitor_conversation(token) for _record, token in started]
        return [
            (record, found) for (record, _token), found in zip(started, opened, strict=True)
        ], commits

    pairs, transactions = await on_server(srv, starts())
    assert 0 < transactions < burst // 5, transactions
    assert len({record.id for record, _found in pairs}) == burst
    for i, (record, found) in enumerate(pairs):
        assert found == record  # what the start answered is what was stored
        assert found.nickname == f"v{i}" and found.state.value == "queued"
    assert chat.hub.queue_size(DEFAULT_ORGANISATION) == burst
