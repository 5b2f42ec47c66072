"""web/lean_socket.py: uvicorn's WebSocket protocol keeping less per open socket (issue 21).

The protocol is uvicorn's; these tests check the three things made smaller behave as what they
replace (asyncio.Queue, asyncio.Event, the handshake kept after the accept), and that a live
server's sockets really use them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from pathlib import Path
from types import GeneratorType
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import Protocol, Side
from websockets.server import ServerProtocol

from baken.realtime.connection import Connection, VisitorIdentity
from baken.web.lean_socket import (
    LeanWebSocketProtocol,
    _forget_handshake_parser,
    _Gate,
    _Inbox,
)
from tests.conftest import server_on
from tests.support import open_socket

HANDSHAKE = (
    b"GET /ws/visitor HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Cookie: __Host-baken_v=secret-token\r\n"
    b"\r\n"
)


def _client_text_frame(text: str) -> bytes:
    """A text frame as a client sends it: masked (with an all-zero mask, so the payload reads)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def _accepted(extra: bytes = b"") -> tuple[ServerProtocol, list[Any]]:
    """A server protocol past its accept, and the events read after the request."""
    conn = ServerProtocol()
    conn.receive_data(HANDSHAKE + extra)
    request, *later = conn.events_received()
    assert isinstance(request, Request)
    conn.send_response(conn.accept(request))
    conn.data_to_send()
    return conn, later


def _texts(events: list[Any]) -> list[bytes]:
    return [bytes(e.data) for e in events if isinstance(e, Frame) and e.opcode is Opcode.TEXT]


def _handshake_request_alive(conn: ServerProtocol) -> bool:
    frame = cast("GeneratorType[None, None, None]", conn.parser).gi_frame
    return frame is not None and isinstance(frame.f_locals.get("request"), Request)


# --- the handshake --------------------------------------------------------------------------------


def test_after_the_accept_the_parser_no_longer_holds_the_request_and_still_reads_frames() -> None:
    conn, _ = _accepted()
    assert _handshake_request_alive(conn)  # what websockets' own parser keeps, socket-long
    _forget_handshake_parser(conn)
    assert cast("GeneratorType[None, None, None]", conn.parser).gi_code is Protocol.parse.__code__
    assert not _handshake_request_alive(conn)
    conn.receive_data(_client_text_frame('{"type":"ping"}'))
    assert _texts(conn.events_received()) == [b'{"type":"ping"}']


def test_a_frame_half_sent_before_the_101_keeps_the_parser_it_is_in() -> None:
    frame = _client_text_frame("early")
    conn, _ = _accepted(frame[:3])  # header read, payload still to come
    parser = conn.parser
    _forget_handshake_parser(conn)
    assert conn.parser is parser
    conn.receive_data(frame[3:])
    assert _texts(conn.events_received()) == [b"early"]


def test_a_whole_frame_sent_before_the_101_is_not_lost() -> None:
    conn, later = _accepted(_client_text_frame("early"))
    _forget_handshake_parser(conn)
    conn.receive_data(_client_text_frame("next"))
    assert _texts(later + conn.events_received()) == [b"early", b"next"]


# --- the inbox ------------------------------------------------------------------------------------


async def test_the_inbox_hands_out_messages_in_order_and_waits_when_empty() -> None:
    inbox = _Inbox()
    assert inbox.empty()
    inbox.put_nowait({"n": 1})
    inbox.put_nowait({"n": 2})
    assert inbox.qsize() == 2
    assert await inbox.get() == {"n": 1}
    assert await inbox.get() == {"n": 2}
    assert inbox.empty()
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait({"n": 3})
    assert await asyncio.wait_for(waiting, 5) == {"n": 3}
    assert inbox.empty()


async def test_a_cancelled_receive_loses_no_message() -> None:
    inbox = _Inbox()
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    inbox.put_nowait("after")
    assert await asyncio.wait_for(inbox.get(), 5) == "after"


async def test_two_receives_at_once_are_refused_not_left_hanging() -> None:
    inbox = _Inbox()
    first = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await inbox.get()
    inbox.put_nowait("x")
    assert await asyncio.wait_for(first, 5) == "x"


# --- the writable gate, with Connection's hand-driven send ---------------------------------------


class GatedSocket:
    """Starlette's WebSocket as Connection uses it; a send waits on the gate, as uvicorn's does."""

    def __init__(self) -> None:
        self.gate = _Gate()
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.sent.append(text)

    async def close(self, code: int = 1000) -> None:
        pass


