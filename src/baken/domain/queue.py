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
    acute_signal: bool = False
    signal_points: int = 0

    @property
    def key(self) -> QueueKey:
        return queue_key(
            self.conversation_id,
            self.created_at,
            self.priority,
            self.acute_signal,
            self.signal_points,
        )


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


# (tier, ranked arrival, id): tier 0 for "I am in danger now", 1 for everyone else; the ranked
# arrival is the arrival moved earlier by the visitor's head start (see `head_start`).
QueueKey = tuple[int, datetime, str]


def queue_key(
    conversation_id: str,
    created_at: datetime,
    priority: int,
    acute_signal: bool = False,
    signal_points: int = 0,
) -> QueueKey:
    """Danger first; then the earliest ranked arrival; the id breaks exact ties.

    The key does not depend on the time it is computed: linear aging (everyone's claim grows
    by one point a minute of waiting) orders exactly like an arrival moved earlier by the
    points, so the order is the same on every process and never needs re-sorting as time
    passes (docs/signals.md, "The risk-ranked queue")."""
    danger = priority >= DANGER_PRIORITY
    ahead = head_start(
        priority - DANGER_PRIORITY if danger else priority, acute_signal, signal_points
    )
    return (0 if danger else 1, created_at - ahead, conversation_id)


def order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    return sorted(entries, key=lambda e: e.key)


def positions(entries: Iterable[QueueEntry]) -> dict[str, int]:
    """Place in line per conversation, 1 being next."""
    return positions_of_keys(e.key for e in entries)


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


# --- the risk-ranked queue (issue 19, item 3) ------------------------------------------------
#
# Points are minutes of head start: a visitor with 10 points is placed as if they had come 10
# minutes earlier. Someone who has waited longer than the difference in head starts stays
# ahead, so nobody waits behind later arrivals for ever (aging), and the sort key never changes
# while visitors wait. Every cap below bounds what words typed in the queue can do.
SECONDS_PER_POINT = 60
# Points from the age band and from detections together (an organisation's higher age points
# are cut here too).
RISK_POINTS_MAX = 15
# Detected indicators other than acute danger: this many points per distinct label, at most
# SIGNAL_POINTS_MAX, however often they are repeated.
SIGNAL_POINTS_PER_LABEL = 2
SIGNAL_POINTS_MAX = 6
# Detected acute danger: more than any risk score, so at the same arrival it goes first.
ACUTE_SIGNAL_POINTS = 20
# The largest head start anyone but "in danger now" can have: the aging bound.
MAX_HEAD_START = timedelta(seconds=(ACUTE_SIGNAL_POINTS + RISK_POINTS_MAX) * SECONDS_PER_POINT)
# Only a waiting visitor's first messages are read for the queue (seq 1 to this).
FIRST_MESSAGES_READ = 3
ACUTE_LABEL = "acute_danger"


def head_start(age_points: int, acute_signal: bool, signal_points: int) -> timedelta:
    """How much earlier than their arrival a visitor is placed (never negative, never more
    than MAX_HEAD_START)."""
    risk = min(RISK_POINTS_MAX, max(0, age_points) + min(SIGNAL_POINTS_MAX, max(0, signal_points)))
    points = risk + (ACUTE_SIGNAL_POINTS if acute_signal else 0)
    return timedelta(seconds=points * SECONDS_PER_POINT)


@dataclass(frozen=True, slots=True)
class SignalRank:
    """What detections in a waiting visitor's first messages add to their place."""

    acute: bool = False
    points: int = 0

    def raised_by(self, other: SignalRank) -> SignalRank:
        """The higher of both: ranks only rise, so repeating words changes nothing."""
        return SignalRank(self.acute or other.acute, max(self.points, other.points))


def signal_rank(labels: Iterable[str]) -> SignalRank:
    """The rank that one message's detected labels give."""
    distinct = set(labels)
    acute = ACUTE_LABEL in distinct
    distinct.discard(ACUTE_LABEL)
    return SignalRank(acute, min(SIGNAL_POINTS_MAX, SIGNAL_POINTS_PER_LABEL * len(distinct)))


class RankReason(StrEnum):
    """Why a waiting visitor is where they are (shown to staff, never to visitors)."""

    DANGER = "danger"  # said "I am in danger now"
    ACUTE_SIGNAL = "acute_signal"  # possible acute danger in a first message
    SIGNALS = "signals"  # other possible indicators in a first message
    AGE = "age"  # under 16 or 16–17


def rank_reasons(priority: int, acute_signal: bool, signal_points: int) -> list[RankReason]:
    reasons = []
    danger = priority >= DANGER_PRIORITY
    if danger:
        reasons.append(RankReason.DANGER)
    if acute_signal:
        reasons.append(RankReason.ACUTE_SIGNAL)
    if signal_points > 0:
        reasons.append(RankReason.SIGNALS)
    if (priority - DANGER_PRIORITY if danger else priority) > 0:
        reasons.append(RankReason.AGE)
    return reasons


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
