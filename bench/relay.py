"""Bare-relay reference server for the Baken benchmarks.

A minimal raw-ASGI app served by uvicorn with the same transport settings as Baken (uvloop,
httptools, the `websockets` WebSocket implementation, permessage-deflate off). It speaks the parts
of docs/protocol.md that the load test uses, with NO persistence, NO encryption, NO framework:
conversations live in a dict and `seq` is a counter. Whatever Baken costs above this is the price
of FastAPI, the database, encryption and its own logic.

What it does:

- ``GET /healthz`` → ``{"status": "ok"}``
- ``POST /api/visitor/start`` → ``{"conversation": ConversationInfo}``
  + ``Set-Cookie: __Host-baken_v``
- ``/ws/visitor`` (needs that cookie) and ``/ws/staff`` (any ``__Host-baken_s`` value is a
  counselor)
- ``welcome`` on connect (+ one ``queue`` frame for staff, no queue broadcasts afterwards)
- ``accept`` → ``accepted`` + ``conversation`` (and a ``system``/``accepted`` message, seq 1)
- ``send`` → ``ack`` to the sender + ``message`` to every socket of the conversation (sender's too,
  as in the protocol), with per-conversation dedup of ``client_msg_id``
- ``sync`` → ``messages`` (always empty: nothing is stored), ``ping`` → ``pong``
- ``typing``/``receipt`` are forwarded, ``leave``/``end`` end the conversation.

Run: ``.venv/bin/python bench/relay.py --host 127.0.0.1 --port 8124``
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

VISITOR_COOKIE = "__Host-baken_v"
STAFF_COOKIE = "__Host-baken_s"
MAX_TEXT = 4000
MAX_FRAME = 64 * 1024
HEARTBEAT = 20
MAX_CHATS = 3


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Sock:
    __slots__ = ("role", "send", "token")

    def __init__(self, send: Send, role: str, token: str) -> None:
        self.send = send
        self.role = role  # "visitor" or "counselor"
        self.token = token

    async def frame(self, obj: Any) -> None:
        await self.send({"type": "websocket.send", "text": orjson.dumps(obj).decode()})

    async def raw(self, text: str) -> None:
        await self.send({"type": "websocket.send", "text": text})


class Conv:
    __slots__ = (
        "accepted_at",
        "counselor",
        "created_at",
        "ended_at",
        "ended_by",
        "id",
        "msg_ids",
        "nickname",
        "seq",
        "staff_token",
        "state",
        "visitor_token",
    )

    def __init__(self, conv_id: str, visitor_token: str, nickname: str | None) -> None:
        self.id = conv_id
        self.visitor_token = visitor_token
        self.nickname = nickname
        self.state = "queued"
        self.seq = 0
        self.created_at = now_iso()
        self.accepted_at: str | None = None
        self.ended_at: str | None = None
        self.ended_by: str | None = None
        self.counselor: str | None = None
        self.staff_token: str | None = None
        self.msg_ids: dict[str, int] = {}

    def info(self, position: int | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "nickname": self.nickname,
            "created_at": self.created_at,
            "accepted_at": self.accepted_at,
            "ended_at": self.ended_at,
            "ended_by": self.ended_by,
            "counselor": self.counselor,
            "last_seq": self.seq,
            "read_seq": {"visitor": 0, "counselor": 0},
            "delivered_seq": {"visitor": 0, "counselor": 0},
        }
        if self.state == "queued":
            d["position"] = position
        return d


class Relay:
    def __init__(self, max_chats: int = MAX_CHATS) -> None:
        self.max_chats = max_chats
        self.convs: dict[str, Conv] = {}
        self.by_visitor: dict[str, Conv] = {}
        self.queue: dict[str, Conv] = {}  # insertion-ordered
        self.visitor_socks: dict[str, set[Sock]] = {}
        self.staff_socks: dict[str, set[Sock]] = {}
        self.staff_convs: dict[str, set[str]] = {}
        self._ids = itertools.count(1)

    # ---------------------------------------------------------------- helpers
    def sockets_of(self, conv: Conv) -> list[Sock]:
        out = list(self.visitor_socks.get(conv.visitor_token, ()))
        if conv.staff_token is not None:
            out.extend(self.staff_socks.get(conv.staff_token, ()))
        return out

    def queue_frame(self) -> dict[str, Any]:
        return {
            "type": "queue",
            "entries": [
                {
                    "conversation_id": c.id,
                    "nickname": c.nickname,
                    "waiting_since": c.created_at,
                    "position": i,
                }
                for i, c in enumerate(self.queue.values(), 1)
            ],
            "server_time": now_iso(),
        }

    def position(self, conv: Conv) -> int | None:
        if conv.state != "queued":
            return None
        for i, cid in enumerate(self.queue, 1):
            if cid == conv.id:
                return i
        return None

    async def push_message(
        self,
        conv: Conv,
        sender: str,
        name: str | None,
        text: str,
        event: str | None,
        client_msg_id: str | None,
    ) -> int:
        conv.seq += 1
        msg: dict[str, Any] = {
            "seq": conv.seq,
            "sender": sender,
            "name": name,
            "text": text,
            "event": event,
            "sent_at": now_iso(),
            "client_msg_id": None,
        }
        frame = {"type": "message", "conversation_id": conv.id, "message": msg}
        other = orjson.dumps(frame).decode()
        own = other
        if client_msg_id is not None:
            msg["client_msg_id"] = client_msg_id
            own = orjson.dumps(frame).decode()
        for s in self.sockets_of(conv):
            with contextlib.suppress(Exception):  # a closed peer must not break the sender
                await s.raw(own if s.role == sender else other)
        return conv.seq

    # ---------------------------------------------------------------- HTTP
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method == "GET":
            await respond(send, 200, {"status": "ok"})
            return
        if path == "/api/visitor/start" and method == "POST":
            body = b""
            more = True
            while more:
                m = await receive()
                body += m.get("body", b"")
                more = m.get("more_body", False)
            try:
                data = orjson.loads(body or b"{}")
            except orjson.JSONDecodeError:
                await respond(send, 400, {"detail": "invalid json"})
                return
            nickname = data.get("nickname") if isinstance(data, dict) else None
            token = secrets.token_urlsafe(32)
            conv = Conv(f"c_{next(self._ids):08d}{secrets.token_hex(4)}", token, nickname)
            self.convs[conv.id] = conv
            self.by_visitor[token] = conv
            self.queue[conv.id] = conv
            cookie = f"{VISITOR_COOKIE}={token}; Secure; HttpOnly; SameSite=Strict; Path=/"
            await respond(
                send, 200, {"conversation": conv.info(len(self.queue))}, [(b"set-cookie", cookie)]
            )
            return
        await respond(send, 404, {"detail": "not found"})

    # ---------------------------------------------------------------- WebSocket
    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        msg = await receive()
        if msg["type"] != "websocket.connect":
            return
        cookies = parse_cookies(scope)
        path = scope["path"]
        if path == "/ws/visitor":
            token = cookies.get(VISITOR_COOKIE, "")
            conv = self.by_visitor.get(token)
            if conv is None or conv.state == "ended":
                await send({"type": "websocket.close", "code": 1008})
                return
            role = "visitor"
        elif path == "/ws/staff":
            token = cookies.get(STAFF_COOKIE) or secrets.token_urlsafe(16)  # any cookie will do
            conv = None
            role = "counselor"
        else:
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        sock = Sock(send, role, token)
        if role == "visitor":
            assert conv is not None
            self.visitor_socks.setdefault(token, set()).add(sock)
            await sock.frame(
                {
                    "type": "welcome",
                    "role": "visitor",
                    "protocol": 1,
                    "heartbeat": HEARTBEAT,
                    "conversations": [conv.info(self.position(conv))],
                }
            )
        else:
            self.staff_socks.setdefault(token, set()).add(sock)
            mine = [self.convs[c].info() for c in self.staff_convs.get(token, ())]
            await sock.frame(
                {
                    "type": "welcome",
                    "role": "counselor",
                    "protocol": 1,
                    "heartbeat": HEARTBEAT,
                    "conversations": mine,
                    "max_chats": self.max_chats,
                    "staff": {"id": "s_" + token[:8], "display_name": "Bench " + token[:6]},
                }
            )
            await sock.frame(self.queue_frame())
        try:
            while True:
                msg = await receive()
                t = msg["type"]
                if t == "websocket.disconnect":
                    break
                if t != "websocket.receive":
                    continue
                text = msg.get("text")
                if text is None:
                    await self.error(sock, "binary_not_supported", None)
                    continue
                if len(text) > MAX_FRAME:
                    await self.error(sock, "frame_too_large", None)
                    continue
                await self.handle(sock, text)
        finally:
            group = (self.visitor_socks if role == "visitor" else self.staff_socks).get(token)
            if group is not None:
                group.discard(sock)
                if not group:
                    (self.visitor_socks if role == "visitor" else self.staff_socks).pop(token)

    async def error(self, sock: Sock, code: str, ref: str | None) -> None:
        await sock.frame({"type": "error", "code": code, "message": code, "ref": ref})

    def conv_for(self, sock: Sock, frame: dict[str, Any]) -> Conv | None:
        conv = self.convs.get(frame.get("conversation_id", ""))
        if conv is None:
            return None
        if sock.role == "visitor":
            return conv if conv.visitor_token == sock.token else None
        return conv if conv.staff_token == sock.token else None

    async def handle(self, sock: Sock, text: str) -> None:
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            await self.error(sock, "invalid_json", None)
            return
        if not isinstance(frame, dict):
            await self.error(sock, "invalid_json", None)
            return
        t = frame.get("type")
        if t == "send":
            cmid = frame.get("client_msg_id")
            body = frame.get("text")
            if not isinstance(cmid, str) or not isinstance(body, str):
                await self.error(sock, "invalid_frame", "send")
                return
            conv = self.conv_for(sock, frame)
            if conv is None:
                await self.error(sock, "not_a_participant", cmid)
                return
            if conv.state != "active":
                await self.error(sock, "conversation_ended", cmid)
                return
            if not body.strip():
                await self.error(sock, "text_empty", cmid)
                return
            if len(body) > MAX_TEXT:
                await self.error(sock, "text_too_long", cmid)
                return
            dup = conv.msg_ids.get(cmid)
            seq = dup if dup is not None else conv.seq + 1
            if dup is None:
                conv.msg_ids[cmid] = seq
            await sock.frame(
                {
                    "type": "ack",
                    "client_msg_id": cmid,
                    "conversation_id": conv.id,
                    "seq": seq,
                    "sent_at": now_iso(),
                    "duplicate": dup is not None,
                }
            )
            if dup is None:
                await self.push_message(conv, sock.role, None, body, None, cmid)
        elif t == "ping":
            await sock.frame({"type": "pong", "t": frame.get("t")})
        elif t == "sync":
            conv = self.conv_for(sock, frame)
            if conv is None:
                await self.error(sock, "not_a_participant", "sync")
                return
            await sock.frame(
                {
                    "type": "messages",
                    "conversation_id": conv.id,
                    "messages": [],
                    "last_seq": conv.seq,
                    "more": False,
                }
            )
        elif t == "accept" and sock.role == "counselor":
            cid = frame.get("conversation_id", "")
            conv = self.queue.pop(cid, None)
            if conv is None:
                await self.error(sock, "not_queued", "accept")
                return
            mine = self.staff_convs.setdefault(sock.token, set())
            if len(mine) >= self.max_chats:
                self.queue[cid] = conv  # (goes to the back; fine for a relay)
                await self.error(sock, "at_capacity", "accept")
                return
            mine.add(cid)
            conv.state = "active"
            conv.accepted_at = now_iso()
            conv.staff_token = sock.token
            conv.counselor = "Bench " + sock.token[:6]
            await sock.frame({"type": "accepted", "conversation_id": cid})
            info = {"type": "conversation", "conversation": conv.info()}
            for s in self.sockets_of(conv):
                await s.frame(info)
            await self.push_message(conv, "system", conv.counselor, "", "accepted", None)
        elif t in ("typing", "receipt"):
            conv = self.conv_for(sock, frame)
            if conv is None:
                await self.error(sock, "not_a_participant", t)
                return
            out = {k: v for k, v in frame.items() if k != "conversation_id" and k != "type"}
            out = {"type": t, "conversation_id": conv.id, "from": sock.role, **out}
            for s in self.sockets_of(conv):
                if s.role != sock.role:
                    await s.frame(out)
        elif (t == "leave" and sock.role == "visitor") or (t == "end" and sock.role != "visitor"):
            conv = self.conv_for(sock, frame)
            if conv is None:
                await self.error(sock, "not_a_participant", t)
                return
            conv.state = "ended"
            conv.ended_at = now_iso()
            conv.ended_by = sock.role
            self.queue.pop(conv.id, None)
            if conv.staff_token is not None:
                self.staff_convs.get(conv.staff_token, set()).discard(conv.id)
            if t == "end":
                await sock.frame({"type": "ended", "conversation_id": conv.id})
            info = {"type": "conversation", "conversation": conv.info()}
            for s in self.sockets_of(conv):
                await s.frame(info)
        else:
            await self.error(sock, "unknown_type", t if isinstance(t, str) else None)

    # ---------------------------------------------------------------- ASGI entry
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)


def parse_cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", ()):
        if k == b"cookie":
            for part in v.decode("latin-1").split(";"):
                name, _, value = part.strip().partition("=")
                if name:
                    out[name] = value
    return out


async def respond(
    send: Send, status: int, obj: Any, extra: list[tuple[bytes, str]] | None = None
) -> None:
    body = orjson.dumps(obj)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    for k, v in extra or []:
        headers.append((k, v.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8124)
    ap.add_argument("--max-chats", type=int, default=None, help="default: $BAKEN_MAX_CHATS or 3")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the relay only listens on loopback")
    max_chats = args.max_chats or int(os.environ.get("BAKEN_MAX_CHATS", MAX_CHATS))
    uvicorn.run(
        Relay(max_chats=max_chats),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets",
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,  # as `baken serve`; the 64 KiB frame limit is app-level
        # as `baken serve` (protocol-level keepalive every heartbeat); "off" for diagnosis only
        ws_ping_interval=None if os.environ.get("RELAY_WS_PING") == "off" else HEARTBEAT,
        ws_ping_timeout=HEARTBEAT,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
