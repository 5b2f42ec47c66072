"""One command over HTTP (issue 13): the core's commands without a socket.

A request to the HTTP door (web/command_routes.py) becomes a connection that lives for one
command: the same identity a socket would have, the same frame parsing, the same table of
commands (``ChatService.commands``) and so the same checks, refusals and answers. What a socket
would be sent in reply — an ``ack`` once the message is committed, an ``error``, ``accepted``,
a sync's ``messages`` page — is what the request answers. It follows no conversation: what
happens later reaches a client over its socket or its event stream (realtime/event_stream.py).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from baken.domain.rate import BucketsByKey, TokenBucket
from baken.realtime import views
from baken.realtime.connection import (
    FRAME_BURST,
    FRAMES_PER_SECOND,
    Connection,
    StaffIdentity,
    VisitorIdentity,
)
from baken.realtime.frames import FrameError, _Frame

# Rate buckets kept for this many identities (least recently used dropped first).
BUCKETS_KEPT = 20_000


class _Answer:
    """Where a one-shot connection's frames go: kept, in order, for the HTTP answer."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send_text(self, data: str) -> None:
        self.texts.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        return None


class OneShotConnection(Connection):
    one_shot = True

    def __init__(self, identity: VisitorIdentity | StaffIdentity, bucket: TokenBucket) -> None:
        self.answer = _Answer()
        super().__init__(self.answer, identity)
        # The identity's bucket across its requests: 30 commands a second, as on one socket.
        self.bucket = bucket
        self._later: list[asyncio.Future[Any]] = []

    def answer_later(self, future: asyncio.Future[Any]) -> None:
        """A reply that comes when ``future`` is done (a message's ack after its commit)."""
        self._later.append(future)

    async def settled(self) -> list[str]:
        """Every frame of the answer, once the replies that come later have come."""
        if self._later:
            # The reply is a done-callback added before this wait's own, so it has run by the
            # time this returns (callbacks run in the order they were added).
            await asyncio.wait(self._later)
        return self.answer.texts


class Buckets(BucketsByKey):
    """Each identity's frame budget, shared by its HTTP commands (one socket has one bucket)."""

    def __init__(self) -> None:
        super().__init__(FRAMES_PER_SECOND, FRAME_BURST, BUCKETS_KEPT)


class Runner(Protocol):
    """What ``ChatService`` offers a one-shot connection: its table and its rejection count."""

    async def handle(self, conn: Connection, frame: _Frame) -> None: ...

    def count_rejected(self, code: str) -> None: ...


async def run_command(service: Runner, conn: OneShotConnection, frame: _Frame) -> list[str]:
    """Carry out one parsed frame; the frames it answers, as a socket would have been sent them."""
    try:
        await service.handle(conn, frame)
    except FrameError as exc:
        service.count_rejected(exc.code)
        conn.send(views.error(exc.code, exc.message, exc.ref))
    return await conn.settled()


def key_of(identity: VisitorIdentity | StaffIdentity) -> str:
    if isinstance(identity, VisitorIdentity):
        return f"v:{identity.conversation_id}"
    return f"s:{identity.member.id}"
