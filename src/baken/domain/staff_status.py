"""A counselor's status (issue 15, item 1): whether they take new chats, and whether the chat is
open for visitors because of them. Pure rules; realtime/staff_status.py keeps the statuses."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class StaffStatus(StrEnum):
    AVAILABLE = "available"  # takes new chats
    BUSY = "busy"  # keeps their chats, no new ones; the chat stays open for visitors
    BREAK = "break"
    WRAP_UP = "wrap_up"  # after a chat, for registration; ends by itself after a maximum
    AWAY = "away"


# Who takes new chats (take-next, accept, the wait estimate).
TAKES_NEW = frozenset({StaffStatus.AVAILABLE})
# Who keeps the chat open for visitors (issue 15: "at least one counselor available or busy").
KEEPS_OPEN = frozenset({StaffStatus.AVAILABLE, StaffStatus.BUSY})


def parse_status(raw: object) -> StaffStatus:
    """A status from the wire; anything unknown (an older process) counts as available, which
    is what every process assumed before statuses existed."""
    try:
        return StaffStatus(raw) if isinstance(raw, str) else StaffStatus.AVAILABLE
    except ValueError:
        return StaffStatus.AVAILABLE


def effective(status: StaffStatus, until: datetime | None, now: datetime) -> StaffStatus:
    """A wrap-up past its maximum is over: the counselor is available again (a wrap-up that
    never ends cannot keep the team short)."""
    if status is StaffStatus.WRAP_UP and until is not None and now >= until:
        return StaffStatus.AVAILABLE
    return status


def wrap_up_until(now: datetime, max_minutes: int, wanted: datetime | None = None) -> datetime:
    """The end of a wrap-up starting now: at ``wanted`` (a pause's end, issue 15, item 6) when
    given, never later than the maximum — the pause after a heavy chat is capped like any
    wrap-up."""
    cap = now + timedelta(minutes=max_minutes)
    return cap if wanted is None else min(wanted, cap)
