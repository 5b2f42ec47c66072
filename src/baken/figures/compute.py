"""Service figures per hour or day, computed from conversation timestamps and states only.

Nothing here can see a message: the input is when a contact came, was answered and ended, and
how. Buckets are local time (the service's time zone), by the moment the contact came in.

Definitions (docs/service-figures.md):
- contacts: conversations started; answered: taken by a counselor;
- abandoned: ended while still waiting (the visitor left, quick exit or timeout before anyone
  answered); still waiting at the time of the query counts as neither;
- waiting time: from start to answer, answered contacts only; median and p90;
- chat duration: from answer to end, answered and ended contacts only; median and p90;
- quick exits: contacts ended with quick exit, waiting or in the chat;
- answered within N minutes (issue 15, item 7): the share, in whole per cent, of the contacts that
  were answered or left while waiting that were answered within N minutes (still waiting counts
  as neither; no such contacts: empty);
- feedback: answers to the two questions, by the hour they were given.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


class Answer:
    """Stored codes of the two feedback questions (docs/service-figures.md)."""

    YES = 1
    PARTLY = 2
    NO = 3


@dataclass(frozen=True, slots=True)
class Contact:
    created_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None


@dataclass(frozen=True, slots=True)
class FeedbackAnswer:
    submitted_hour: datetime
    helped: int | None
    come_back: int | None


@dataclass
class Bucket:
    start: datetime  # local time, aware
    contacts: int = 0
    answered: int = 0
    abandoned: int = 0
    quick_exits: int = 0
    waits: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    feedback: int = 0
    answered_within: int = 0
    helped: dict[int, int] = field(default_factory=dict)
    come_back: dict[int, int] = field(default_factory=dict)

    @property
    def wait_median(self) -> float | None:
        return median(self.waits)

    @property
    def wait_p90(self) -> float | None:
        return p90(self.waits)

    @property
    def answered_within_pct(self) -> int | None:
        settled = self.answered + self.abandoned
        return round(100 * self.answered_within / settled) if settled else None

    @property
    def duration_median(self) -> float | None:
        return median(self.durations)

    @property
    def duration_p90(self) -> float | None:
        return p90(self.durations)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile, interpolated between the closest ranks (the same as
    ``statistics.quantiles(values, n=10, method="inclusive")[8]``); one value is its own p90."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def bucket_start(moment: datetime, zone: ZoneInfo, by: Granularity) -> datetime:
    local = moment.astimezone(zone)
    if by is Granularity.DAY:
        return datetime(local.year, local.month, local.day, tzinfo=zone)
    # Keep the offset: in the repeated autumn hour, 02:00 CEST and 02:00 CET are two buckets.
    return local.replace(minute=0, second=0, microsecond=0)


def local_day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of ``first`` to the start of the day after ``last``, local time."""
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=zone)


def figures(
    contacts: Iterable[Contact],
    answers: Iterable[FeedbackAnswer],
    zone: ZoneInfo,
    by: Granularity,
    answered_within: timedelta = timedelta(minutes=2),
) -> tuple[list[Bucket], Bucket]:
    """The buckets that have anything in them, in time order, and the total over all of them."""
    buckets: dict[tuple[datetime, float], Bucket] = {}
    total = Bucket(start=datetime.min.replace(tzinfo=zone))

    def bucket_for(moment: datetime) -> Bucket:
        start = bucket_start(moment, zone, by)
        offset = start.utcoffset()
        key = (start.replace(tzinfo=None), offset.total_seconds() if offset else 0.0)
        found = buckets.get(key)
        if found is None:
            found = buckets[key] = Bucket(start=start)
        return found

    for contact in contacts:
        for target in (bucket_for(contact.created_at), total):
            target.contacts += 1
            if contact.ended_by == "quick_exit":
                target.quick_exits += 1
            if contact.accepted_at is not None:
                target.answered += 1
                wait = (contact.accepted_at - contact.created_at).total_seconds()
                target.waits.append(max(0.0, wait))
                if wait <= answered_within.total_seconds():
                    target.answered_within += 1
                if contact.ended_at is not None:
                    duration = (contact.ended_at - contact.accepted_at).total_seconds()
                    target.durations.append(max(0.0, duration))
            elif contact.ended_at is not None:
                target.abandoned += 1
    for answer in answers:
        for target in (bucket_for(answer.submitted_hour), total):
            target.feedback += 1
            if answer.helped is not None:
                target.helped[answer.helped] = target.helped.get(answer.helped, 0) + 1
            if answer.come_back is not None:
                target.come_back[answer.come_back] = target.come_back.get(answer.come_back, 0) + 1
    ordered = [buckets[key] for key in sorted(buckets, key=lambda k: buckets[k].start)]
    return ordered, total


@dataclass(frozen=True, slots=True)
class MailboxLine:
    """One message of a left-message thread: which thread, its order, which way, when (ms)."""

    thread: str
    seq: int
    to_staff: bool
    sent_at_ms: int


def response_times(lines: Iterable[MailboxLine], start_ms: int, end_ms: int) -> list[float]:
    """Seconds from a visitor's message that nobody had answered yet to the team's next answer
    (issue 15, item 7: left-message response time). Counted for waits that began in
    [start_ms, end_ms); a wait still open is not counted."""
    found: list[float] = []
    pending: dict[str, int] = {}
    for line in sorted(lines, key=lambda x: (x.thread, x.seq)):
        if line.to_staff:
            pending.setdefault(line.thread, line.sent_at_ms)
        elif line.thread in pending:
            since = pending.pop(line.thread)
            if start_ms <= since < end_ms:
                found.append(max(0.0, (line.sent_at_ms - since) / 1000))
    return found