async def test_sends_behind_a_full_transport_go_out_in_order_once_it_drains() -> None:
    socket = GatedSocket()
    conn = Connection(cast(WebSocket, socket), VisitorIdentity("c1"))
    conn.send_text("a")
    assert socket.sent == ["a"]  # an open gate: written before send_text returns
    socket.gate.clear()  # uvicorn's pause_writing
    conn.send_text("b")
    conn.send_text("c")
    await asyncio.sleep(0)
    assert socket.sent == ["a"]
    socket.gate.set()  # resume_writing
    async with asyncio.timeout(5):
        while socket.sent != ["a", "b", "c"]:
            await asyncio.sleep(0)
    assert conn._sender is None or conn._sender.done()


async def test_a_cancelled_wait_leaves_no_waiter_behind() -> None:
    gate = _Gate()
    gate.clear()
    waiting = asyncio.create_task(gate.wait())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert gate._waiters is None
    gate.set()
    assert await gate.wait()


# --- a live server --------------------------------------------------------------------------------


def _open_sockets(srv: Any) -> list[LeanWebSocketProtocol]:
    return [
        p
        for p in srv._server.server_state.connections
        if isinstance(p, LeanWebSocketProtocol) and p.handshake_complete and not p.disconnected
    ]


async def test_a_live_visitor_socket_keeps_no_handshake_and_still_talks(tmp_path: Path) -> None:
    with server_on("sqlite", tmp_path) as srv:
        _, token = srv.start_visitor()
        client = await open_socket(srv, "/ws/visitor", token)
        try:
            await client.expect("welcome")
            (proto,) = _open_sockets(srv)
            assert isinstance(proto.queue, _Inbox)
            assert isinstance(proto.writable, _Gate)
            assert proto.request is None and proto.response is None
            assert not _handshake_request_alive(proto.conn)
            # Frames still flow both ways on the replaced parser.
            await client.send({"type": "ping", "t": 7})
            await client.expect("pong", t=7)
            # web/socket_entry.py: the socket's task waits in the endpoint, not behind the router.
            chain = await _waiting_socket_task(srv)
            assert not any("Router" in name or "Route" in name for name in chain), chain
            # Pass-through layers hand back the next coroutine instead of awaiting it: after the
            # organisation entry (which awaits a lookup), the endpoint itself.
            after_entry = chain[chain.index("OrganisationEntry.__call__") + 1]
            assert after_entry == "visitor_socket", chain
        finally:
            await client.close()


async def _waiting_socket_task(srv: Any) -> list[str]:
    """The coroutines the socket's task waits in, once it waits for the next frame (the server
    runs in another thread: polled until then, with a bound)."""
    async with asyncio.timeout(10):
        while True:
            tasks: list[asyncio.Task[Any]] = []
            with contextlib.suppress(RuntimeError):  # the set changed while it was copied
                tasks = list(srv._server.server_state.tasks)
            for task in tasks:
                chain = _awaiting(task)
                if chain and chain[-1] == "_Inbox.get" and "_serve" in chain:
                    return chain
            await asyncio.sleep(0.01)


def _awaiting(task: asyncio.Task[Any]) -> list[str]:
    """The qualified names of the coroutines a task is suspended in, outermost first."""
    names = []
    step: Any = task.get_coro()
    while step is not None and hasattr(step, "cr_code"):
        names.append(step.cr_code.co_qualname)
        step = step.cr_await
    return names


class _CountingTransport:
    """The socket's transport, counting its writes (the server runs in another thread; a
    list append is atomic)."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.writes: list[int] = []

    def write(self, data: bytes) -> None:
        self.writes.append(len(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def test_the_ack_and_the_echo_of_a_message_go_out_in_one_write(tmp_path: Path) -> None:
    """realtime/connection.py gathers a turn's frames for one socket into one write (issue 21)."""
    with server_on("sqlite", tmp_path) as srv:
        conversation_id, token = srv.start_visitor()
        _staff, staff_token = srv.add_staff()
        v = await open_socket(srv, "/ws/visitor", token)
        c = await open_socket(srv, "/ws/staff", staff_token)
        try:
            await v.expect("welcome")
            await c.expect("welcome")
            await c.send({"type": "accept", "conversation_id": conversation_id})
            await c.expect("accepted", conversation_id=conversation_id)
            await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
            await v.expect("messages", conversation_id=conversation_id)
            (proto,) = [p for p in _open_sockets(srv) if p.scope["path"] == "/ws/visitor"]
            counting = _CountingTransport(proto.transport)
            proto.transport = counting  # type: ignore[assignment]
            await v.send(
                {
                    "type": "send",
                    "conversation_id": conversation_id,
                    "client_msg_id": "one-write",
                    "text": "hallo",
                }
            )
            ack = await v.expect("ack", client_msg_id="one-write")
            echo = await v.expect("message", conversation_id=conversation_id)
            assert echo["message"]["seq"] == ack["seq"]
            assert echo["message"]["client_msg_id"] == "one-write"
            assert len(counting.writes) == 1, counting.writes
        finally:
            await v.close()
            await c.close()


