"""Which year and month a moment belongs to for the report: the helpline's local calendar.

A chat at 00:30 on 1 January in Amsterdam is a chat of the new year, although it is still
31 December in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from baken.store.clock import as_utc

REPORT_TIMEZONE = ZoneInfo("Europe/Amsterdam")


def local_year_month(moment: datetime) -> tuple[int, int]:
    local = as_utc(moment).astimezone(REPORT_TIMEZONE)
    return local.year, local.month


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Start of ``year`` and of the next one, as UTC moments."""
    start = datetime(year, 1, 1, tzinfo=REPORT_TIMEZONE).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=REPORT_TIMEZONE).astimezone(UTC)
    return start, end
