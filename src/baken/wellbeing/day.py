"""A counselor's day in figures, and how long they have been in chats without a break — pure
functions over the stints the repository reads, so that the rules are tested without a clock.

"Today" is the calendar day in Europe/Amsterdam, the helpline's own (like the campaign counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from baken.registration import codebook

ZONE = ZoneInfo("Europe/Amsterdam")

# A registration counts a chat as heavy when it says acute danger or sexual exploitation.
_ACUTE = codebook.code("risk_level", "acute")
_SEXUAL = codebook.mask("exploitation_types", "sexual")


def registration_is_heavy(risk_level: int | None, exploitation_types: int | None) -> bool:
    return risk_level == _ACUTE or bool((exploitation_types or 0) & _SEXUAL)


@dataclass(frozen=True, slots=True)
class Stint:
    """A staff member's time in one chat: from joining it to leaving it (None: still in it)."""

    staff_id: str
    conversation_id: str
    start: datetime
    end: datetime | None
    heavy: bool


@dataclass(frozen=True, slots=True)
class Day:
    chats: int
    seconds: int  # summed per chat: two chats at once for an hour are two hours of listening
    heavy: int


def day_start(now: datetime) -> datetime:
    """The start of today (Europe/Amsterdam) as an aware datetime."""
    local = now.astimezone(ZONE)
    return datetime.combine(local.date(), time(), tzinfo=ZONE)


def figures(stints: Iterable[Stint], now: datetime) -> Day:
    """Chats, time in them and heavy ones, counting only what fell within today."""
    start = day_start(now)
    seen: set[str] = set()
    heavy: set[str] = set()
    seconds = 0.0
    for stint in stints:
        if stint.start > now or (stint.end is not None and stint.end < start):
            continue
        begin = max(stint.start, start)
        end = min(stint.end or now, now)
        seen.add(stint.conversation_id)
        if stint.heavy:
            heavy.add(stint.conversation_id)
        seconds += (end - begin).total_seconds()
    return Day(len(seen), int(seconds), len(heavy))


def in_chats_since(
    stints: Sequence[Stint], now: datetime, last_pause_end: datetime | None, gap: timedelta
) -> datetime | None:
    """When the present stretch in chats began: chats that follow each other with less than
    ``gap`` between them (the length of a pause) are one stretch; a pause taken in the console
    ends it too. None when the counselor has no chat now and ended the last one ``gap`` ago."""
    spans = sorted((s.start, s.end or now) for s in stints if s.start <= now)
    if not spans:
        return None
    merged: list[list[datetime]] = []
    for begin, end in spans:
        if merged and begin - merged[-1][1] < gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    begin, end = merged[-1]
    if now - end >= gap:
        return None
    if last_pause_end is not None and last_pause_end > begin:
        if last_pause_end >= end and not any(s.end is None for s in stints):
            return None  # nothing since the pause
        return last_pause_end
    return begin


def break_due(since: datetime | None, now: datetime, after: timedelta) -> bool:
    """Whether to remind of a break: ``after`` in chats without one (a zero ``after``: never)."""
    return since is not None and after > timedelta(0) and now - since >= after
