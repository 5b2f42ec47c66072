"""A visitor's live connection over plain HTTP: server-sent events (issue 13, item 6).

Some networks never let a WebSocket open (a school or shelter filter, some proxies) but pass an
ordinary HTTP response that keeps coming. The stream is a connection like a socket: registered in
the hub, it gets the same frames (welcome, the catch-up, messages, queue places, typing, receipts,
the end) as ``data:`` lines; what the visitor does goes to the HTTP command door
(web/command_routes.py), which runs the same commands. Because nothing ties a command to the
process holding the stream, no sticky sessions are needed here either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from baken.realtime.connection import MAX_PENDING_FRAMES, Connection

# Sent when nothing else was for a heartbeat: keeps proxies from closing a quiet response, and
# lets the page see that the stream still lives (it drops one silent for 2.5 heartbeats).
HEARTBEAT = b"event: heartbeat\ndata: {}\n\n"
# The browser's own EventSource retry is not used: the page reconnects on its own schedule.
PREAMBLE = b": baken\nretry: 600000\n\n"


class StreamFull(Exception):
    """The reader fell MAX_PENDING_FRAMES behind; the stream ends and the page reconnects."""


class StreamOutlet:
    """Frames waiting for the response that carries them."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[str | None] = asyncio.Queue()

    async def send_text(self, data: str) -> None:
        if self.frames.qsize() >= MAX_PENDING_FRAMES:
            raise StreamFull()  # the connection marks itself closed; the page syncs on return
        self.frames.put_nowait(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.frames.put_nowait(None)


async def events(conn: Connection, outlet: StreamOutlet, heartbeat: float) -> AsyncIterator[bytes]:
    """The response body: every frame sent to ``conn`` as one event, those waiting together."""
    yield PREAMBLE
    while not conn.closed:
        try:
            first = await asyncio.wait_for(outlet.frames.get(), heartbeat)
        except TimeoutError:
            conn.last_heard = time.monotonic()  # the write below fails once the page is gone
            yield HEARTBEAT
            continue
        texts = [first]
        while not outlet.frames.empty():
            texts.append(outlet.frames.get_nowait())
        body = b"".join(b"data: " + text.encode() + b"\n\n" for text in texts if text is not None)
        if body:
            conn.last_heard = time.monotonic()
            yield body
        if None in texts:
            return
