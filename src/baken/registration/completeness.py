"""When a registration counts as complete: every field that applies has an answer.

"Unknown" is an answer: a counselor who does not know says so, and the report counts it as
unknown. A field only stays empty when it does not apply (the codebook's conditions), the age (a
number, unknown when empty), and whether the person is a minor when the age already tells.
"""

from __future__ import annotations

from collections.abc import Mapping

from baken.registration.codebook import FIELDS, FIELDS_BY_ID, Field, Kind, Text

REQUIRED = Text(
    "Kies een antwoord, of 'onbekend' als je het niet weet.",
    "Choose an answer, or 'unknown' if you do not know.",
)


def _applies(f: Field, stored: Mapping[str, int | None]) -> bool:
    for condition in f.not_applicable_when:
        other_code = stored.get(condition.field)
        if other_code is None:
            continue
        other = FIELDS_BY_ID[condition.field].by_code(other_code)
        if other is not None and other.id in condition.values:
            return False
    return True


def missing_fields(stored: Mapping[str, int | None]) -> list[str]:
    """Ids of the fields that apply and have no answer yet, in codebook order."""
    missing = []
    for f in FIELDS:
        if f.kind is Kind.INT or stored.get(f.id) is not None or not _applies(f, stored):
            continue
        if f.id == "is_minor" and stored.get("age") is not None:
            continue
        missing.append(f.id)
    return missing


def required_errors(stored: Mapping[str, int | None], lang: str) -> dict[str, dict[str, str]]:
    """The missing fields in the shape of a validation error (``RegistrationInvalid.as_json``)."""
    message = REQUIRED.get(lang)
    return {field: {"code": "required", "message": message} for field in missing_fields(stored)}
