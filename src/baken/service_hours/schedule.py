"""When the chat is open: weekly hours and dated exceptions, in local wall-clock time.

Pure rules, no I/O. Hours are what a clock on the office wall shows (Europe/Amsterdam by
default), so "09:00–17:00" stays 09:00–17:00 across daylight-saving changes. Around a change:
a range starting in the hour that is skipped in spring opens at the jump (03:00 local); in
autumn the repeated hour counts twice, so a range over it is open for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead "opens next" looks; a service closed longer than this shows no next opening.
LOOKAHEAD_DAYS = 400


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Open from ``start`` up to (not including) ``end``, minutes after local midnight."""

    start: int
    end: int

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end


@dataclass(frozen=True, slots=True)
class DayException:
    """A date with other hours than usual; no ranges means closed all day (a holiday)."""

    day: date
    ranges: tuple[TimeRange, ...]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Schedule:
    timezone: str
    # Monday = 0 … Sunday = 6, as datetime.weekday().
    weekly: tuple[tuple[TimeRange, ...], ...]
    exceptions: dict[date, DayException] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception.ranges
        return self.weekly[day.weekday()]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(r.contains(minute) for r in self.ranges_on(local.date()))

    def next_opening(self, moment: datetime) -> datetime | None:
        """The first moment after ``moment`` at which the chat opens (UTC); None when it is open
        now or does not open within LOOKAHEAD_DAYS."""
        if self.is_open(moment):
            return None
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for r in sorted(self.ranges_on(day), key=lambda r: r.start):
                if offset == 0 and r.start <= minute:
                    continue
                # A range that continues one ending at midnight is no new opening.
                if r.start == 0 and self._open_at_end_of(day - timedelta(days=1)):
                    continue
                return first_instant_at(day, r.start, self.zone)
        return None

    def closes_at(self, moment: datetime) -> datetime | None:
        """When the current opening ends (UTC), following ranges that run on past midnight;
        None when closed now."""
        if not self.is_open(moment):
            return None
        local = moment.astimezone(self.zone)
        day, minute = local.date(), local.hour * 60 + local.minute
        for _ in range(LOOKAHEAD_DAYS):
            current = next((r for r in self.ranges_on(day) if r.contains(minute)), None)
            if current is None:
                break
            if current.end < MINUTES_PER_DAY:
                # Back-to-back ranges (09:00–12:00, 12:00–17:00) are one opening.
                follow = next((r for r in self.ranges_on(day) if r.start == current.end), None)
                if follow is None:
                    return first_instant_at(day, current.end, self.zone)
                minute = follow.start
                continue
            day, minute = day + timedelta(days=1), 0
        return None

    def _open_at_end_of(self, day: date) -> bool:
        return any(r.end == MINUTES_PER_DAY for r in self.ranges_on(day))


ALWAYS_OPEN = Schedule(
    "Europe/Amsterdam", tuple((TimeRange(0, MINUTES_PER_DAY),) for _ in range(7))
)


def first_instant_at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the local clock shows ``minute`` on ``day`` or later.

    Usually just that wall time; when it falls in the hour skipped in spring, the instant of the
    jump (the clock goes from before it to after it there)."""
    if minute >= MINUTES_PER_DAY:
        return first_instant_at(day + timedelta(days=1), 0, zone)
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    earliest = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earliest.astimezone(zone).replace(tzinfo=None) == wall:
        # Exists (in autumn possibly twice: fold=0 is the first of the two).
        return earliest
    # Skipped: search the jump between the wall time read with the later and the earlier offset.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = earliest
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    # The jump lies in (low, high], less than a minute wide, and falls on a whole minute: that
    # minute is the one high lies in.
    return high.replace(second=0, microsecond=0)
