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

Two things are made cheaper per frame, because a busy chat server spends much of its core on them
(docs/performance.md, "CPU per message"): the common frames both ways are read and written here
directly (``_read_direct``, ``send_texts``), without ``websockets``' generator parser and its frame
objects. "Common" is narrow: a whole, unfragmented, masked text frame under 64 KiB that decodes as
UTF-8, from a socket that is open with no fragmented message in progress. Anything else (control
frames, fragments, binary, large or broken frames, a frame cut off by the TCP read) goes through
``websockets``' parser as before, from the byte where it starts, so every limit and every close
code stays ``websockets``' and uvicorn's own; tests/test_lean_socket.py feeds the same byte streams,
cut up every way, to this protocol and to uvicorn's and compares what each hands the app and writes.

Everything else (limits, keep-alive pings, closing) is uvicorn's code unchanged, so the visitor
protocol and its limits are unchanged. Written against uvicorn 0.54 and websockets 17 (pinned in
requirements/*.lock); tests/test_lean_socket.py checks the attributes it relies on.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Generator
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.exceptions import InvalidState
from websockets.http11 import Request
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from baken.realtime.connection import SEND_TEXTS

try:  # websockets' C unmasking, as websockets.frames picks it
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C extension
    from websockets.utils import apply_mask


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
        # True while websockets' parser waits between frames with nothing buffered and no
        # fragmented message open: only then may bytes bypass it (see _read_direct).
        self.direct = False

    def data_received(self, data: bytes) -> None:
        if self.direct:
            if self.close_sent or self.conn.state is not State.OPEN:
                self.direct = False  # the app or the server began to close: uvicorn's path
            else:
                rest = self._read_direct(data)
                if rest is None:
                    return
                data = rest
        conn = self.conn
        conn.receive_data(data)
        # uvicorn drops the frames read before a broken one when both came in one read; they
        # are handed on here, so what reaches the app does not depend on how TCP cut the bytes
        # (the direct path has already handed on the frames before the broken one).
        self.handle_events()
        if conn.parser_exc is not None:
            self.handle_parser_exception()
        self.direct = not self.close_sent and _parser_idle(conn)

    def _read_direct(self, data: bytes) -> bytes | None:
        """Hand the app the whole text frames at the start of ``data``; return the bytes from
        the first frame that is not one (or ``None`` when none is left) for websockets' parser.

        The checks are the ones ``websockets.frames.Frame.parse`` and uvicorn's
        ``send_receive_event_to_app`` make for such a frame; a frame that fails one of them is
        not judged here but handed on, so its error and close code are theirs."""
        end_of_data = len(data)
        conn = self.conn
        limit = conn.max_message_size
        if conn.max_fragment_size is not None:
            limit = min(limit or conn.max_fragment_size, conn.max_fragment_size)
        pos = 0
        texts: list[str] = []
        while end_of_data - pos >= _SHORTEST_CLIENT_FRAME:
            # FIN, no RSV bits, opcode 1 (text); then the mask bit, which a client must set.
            if data[pos] != 0x81:
                break
            length = data[pos + 1] ^ 0x80
            if length >= 0x80:  # the mask bit was not set
                break
            start = pos + 2
            if length == 126:
                start += 2
                if end_of_data < start:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
            elif length == 127:  # 64 KiB or more: websockets' reader, with its limit
                break
            end = start + 4 + length
            if end > end_of_data or (limit is not None and length > limit):
                break
            try:
                text = apply_mask(data[start + 4 : end], data[start : start + 4]).decode()
            except UnicodeDecodeError:
                break
            texts.append(text)
            pos = end
        if texts:
            queue = self.queue
            for text in texts:
                queue.put_nowait({"type": "websocket.receive", "text": text})
            # As uvicorn does after each message: read no more until the app has taken them.
            if not self.read_paused:
                self.read_paused = True
                self.transport.pause_reading()
        if pos == end_of_data:
            return None
        return data[pos:] if pos else data

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
        if conn.state is not State.OPEN or conn.expect_continuation_frame or conn.extensions:
            try:  # websockets' own send: it raises what it raises, and applies extensions
                for text in texts:
                    conn.send_text(text.encode())
            except InvalidState:
                return False
            self.transport.write(b"".join(conn.data_to_send()))
            return True
        # What Frame.serialize makes of an unmasked text frame with no extension, built here:
        # its Frame object and checks cost more than the frame's own bytes.
        parts = conn.data_to_send()  # anything websockets queued first (a pong) goes first
        for text in texts:
            payload = text.encode()
            parts.append(_text_frame_head(len(payload)))
            parts.append(payload)
        self.transport.write(b"".join(parts))
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
        self.direct = not self.close_sent and _parser_idle(self.conn)


# Two bytes of header and four of mask: a client's frame is never shorter.
_SHORTEST_CLIENT_FRAME = 6
_SHORT_HEADS = tuple(bytes((0x81, n)) for n in range(126))
_MEDIUM_HEAD = struct.Struct("!BBH")
_LONG_HEAD = struct.Struct("!BBQ")


def _text_frame_head(length: int) -> bytes:
    """The header of a server's (unmasked) final text frame of ``length`` payload bytes."""
    if length < 126:
        return _SHORT_HEADS[length]
    if length < 0x10000:
        return _MEDIUM_HEAD.pack(0x81, 126, length)
    return _LONG_HEAD.pack(0x81, 127, length)


def _parser_idle(conn: ServerProtocol) -> bool:
    """True when the connection is open and websockets' parser waits for the first byte of a
    frame, with nothing buffered and no fragmented message begun: bytes may then bypass it."""
    if conn.state is not State.OPEN or conn.current_size is not None or conn.extensions:
        return False
    parser: object = conn.parser
    # Before the accept the frame loop runs inside the handshake's parser; after it, alone.
    if getattr(parser, "gi_code", None) is not Protocol.parse.__code__:
        parser = getattr(parser, "gi_yieldfrom", None)
    return _waiting_in_frame_loop(parser)


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
    return _waiting_in_frame_loop(getattr(parser, "gi_yieldfrom", None))


def _waiting_in_frame_loop(frame_loop: object) -> bool:
    """True when ``frame_loop`` is a ``Protocol.parse`` generator suspended at its first step."""
    if getattr(frame_loop, "gi_code", None) is not Protocol.parse.__code__:
        return False
    step = getattr(frame_loop, "gi_yieldfrom", None)
    return getattr(step, "gi_code", None) is StreamReader.at_eof.__code__
