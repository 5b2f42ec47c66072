"""Counselors' statuses and capacity over the staff socket (issue 15, item 1; docs/supervision.md).

A status (available, busy, break, wrap-up, away) is set by the counselor alone, on their own
socket: the frame names no one, so no session can change another person's status. Every process
keeps every status it hears (a `staff_status` event through the broker), so a counselor who
reconnects — to this process or another — keeps theirs; presence announces it with them, so a
process that starts later learns it from the next heartbeat. Statuses are not stored or audited:
they are about a person's day, never a performance record (docs/wellbeing.md).

A capacity (chats at once) is set by a supervisor or administrator of the same organisation,
stored (team/repository.py) and audited; without one, BAKEN_MAX_CHATS applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from baken.audit import kinds as audit_kinds
from baken.domain.conversation import Role
from baken.domain.staff_status import (
    TAKES_NEW,
    StaffStatus,
    effective,
    parse_status,
    wrap_up_until,
)
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import FrameError, SetCapacity, SetStatus, _Frame
from baken.realtime.wire import (
    Capacity,
    CapacityChanged,
    CapacityWire,
    StatusChanged,
    StatusWire,
)
from baken.realtime.wire import (
    StaffStatus as StaffStatusFrame,
)
from baken.store.clock import iso, utcnow
from baken.store.staff_repo import StaffMember, StaffRepository
from baken.team.repository import CapacityRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

TEAM_FRAME_TYPES = (SetStatus, SetCapacity)
STATUS_EVENT: Final = "staff_status"
CAPACITY_EVENT: Final = "staff_capacity"
# How often an expired wrap-up is turned back into "available" and told to the console.
TICK_SECONDS = 5.0
SETS_CAPACITY = frozenset({Role.SUPERVISOR, Role.ADMIN})


class NotAvailable(Exception):
    """The counselor's status does not take new chats."""

    def __init__(self, status: StaffStatus) -> None:
        super().__init__(status.value)
        self.status = status


@dataclass(frozen=True, slots=True)
class StatusState:
    organisation_id: str
    status: StaffStatus
    until: datetime | None  # the end of a wrap-up


