"""Catch-ups after a reconnect (issue 21, item 4): a sync with nothing after it reads nothing,
and messages stored while a catch-up reads arrive once, in order, without a second read."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import Server, counselor, run_async, send_frame, start_server, visitor


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("catch-up"))
    yield server
    server.stop()


class Reads:
    """Counts the hub's reads of a conversation; with `gate` set, a read holds its answer until
    the test opens the gate (what it read is what was stored when it started)."""

    def __init__(self, server: Server, conversation_id: str) -> None:
        app: Any = server._server.config.app
        self.repo = app.state.baken.chat.hub.repo
        self.original = self.repo.messages_after
        self.conversation_id = conversation_id
        self.count = 0
        self.gate: threading.Event | None = None
        self.reading = threading.Event()

    async def messages_after(self, conversation_id: str, after_seq: int, limit: int = 200) -> Any:
        found = await self.original(conversation_id, after_seq, limit)
        if conversation_id == self.conversation_id:
            self.count += 1
            gate = self.gate
            if gate is not None:
                self.gate = None
                self.reading.set()
                await asyncio.get_running_loop().run_in_executor(None, gate.wait)
        return found

    def __enter__(self) -> Reads:
        self.repo.messages_after = self.messages_after
        return self

    def __exit__(self, *_exc: object) -> None:
        self.repo.messages_after = self.original


def test_a_sync_with_nothing_after_it_reads_nothing(srv: Server) -> None:
    conversation_id, token = srv.start_visitor()

    async def run() -> None:
        client = await visitor(srv, token)
        try:
            for n in (1, 2):
                await client.send(send_frame(conversation_id, f"m{n}", f"Bericht {n}"))
                ack = await client.expect("ack")
            last = ack["seq"]
            with Reads(srv, conversation_id) as reads:
                await client.send(
                    {"type": "sync", "conversation_id": conversation_id, "after_seq": last}
                )
                page = await client.expect("messages", conversation_id=conversation_id)
                assert page["messages"] == [] and page["last_seq"] == last
                assert reads.count == 0
                # From further back it does read, and finds them.
                await client.send(
                    {"type": "sync", "conversation_id": conversation_id, "after_seq": 0}
                )
                page = await client.expect("messages", conversation_id=conversation_id)
                assert [m["text"] for m in page["messages"]] == ["Bericht 1", "Bericht 2"]
                assert reads.count == 1
        finally:
            await client.close()

    run_async(run())


def test_messages_stored_during_a_catch_up_follow_it_once_in_order(srv: Server) -> None:
    conversation_id, token = srv.start_visitor()
    _, staff = srv.add_staff()

    async def run() -> None:
        console = await counselor(srv, staff)
        client = await visitor(srv, token)
        try:
            await console.send({"type": "accept", "conversation_id": conversation_id})
            await console.expect("accepted", conversation_id=conversation_id)
            with Reads(srv, conversation_id) as reads:
                gate = threading.Event()
                reads.gate = gate
                await client.send(
                    {"type": "sync", "conversation_id": conversation_id, "after_seq": 0}
                )
                await asyncio.to_thread(reads.reading.wait, 10)
                # The visitor's catch-up has read; two messages are stored before it answers.
                for n in (1, 2):
                    await console.send(send_frame(conversation_id, f"c{n}", f"Hallo {n}"))
                    await console.expect("ack")
                gate.set()
                page = await client.expect("messages", conversation_id=conversation_id)
                assert "Hallo 1" not in [m["text"] for m in page["messages"]]
                first = await client.expect("message", conversation_id=conversation_id)
                second = await client.expect("message", conversation_id=conversation_id)
                assert [first["message"]["text"], second["message"]["text"]] == [
                    "Hallo 1",
                    "Hallo 2",
                ]
                assert second["message"]["seq"] == first["message"]["seq"] + 1
                assert first["message"]["seq"] == page["last_seq"] + 1
                assert reads.count == 1  # the held messages were not read again
                # Nothing more comes for them: a ping's answer arrives with no copy before it.
                await client.send({"type": "ping", "t": 5})
                while (frame := await client.recv())["type"] != "pong":
                    assert frame["type"] not in ("message", "messages"), frame
        finally:
            await client.close()
            await console.close()

    run_async(run())


def test_after_a_restart_the_open_chats_are_known_before_anyone_comes_back(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The hub loads queued *and* active chats at start in one read: the thousand handshakes
    and syncs that follow a restart then read no conversation row one by one."""
    data = tmp_path_factory.mktemp("restart-load")
    first = start_server(data)
    try:
        active_id, active_token = first.start_visitor()
        waiting_id, _ = first.start_visitor()
        _sid, staff_token = first.add_staff()

        async def accept() -> None:
            c = await counselor(first, staff_token)
            await c.send({"type": "accept", "conversation_id": active_id})
            await c.expect("accepted", conversation_id=active_id)
            v = await visitor(first, active_token)
            await v.send(send_frame(active_id, "m1", "Voor de herstart"))
            await v.expect("ack")
            await v.close()
            await c.close()

        run_async(accept())
    finally:
        first.stop()

    again = start_server(data)
    try:
        app: Any = again._server.config.app
        hub = app.state.baken.chat.hub
        assert hub.open[active_id].state.value == "active"
        assert hub.open[waiting_id].state.value == "queued"
        gets: list[str] = []
        original = hub.repo.get

        async def counting_get(conversation_id: str) -> Any:
            gets.append(conversation_id)
            return await original(conversation_id)

        hub.repo.get = counting_get

        async def back() -> None:
            v = await visitor(again, active_token)
            await v.send({"type": "sync", "conversation_id": active_id, "after_seq": 0})
            page = await v.expect("messages", conversation_id=active_id)
            assert [m["text"] for m in page["messages"]][-1] == "Voor de herstart"
            await v.close()

        try:
            run_async(back())
        finally:
            del hub.repo.get
        assert active_id not in gets
    finally:
        again.stop()
