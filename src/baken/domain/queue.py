"""The waiting queue: who is next, each visitor's place in line, and an honest wait estimate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class QueueEntry:
    conversation_id: str
    created_at: datetime
    priority: int = 0


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """What a waiting visitor is told: their place, and the expected wait if we can say."""

    position: int
    wait_seconds: int | None

    @property
    def wait_minutes(self) -> int | None:
        return minutes_of(self.wait_seconds)


def minutes_of(wait_seconds: int | None) -> int | None:
    # Whole minutes, rounded up: "about 1 minute" rather than "0 minutes".
    return None if wait_seconds is None else max(1, -(-wait_seconds // 60))


QueueKey = tuple[int, datetime, str]


def queue_key(conversation_id: str, created_at: datetime, priority: int) -> QueueKey:
    """Sorts higher priority first, then first come, first served; the id breaks exact ties."""
    return (-priority, created_at, conversation_id)


def order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    return sorted(entries, key=lambda e: queue_key(e.conversation_id, e.created_at, e.priority))


def positions(entries: Iterable[QueueEntry]) -> dict[str, int]:
    """Place in line per conversation, 1 being next."""
    return positions_of_keys(
        queue_key(e.conversation_id, e.created_at, e.priority) for e in entries
    )


def positions_of_keys(keys: Iterable[QueueKey]) -> dict[str, int]:
    """`positions` for keys made with `queue_key` (the hub keeps them; no entry objects).

    The dict is in queue order too: its readers walk it instead of sorting again."""
    return {key[2]: index for index, key in enumerate(sorted(keys), start=1)}


def positions_per_group(
    keyed: Iterable[tuple[QueueKey, str]],
) -> tuple[dict[str, int], dict[str, int]]:
    """Places within each group (an organisation's own line), and each group's size.

    One sort of the whole queue; each conversation's place counts only those of its own group
    ahead of it. The dict is in the whole queue's order, like `positions_of_keys`."""
    counters: dict[str, int] = {}
    places: dict[str, int] = {}
    for key, group in sorted(keyed):
        place = counters.get(group, 0) + 1
        counters[group] = place
        places[key[2]] = place
    return places, counters


class AgeBand(StrEnum):
    UNDER_16 = "under_16"
    AGE_16_17 = "16_17"
    ADULT = "18_plus"


# "I am in danger now" always goes first: no other rule can reach this many points.
DANGER_PRIORITY = 100


@dataclass(frozen=True, slots=True)
class PriorityRules:
    """Points that move a visitor forward; configurable per helpline, always below danger."""

    under_16: int = 10
    age_16_17: int = 5


def is_urgent(priority: int) -> bool:
    return priority >= DANGER_PRIORITY


def priority_for(danger: bool, age_band: AgeBand | None, rules: PriorityRules) -> int:
    points = DANGER_PRIORITY if danger else 0
    if age_band is AgeBand.UNDER_16:
        points += rules.under_16
    elif age_band is AgeBand.AGE_16_17:
        points += rules.age_16_17
    return points


# Fewer accepts than this in the window and any number would be a guess; we then say nothing.
MIN_ACCEPTS_FOR_ESTIMATE = 3
ESTIMATE_WINDOW = timedelta(minutes=60)


def service_rate(
    recent_accepts: Sequence[datetime], now: datetime, window: timedelta = ESTIMATE_WINDOW
) -> float | None:
    """Chats taken per second lately, or None when there is too little history to be honest.

    The rate is the number of accepts in the window divided by the time they span (from the oldest
    accept in the window to now), so a quiet start of the evening does not make the estimate look
    better than it is.
    """
    in_window = [t for t in recent_accepts if now - window <= t <= now]
    if len(in_window) < MIN_ACCEPTS_FOR_ESTIMATE:
        return None
    span = (now - min(in_window)).total_seconds()
    if span <= 0:
        return None
    return len(in_window) / span


def wait_at(position: int, rate: float | None) -> timedelta | None:
    """Expected wait for the visitor at `position` at a service rate from `service_rate`."""
    if position < 1:
        return timedelta(0)
    return None if rate is None else timedelta(seconds=position / rate)


def wait_seconds_at(position: int, rate: float | None) -> int | None:
    """`wait_at` in whole seconds, as visitors are told it (a broadcast does this 2,000 times)."""
    if position < 1:
        return 0
    return None if rate is None else int(position / rate)


def estimate_wait(
    position: int,
    recent_accepts: Sequence[datetime],
    now: datetime,
    window: timedelta = ESTIMATE_WINDOW,
) -> timedelta | None:
    """Expected wait for the visitor at `position`, from how fast chats were taken lately."""
    if position < 1:
        return timedelta(0)
    return wait_at(position, service_rate(recent_accepts, now, window))
