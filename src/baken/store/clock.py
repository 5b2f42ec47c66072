"""Time in one place, so tests and storage agree on UTC."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=256)
def iso_ms(ms: int) -> str:
    # Cached: a batch of messages shares one timestamp, shown in its ack and in every copy of
    # each message (the busy chat formatted the same few values thousands of times a second).
    return iso(datetime.fromtimestamp(ms / 1000, UTC)) or ""
