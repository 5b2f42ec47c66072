"""Fan-out between processes through Redis pub/sub.

Local handlers get every event at once, with its objects, exactly like the in-process broker.
Other processes get a slim copy over Redis — ids and seqs, never message text or names in the clear;
a message travels sealed with its conversation's key (peer_messages.py) — and read anything else
they need from the database. Redis pub/sub may drop events (a restart, a slow subscriber); that only
delays: after a reconnect every process resyncs its sockets from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from baken.realtime import wire
from baken.realtime.broker import E, Handler, Handlers

log = logging.getLogger(__name__)

MAX_PENDING = 20_000
# Events per PUBLISH at most: a burst still goes out in pieces Redis and receivers digest quickly.
MAX_BATCH = 200
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


def wire_form(event: wire.BrokerEvent) -> dict[str, Any] | None:
    """What other processes need to know, with no message text or names."""
    if event["kind"] == "message_committed":
        # The others learn it as a `message` (wire.PeerMessage): same form as before the rename.
        peer: dict[str, Any] = {
            "kind": "message",
            "conversation_id": event["conversation_id"],
            "seq": event["message"].seq,
        }
        if "sealed" in event:
            peer["sealed"] = event["sealed"]
        return peer
    if event["kind"] == "conversation":
        record = event.get("record")
        return None if record is None else {"kind": "conversation", "conversation_id": record.id}
    if event["kind"] == "typing" or event["kind"] == "receipt":
        return {"kind": event["kind"], "frame": event["frame"]}
    if event["kind"] == "resync":
        return {"kind": "resync"}
    if event["kind"] == "message":
        return None  # another process's message: it told the others itself
    text_free = event.get("wire")
    if text_free is not None:  # every other event carries its own text-free form
        return {"kind": event["kind"], **text_free}
    return None


class RedisBroker:
    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._handlers = Handlers()
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(MAX_PENDING)
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()
        self.dropped = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._send())]
        # Start-up waits briefly for Redis, but a missing Redis must not keep chats offline.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 5)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._handlers.clear()

    def is_ready(self) -> bool | None:
        return self.connected.is_set()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.subscribe(handler)

    def on(self, declaration: type[E], handler: Callable[[E], None]) -> None:
        self._handlers.on(declaration, handler)

    def publish(self, event: wire.BrokerEvent) -> None:
        self._dispatch(event)
        wire = wire_form(event)
        if wire is None:
            return
        wire["origin"] = self.origin
        try:
            self._outbox.put_nowait(orjson.dumps(wire))
        except asyncio.QueueFull:
            self.dropped += 1  # the database still has it; other processes catch up later

    def _dispatch(self, event: Any) -> None:
        for handler in self._handlers.of(event.get("kind")):
            try:
                handler(event)
            except Exception:
                log.exception("an event handler failed")

    async def _send(self) -> None:
        client = Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        lost = False
        try:
            while True:
                # Everything waiting goes out as one PUBLISH (a JSON array of events): at
                # 2,000 msg/s one round trip and one parse per event cost both processes more
                # than the chat itself (docs/performance.md, two processes).
                batch = [await self._outbox.get()]
                while len(batch) < MAX_BATCH and not self._outbox.empty():
                    batch.append(self._outbox.get_nowait())
                data = batch[0] if len(batch) == 1 else b"[" + b",".join(batch) + b"]"
                attempt = 0
                while True:
                    try:
                        await client.publish(self.channel, data)
                        break
                    except (RedisError, OSError):
                        # Retrying is safe, receivers ignore seqs they have. Past the retries
                        # the event is dropped, and the others are told to resync once we are back.
                        if attempt >= len(RETRY_SECONDS):
                            self.dropped += len(batch)
                            lost = True
                            break
                        await asyncio.sleep(RETRY_SECONDS[attempt])
                        attempt += 1
                if lost and attempt < len(RETRY_SECONDS):
                    with contextlib.suppress(RedisError, OSError):
                        resync = {"kind": "resync", "origin": self.origin}
                        await client.publish(self.channel, orjson.dumps(resync))
                        lost = False
        finally:
            await client.aclose()

    async def _listen(self) -> None:
        attempt = 0
        while True:
            client = Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=10)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    if attempt > 0:
                        log.warning("Redis is back; resyncing sockets from the database")
                        self._dispatch({"kind": "resync"})
                    attempt = 0
                    self.connected.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.connected.clear()
                delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                if attempt == 0:
                    log.warning("lost Redis (%s); retrying", type(exc).__name__)
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _receive(self, data: bytes) -> None:
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        for event in decoded if isinstance(decoded, list) else (decoded,):
            if isinstance(event, dict) and event.get("origin") != self.origin:
                self._dispatch(event)
