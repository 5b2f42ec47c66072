"""Connection.send_text: written at once when the transport takes it, in order when it cannot."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from starlette.websockets import WebSocket

from baken.realtime.connection import (
    CLOSE_TOO_SLOW,
    MAX_PENDING_FRAMES,
    SEND_TEXTS,
    Connection,
    VisitorIdentity,
)


class FakeSocket:
    """Stands in for Starlette's WebSocket: `full` makes a send wait, like a full transport."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.writable = asyncio.Event()
        self.writable.set()
        self.closed_with: int | None = None
        self.cancelled_sends = 0
        self.fail = False

    async def send_text(self, text: str) -> None:
        if self.fail:
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        try:
            await self.writable.wait()
        except asyncio.CancelledError:
            self.cancelled_sends += 1
            raise
        self.sent.append(text)

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


def _connection() -> tuple[Connection, FakeSocket]:
    socket = FakeSocket()
    return Connection(cast(WebSocket, socket), VisitorIdentity("c1")), socket


async def test_a_frame_the_transport_takes_is_written_before_send_returns() -> None:
    conn, socket = _connection()
    conn.send_text("a")
    conn.send({"type": "pong", "t": None})
    # No await in between: nothing waited for a task to run.
    assert socket.sent == ["a", '{"type":"pong","t":null}']
    assert conn._sender is None


async def test_frames_behind_a_waiting_send_go_out_in_order_once_it_can() -> None:
    conn, socket = _connection()
    socket.writable.clear()
    for text in ("1", "2", "3"):
        conn.send_text(text)
    await asyncio.sleep(0)
    assert socket.sent == []
    assert conn._sender is not None
    socket.writable.set()
    await asyncio.wait_for(conn._sender, 1)
    assert socket.sent == ["1", "2", "3"]
    # Writable again: back to writing at once.
    conn.send_text("4")
    assert socket.sent == ["1", "2", "3", "4"]


async def test_a_socket_that_falls_too_far_behind_is_closed_with_4001() -> None:
    conn, socket = _connection()
    socket.writable.clear()
    conn.send_text("first")  # waits for the transport
    for i in range(MAX_PENDING_FRAMES):
        conn.send_text(str(i))
    assert not conn.closed
    conn.send_text("one too many")
    assert conn.closed
    await conn.shutdown()
    assert socket.closed_with == CLOSE_TOO_SLOW
    # The waiting send was cancelled, not left hanging; nothing was written after the drop.
    assert socket.cancelled_sends == 1
    assert socket.sent == []


async def test_a_send_to_a_vanished_peer_marks_the_connection_closed() -> None:
    conn, socket = _connection()
    socket.fail = True
    conn.send_text("a")
    assert conn.closed
    socket.fail = False
    conn.send_text("b")  # closed: ignored, not written
    assert socket.sent == []


async def test_a_peer_that_vanishes_while_frames_wait_drops_them() -> None:
    conn, socket = _connection()
    socket.writable.clear()
    conn.send_text("1")
    conn.send_text("2")
    socket.fail = True
    socket.writable.set()
    sender = conn._sender
    assert sender is not None
    await asyncio.wait_for(sender, 1)
    assert conn.closed
    assert socket.sent == ["1"]
    assert not conn._backlog


@pytest.mark.parametrize("frames", [1, 5])
async def test_shutdown_cancels_a_waiting_send(frames: int) -> None:
    conn, socket = _connection()
    socket.writable.clear()
    for i in range(frames):
        conn.send_text(str(i))
    await asyncio.sleep(0)
    await conn.shutdown()
    assert socket.cancelled_sends == 1
    assert socket.sent == []
    assert conn._sender is None


class GatheringSocket(FakeSocket):
    """A socket on Baken's own protocol: offers the one-write send for a turn's frames."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[str]] = []
        self.takes = True
        self.scope = {"extensions": {SEND_TEXTS: self.send_texts}}

    async def close(self, code: int = 1000) -> None:
        self.sent.append(f"close {code}")
        await super().close(code)

    def send_texts(self, texts: list[str]) -> bool:
        if not self.takes:
            return False
        self.writes.append(list(texts))
        self.sent.extend(texts)
        return True


def _gathering() -> tuple[Connection, GatheringSocket]:
    socket = GatheringSocket()
    return Connection(cast(WebSocket, socket), VisitorIdentity("c1")), socket


async def test_a_turns_frames_go_out_in_one_write_in_order() -> None:
    conn, socket = _gathering()
    for text in ("1", "2", "3"):
        conn.send_text(text)
    assert socket.sent == []  # written at the end of this turn of the event loop
    await asyncio.sleep(0)
    assert socket.writes == [["1", "2", "3"]]
    conn.send_text("4")
    await asyncio.sleep(0)
    assert socket.writes == [["1", "2", "3"], ["4"]]


async def test_frames_the_one_write_cannot_take_go_the_ordinary_way_in_order() -> None:
    conn, socket = _gathering()
    socket.takes = False  # buffer full: the ordinary send waits for it
    socket.writable.clear()
    for text in ("1", "2"):
        conn.send_text(text)
    await asyncio.sleep(0)
    conn.send_text("3")  # behind the waiting send, not around it
    assert socket.sent == [] and conn._sender is not None
    socket.takes = True
    socket.writable.set()
    await asyncio.wait_for(conn._sender, 1)
    assert socket.sent == ["1", "2", "3"] and socket.writes == []


async def test_an_error_frame_sent_before_an_abort_still_precedes_the_close() -> None:
    conn, socket = _gathering()
    conn.send({"type": "error", "code": "x", "message": "m", "ref": None})
    conn.abort(CLOSE_TOO_SLOW)
    conn.send_text("after the abort")  # dropped: the socket is closing
    await asyncio.wait_for(conn.shutdown(), 1)
    assert socket.sent == [
        '{"type":"error","code":"x","message":"m","ref":null}',
        f"close {CLOSE_TOO_SLOW}",
    ]
