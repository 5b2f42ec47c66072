"""The two WebSocket endpoints: the handshake checks, then one receive loop per socket."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from baken.domain.conversation import Role
from baken.realtime import views, wire
from baken.realtime.chat_service import ChatService
from baken.realtime.connection import Connection, StaffIdentity, VisitorIdentity
from baken.realtime.frames import (
    PARTNER_FRAMES,
    STAFF_FRAMES,
    VISITOR_FRAMES,
    FrameError,
    _Frame,
    parse,
)
from baken.realtime.session_guard import CLOSE_SESSION_ENDED
from baken.store.records import ConversationRecord
from baken.web.cookies import STAFF_COOKIE, VISITOR_COOKIE
from baken.web.origin import same_origin
from baken.web.services import services_of

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
CLOSE_POLICY = 1008


async def visitor_socket(websocket: WebSocket) -> None:
    services = services_of(websocket.app)
    service = services.chat
    settings = services.settings
    if not settings.visitor_websockets or not same_origin(websocket, settings.allowed_origins):
        await websocket.close(CLOSE_POLICY)
        return
    token = websocket.cookies.get(VISITOR_COOKIE)
    record = await service.visitor_conversation(token) if token else None
    if record is None:
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    _forget_request(websocket)
    conn = Connection(websocket, VisitorIdentity(record.id))
    welcome = visitor_hello(service, conn, record, services.settings.heartbeat_seconds)
    await _serve(service, conn, [record.id], [welcome], VISITOR_FRAMES)


def visitor_hello(
    service: ChatService, conn: Connection, record: ConversationRecord, heartbeat: int
) -> wire.Welcome:
    """A visitor connection's first frame (a socket or the event stream), and the place in the
    queue it starts from (only changes are sent after it)."""
    # Issue 13: live again after the chat without JavaScript: the counselor is told.
    service.visitor_link(record.id, live=True)
    place = service.hub.place_of(record.id)
    conn.queue_place = None if place is None else (place.position, place.wait_minutes)
    return {
        "type": "welcome",
        "role": "visitor",
        "protocol": PROTOCOL_VERSION,
        "heartbeat": heartbeat,
        "conversations": [service.info(record)],
    }


async def staff_socket(websocket: WebSocket) -> None:
    services = services_of(websocket.app)
    service = services.chat
    if not same_origin(websocket, services.settings.allowed_origins):
        await websocket.close(CLOSE_POLICY)
        return
    token = websocket.cookies.get(STAFF_COOKIE)
    member = await services.staff.session_member(token) if token else None
    # Researchers work from registrations only; the live socket would show them transcripts.
    if member is None or token is None or member.role is Role.RESEARCHER:
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    _forget_request(websocket)
    conn = Connection(websocket, StaffIdentity(member, token))

    async def still_signed_in() -> None:
        # The session may have ended between the check above and this socket joining the hub
        # (an administrator, a sign-out elsewhere): the guard's close then missed it, so look
        # once more now that it would be found.
        if await services.staff.session_member(token) is None:
            conn.abort(CLOSE_SESSION_ENDED)

    if member.role is Role.PARTNER:
        await _serve_partner(service, conn, services.settings.heartbeat_seconds, still_signed_in)
        return
    records = await service.staff_conversations(member)
    welcome: wire.Welcome = {
        "type": "welcome",
        "role": member.role.value,
        "protocol": PROTOCOL_VERSION,
        "heartbeat": services.settings.heartbeat_seconds,
        "conversations": [service.info(r) for r in records],
        # Issue 15, item 1: one's own capacity and status (kept across a reconnect).
        "max_chats": await service.statuses.capacity_of(member.id),
        "staff": {"id": member.id, "display_name": member.display_name},
        "status": service.statuses.frame_of(member.id),
    }
    await _serve(
        service,
        conn,
        [r.id for r in records],
        [welcome, service.hub.queue_frame(member.organisation_id)],
        STAFF_FRAMES,
        still_signed_in,
    )


async def _serve_partner(
    service: ChatService,
    conn: Connection,
    heartbeat: int,
    still_signed_in: Callable[[], Awaitable[None]],
) -> None:
    """A partner professional (issue 17, item 3): no queue, no chats of their own; only the
    conversations they join with ``partner_join``, while their invitation lasts."""
    assert isinstance(conn.identity, StaffIdentity)
    member = conn.identity.member
    welcome: wire.Welcome = {
        "type": "welcome",
        "role": Role.PARTNER.value,
        "protocol": PROTOCOL_VERSION,
        "heartbeat": heartbeat,
        "conversations": [],
        "staff": {"id": member.id, "display_name": member.display_name},
    }

    async def invitations() -> None:
        await still_signed_in()
        if not conn.closed:
            await service.partners.send_invitations(conn, member)

    await _serve(service, conn, [], [welcome], PARTNER_FRAMES, invitations)


def _forget_request(websocket: WebSocket) -> None:
    """Let go of the upgrade request's headers once the socket is open: nothing reads them
    again, and each waiting visitor's socket kept about a kilobyte of them (issue 21). Emptied
    in place, as Starlette's cached ``headers`` and the scope share the one list."""
    headers = websocket.scope.get("headers")
    if isinstance(headers, list):
        headers.clear()
    websocket.__dict__.pop("_cookies", None)


async def _serve(
    service: ChatService,
    conn: Connection,
    conversation_ids: list[str],
    first_frames: list[wire.OutgoingFrame],
    allowed: dict[str, type[_Frame]],
    after_register: Callable[[], Awaitable[None]] | None = None,
) -> None:
    websocket = conn.websocket
    assert isinstance(websocket, WebSocket)
    for frame in first_frames:
        conn.send(frame)
    service.hub.register(conn, conversation_ids)
    try:
        if after_register is not None:
            await after_register()
        while not conn.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            conn.last_heard = time.monotonic()
            text = message.get("text")
            if text is None:
                service.count_rejected("binary_not_supported")
                conn.send(views.error("binary_not_supported", "Send JSON text frames only."))
                continue
            try:
                parsed = parse(text, allowed)
                # A person at work, not just an open tab: keeps a staff session from idling out.
                if getattr(parsed, "type", None) != "ping":
                    conn.active_since_check = True
                await service.handle(conn, parsed)
            except FrameError as exc:
                service.count_rejected(exc.code)
                conn.send(views.error(exc.code, exc.message, exc.ref))
    except WebSocketDisconnect:
        pass
    finally:
        service.hub.unregister(conn)
        await conn.shutdown()
