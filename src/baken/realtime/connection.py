"""One open connection — a WebSocket, or a visitor's event stream (realtime/event_stream.py), or
one HTTP command (realtime/one_shot.py): who is on it, what it has been sent, its outgoing queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from baken.domain.conversation import Role
from baken.domain.rate import TokenBucket
from baken.realtime import wire
from baken.store.records import StoredMessage
from baken.store.staff_repo import StaffMember

log = logging.getLogger(__name__)

# A socket this far behind is dropped; its client reconnects and syncs from its last seq.
MAX_PENDING_FRAMES = 2000
CLOSE_TOO_SLOW = 4001
CLOSE_TRY_AGAIN = 1013
# Per socket: a person types far slower; this only stops floods.
FRAMES_PER_SECOND = 30.0
FRAME_BURST = 60.0
# The ASGI scope extension under which Baken's WebSocket protocol (web/lean_socket.py) offers
# ``send_texts(list[str]) -> bool``: several text frames in one write, or False to say "use the
# ordinary send".
SEND_TEXTS = "baken.send_texts"


class Outlet(Protocol):
    """Where a connection's frames go: Starlette's WebSocket has this shape, and so do the event
    stream's queue and a one-shot command's answer."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(slots=True)
class Cursor:
    """The highest seq of a conversation sent to this socket, and whether a catch-up is running.

    During a catch-up, messages stored meanwhile are ``held`` here (up to HELD_MAX) and sent right
    after the catch-up's last page when they follow on from it; ``dirty`` asks for another read
    from the database instead (too many held, a message known only by its seq, a resync)."""

    seq: int
    busy: bool = False
    dirty: bool = False
    held: list[StoredMessage] | None = None


@dataclass(slots=True)
class VisitorIdentity:
    conversation_id: str


@dataclass(slots=True)
class StaffIdentity:
    member: StaffMember
    session_token: str = field(repr=False)


