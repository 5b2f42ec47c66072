"""The HTTP door to the chat core (issue 13, items 1 and 6; docs/protocol.md, "HTTP door").

``POST /api/visitor/command`` and ``POST /api/staff/command`` take one frame, exactly as a socket
would (the same JSON, the same ``frames.parse`` with the same table per side), and run it
through ``ChatService.commands`` as a one-shot connection with the identity a socket would
have: the same checks, refusals and answers. The answer is ``{"frames": [...]}``, what the
socket would have been sent in reply. ``GET /api/visitor/stream`` is the visitor's event stream,
a socket's frames as server-sent events, for networks that block WebSockets.

Five staff commands subscribe a connection to something that keeps coming (the overview, an
observed chat) or act within such a subscription (a whisper); over HTTP they answer
``needs_socket``. Partner professionals work on their own socket only: what they may see is
tied to the connection that joined (issue 17, item 3).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from baken.domain.conversation import Role
from baken.realtime import views
from baken.realtime.connection import Connection, StaffIdentity, VisitorIdentity
from baken.realtime.event_stream import StreamOutlet, events
from baken.realtime.frames import (
    MAX_FRAME_BYTES,
    STAFF_FRAMES,
    VISITOR_FRAMES,
    FrameError,
    _Frame,
    parse,
)
from baken.realtime.one_shot import Buckets, OneShotConnection, key_of, run_command
from baken.store.staff_repo import StaffMember
from baken.web.cookies import STAFF_COOKIE, VISITOR_COOKIE
from baken.web.guards import API, SameOriginApi, SameOriginVisitorApi, staff_for
from baken.web.json_body import load_json
from baken.web.origin import same_origin
from baken.web.services import services_of
from baken.web.socket_routes import visitor_hello

# Commands whose effect is a subscription of the connection itself (the overview, an observed
# chat), or that act within one (a whisper goes to a chat this connection observes): nothing to
# do for a connection that ends with the command. Over HTTP they answer ``needs_socket``, for
# every sender whose socket would take them.
SOCKET_ONLY = frozenset(
    {"overview_subscribe", "overview_unsubscribe", "observe", "observe_stop", "whisper"}
)
NEEDS_SOCKET = "This needs the live connection (WebSocket); over HTTP it does nothing."
NO_CONVERSATION = {"error": "no_conversation"}
ENDED = "The conversation has ended."

SignedInStaff = Annotated[StaffMember, Depends(staff_for(None, API))]


def _buckets(request: Request) -> Buckets:
    state = request.app.state
    if not hasattr(state, "command_buckets"):
        state.command_buckets = Buckets()
    buckets: Buckets = state.command_buckets
    return buckets


async def _run(
    request: Request, conn: OneShotConnection, allowed: dict[str, type[_Frame]]
) -> Response:
    service = services_of(request.app).chat
    raw = await _body(request)
    try:
        frame = parse(raw, allowed)
    except FrameError as exc:
        service.count_rejected(exc.code)
        return _frames([orjson.dumps(views.error(exc.code, exc.message, exc.ref)).decode()])
    kind = str(getattr(frame, "type", ""))
    if kind in SOCKET_ONLY:
        service.count_rejected("needs_socket")
        return _frames([orjson.dumps(views.error("needs_socket", NEEDS_SOCKET, kind)).decode()])
    return _frames(await run_command(service, conn, frame))


async def _body(request: Request) -> bytes:
    """The body, read no further than one byte past a frame's limit (which ``parse`` refuses
    with the socket's ``frame_too_large``): a huge post is not read into memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_FRAME_BYTES:
            break
    return b"".join(chunks)[: MAX_FRAME_BYTES + 1]


async def _ended(request: Request) -> Response:
    try:
        data = load_json(await _body(request))
    except ValueError:
        data = None
    ref = data.get("client_msg_id") or data.get("type") if isinstance(data, dict) else None
    frame = views.error("conversation_ended", ENDED, ref if isinstance(ref, str) else None)
    return _frames([orjson.dumps(frame).decode()])


def _frames(texts: list[str]) -> Response:
    # The frames are already JSON (wire.encode): joined, not decoded and encoded again.
    body = b'{"frames":[' + ",".join(texts).encode() + b"]}"
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


async def visitor_command(request: Request, _origin: SameOriginVisitorApi) -> Response:
    service = services_of(request.app).chat
    token = request.cookies.get(VISITOR_COOKIE)
    if not token:
        return JSONResponse(NO_CONVERSATION, status_code=403)
    record = await service.visitor_conversation(token)
    if record is None:
        # The visitor's token dies with the chat (a found phone cannot reopen it), so an ended
        # chat is not known any more: every command gets what a send after the end gets.
        return await _ended(request)
    identity = VisitorIdentity(record.id)
    conn = OneShotConnection(identity, _buckets(request).of(key_of(identity)))
    return await _run(request, conn, VISITOR_FRAMES)


async def staff_command(
    request: Request, _origin: SameOriginApi, member: SignedInStaff
) -> Response:
    # Researchers work from registrations only (as on the socket, which refuses them).
    if member.role is Role.RESEARCHER:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    token = request.cookies.get(STAFF_COOKIE, "")
    identity = StaffIdentity(member, token)
    conn = OneShotConnection(identity, _buckets(request).of(key_of(identity)))
    return await _run(request, conn, STAFF_FRAMES)


async def visitor_stream(request: Request) -> Response:
    """The visitor socket's frames as server-sent events, from ``after_seq`` (a sync's cursor:
    the stream starts with that catch-up, then follows the conversation live)."""
    services = services_of(request.app)
    service = services.chat
    # As for the socket: a stream opened from another site gets nothing.
    if not same_origin(request, services.settings.allowed_origins):
        return JSONResponse({"error": "forbidden_origin"}, status_code=403)
    after_seq = _after_seq(request.query_params.get("after_seq", "0"))
    if after_seq is None:
        return JSONResponse({"error": "invalid_after_seq"}, status_code=400)
    token = request.cookies.get(VISITOR_COOKIE)
    record = await service.visitor_conversation(token) if token else None
    if record is None:
        return JSONResponse(NO_CONVERSATION, status_code=403)
    conversation_id = record.id
    outlet = StreamOutlet()
    conn = Connection(outlet, VisitorIdentity(conversation_id))
    heartbeat = services.settings.heartbeat_seconds

    async def body() -> AsyncIterator[bytes]:
        # Joined to the hub only once the response is being written, and left in the same
        # generator's end (a page gone, a stream ended by the server), so none is left behind.
        conn.send(visitor_hello(service, conn, record, heartbeat))
        service.hub.register(conn, [conversation_id])
        service.hub.start_catch_up(conn, conversation_id, after_seq)
        try:
            async for chunk in events(conn, outlet, float(heartbeat)):
                yield chunk
        finally:
            conn.closed = True
            service.hub.unregister(conn)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _after_seq(raw: str) -> int | None:
    """A sync's cursor from the query: digits only, within the protocol's seq range."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
        return None
    value = int(raw)
    return value if value <= 2**53 else None
