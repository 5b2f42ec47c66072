"""The administrator's settings for opening hours, holidays and the closed state, validated.

One JSON document per organisation (``service_hours.config``). Every problem is reported per
field with a code, so the admin page can show it next to the field; nothing invalid is stored.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baken.i18n import VISITOR_LANGUAGES
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


# Issue 14: texts the organisation writes are kept per visitor language, in the same document:
# `message_<lang>` and, per number, `label_<lang>`. Dutch and English are the ones every
# organisation writes; a language left empty shows the English text.
TEXT_LANGUAGES: tuple[str, ...] = VISITOR_LANGUAGES
REQUIRED_LABELS = ("nl", "en")


def _in_language(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or ""


@dataclass(frozen=True, slots=True)
class Number:
    """A phone number shown while closed (112 is always shown and need not be listed)."""

    labels: dict[str, str]
    number: str

    @property
    def label_nl(self) -> str:
        return self.labels.get("nl", "")

    @property
    def label_en(self) -> str:
        return self.labels.get("en", "")

    def label(self, lang: str) -> str:
        return _in_language(self.labels, lang)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    enabled: bool
    schedule: Schedule
    numbers: tuple[Number, ...] = ()
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def message_nl(self) -> str:
        return self.messages.get("nl", "")

    @property
    def message_en(self) -> str:
        return self.messages.get("en", "")

    def message(self, lang: str) -> str:
        return _in_language(self.messages, lang)


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
    allowed = {"enabled", "timezone", "weekly", "exceptions", "numbers"} | {
        f"message_{lang}" for lang in TEXT_LANGUAGES
    }
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
            label_keys = {f"label_{lang}" for lang in TEXT_LANGUAGES}
            if not isinstance(item, dict) or set(item) - label_keys - {"number"}:
                errors[key] = "bad_number"
                continue
            labels = {lang: _text(item.get(f"label_{lang}"), MAX_LABEL) for lang in TEXT_LANGUAGES}
            number = item.get("number")
            if not isinstance(number, str) or not _NUMBER.match(number.strip()):
                errors[key] = "bad_phone_number"
            elif any(text is None for text in labels.values()) or not all(
                labels[lang] for lang in REQUIRED_LABELS
            ):
                errors[key] = "bad_label"
            else:
                kept = {lang: text for lang, text in labels.items() if text}
                numbers.append(Number(kept, number.strip()))

    messages: dict[str, str] = {}
    for lang in TEXT_LANGUAGES:
        text = _text(document.get(f"message_{lang}"), MAX_MESSAGE)
        if text is None:
            errors[f"message_{lang}"] = "bad_message"
        elif text:
            messages[lang] = text
    if errors:
        raise ConfigInvalid(errors)
    return ServiceConfig(
        enabled=bool(enabled),
        schedule=Schedule(str(timezone), tuple(weekly), exceptions),
        numbers=tuple(numbers),
        messages=messages,
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
            {
                **{f"label_{lang}": n.labels[lang] for lang in TEXT_LANGUAGES if lang in n.labels},
                "number": n.number,
            }
            for n in config.numbers
        ],
        # Dutch and English always (what every client of this document has read so far); the
        # other languages when the organisation wrote them.
        **{
            f"message_{lang}": config.messages.get(lang, "")
            for lang in TEXT_LANGUAGES
            if lang in REQUIRED_LABELS or lang in config.messages
        },
    }
