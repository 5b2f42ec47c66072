"""Counselor wellbeing over the staff socket (issue 15, item 6; docs/wellbeing.md): the one-tap
heavy mark, one's own day in figures with the break reminder, a pause with a timer, and "I would
like to talk about this", which reaches the supervisors of one's own organisation who are online.

Nothing here is written to the audit log and the talk request is not stored at all: it is about a
person, not about a visitor's data, and a record of who asked for support when would be exactly the
kind of list that must never exist (docs/wellbeing.md, "What is kept"). Pauses live in memory, on
every process (each hears the others' announcements); after a restart a pause still runs in the
counselor's console, only the overview no longer shows it.

A pause is a wrap-up (issue 15, items 1 and 6): while it runs the counselor's status is "wrap-up"
with the pause's end, so take-next, accept and the wait estimates leave them out; it is capped like
every wrap-up (BAKEN_WRAP_UP_MAX_MINUTES), and at its end the wrap-up's own end makes them
"available" again (realtime/staff_status.py, `tick`). Ending the pause early makes them available
at once; choosing another status ends the pause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from baken.domain.conversation import Role
from baken.domain.staff_status import StaffStatus, wrap_up_until
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.frames import (
    FrameError,
    HeavyMark,
    Pause,
    TalkRequest,
    WellbeingGet,
    _Frame,
)
from baken.realtime.wire import PauseChanged, PauseWire, TalkAsked, TalkWire
from baken.realtime.wire import PauseState as PauseStateFrame
from baken.realtime.wire import TalkRequest as TalkRequestFrame
from baken.realtime.wire import Wellbeing as WellbeingFrame
from baken.store.clock import iso, utcnow
from baken.store.staff_repo import StaffMember, StaffRepository
from baken.wellbeing.day import break_due, figures, in_chats_since
from baken.wellbeing.repository import WellbeingRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live
    from baken.realtime.staff_status import StaffStatuses

log = logging.getLogger(__name__)

WELLBEING_FRAME_TYPES = (HeavyMark, TalkRequest, Pause, WellbeingGet)
PAUSE_EVENT: Final = "wellbeing_pause"
TALK_EVENT: Final = "wellbeing_talk"
# Looked back this far for the present stretch in chats (a night shift crosses midnight).
LOOK_BACK = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PauseState:
    organisation_id: str
    until: datetime


class Wellbeing:
    def __init__(self, live: Live, clock: Callable[[], datetime] = utcnow) -> None:
        self.live = live
        self.hub = live.hub
        self.broker = live.broker
        self.presence = live.presence
        self.settings = live.settings
        self.repo = WellbeingRepository(live.repo.db)
        self.staff = StaffRepository(live.repo.db)
        self.clock = clock  # tests move it; nothing here waits
        self.pauses: dict[str, PauseState] = {}
        self.last_pause_end: dict[str, datetime] = {}
        # Called when someone's pause starts or ends (the supervisor overview shows it).
        self.listeners: list[Callable[[], None]] = []
        # The statuses a pause sets (chat_service wires them; None: a pause is a timer only).
        self.statuses: StaffStatuses | None = None
        self.broker.on(PauseChanged, self._paused)
        self.broker.on(TalkAsked, self._talk)

    # --- frames ---------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        assert isinstance(conn.identity, StaffIdentity)  # only STAFF_FRAMES carry these
        member = conn.identity.member
        if isinstance(frame, HeavyMark):
            if not await self.repo.took_part(
                member.id, frame.conversation_id, member.organisation_id
            ):
                raise FrameError(
                    "not_a_participant", "You are not part of this conversation.", frame.type
                )
            await self.repo.mark(member.id, frame.conversation_id, frame.heavy)
            conn.send(
                {
                    "type": "heavy_marked",
                    "conversation_id": frame.conversation_id,
                    "heavy": frame.heavy,
                }
            )
        elif isinstance(frame, TalkRequest):
            conn.send({"type": "talk_request_sent", "supervisors_online": self.talk(member)})
        elif isinstance(frame, Pause):
            self.pause(member, frame.minutes)
        elif isinstance(frame, WellbeingGet):
            conn.send(await self.view(member, frame.conversation_id))

    def talk(self, member: StaffMember) -> int:
        """Tell the organisation's supervisors who are online, on any process; how many there are
        (0: nobody heard it, and nothing was kept)."""
        wire: TalkWire = {
            "organisation_id": member.organisation_id,
            "staff_id": member.id,
            "at": iso(self.clock()),
        }
        self.broker.publish({"kind": TALK_EVENT, **wire, "wire": wire})
        return sum(
            1
            for online in self.presence.online(member.organisation_id).values()
            if online.role == Role.SUPERVISOR.value and online.staff_id != member.id
        )

    def pause(self, member: StaffMember, minutes: int) -> None:
        """Start a pause of ``minutes`` as a wrap-up, capped like one; 0 ends it early."""
        now = self.clock()
        running = self.paused_until(member.id) is not None
        until = (
            wrap_up_until(now, self.settings.wrap_up_max_minutes, now + timedelta(minutes=minutes))
            if minutes > 0
            else None
        )
        wire: PauseWire = {
            "organisation_id": member.organisation_id,
            "staff_id": member.id,
            "until": iso(until),
        }
        # The pause first, then the status: the status listener below then finds the pause in
        # the state the status belongs to, and ends nothing by mistake.
        self.broker.publish({"kind": PAUSE_EVENT, **wire, "wire": wire})
        if self.statuses is None:
            return
        if until is not None:
            self.statuses.set_status(member, StaffStatus.WRAP_UP, until)
        elif running and self.statuses.of(member.id) is StaffStatus.WRAP_UP:
            self.statuses.set_status(member, StaffStatus.AVAILABLE)

    def status_changed(self, staff_id: str, status: StaffStatus) -> None:
        """Another status than wrap-up (chosen, or the wrap-up's end) ends a running pause."""
        state = self.pauses.get(staff_id)
        if state is None or status is StaffStatus.WRAP_UP:
            return
        self._set_pause(staff_id, state.organisation_id, None)

    def pause_minutes(self) -> int:
        """The pause offered: BAKEN_WELLBEING_PAUSE_MINUTES, within the wrap-up's maximum."""
        return min(self.settings.wellbeing_pause_minutes, self.settings.wrap_up_max_minutes)

    def paused_until(self, staff_id: str) -> datetime | None:
        """The end of this staff member's pause, while it runs."""
        state = self.pauses.get(staff_id)
        if state is None:
            return None
        if state.until <= self.clock():
            del self.pauses[staff_id]
            self.last_pause_end[staff_id] = state.until
            return None
        return state.until

    async def view(self, member: StaffMember, conversation_id: str | None = None) -> WellbeingFrame:
        now = self.clock()
        stints = await self.repo.stints(member.organisation_id, now - LOOK_BACK, member.id)
        day = figures(stints, now)
        paused = self.paused_until(member.id)
        gap = timedelta(minutes=self.settings.wellbeing_pause_minutes)
        since = (
            None
            if paused is not None
            else in_chats_since(stints, now, self.last_pause_end.get(member.id), gap)
        )
        answer: WellbeingFrame = {
            "type": "wellbeing",
            "chats": day.chats,
            "chat_seconds": day.seconds,
            "heavy": day.heavy,
            "in_chats_since": iso(since),
            "break_due": break_due(
                since, now, timedelta(minutes=self.settings.break_reminder_minutes)
            ),
            "break_reminder_minutes": self.settings.break_reminder_minutes,
            "pause_minutes": self.pause_minutes(),
            "pause_until": iso(paused),
        }
        if conversation_id is not None:
            answer["conversation_id"] = conversation_id
            answer["conversation_heavy"] = any(
                s.conversation_id == conversation_id and s.heavy for s in stints
            )
        return answer

    # --- events ---------------------------------------------------------------------------------

    def _talk(self, event: TalkAsked) -> None:
        organisation_id, staff_id = event.get("organisation_id"), event.get("staff_id")
        if isinstance(organisation_id, str) and isinstance(staff_id, str):
            readers = self._supervisors(organisation_id, staff_id)
            if readers:
                self.hub._spawn(self._deliver_talk(readers, staff_id, event.get("at")))

    def _paused(self, event: PauseChanged) -> None:
        staff_id, organisation_id = event.get("staff_id"), event.get("organisation_id")
        if not isinstance(staff_id, str) or not isinstance(organisation_id, str):
            return
        raw = event.get("until")
        until = datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None
        self._set_pause(staff_id, organisation_id, until)

    def _set_pause(self, staff_id: str, organisation_id: str, until: datetime | None) -> None:
        if until is None:
            if self.pauses.pop(staff_id, None) is not None:
                self.last_pause_end[staff_id] = self.clock()
        else:
            self.pauses[staff_id] = PauseState(organisation_id, until)
        frame: PauseStateFrame = {"type": "pause_state", "until": iso(until)}
        for conn in list(self.hub.staff_by_id.get(staff_id, ())):
            conn.send(frame)
        for listener in self.listeners:
            try:
                listener()
            except Exception:
                log.exception("a pause listener failed")

    def _supervisors(self, organisation_id: str, asker: str) -> list[Connection]:
        """This process's sockets of the organisation's supervisors: never the asker's own,
        never a counselor's, never another organisation's."""
        found = []
        for conns in self.hub.staff_by_id.values():
            for conn in conns:
                identity = conn.identity
                if (
                    isinstance(identity, StaffIdentity)
                    and not conn.closed
                    and identity.member.organisation_id == organisation_id
                    and identity.member.role is Role.SUPERVISOR
                    and identity.member.id != asker
                ):
                    found.append(conn)
        return found

    async def _deliver_talk(self, readers: list[Connection], staff_id: str, at: Any) -> None:
        asker = await self.staff.by_id(staff_id)
        if asker is None:
            return
        frame: TalkRequestFrame = {
            "type": "talk_request",
            "from_staff_id": asker.id,
            "from": asker.display_name,
            "at": at if isinstance(at, str) else iso(self.clock()),
        }
        for conn in readers:
            conn.send(frame)
