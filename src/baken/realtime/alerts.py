"""Alerts for supervisors (issue 15, item 3; docs/supervision.md, "Alerts"): a small periodic job
that looks at each organisation whose supervisors or administrators have a console open on this
process and sends them an `alerts` frame whenever what needs attention changes:

- `long_wait`: visitors waiting longer than the wait threshold;
- `urgent_waiting`: a visitor who said "I am in danger now" waiting at all;
- `counselor_silent`: an active chat where the visitor's last message has had no counselor reply
  for the silence threshold;
- `left_message_unanswered`: left messages without an answer after the left-message threshold;
- `queue_near_cap`: the queue at the near-cap percentage of its cap;
- `all_at_capacity`: visitors waiting and nobody online who is available with a free slot.

The thresholds are the organisation's own where its administrator set them, else the
installation's BAKEN_ALERT_* (`thresholds_of`). They are read with the organisation at every round,
so a change reaches every process at its next round.

(A counselor's "I would like to talk about this" reaches supervisors at once as its own frame,
realtime/wellbeing.py.) Counts and ids only: no names of visitors, no text. Every process computes
for its own sockets from the shared database and queue, so there is nothing to coordinate. The
clock is injected: tests move it and call `run`, they never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from baken.config import Settings
from baken.domain.conversation import Role, State
from baken.domain.organisation import Organisation
from baken.domain.queue import is_urgent
from baken.domain.staff_status import TAKES_NEW
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.presence import TAKES_CHATS
from baken.store.clock import iso, utcnow
from baken.store.organisation_repo import OrganisationRepository
from baken.team.alerts_repository import AlertRepository, ChatTurn

if TYPE_CHECKING:
    from baken.realtime.live import Live
    from baken.realtime.staff_status import StaffStatuses

log = logging.getLogger(__name__)

ALERT_SECONDS = 15.0
WATCHERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Thresholds:
    wait_minutes: int
    silent_minutes: int
    left_message_hours: int
    queue_near_percent: int  # 0: never
    queue_max: int


def thresholds_of(organisation: Organisation | None, settings: Settings) -> Thresholds:
    """The organisation's own thresholds, each one it left empty from the installation."""

    def pick(own: int | None, default: int) -> int:
        return default if own is None else own

    o = organisation or Organisation(id="", slug="", name="")
    return Thresholds(
        wait_minutes=pick(o.alert_wait_minutes, settings.alert_wait_minutes),
        silent_minutes=pick(o.alert_silent_minutes, settings.alert_silent_minutes),
        left_message_hours=pick(o.alert_left_message_hours, settings.alert_left_message_hours),
        queue_near_percent=pick(o.alert_queue_near_percent, settings.alert_queue_near_percent),
        queue_max=pick(o.queue_max, settings.queue_max),
    )


class Alerts:
    def __init__(
        self, live: Live, statuses: StaffStatuses, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.live = live
        self.hub = live.hub
        self.settings = live.settings
        self.presence = live.presence
        self.statuses = statuses
        self.repo = AlertRepository(live.repo.db)
        self.organisations = OrganisationRepository(live.repo.db)
        self.clock = clock
        # What each socket was last sent: a frame goes out only when it would differ.
        self._sent: dict[Connection, list[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _watchers(self) -> dict[str, list[Connection]]:
        found: dict[str, list[Connection]] = {}
        for conns in self.hub.staff_by_id.values():
            for conn in conns:
                identity = conn.identity
                if (
                    isinstance(identity, StaffIdentity)
                    and not conn.closed
                    and identity.member.role in WATCHERS
                ):
                    found.setdefault(identity.member.organisation_id, []).append(conn)
        return found

    async def run(self, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
        """Compute and send; returns the alerts per organisation watched here."""
        now = now or self.clock()
        watchers = self._watchers()
        self._sent = {c: a for c, a in self._sent.items() if not c.closed}
        computed: dict[str, list[dict[str, Any]]] = {}
        for organisation_id, conns in watchers.items():
            alerts = await self.compute(organisation_id, now)
            computed[organisation_id] = alerts
            for conn in conns:
                if self._sent.get(conn) != alerts:
                    self._sent[conn] = alerts
                    conn.send({"type": "alerts", "at": iso(now), "alerts": alerts})
        return computed

    async def compute(self, organisation_id: str, now: datetime) -> list[dict[str, Any]]:
        s = thresholds_of(await self.organisations.by_id(organisation_id), self.settings)
        waiting = [
            r
            for r in self.hub.open.values()
            if r.state is State.QUEUED and r.organisation_id == organisation_id
        ]
        alerts: list[dict[str, Any]] = []
        wait_limit = timedelta(minutes=s.wait_minutes)
        long = [now - r.created_at for r in waiting if now - r.created_at >= wait_limit]
        if long:
            alerts.append(
                {
                    "kind": "long_wait",
                    "count": len(long),
                    "longest_seconds": int(max(long).total_seconds()),
                    "minutes": s.wait_minutes,
                }
            )
        urgent = sum(1 for r in waiting if is_urgent(r.priority))
        if urgent:
            alerts.append({"kind": "urgent_waiting", "count": urgent})

        turns = await self.repo.active_turns(organisation_id)
        silent_before = int((now - timedelta(minutes=s.silent_minutes)).timestamp() * 1000)
        silent = sorted(
            t.conversation_id
            for t in turns
            if t.last_visitor_ms is not None
            and t.last_visitor_ms <= silent_before
            and (t.last_counselor_ms is None or t.last_counselor_ms < t.last_visitor_ms)
        )
        if silent:
            alerts.append(
                {
                    "kind": "counselor_silent",
                    "count": len(silent),
                    "conversation_ids": silent,
                    "minutes": s.silent_minutes,
                }
            )

        left_before = int((now - timedelta(hours=s.left_message_hours)).timestamp() * 1000)
        left = await self.repo.unanswered_left_messages(organisation_id, left_before)
        if left:
            alerts.append(
                {
                    "kind": "left_message_unanswered",
                    "count": left,
                    "hours": s.left_message_hours,
                }
            )

        cap = s.queue_max
        if s.queue_near_percent > 0 and len(waiting) * 100 >= cap * s.queue_near_percent:
            alerts.append({"kind": "queue_near_cap", "count": len(waiting), "cap": cap})

        if waiting and not await self._free_slot(organisation_id, turns):
            alerts.append({"kind": "all_at_capacity", "count": len(waiting)})
        return alerts

    async def _free_slot(self, organisation_id: str, turns: list[ChatTurn]) -> bool:
        """Someone online who is available and below their capacity."""
        load: dict[str, int] = {}
        for turn in turns:
            if turn.counselor_id is not None:
                load[turn.counselor_id] = load.get(turn.counselor_id, 0) + 1
        capacities = await self.statuses.capacities_of(organisation_id)
        for member in self.presence.online(organisation_id).values():
            if member.role not in TAKES_CHATS or member.status not in TAKES_NEW:
                continue
            if load.get(member.staff_id, 0) < capacities.get(
                member.staff_id, self.settings.max_chats
            ):
                return True
        return False

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(ALERT_SECONDS)
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("computing alerts failed; the next round tries again")
