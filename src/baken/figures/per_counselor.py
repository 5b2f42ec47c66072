"""Per-counselor figures for supervisors (issue 15, item 7; docs/wellbeing.md, "Per counselor"):
for support and planning — who carries how much, whose registrations wait — never for ranking.
Rows come out in alphabetical order and nothing here sorts by a figure.

Pure: the repository reads the stints in chats, the first replies and the registrations pending
(figures/counselor_repository.py); this turns them into one row per staff member. Definitions,
for the period [start, end) (end no later than now):

- chats: conversations in which the staff member spent time as counselor within the period;
- first reply: from joining a chat to one's first message in it, for chats joined in the
  period that got one; the median;
- registrations pending: chats of theirs that ended in the period and still have no completed
  registration;
- and only for someone who chose to share (``wellbeing_shares``; issue 15, item 6 makes a
  counselor's day visible to a supervisor "aggregated or with their consent"): heavy chats, time
  in chats — summed per chat (two chats at once for an hour are two hours), as on "My day"
  (wellbeing/day.py) — and the longest time in chats without a break: chats following each
  other with less than a pause's length between them are one stretch (pauses taken in the
  console are not stored, so they do not end a stretch here).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from baken.wellbeing.day import Stint


@dataclass(frozen=True, slots=True)
class FirstReply:
    staff_id: str
    conversation_id: str
    joined_at: datetime
    first_at: datetime | None  # None: no message of theirs in it


@dataclass(frozen=True, slots=True)
class Shared:
    """Wellbeing figures, only of someone who chose to share them."""

    since: datetime  # when they chose to
    heavy: int
    seconds: int  # time in chats
    longest_seconds: int


@dataclass(frozen=True, slots=True)
class CounselorRow:
    staff_id: str
    name: str
    chats: int
    first_reply_median: float | None
    pending: int
    shared: Shared | None


Part = tuple[Stint, datetime, datetime]  # a stint, and the part of it within the period


def _clipped(stints: Iterable[Stint], start: datetime, end: datetime) -> list[Part]:
    """Each stint's part within [start, end); stints wholly outside are left out."""
    return [
        (stint, max(stint.start, start), min(stint.end or end, end))
        for stint in stints
        if stint.start < end and (stint.end is None or stint.end > start)
    ]


def longest_stretch(spans: Iterable[tuple[datetime, datetime]], gap: timedelta) -> int:
    """The longest run of spans whose gaps are shorter than ``gap``, in whole seconds."""
    longest = 0.0
    current: list[datetime] | None = None
    for begin, end in sorted(spans):
        if current is not None and begin - current[1] < gap:
            current[1] = max(current[1], end)
        else:
            current = [begin, end]
        longest = max(longest, (current[1] - current[0]).total_seconds())
    return int(longest)


def rows(
    names: Mapping[str, str],
    stints: Iterable[Stint],
    replies: Iterable[FirstReply],
    pending: Mapping[str, int],
    shares: Mapping[str, datetime],
    start: datetime,
    end: datetime,
    gap: timedelta,
) -> list[CounselorRow]:
    """One row per staff member in ``names`` (id → display name), alphabetically by name."""
    by_staff: dict[str, list[Part]] = {}
    for part in _clipped(stints, start, end):
        by_staff.setdefault(part[0].staff_id, []).append(part)
    waits: dict[str, list[float]] = {}
    for reply in replies:
        if reply.first_at is None or reply.first_at < reply.joined_at:
            continue  # no reply, or one from an earlier time in the same chat
        if start <= reply.joined_at < end:
            waits.setdefault(reply.staff_id, []).append(
                (reply.first_at - reply.joined_at).total_seconds()
            )
    found = []
    for staff_id, name in names.items():
        parts = by_staff.get(staff_id, [])
        since = shares.get(staff_id)
        shared = None
        if since is not None:
            shared = Shared(
                since=since,
                heavy=len({s.conversation_id for s, _b, _e in parts if s.heavy}),
                seconds=int(sum((e - b).total_seconds() for _s, b, e in parts)),
                longest_seconds=longest_stretch(((b, e) for _s, b, e in parts), gap),
            )
        own_waits = waits.get(staff_id)
        found.append(
            CounselorRow(
                staff_id=staff_id,
                name=name,
                chats=len({s.conversation_id for s, _b, _e in parts}),
                first_reply_median=statistics.median(own_waits) if own_waits else None,
                pending=pending.get(staff_id, 0),
                shared=shared,
            )
        )
    # Alphabetical, never by a figure: this is not a league table.
    found.sort(key=lambda row: (row.name.casefold(), row.staff_id))
    return found
