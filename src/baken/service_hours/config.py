"""The administrator's settings for opening hours, holidays and the closed state, validated.

One JSON document per organisation (``service_hours.config``). Every problem is reported per
field with a code, so the admin page can show it next to the field; nothing invalid is stored.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baken.service_hours.schedule import (
    ALWAYS_OPEN,
    MINUTES_PER_DAY,
    DayException,
    Schedule,
    TimeRange,
)

DEFAULT_TIMEZONE = "Europe/Amsterdam"
MAX_RANGES_PER_DAY = 6
MAX_EXCEPTIONS = 400
MAX_NUMBERS = 8
MAX_LABEL = 80
MAX_MESSAGE = 600
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_NUMBER = re.compile(r"^[0-9+][0-9 ()/-]{1,24}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Number:
    """A phone number shown while closed (112 is always shown and need not be listed)."""

    label_nl: str
    label_en: str
    number: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_nl


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    enabled: bool
    schedule: Schedule
    numbers: tuple[Number, ...] = ()
    message_nl: str = ""
    message_en: str = ""

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_nl


NOT_CONFIGURED = ServiceConfig(enabled=False, schedule=ALWAYS_OPEN)


class ConfigInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors  # field -> error code


def parse_time(text: str) -> int | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    minutes = int(match[1]) * 60 + int(match[2])
    return minutes if minutes <= MINUTES_PER_DAY else None


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _ranges(raw: object) -> tuple[TimeRange, ...] | str:
    if not isinstance(raw, list) or len(raw) > MAX_RANGES_PER_DAY:
        return "bad_ranges"
    ranges = []
    for item in raw:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(part, str) for part in item)
        ):
            return "bad_ranges"
        start, end = parse_time(item[0]), parse_time(item[1])
        if start is None or end is None:
            return "bad_time"
        if start >= end:
            return "end_before_start"
        ranges.append(TimeRange(start, end))
    ranges.sort(key=lambda r: r.start)
    for before, after in itertools.pairwise(ranges):
        if after.start < before.end:
            return "overlap"
    return tuple(ranges)


def _text(raw: object, limit: int) -> str | None:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit or any(ord(c) < 32 and c != "\n" for c in raw):
        return None
    return raw.strip()


def parse(document: object) -> ServiceConfig:
    """A validated config from its JSON form; ConfigInvalid with every field's error code."""
    if not isinstance(document, dict):
        raise ConfigInvalid({"config": "not_an_object"})
    allowed = {"enabled", "timezone", "weekly", "exceptions", "numbers", "message_nl", "message_en"}
    errors: dict[str, str] = {key: "unknown_field" for key in document if key not in allowed}

    enabled = document.get("enabled", True)
    if not isinstance(enabled, bool):
        errors["enabled"] = "not_a_boolean"
    timezone = document.get("timezone", DEFAULT_TIMEZONE)
    try:
        if not isinstance(timezone, str) or "/" not in timezone:
            raise ZoneInfoNotFoundError(str(timezone))
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "unknown_timezone"
        timezone = DEFAULT_TIMEZONE

    weekly_raw = document.get("weekly", {})
    weekly: list[tuple[TimeRange, ...]] = [() for _ in range(7)]
    if not isinstance(weekly_raw, dict) or set(weekly_raw) - {str(d) for d in range(7)}:
        errors["weekly"] = "bad_weekly"
    else:
        for day in range(7):
            parsed = _ranges(weekly_raw.get(str(day), []))
            if isinstance(parsed, str):
                errors[f"weekly.{day}"] = parsed
            else:
                weekly[day] = parsed

    exceptions: dict[date, DayException] = {}
    exceptions_raw = document.get("exceptions", [])
    if not isinstance(exceptions_raw, list) or len(exceptions_raw) > MAX_EXCEPTIONS:
        errors["exceptions"] = "bad_exceptions"
    else:
        for index, item in enumerate(exceptions_raw):
            key = f"exceptions.{index}"
            if not isinstance(item, dict) or set(item) - {"date", "hours", "label"}:
                errors[key] = "bad_exception"
                continue
            raw_day = item.get("date")
            try:
                if not isinstance(raw_day, str) or not _DATE.match(raw_day):
                    raise ValueError(raw_day)
                exception_day = date.fromisoformat(raw_day)
            except ValueError:
                errors[key] = "bad_date"
                continue
            if exception_day in exceptions:
                errors[key] = "duplicate_date"
                continue
            ranges = _ranges(item.get("hours", []))
            label = _text(item.get("label"), MAX_LABEL)
            if isinstance(ranges, str):
                errors[key] = ranges
            elif label is None:
                errors[key] = "bad_label"
            else:
                exceptions[exception_day] = DayException(exception_day, ranges, label)

    numbers: list[Number] = []
    numbers_raw = document.get("numbers", [])
    if not isinstance(numbers_raw, list) or len(numbers_raw) > MAX_NUMBERS:
        errors["numbers"] = "bad_numbers"
    else:
        for index, item in enumerate(numbers_raw):
            key = f"numbers.{index}"
            if not isinstance(item, dict) or set(item) - {"label_nl", "label_en", "number"}:
                errors[key] = "bad_number"
                continue
            label_nl = _text(item.get("label_nl"), MAX_LABEL)
            label_en = _text(item.get("label_en"), MAX_LABEL)
            number = item.get("number")
            if not isinstance(number, str) or not _NUMBER.match(number.strip()):
                errors[key] = "bad_phone_number"
            elif not label_nl or not label_en:
                errors[key] = "bad_label"
            else:
                numbers.append(Number(label_nl, label_en, number.strip()))

    message_nl = _text(document.get("message_nl"), MAX_MESSAGE)
    message_en = _text(document.get("message_en"), MAX_MESSAGE)
    if message_nl is None:
        errors["message_nl"] = "bad_message"
    if message_en is None:
        errors["message_en"] = "bad_message"
    if errors:
        raise ConfigInvalid(errors)
    return ServiceConfig(
        enabled=bool(enabled),
        schedule=Schedule(str(timezone), tuple(weekly), exceptions),
        numbers=tuple(numbers),
        message_nl=message_nl or "",
        message_en=message_en or "",
    )


def to_document(config: ServiceConfig) -> dict[str, Any]:
    """The JSON form of a config (what ``parse`` reads)."""
    schedule = config.schedule

    def ranges(items: tuple[TimeRange, ...]) -> list[list[str]]:
        return [[format_time(r.start), format_time(r.end)] for r in items]

    return {
        "enabled": config.enabled,
        "timezone": schedule.timezone,
        "weekly": {str(day): ranges(schedule.weekly[day]) for day in range(7)},
        "exceptions": [
            {"date": e.day.isoformat(), "hours": ranges(e.ranges), "label": e.label}
            for e in sorted(schedule.exceptions.values(), key=lambda e: e.day)
        ],
        "numbers": [
            {"label_nl": n.label_nl, "label_en": n.label_en, "number": n.number}
            for n in config.numbers
        ],
        "message_nl": config.message_nl,
        "message_en": config.message_en,
    }
