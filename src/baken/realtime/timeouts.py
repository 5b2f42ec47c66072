"""Nothing left hanging (issue 15): visitors who are gone leave the queue, and chats where the
visitor is gone or nobody writes any more are closed — after a warning to both sides.

Whether a visitor is still there is kept in the database, not in one process's memory, so it
holds across processes and restarts: each process writes `conversations.visitor_seen_at` for the
conversations whose visitor has a socket on it (or loaded a page of the chat without JavaScript)
once every `PRESENCE_SECONDS`, in parts of `PRESENCE_PART` rows. Every process also sweeps, every
`BAKEN_SWEEP_SECONDS`: a waiting visitor not seen for `BAKEN_QUEUE_GONE_SECONDS` leaves the
queue (`ended_by: "left"`); an active chat whose visitor has not been seen for
`BAKEN_ACTIVE_GONE_MINUTES`, or where nobody wrote for `BAKEN_IDLE_MINUTES`, gets a
`timeout_warning` line `BAKEN_TIMEOUT_WARNING_MINUTES` before the end, and then ends as `timeout`.
The settings keep the interval within the queue's limit and half the warning's window, so
nobody waits more than twice the limit and no chat ends unwarned. Ending is the domain's END
move, a conditional UPDATE: when two processes sweep the same chat, one ends it and the other
changes nothing.

A process sweeps only after it has been up for the queue's limit, so that after a restart the
visitors' sockets have time to come back before anyone is counted as gone. The clock and the
sleep are injected: tests move them, they do not wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from baken.config import Settings
from baken.domain.conversation import EVENT_TIMEOUT_WARNING, EndedBy
from baken.realtime.hub import Hub
from baken.realtime.live import Live
from baken.store.clock import utcnow
from baken.store.conversation_repo import ConversationRepository, Liveness

log = logging.getLogger(__name__)

PRESENCE_SECONDS = 15.0
# The presence write in parts of this many rows, a pause apart: 18,000 waiting visitors are
# written in 36 × 20 ms ≈ 0.7 s, well inside PRESENCE_SECONDS, and a message waits behind one
# part at most.
PRESENCE_PART = 500
PRESENCE_PAUSE_SECONDS = 0.02


def presence_interval(settings: Settings) -> float:
    """How often this process writes that its visitors are there: every 15 s, and at least three
    times within the queue's limit — a process sweeping a visitor whose socket is on another
    process sees only these writes, and with a limit of 10 s one write every 15 s would count
    a visitor who never left as gone."""
    return min(PRESENCE_SECONDS, settings.queue_gone_seconds / 3)


@dataclass(frozen=True, slots=True)
class Limits:
    queue_gone: timedelta
    active_gone: timedelta
    idle: timedelta
    warning: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            queue_gone=timedelta(seconds=settings.queue_gone_seconds),
            active_gone=timedelta(minutes=settings.active_gone_minutes),
            idle=timedelta(minutes=settings.idle_minutes),
            warning=timedelta(minutes=settings.timeout_warning_minutes),
        )


@dataclass(frozen=True, slots=True)
class SweepResult:
    left: list[str]
    warned: list[str]
    timed_out: list[str]


class _Failures:
    """Chats one sweep could not settle: each is left for the next round, the others go on (one
    chat whose key cannot be unwrapped must not stop every warning and end after it). The first
    failure of a round is logged with its traceback, the rest only counted."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0

    def add(self) -> None:
        self.count += 1
        if self.count == 1:
            log.exception("timeouts: %s could not be settled; the sweep goes on", self.what)