class StaffStatuses:
    def __init__(self, live: Live, clock: Callable[[], datetime] = utcnow) -> None:
        self.live = live
        self.hub = live.hub
        self.broker = live.broker
        self.presence = live.presence
        self.settings = live.settings
        self.capacities = CapacityRepository(live.repo.db)
        self.staff = StaffRepository(live.repo.db)
        self.clock = clock  # tests move it; nothing here waits for it
        self.states: dict[str, StatusState] = {}
        # Called when a capacity changes (the supervisor overview shows it).
        self.listeners: list[Callable[[], None]] = []
        # Called with (staff id, status) when anyone's status changes, on every process (a pause
        # that the counselor left by choosing another status ends: realtime/wellbeing.py).
        self.status_listeners: list[Callable[[str, StaffStatus], None]] = []
        self._tick: asyncio.Task[None] | None = None
        self.presence.status_of = self.of
        self.broker.on(StatusChanged, self.on_event)
        self.broker.on(CapacityChanged, self.on_event)

    def start(self) -> None:
        self._tick = asyncio.get_running_loop().create_task(self._tick_forever())

    async def stop(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick

    # --- reading --------------------------------------------------------------------------------

    def state_of(self, staff_id: str) -> StatusState | None:
        return self.states.get(staff_id)

    def of(self, staff_id: str) -> StaffStatus:
        """The status now: as set (a finished wrap-up being "available"), else as another
        process announced it, else "available" (the status of someone who just signed in)."""
        state = self.states.get(staff_id)
        if state is not None:
            return effective(state.status, state.until, self.clock())
        announced = self.presence.announced(staff_id)
        return announced.status if announced is not None else StaffStatus.AVAILABLE

    def check_takes_new(self, member: StaffMember) -> None:
        status = self.of(member.id)
        if status not in TAKES_NEW:
            raise NotAvailable(status)

    async def capacity_of(self, staff_id: str) -> int:
        found = await self.capacities.of(staff_id)
        return self.settings.max_chats if found is None else found

    async def capacities_of(self, organisation_id: str) -> dict[str, int]:
        """Capacities set in this organisation; anyone missing has BAKEN_MAX_CHATS."""
        return await self.capacities.of_organisation(organisation_id)

    # --- frames ---------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        assert isinstance(conn.identity, StaffIdentity)  # only STAFF_FRAMES carry these
        member = conn.identity.member
        if isinstance(frame, SetStatus):
            self.set_status(member, StaffStatus(frame.status))
        elif isinstance(frame, SetCapacity):
            await self._set_capacity(conn, member, frame)

    def set_status(
        self, member: StaffMember, status: StaffStatus, until: datetime | None = None
    ) -> datetime | None:
        """Announce a status to every process; a wrap-up ends at ``until`` (a pause's end) or at
        its maximum, whichever comes first. Returns that end (None: not a wrap-up)."""
        until = (
            wrap_up_until(self.clock(), self.settings.wrap_up_max_minutes, until)
            if status is StaffStatus.WRAP_UP
            else None
        )
        wire: StatusWire = {
            "staff_id": member.id,
            "organisation_id": member.organisation_id,
            "status": status.value,
            "until": iso(until),
        }
        self.broker.publish({"kind": STATUS_EVENT, **wire, "wire": wire})
        return until

    async def _set_capacity(
        self, conn: Connection, member: StaffMember, frame: SetCapacity
    ) -> None:
        if member.role not in SETS_CAPACITY:
            raise FrameError(
                "forbidden", "Only supervisors and administrators can do this.", frame.type
            )
        target = await self.staff.by_id(frame.staff_id)
        # Another organisation's account answers exactly like one that does not exist.
        if target is None or target.organisation_id != member.organisation_id:
            raise FrameError("unknown_colleague", "There is no such colleague.", frame.type)
        await self.capacities.set(target.id, frame.max_chats, self.clock())
        await self.live.audit.record(
            audit_kinds.STAFF_CAPACITY,
            audit_kinds.Actor.of(member),
            audit_kinds.STAFF,
            target.id,
            str(frame.max_chats) if frame.max_chats is not None else "default",
        )
        max_chats = frame.max_chats or self.settings.max_chats
        wire: CapacityWire = {
            "staff_id": target.id,
            "organisation_id": target.organisation_id,
            "max_chats": max_chats,
        }
        self.broker.publish({"kind": CAPACITY_EVENT, **wire, "wire": wire})
        conn.send({"type": "capacity_set", "staff_id": target.id, "max_chats": max_chats})

    # --- events ---------------------------------------------------------------------------------

    def on_event(self, event: StatusChanged | CapacityChanged) -> None:
        kind = event.get("kind")
        staff_id, organisation_id = event.get("staff_id"), event.get("organisation_id")
        if not isinstance(staff_id, str) or not isinstance(organisation_id, str):
            return
        if kind == STATUS_EVENT:
            raw = event.get("until")
            until = (
                datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None
            )
            status = parse_status(event.get("status"))
            self.states[staff_id] = StatusState(organisation_id, status, until)
            self._tell(staff_id, self.frame_of(staff_id))
            for status_listener in self.status_listeners:
                try:
                    status_listener(staff_id, status)
                except Exception:
                    log.exception("a status listener failed")
            if staff_id in self.hub.staff_by_id:
                self.presence.local_changed()  # announce it now, and the overview rebuilds
            else:
                self.presence.notify()
            self.hub.refresh_queue()  # the wait estimates count only who is available
        elif kind == CAPACITY_EVENT:
            max_chats = event.get("max_chats")
            if isinstance(max_chats, int):
                self._tell(staff_id, {"type": "capacity", "max_chats": max_chats})
            for listener in self.listeners:
                try:
                    listener()
                except Exception:
                    log.exception("a capacity listener failed")

    def frame_of(self, staff_id: str) -> StaffStatusFrame:
        """What a console is told of its own status (also in the welcome)."""
        state = self.states.get(staff_id)
        status = self.of(staff_id)
        until = state.until if state is not None and status is state.status else None
        return {"type": "staff_status", "status": status.value, "until": iso(until)}

    def _tell(self, staff_id: str, frame: StaffStatusFrame | Capacity) -> None:
        for conn in list(self.hub.staff_by_id.get(staff_id, ())):
            conn.send(frame)

    # --- wrap-ups that reached their maximum -----------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[str]:
        """Turn finished wrap-ups of counselors on this process back into "available", for
        every process (one event each); the ids that changed."""
        now = now or self.clock()
        ended = [
            staff_id
            for staff_id, state in self.states.items()
            if state.status is StaffStatus.WRAP_UP
            and state.until is not None
            and now >= state.until
            and staff_id in self.hub.staff_by_id
        ]
        for staff_id in ended:
            state = self.states[staff_id]
            wire: StatusWire = {
                "staff_id": staff_id,
                "organisation_id": state.organisation_id,
                "status": StaffStatus.AVAILABLE.value,
                "until": None,
            }
            self.broker.publish({"kind": STATUS_EVENT, **wire, "wire": wire})
        return ended

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self.tick()
            except Exception:
                log.exception("ending finished wrap-ups failed")
