"""The supervisor's live overview: the queue and its waits, who is online with how many chats, and
every active chat of the organisation (docs/supervision.md).

It is rebuilt only while someone watches it, at most every OVERVIEW_COALESCE_SECONDS after a
change (a message, a state change, a receipt, someone coming online), and every
OVERVIEW_REFRESH_SECONDS regardless (waits grow, receipts are saved in batches).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from baken.domain.conversation import State
from baken.domain.queue import is_urgent
from baken.realtime import wire
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.counselor_tools import CHAT_ROLES
from baken.store.clock import iso, iso_ms, utcnow
from baken.store.staff_repo import StaffRepository
from baken.store.supervision_repo import SupervisionRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live
    from baken.realtime.staff_status import StaffStatuses

log = logging.getLogger(__name__)

OVERVIEW_COALESCE_SECONDS = 0.5
OVERVIEW_REFRESH_SECONDS = 5.0
RECEIPT_DELAY_SECONDS = 1.5  # just past the chat service's receipt flush (once a second)


class Overview:
    def __init__(self, live: Live) -> None:
        self.hub = live.hub
        self.presence = live.presence
        self.settings = live.settings
        self.chats = SupervisionRepository(live.repo)
        self.staff = StaffRepository(live.repo.db)
        self.watchers: set[Connection] = set()
        # Issue 15, item 6: who is on a pause (realtime/wellbeing.py sets this); only that, never
        # anyone's figures.
        self.paused_until: Callable[[str], datetime | None] = lambda _staff_id: None
        # Issue 15, item 1: statuses and capacities (realtime/staff_status.py sets this).
        self.statuses: StaffStatuses | None = None
        self._pending: asyncio.Task[None] | None = None
        self._refresh: asyncio.Task[None] | None = None
        # A message (stored here or elsewhere), a conversation's change, a read receipt.
        for trigger in (wire.MessageCommitted, wire.PeerMessage, wire.ConversationChanged):
            live.broker.on(trigger, self.on_change)
        live.broker.on(wire.ReceiptEvent, self.on_receipt)
        live.presence.add_listener(self.changed)

    def start(self) -> None:
        self._refresh = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        for task in (self._refresh, self._pending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.watchers.clear()

    async def watch(self, conn: Connection) -> None:
        self.watchers.add(conn)
        assert isinstance(conn.identity, StaffIdentity)
        conn.send(await self.build(conn.identity.member.organisation_id))

    def unwatch(self, conn: Connection) -> None:
        self.watchers.discard(conn)

    # --- when to rebuild ----------------------------------------------------------------------

    def on_change(self, _event: wire.BrokerEvent) -> None:
        if self.watchers:
            self.changed(OVERVIEW_COALESCE_SECONDS)

    def on_receipt(self, _event: wire.ReceiptEvent) -> None:
        if self.watchers:
            # Read receipts reach the database in batches: look once this one is saved.
            self.changed(RECEIPT_DELAY_SECONDS)

    def changed(self, delay: float = OVERVIEW_COALESCE_SECONDS) -> None:
        if not self.watchers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._pending is None or self._pending.done():
            self._pending = loop.create_task(self._send_after(delay))

    async def _send_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._send_all()
        except Exception:
            log.exception("updating the supervisor overview failed; the next change tries again")

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(OVERVIEW_REFRESH_SECONDS)
            try:
                await self._send_all()
            except Exception:
                log.exception("refreshing the supervisor overview failed")

    async def _send_all(self) -> None:
        self.watchers = {c for c in self.watchers if not c.closed and c in self.hub.connections}
        by_organisation: dict[str, list[Connection]] = {}
        for conn in self.watchers:
            if isinstance(conn.identity, StaffIdentity):
                by_organisation.setdefault(conn.identity.member.organisation_id, []).append(conn)
        for organisation_id, conns in by_organisation.items():
            frame = await self.build(organisation_id)
            for conn in conns:
                conn.send(frame)

    # --- what it shows -------------------------------------------------------------------------

    async def build(self, organisation_id: str) -> wire.Overview:
        now = utcnow()
        waits = sorted(
            (now - record.created_at).total_seconds()
            for record in self.hub.open.values()
            if record.state is State.QUEUED and record.organisation_id == organisation_id
        )
        urgent = sum(
            1
            for record in self.hub.open.values()
            if record.state is State.QUEUED
            and record.organisation_id == organisation_id
            and is_urgent(record.priority)
        )
        active = await self.chats.active_chats(organisation_id)
        load: dict[str, int] = {}
        for chat in active:
            if chat.record.counselor_id is not None:
                load[chat.record.counselor_id] = load.get(chat.record.counselor_id, 0) + 1
        online = self.presence.online(organisation_id)
        members = {m.id: m for m in await self.staff.members(organisation_id) if m.active}
        capacities = await self.statuses.capacities_of(organisation_id) if self.statuses else {}
        counselors = [
            {
                "id": staff_id,
                "display_name": members[staff_id].display_name,
                "role": members[staff_id].role.value,
                "active_chats": load.get(staff_id, 0),
                "max_chats": capacities.get(staff_id, self.settings.max_chats),
                "pause_until": iso(self.paused_until(staff_id)),
                "status": online[staff_id].status.value,
            }
            for staff_id in online
            if staff_id in members and members[staff_id].role in CHAT_ROLES
        ]
        counselors.sort(key=lambda c: str(c["display_name"]).casefold())
        return {
            "type": "overview",
            "server_time": iso(now),
            "queue": {
                "total": len(waits),
                "urgent": urgent,
                "longest_wait_seconds": int(waits[-1]) if waits else None,
                "median_wait_seconds": int(statistics.median(waits)) if waits else None,
            },
            "counselors": counselors,
            "chats": [
                {
                    "conversation_id": chat.record.id,
                    "nickname": chat.record.nickname,
                    "counselor_id": chat.record.counselor_id,
                    "counselor": chat.record.counselor_name,
                    "created_at": iso(chat.record.created_at),
                    "accepted_at": iso(chat.record.accepted_at),
                    "last_activity_at": (
                        iso_ms(chat.last_activity_ms) if chat.last_activity_ms else None
                    ),
                    "unread_for_counselor": chat.unread_for_counselor,
                    "urgent": is_urgent(chat.record.priority),
                }
                for chat in active
            ],
        }
