"""What a police signal holds: structured facts about perpetrators and places, never about the
visitor. Parsing a form is all-or-nothing: a bad field gives a ``FieldError`` naming it, and nothing
is stored."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from baken.registration import codebook

# Field id → the most characters it may hold. The free texts are generous but bounded: a signal
# is a summary for the police, not a transcript.
TEXT_LIMITS: dict[str, int] = {
    "what": 4000,
    "place": 300,
    "city": 120,
    "region": 120,
    "when_text": 300,
    "perpetrators": 2000,
    "vehicles": 1000,
    "phones": 1000,
    "online_handles": 1000,
}
TEXT_FIELDS = tuple(TEXT_LIMITS)
DATE_FIELDS = ("when_from", "when_to")
EXPLOITATION_FIELD = "exploitation_types"
ALL_FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, EXPLOITATION_FIELD)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldError(ValueError):
    """A field that cannot be stored; ``field`` names it, ``code`` says why."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def exploitation_values() -> tuple[str, ...]:
    """The registration codebook's exploitation types (registration/codebook.py), by value id."""
    found = codebook.get("exploitation_types")
    return tuple(value.id for value in found.active_values)


@dataclass(frozen=True, slots=True)
class SignalFields:
    what: str = ""
    place: str = ""
    city: str = ""
    region: str = ""
    when_from: str = ""  # YYYY-MM-DD or empty
    when_to: str = ""
    when_text: str = ""
    exploitation_types: tuple[str, ...] = ()
    perpetrators: str = ""
    vehicles: str = ""
    phones: str = ""
    online_handles: str = ""

    def texts(self) -> dict[str, str]:
        """Every field a person typed, by id: what the identity checks read."""
        return {name: str(getattr(self, name)) for name in (*TEXT_FIELDS, *DATE_FIELDS)}

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data[EXPLOITATION_FIELD] = list(self.exploitation_types)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SignalFields:
        if not isinstance(data, dict):
            raise FieldError("fields", "invalid")
        return parse(data)


def _text(field: str, raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FieldError(field, "invalid")
    value = _CONTROL.sub("", raw.replace("\r\n", "\n")).strip()
    if len(value) > TEXT_LIMITS[field]:
        raise FieldError(field, "too_long")
    return value


def _date(field: str, raw: object) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise FieldError(field, "invalid")
    try:
        return date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise FieldError(field, "invalid_date") from None


def parse(data: dict[str, Any]) -> SignalFields:
    """A signal's fields from a form or a stored record. Unknown names are refused, so a typo in
    a client never silently drops what someone typed."""
    unknown = sorted(set(data) - set(ALL_FIELDS))
    if unknown:
        raise FieldError(unknown[0], "unknown_field")
    texts = {name: _text(name, data.get(name)) for name in TEXT_FIELDS}
    dates = {name: _date(name, data.get(name)) for name in DATE_FIELDS}
    if dates["when_from"] and dates["when_to"] and dates["when_to"] < dates["when_from"]:
        raise FieldError("when_to", "before_start")
    raw_types = data.get(EXPLOITATION_FIELD) or []
    if isinstance(raw_types, str):
        raw_types = [raw_types]
    if not isinstance(raw_types, list) or not all(isinstance(t, str) for t in raw_types):
        raise FieldError(EXPLOITATION_FIELD, "invalid")
    allowed = exploitation_values()
    if any(t not in allowed for t in raw_types):
        raise FieldError(EXPLOITATION_FIELD, "invalid")
    types = tuple(t for t in allowed if t in raw_types)  # codebook order, each once
    fields = SignalFields(**texts, **dates, exploitation_types=types)
    if not fields.what:
        raise FieldError("what", "required")
    return fields