class Timeouts:
    def __init__(
        self,
        settings: Settings,
        repo: ConversationRepository,
        hub: Hub,
        live: Live,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = Limits.of(settings)
        self.sweep_seconds = float(settings.sweep_seconds)
        self.presence_seconds = presence_interval(settings)
        self.repo = repo
        self.hub = hub
        self.live = live
        self.clock = clock
        self.sleep = sleep
        self.sweeps = 0  # sweeps run by this process (/metrics: a bench checks they happened)
        # Conversations whose visitor loaded a page of the chat without JavaScript since the last
        # write: their refreshes count as being there, at no extra write per refresh.
        self._touched: set[str] = set()
        self._started_at: datetime | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    # --- presence --------------------------------------------------------------------------------

    def touch(self, conversation_id: str) -> None:
        self._touched.add(conversation_id)

    def present(self) -> set[str]:
        """The conversations whose visitor is here on this process right now."""
        return self.hub.visitor_sockets.keys() | self._touched

    async def write_presence(self, now: datetime | None = None) -> int:
        now = now or self.clock()
        present = list(self.present())
        self._touched.clear()
        # Every conversation with a visitor here, whether or not this process holds its record
        # (another process may be the one that sweeps it). In parts with a pause between them:
        # 18,000 rows in one go held the one writer the chat's messages need (issue 21). Each
        # part sorted, so two processes lock rows in the same order.
        for start in range(0, len(present), PRESENCE_PART):
            if start:
                await asyncio.sleep(PRESENCE_PAUSE_SECONDS)
            await self.repo.mark_visitors_seen(sorted(present[start : start + PRESENCE_PART]), now)
        return len(present)

    # --- sweeping --------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> SweepResult:
        now = now or self.clock()
        self.sweeps += 1
        # Someone whose socket is on this very process is here, whatever the last write says.
        present = self.present()
        left = await self._sweep_queue(now, present)
        warned, timed_out = await self._sweep_active(now, present)
        return SweepResult(left, warned, timed_out)

    async def _sweep_queue(self, now: datetime, present: set[str]) -> list[str]:
        gone = await self.repo.queued_unseen_since(now - self.limits.queue_gone)
        ended = []
        failures = _Failures("a waiting visitor who is gone")
        for conversation_id in gone:
            if conversation_id in present:
                continue
            try:
                transition = await self.repo.end(conversation_id, EndedBy.LEFT)
            except Exception:
                failures.add()
                continue
            if transition is not None:
                self.live.transition(transition)
                ended.append(conversation_id)
        return ended

    async def _sweep_active(self, now: datetime, present: set[str]) -> tuple[list[str], list[str]]:
        warned: list[str] = []
        timed_out: list[str] = []
        limits = self.limits
        # Only chats a warning can be due for: seen or spoken in no later than a warning before
        # the limit (the exact rule is applied below).
        due = (now - limits.active_gone + limits.warning, now - limits.idle + limits.warning)
        failures = _Failures("a silent chat")
        for chat in await self.repo.active_liveness(due):
            try:
                await self._settle(chat, now, present, warned, timed_out)
            except Exception:
                failures.add()
        return warned, timed_out

    async def _settle(
        self,
        chat: Liveness,
        now: datetime,
        present: set[str],
        warned: list[str],
        timed_out: list[str],
    ) -> None:
        """Warn or end one active chat when its time has come."""
        limits = self.limits
        seen = max(chat.since, chat.visitor_seen_at or chat.since)
        if chat.conversation_id in present:
            seen = now
        spoke = chat.since
        if chat.last_words_ms is not None:
            wrote = datetime.fromtimestamp(chat.last_words_ms / 1000, tz=UTC)
            spoke = max(spoke, wrote)
        deadline = min(seen + limits.active_gone, spoke + limits.idle)
        if now >= deadline:
            transition = await self.repo.end(chat.conversation_id, EndedBy.TIMEOUT)
            if transition is not None:
                self.live.transition(transition)
                timed_out.append(chat.conversation_id)
        elif now >= deadline - limits.warning and chat.last_event != EVENT_TIMEOUT_WARNING:
            # Once: the warning is then the transcript's last line until someone writes.
            event = await self.repo.add_event(chat.conversation_id, EVENT_TIMEOUT_WARNING)
            if event is not None:
                self.live.committed([event])
                warned.append(chat.conversation_id)

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._started_at = self.clock()
        self._tasks = [
            self.loop.create_task(self._forever(self.write_presence, self.presence_seconds)),
            self.loop.create_task(self._forever(self._sweep_when_settled, self.sweep_seconds)),
        ]

    async def _sweep_when_settled(self) -> None:
        now = self.clock()
        if self._started_at is not None and now - self._started_at < self.limits.queue_gone:
            return  # just started: the visitors' sockets are still coming back
        await self.sweep(now)

    async def _forever(self, work: Callable[[], Awaitable[object]], every: float) -> None:
        while True:
            await self.sleep(every)
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not stop the sweeps for good; the next round retries.
                log.exception("timeouts: %s failed", getattr(work, "__name__", "work"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
