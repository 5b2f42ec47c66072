"""uvicorn's WebSocket protocol (``websockets-sansio``) with less kept per open socket (issue 21).

A waiting visitor's socket sits idle for minutes, and 18,000 of them must fit in 500 MB, so what
every socket keeps for its whole life counts (docs/performance.md, "What a waiting visitor's
socket holds"). The protocol is uvicorn's own; only three things it keeps are made smaller:

- the inbox between the protocol and the app: ``asyncio.Queue`` holds three deques (items,
  getters, putters; ≈ 0.6 kB each even when empty) for what is one reader and a handful of
  messages; ``_Inbox`` holds a list and one future, both only while needed;
- the "transport writable" flag: ``asyncio.Event`` holds a deque of waiters; ``_Gate`` holds a
  list, made only when a send has to wait for a full buffer;
- the opening handshake: once the socket is accepted, uvicorn still holds the parsed request and
  the response (every header, as ``websockets`` objects), and ``websockets``' parser generator holds
  the request as a local variable for as long as the socket is open. Both are let go at the accept;
  the app keeps its own copy of the headers in the ASGI scope.

Everything else (framing, limits, keep-alive pings, closing) is uvicorn's code unchanged, so the
visitor protocol and its limits are unchanged. Written against uvicorn 0.54 and websockets 17
(pinned in requirements/*.lock); tests/test_lean_socket.py checks the attributes it relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.exceptions import InvalidState
from websockets.http11 import Request
from websockets.protocol import Protocol
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from baken.realtime.connection import SEND_TEXTS


class _Inbox:
    """The part of ``asyncio.Queue`` uvicorn uses (``put_nowait``, ``get``, ``empty``), for the
    ASGI app's one reader: ``receive()`` is never awaited twice at once on one socket."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("receive() is already being awaited on this socket")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.pop(0)  # a handful at most: uvicorn pauses reading while any is unread
        if not items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0


class _Gate:
    """The part of ``asyncio.Event`` uvicorn uses for "the transport takes more": ``set``,
    ``clear``, ``wait``, ``is_set``. Waiters are kept only while the buffer is full."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
                if not self._waiters:
                    self._waiters = None
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Gate()  # type: ignore[assignment]

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][SEND_TEXTS] = self.send_texts

    def send_texts(self, texts: list[str]) -> bool:
        """Write text frames in one transport write, without the ASGI send (issue 21).

        Per frame, uvicorn's ASGI send awaits the "writable" gate, checks its state, encodes and
        makes one ``write`` system call: the largest single cost of a busy chat server. Frames
        for one socket gathered during a turn of the event loop (an ack and the message's echo,
        a counselor's several chats) go out here in one call. Returns False, having written
        nothing, whenever the ASGI send would have to wait or fail (buffer full, closing,
        closed): the caller then sends them the ordinary way, which waits or fails as before."""
        if (
            self.disconnected
            or self.close_sent
            or not self.handshake_complete
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        conn = self.conn
        try:
            for text in texts:
                conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(conn.data_to_send()))
        return True

    def start_keepalive(self) -> None:
        # uvicorn calls this right after it has written the 101 response of an accept: the
        # handshake's request and response are not read again.
        self._forget_handshake()
        super().start_keepalive()

    def _forget_handshake(self) -> None:
        self.request = None  # type: ignore[assignment]
        self.response = None  # type: ignore[assignment]
        _forget_handshake_parser(self.conn)


def _forget_handshake_parser(conn: ServerProtocol) -> None:
    """Swap ``websockets``' server parser, which keeps the handshake request as a local for as
    long as the socket is open, for a fresh frame loop in the same state.

    A client sends no frame before it has read the 101 (RFC 6455, 4.1), so the parser is between
    frames: in the frame loop, waiting for a first byte. The base class's frame loop, fresh, waits
    there too, without the handshake step. A client that did send a frame early and is halfway
    through it keeps the parser it has."""
    if _waiting_between_frames(conn.parser) and not conn.events:
        parser = Protocol.parse(conn)
        next(parser)
        conn.parser = parser


def _waiting_between_frames(parser: Generator[None]) -> bool:
    """True when ``ServerProtocol.parse`` is suspended in ``Protocol.parse`` at its first step,
    ``reader.at_eof()`` (nothing of a next frame buffered yet)."""
    frame_loop = getattr(parser, "gi_yieldfrom", None)
    if getattr(frame_loop, "gi_code", None) is not Protocol.parse.__code__:
        return False
    step = getattr(frame_loop, "gi_yieldfrom", None)
    return getattr(step, "gi_code", None) is StreamReader.at_eof.__code__