class Connection:
    # True for a connection that lives for one HTTP command (realtime/one_shot.py): it follows
    # no conversation, so a command answers it with what a socket would be sent later.
    one_shot: ClassVar[bool] = False

    def __init__(self, websocket: Outlet, identity: VisitorIdentity | StaffIdentity) -> None:
        self.websocket = websocket
        self.identity = identity
        self.cursors: dict[str, Cursor] = {}
        self.following: set[str] = set()
        self.last_heard = time.monotonic()
        # Set by any frame but ping; the session guard reads and clears it (idle timeout).
        self.active_since_check = False
        # (position, minutes) last told to this visitor socket, to send only changes.
        self.queue_place: tuple[int, int | None] | None = None
        # Frames waiting behind a send the transport could not take at once (see `send_text`).
        # Made only when needed: an empty deque is ~0.5 kB, on every idle socket (issue 21).
        self._backlog: deque[str] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self.closed = False
        self.bucket = TokenBucket(FRAMES_PER_SECOND, FRAME_BURST)
        extensions = getattr(websocket, "scope", {}).get("extensions") or {}
        self._send_texts: Callable[[list[str]], bool] | None = extensions.get(SEND_TEXTS)
        self._turn: list[str] | None = None

    @property
    def is_visitor(self) -> bool:
        return isinstance(self.identity, VisitorIdentity)

    @property
    def is_partner(self) -> bool:
        """A partner professional's socket (issue 17, item 3): sees only what they joined."""
        identity = self.identity
        return isinstance(identity, StaffIdentity) and identity.member.role is Role.PARTNER

    @property
    def side(self) -> str:
        return "visitor" if self.is_visitor else "counselor"

    @property
    def author(self) -> str:
        if isinstance(self.identity, VisitorIdentity):
            return "v"
        return f"s:{self.identity.member.id}"

    def answer_later(self, future: asyncio.Future[Any]) -> None:
        """A reply that comes when ``future`` is done; only a one-shot connection waits for it
        (a socket is simply sent the reply when it comes)."""

    def send(self, frame: wire.OutgoingFrame) -> None:
        self.send_text(wire.encode(frame))

    def send_text(self, text: str) -> None:
        """Send one text frame, in order behind every frame sent before it.

        On Baken's own WebSocket protocol the frames for a socket are gathered during one turn
        of the event loop and written at its end in one call (an ack and the message's echo, a
        counselor's several chats): a write per frame was the busiest server's largest single
        cost (issue 21). Elsewhere, and whenever that write cannot be made at once, each frame
        takes the ordinary ASGI send."""
        if self.closed:
            return
        if self._send_texts is not None and self._sender is None:
            if self._turn is None:
                self._turn = [text]
                asyncio.get_running_loop().call_soon(self._write_turn)
            elif len(self._turn) < MAX_PENDING_FRAMES:
                self._turn.append(text)
            else:
                log.warning("dropping a socket that fell %d frames behind", MAX_PENDING_FRAMES)
                self.abort(CLOSE_TOO_SLOW)
            return
        self._send_now(text)

    def _write_turn(self) -> None:
        texts, self._turn = self._turn, None
        if not texts or self._send_texts is None:
            return
        # Written even after an abort in the same turn: an error frame must precede its close.
        if self._sender is None and self._send_texts(texts):
            return
        if self.closed:
            return  # gone with the socket; the client syncs when it comes back
        for text in texts:
            self._send_now(text)

    def _send_now(self, text: str) -> None:
        """The ordinary ASGI send. It finishes without waiting unless the transport's buffer is
        full, so it is run right here; only a send that does have to wait gets a task (which then
        also sends the frames queued behind it). An accept must reach 2,000 waiting visitors: a
        writer task per socket, woken for every frame, cost more than the write itself."""
        if self._sender is not None:
            if self._backlog is None:
                self._backlog = deque()
            if len(self._backlog) >= MAX_PENDING_FRAMES:
                log.warning("dropping a socket that fell %d frames behind", MAX_PENDING_FRAMES)
                self.abort(CLOSE_TOO_SLOW)
                return
            self._backlog.append(text)
            return
        sending = self.websocket.send_text(text)
        try:
            waiting_for = sending.send(None)
        except StopIteration:
            return
        except Exception:  # a vanished peer: the receive loop notices and cleans up
            self.closed = True
            return
        self._sender = asyncio.get_running_loop().create_task(
            self._send_later(sending, waiting_for)
        )

    def abort(self, code: int = CLOSE_TRY_AGAIN) -> None:
        """Close the socket; the client reconnects and syncs, so nothing is lost."""
        if self._closing is not None:
            return
        self.closed = True
        self._closing = asyncio.get_running_loop().create_task(self._close(code))

    async def _send_later(self, sending: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        try:
            await _resume(sending, waiting_for)
            while self._backlog and not self.closed:
                await self.websocket.send_text(self._backlog.popleft())
            self._backlog = None
        except Exception:  # a vanished peer: the receive loop notices and cleans up
            self.closed = True
        finally:
            self._sender = None
            if self.closed:
                self._backlog = None

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code)

    async def shutdown(self) -> None:
        self.closed = True
        if self._closing is not None:
            # An abort while a frame was being handled: let its close code (4003, 4001, …) go
            # out before the endpoint returns, or the client sees a plain drop and reconnects.
            with contextlib.suppress(Exception):
                await self._closing
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, None], waiting_for: Any) -> Generator[Any, Any, None]:
    """Go on with a coroutine that was started by hand and stopped at `waiting_for`.

    This is what `await` does between a task and the coroutine it runs: hand each future the
    coroutine waits for to the task, and the outcome (or a cancellation) back to it."""
    while True:
        try:
            outcome = yield waiting_for
        except BaseException as exc:  # a cancellation must reach the send too
            try:
                waiting_for = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting_for = coroutine.send(outcome)
            except StopIteration:
                return
