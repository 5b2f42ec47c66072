"""The admin page's plain-text form for the hours, to and from the JSON config document.

One text field per weekday ("09:00-17:00, 19:00-23:00", empty = closed), one line per exception
("2026-12-25 closed Christmas Day" or "2026-12-24 09:00-15:00 Christmas Eve"), one line per extra
number ("Dutch name | English name | number"). Text, not widgets: fast to type and to review,
and it works without JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

from baken.service_hours.config import TEXT_LANGUAGES

DAYS = tuple(f"day_{d}" for d in range(7))
MESSAGE_FIELDS = tuple(f"message_{lang}" for lang in TEXT_LANGUAGES)
FORM_FIELDS = ("enabled", "timezone", *DAYS, "exceptions", "numbers", *MESSAGE_FIELDS)
CLOSED_WORDS = frozenset({"closed", "gesloten", "dicht"})
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


def _pad(text: str) -> str:
    return text if len(text) == 5 else "0" + text


def parse_ranges(text: str) -> list[list[str]] | None:
    ranges = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if match is None:
            return None
        ranges.append([_pad(match[1]), _pad(match[2])])
    return ranges


def document_from_form(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The config document the form describes, and syntax errors per form field."""
    errors: dict[str, str] = {}
    weekly: dict[str, list[list[str]]] = {}
    for day, name in enumerate(DAYS):
        ranges = parse_ranges(form.get(name, ""))
        if ranges is None:
            errors[name] = "bad_ranges"
        else:
            weekly[str(day)] = ranges
    exceptions = []
    for line in form.get("exceptions", "").splitlines():
        words = line.split()
        if not words:
            continue
        if len(words) < 2:
            errors.setdefault("exceptions", "bad_exception")
            continue
        if words[1].lower() in CLOSED_WORDS:
            hours: list[list[str]] | None = []
        else:
            hours = parse_ranges(words[1])
        if hours is None:
            errors.setdefault("exceptions", "bad_exception")
            continue
        exceptions.append({"date": words[0], "hours": hours, "label": " ".join(words[2:])})
    numbers = []
    for line in form.get("numbers", "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            errors.setdefault("numbers", "bad_phone_number")
            continue
        numbers.append({"label_nl": parts[0], "label_en": parts[1], "number": parts[2]})
    document = {
        "enabled": bool(form.get("enabled")),
        "timezone": form.get("timezone", "").strip() or "Europe/Amsterdam",
        "weekly": weekly,
        "exceptions": exceptions,
        "numbers": numbers,
        **{name: form.get(name, "").replace("\r\n", "\n") for name in MESSAGE_FIELDS},
    }
    return document, errors


def form_from_document(document: dict[str, Any]) -> dict[str, str]:
    def ranges(items: list[list[str]]) -> str:
        return ", ".join(f"{start}-{end}" for start, end in items)

    form = {
        "enabled": "1" if document.get("enabled") else "",
        "timezone": str(document.get("timezone", "Europe/Amsterdam")),
        **{name: str(document.get(name, "")) for name in MESSAGE_FIELDS},
    }
    weekly = document.get("weekly", {})
    for day, name in enumerate(DAYS):
        form[name] = ranges(weekly.get(str(day), []))
    form["exceptions"] = "\n".join(
        " ".join(
            part
            for part in (e["date"], ranges(e["hours"]).replace(" ", "") or "closed", e["label"])
            if part
        )
        for e in document.get("exceptions", [])
    )
    form["numbers"] = "\n".join(
        f"{n['label_nl']} | {n['label_en']} | {n['number']}" for n in document.get("numbers", [])
    )
    return form
