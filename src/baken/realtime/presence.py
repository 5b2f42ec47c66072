"""Which staff members are online, on this process and on every other one.

Each process announces the staff with a socket open on it: at once when that changes, and again
every PRESENCE_INTERVAL_SECONDS as a heartbeat. Others keep each process's latest announcement
and forget it PRESENCE_TTL_SECONDS after the last one, so the counselors of a process that was
killed (no goodbye) disappear within that time. A process that stops cleanly says goodbye.

Announcements carry ids, organisation and role only — names are read from the database.
The expiry runs on the receiver's own monotonic clock, so clocks of hosts need not agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from baken.domain.languages import speaks
from baken.domain.staff_status import KEEPS_OPEN, TAKES_NEW, StaffStatus, parse_status
from baken.realtime import wire
from baken.realtime.broker import Broker
from baken.realtime.connection import StaffIdentity
from baken.realtime.hub import Hub

log = logging.getLogger(__name__)

PRESENCE_INTERVAL_SECONDS = 5.0
PRESENCE_TTL_SECONDS = 15.0
# A burst of sockets opening (a shift starting) is announced once.
ANNOUNCE_COALESCE_SECONDS = 0.1

ALIVE = "alive"
GONE = "gone"
HELLO = "hello"  # a process that just started asks the others to announce themselves now


# Administrators and researchers signed in do not make the chat open: they do not take chats.
TAKES_CHATS = frozenset({"counselor", "supervisor"})


@dataclass(frozen=True, slots=True)
class OnlineStaff:
    staff_id: str
    organisation_id: str
    role: str
    # Issue 14: the languages they speak (empty: Dutch and English, domain/languages.py).
    languages: tuple[str, ...] = ()
    # Issue 15, item 1: their status (realtime/staff_status.py); announced with them.
    status: StaffStatus = StaffStatus.AVAILABLE


class Presence:
    def __init__(self, hub: Hub, broker: Broker) -> None:
        self.hub = hub
        self.broker = broker
        self.process_id = secrets.token_hex(8)
        # process id -> (monotonic time of its last announcement, its staff)
        self._remote: dict[str, tuple[float, dict[str, OnlineStaff]]] = {}
        self._listeners: list[Callable[[], None]] = []
        self._announce_task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        # A staff member's status now (realtime/staff_status.py sets this).
        self.status_of: Callable[[str], StaffStatus] = lambda _staff_id: StaffStatus.AVAILABLE
        broker.on(wire.PresenceEvent, self.on_event)
        hub.staff_listeners.append(self.local_changed)

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called (synchronously) whenever someone comes online or goes offline anywhere."""
        self._listeners.append(listener)

    async def start(self) -> None:
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())
        self._publish(HELLO)

    async def stop(self) -> None:
        for task in (self._heartbeat, self._announce_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            self._publish(GONE)

    # --- who is online ------------------------------------------------------------------------

    def local(self) -> dict[str, OnlineStaff]:
        found: dict[str, OnlineStaff] = {}
        for staff_id, conns in self.hub.staff_by_id.items():
            for conn in conns:
                if isinstance(conn.identity, StaffIdentity) and not conn.closed:
                    member = conn.identity.member
                    found[staff_id] = OnlineStaff(
                        staff_id,
                        member.organisation_id,
                        member.role.value,
                        member.languages,
                        self.status_of(staff_id),
                    )
                    break
        return found

    def online(self, organisation_id: str | None = None) -> dict[str, OnlineStaff]:
        """Everyone online on any process whose announcement has not expired."""
        self._expire()
        found: dict[str, OnlineStaff] = {}
        for _seen, members in self._remote.values():
            found.update(members)
        # A status event reaches every process before the next announcement does: use it.
        for staff_id, member in list(found.items()):
            status = self.status_of(staff_id)
            if status is not member.status:
                found[staff_id] = replace(member, status=status)
        found.update(self.local())
        if organisation_id is None:
            return found
        return {k: v for k, v in found.items() if v.organisation_id == organisation_id}

    def staffed(self, organisation_id: str) -> bool:
        """Someone who takes chats — a counselor or supervisor — is signed in to the console of
        this organisation, on any process, and available or busy (issue 15: the chat is open only
        then; someone on a break or away does not keep it open)."""
        return any(
            member.role in TAKES_CHATS and member.status in KEEPS_OPEN
            for member in self.online(organisation_id).values()
        )

    def available(self, organisation_id: str) -> bool:
        """Someone of this organisation online takes new chats now (status "available")."""
        return any(
            member.role in TAKES_CHATS and member.status in TAKES_NEW
            for member in self.online(organisation_id).values()
        )

    def speaks(self, organisation_id: str, lang: str) -> bool:
        """Someone who takes chats in this organisation, online now, speaks ``lang``."""
        return any(
            member.role in TAKES_CHATS
            and member.status in KEEPS_OPEN
            and speaks(member.languages, lang)
            for member in self.online(organisation_id).values()
        )

    def announced(self, staff_id: str) -> OnlineStaff | None:
        """How another process last announced this staff member (None: it did not)."""
        self._expire()
        for _seen, members in self._remote.values():
            if staff_id in members:
                return members[staff_id]
        return None

    def is_online(self, staff_id: str) -> bool:
        if self.hub.staff_by_id.get(staff_id):
            return True
        return staff_id in self.online()

    # --- announcing ---------------------------------------------------------------------------

    def local_changed(self) -> None:
        self._notify()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._announce_task is None or self._announce_task.done():
            self._announce_task = loop.create_task(self._announce_soon())

    async def _announce_soon(self) -> None:
        await asyncio.sleep(ANNOUNCE_COALESCE_SECONDS)
        self._publish(ALIVE)

    def _publish(self, state: str) -> None:
        here = [] if state == GONE else list(self.local().values())
        staff = [
            [m.staff_id, m.organisation_id, m.role, ",".join(m.languages), m.status.value]
            for m in here
        ]
        text_free: wire.PresenceWire = {"process": self.process_id, "state": state, "staff": staff}
        self.broker.publish({"kind": "presence", **text_free, "wire": text_free})

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_INTERVAL_SECONDS)
            try:
                self._publish(ALIVE)
                if self._expire():
                    self._notify()
            except Exception:
                log.exception("announcing presence failed")

    # --- hearing --------------------------------------------------------------------------------

    def on_event(self, event: wire.PresenceEvent) -> None:
        process = event.get("process")
        if not isinstance(process, str) or process == self.process_id:
            return
        state = event.get("state")
        if state == GONE:
            if self._remote.pop(process, None) is not None:
                self._notify()
            return
        members = _members(event.get("staff"))
        previous = self._remote.get(process)
        self._remote[process] = (time.monotonic(), members)
        if previous is None or previous[1] != members:
            self._notify()
        if state == HELLO:
            self.local_changed()  # a newcomer: tell it who is here without waiting a heartbeat

    def _expire(self) -> bool:
        limit = time.monotonic() - PRESENCE_TTL_SECONDS
        stale = [p for p, (seen, _m) in self._remote.items() if seen < limit]
        for process in stale:
            del self._remote[process]
        return bool(stale)

    def notify(self) -> None:
        """Tell the listeners that something about who is online changed (a status)."""
        self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("a presence listener failed")


def _members(raw: Any) -> dict[str, OnlineStaff]:
    found: dict[str, OnlineStaff] = {}
    if not isinstance(raw, list):
        return found
    for item in raw:
        # Three fields from a process of the version before issue 14; four since (languages);
        # five since issue 15's statuses.
        if (
            isinstance(item, list)
            and len(item) in (3, 4, 5)
            and all(isinstance(part, str) and 0 < len(part) <= 40 for part in item[:3])
            and (len(item) == 3 or (isinstance(item[3], str) and len(item[3]) <= 80))
        ):
            languages = tuple(x for x in item[3].split(",") if x) if len(item) >= 4 else ()
            status = parse_status(item[4] if len(item) == 5 else None)
            found[item[0]] = OnlineStaff(item[0], item[1], item[2], languages, status)
    return found