# --- frames read and written directly -------------------------------------------------------------


class _RecordingTransport:
    """What the protocol writes, whether it closed, and whether it paused reading."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


async def _holding_app(scope: Any, receive: Any, send: Any) -> None:
    """Accepts, then reads nothing: what the protocol hands the app stays in its inbox."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    await asyncio.Event().wait()


async def _opened(
    protocol: type[WebSocketsSansIOProtocol], max_size: int
) -> tuple[WebSocketsSansIOProtocol, _RecordingTransport]:
    config = Config(
        app=_holding_app,
        ws_per_message_deflate=False,
        ws_max_size=max_size,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="off",
        log_config=None,
    )
    config.load()
    proto = protocol(config, ServerState(), {})
    transport = _RecordingTransport()
    proto.connection_made(transport)  # type: ignore[arg-type]
    proto.data_received(HANDSHAKE)
    async with asyncio.timeout(5):
        while not proto.handshake_complete:  # the app's task writes the 101
            await asyncio.sleep(0)
    assert transport.written.startswith(b"HTTP/1.1 101")
    transport.written.clear()
    return proto, transport


def _inbox(proto: WebSocketsSansIOProtocol) -> list[Any]:
    queue = proto.queue
    if isinstance(queue, _Inbox):
        return list(queue._items or [])
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def _frame(opcode: Opcode, data: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
    """A frame as a client sends it (masked with a random key, as browsers do); ``rsv1`` sets
    the bit an extension would, which websockets itself refuses to write."""
    frame = Frame(opcode, data, fin).serialize(mask=True, extensions=[])
    return bytes([frame[0] | 0x40]) + frame[1:] if rsv1 else frame


def _text(text: str) -> bytes:
    return _frame(Opcode.TEXT, text.encode())


def _chunks(stream: bytes, how: str) -> list[bytes]:
    if how == "whole":
        return [stream]
    if how == "bytes":
        return [stream[i : i + 1] for i in range(len(stream))]
    rng = random.Random(how)
    out, pos = [], 0
    while pos < len(stream):
        size = rng.choice([1, 2, 5, 6, 7, 8, 60, 131, 300, 4096])
        out.append(stream[pos : pos + size])
        pos += size
    return out


_COMMON = [
    _text(t)
    for t in [
        "",
        "a",
        '{"type":"ping","t":1}',
        "x" * 125,
        "y" * 126,
        "héllo 👋 " * 20,
        "z" * 1000,
    ]
]
# name → (the client's frames, the server's ws_max_size)
_STREAMS: dict[str, tuple[list[bytes], int]] = {
    "common text frames": (_COMMON, 100_000),
    "control frames, binary and a fragmented message between texts": (
        [
            _text("one"),
            _frame(Opcode.PING, b"are you there"),
            _text("two"),
            _frame(Opcode.PONG, b"unasked"),
            _frame(Opcode.BINARY, b"\x00\x01\x02"),
            _frame(Opcode.TEXT, b"frag", fin=False),
            _frame(Opcode.CONT, b"ment", fin=False),
            _frame(Opcode.CONT, "ed é".encode()),
            _text("three"),
        ],
        100_000,
    ),
    "text frames of 64 KiB and more": (
        [_text("q" * 65_535), _text("r" * 70_000), _text("after")],
        100_000,
    ),
    "invalid UTF-8 between texts": (
        [_text("before"), _frame(Opcode.TEXT, b"ok \xff\xfe"), _text("after")],
        100_000,
    ),
    "a UTF-8 character cut by a fragment": (
        [
            _frame(Opcode.TEXT, "é".encode()[:1], fin=False),
            _frame(Opcode.CONT, "é".encode()[1:]),
            _text("after"),
        ],
        100_000,
    ),
    "an unmasked frame": (
        [_text("before"), Frame(Opcode.TEXT, b"bare").serialize(mask=False, extensions=[])],
        100_000,
    ),
    "a frame with RSV1 set": (
        [_text("before"), _frame(Opcode.TEXT, b"x", rsv1=True), _text("after")],
        100_000,
    ),
    "a continuation frame with no message": (
        [_text("before"), _frame(Opcode.CONT, b"x"), _text("after")],
        100_000,
    ),
    "a text frame over the size limit": (
        [_text("before"), _text("o" * 1001), _text("after")],
        1000,
    ),
    "an unknown opcode": (
        [_text("before"), bytes([0x83, 0x80]) + b"\0\0\0\0", _text("after")],
        100_000,
    ),
    "a close frame, then a text": (
        [_text("last"), _frame(Opcode.CLOSE, b"\x03\xe8bye"), _text("too late")],
        100_000,
    ),
}


def _at_frames(chunks: list[bytes], frames: list[bytes]) -> list[bytes]:
    """The same cuts, each also cut where a frame ends: every frame then arrives in reads of
    its own."""
    ends, pos = set(), 0
    for frame in frames:
        pos += len(frame)
        ends.add(pos)
    out, pos = [], 0
    for chunk in chunks:
        start = 0
        for i in range(1, len(chunk)):
            if pos + i in ends:
                out.append(chunk[start:i])
                start = i
        out.append(chunk[start:])
        pos += len(chunk)
    return out


# Byte by byte only for the short streams: the large one is cut the other ways.
_CUTS = [
    (name, how)
    for name, (frames, _) in _STREAMS.items()
    for how in ["whole", "bytes", "random-1", "random-2", "random-3"]
    if how != "bytes" or sum(map(len, frames)) < 20_000
]


@pytest.mark.parametrize(("name", "how"), _CUTS)
async def test_frames_read_directly_reach_the_app_as_uvicorns_protocol_hands_them(
    name: str, how: str
) -> None:
    """The same bytes give the app the same messages and the client the same answers (pongs,
    close frames with their codes) on this protocol as on uvicorn's own. uvicorn's is fed every
    frame in reads of its own: it drops the frames read before a broken one when both came in
    one read, which this protocol does not do (``data_received``)."""
    frames, max_size = _STREAMS[name]
    stream = b"".join(frames)
    seen = []
    for protocol in (WebSocketsSansIOProtocol, LeanWebSocketProtocol):
        proto, transport = await _opened(protocol, max_size)
        chunks = _chunks(stream, how)
        if protocol is WebSocketsSansIOProtocol:
            chunks = _at_frames(chunks, frames)
        try:
            for chunk in chunks:
                if transport.closed:  # a closed transport reads nothing more
                    break
                proto.data_received(chunk)
            seen.append((_inbox(proto), bytes(transport.written), transport.closed))
        finally:
            for task in list(proto.tasks):
                task.cancel()
    uvicorns, leans = seen
    assert leans == uvicorns
    assert uvicorns[0], "the stream gave the app nothing: the comparison would be empty"


async def test_common_text_frames_bypass_websockets_parser() -> None:
    """The direct path is taken, not only correct: whole text frames never reach the parser,
    and a ping between them does (and is answered) while the texts around it do not."""
    proto, transport = await _opened(LeanWebSocketProtocol, 100_000)
    fed: list[bytes] = []
    receive_data = proto.conn.receive_data

    def counting(data: bytes | bytearray) -> None:
        fed.append(bytes(data))
        receive_data(data)

    proto.conn.receive_data = counting  # type: ignore[method-assign]
    try:
        proto.data_received(b"".join(_COMMON))
        assert fed == []
        assert [m["text"] for m in _inbox(proto)][:3] == ["", "a", '{"type":"ping","t":1}']
        ping_and_text = _frame(Opcode.PING, b"p") + _text("next")
        proto.data_received(ping_and_text)
        assert fed == [ping_and_text]  # from the ping on, websockets' parser reads
        assert transport.written.endswith(b"\x8a\x01p")  # its pong
        proto.data_received(_text("direct again"))
        assert len(fed) == 1
        assert _inbox(proto)[-1] == {"type": "websocket.receive", "text": "direct again"}
        assert transport.paused  # uvicorn's back-pressure: no reading while the app lags
    finally:
        for task in list(proto.tasks):
            task.cancel()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 70_000])
async def test_text_frames_written_directly_are_the_bytes_websockets_writes(size: int) -> None:
    proto, transport = await _opened(LeanWebSocketProtocol, 100_000)
    try:
        texts = ["é" * (size // 2) + "x" * (size % 2), "and a second one"]
        assert isinstance(proto, LeanWebSocketProtocol)
        assert proto.send_texts(texts)
        expected = b"".join(
            Frame(Opcode.TEXT, t.encode()).serialize(mask=False, extensions=[]) for t in texts
        )
        assert bytes(transport.written) == expected
        # A client's parser reads them back as the same texts.
        client = Protocol(Side.CLIENT, max_size=None)
        client.receive_data(bytes(transport.written))
        assert _texts(client.events_received()) == [t.encode() for t in texts]
    finally:
        for task in list(proto.tasks):
            task.cancel()
