"""Check registered values against the codebook and turn them into stored codes.

Validation is all or nothing: either every field is valid and the whole registration can be
stored, or the caller gets an error per field and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from baken.registration.codebook import (
    FIELDS,
    FIELDS_BY_ID,
    UNKNOWN,
    Field,
    Kind,
    Text,
    code,
)

# Stored form: field id -> code (single, bool), bitmask (multi), number (int) or None.
StoredValues = dict[str, int | None]

MESSAGES: Mapping[str, Text] = {
    "unknown_field": Text(
        "Dit veld bestaat niet in het codeboek.", "This field is not in the codebook."
    ),
    "not_a_value": Text(
        "Deze waarde hoort niet bij dit veld.", "This value is not allowed for this field."
    ),
    "not_a_list": Text("Kies een of meer waarden uit de lijst.", "Choose one or more values."),
    "duplicate": Text("Een waarde staat er twee keer in.", "A value is listed twice."),
    "exclusive": Text(
        "'{value}' gaat niet samen met andere keuzes.",
        "'{value}' cannot be combined with other choices.",
    ),
    "not_a_number": Text("Vul een heel getal in.", "Enter a whole number."),
    "out_of_range": Text(
        "Vul een getal van {minimum} tot en met {maximum} in.",
        "Enter a number from {minimum} to {maximum}.",
    ),
    "not_applicable": Text(
        "Past niet bij '{other}': {value}. Laat dit veld leeg of pas '{other}' aan.",
        "Contradicts '{other}': {value}. Leave this field empty or change '{other}'.",
    ),
    "age_contradiction": Text(
        "Klopt niet met de leeftijd ({age} jaar).",
        "Does not agree with the age ({age} years).",
    ),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    params: tuple[tuple[str, str], ...] = ()

    def message(self, lang: str) -> str:
        params = dict(self.params)
        # Labels are looked up per language here, so errors carry ids, not prose.
        if "other" in params:
            other = FIELDS_BY_ID[params["other"]]
            value = other.value(params.get("value", ""))
            params["other"] = other.label.get(lang)
            params["value"] = value.label.get(lang) if value else ""
        if self.code == "exclusive":
            own = FIELDS_BY_ID[self.field].value(params.get("value", ""))
            params["value"] = own.label.get(lang) if own else ""
        return MESSAGES[self.code].get(lang).format(**params)


class RegistrationInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors

    def as_json(self, lang: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for error in self.errors:
            out.setdefault(error.field, {"code": error.code, "message": error.message(lang)})
        return out


def _single(f: Field, raw: object) -> tuple[int | None, FieldError | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, str):
        return None, FieldError(f.id, "not_a_value")
    value = f.value(raw)
    if value is None or value.retired:
        return None, FieldError(f.id, "not_a_value")
    return value.code, None


def _multi(f: Field, raw: object) -> tuple[int | None, FieldError | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, list):
        return None, FieldError(f.id, "not_a_list")
    if not raw:
        return None, None
    if not all(isinstance(item, str) for item in raw):
        return None, FieldError(f.id, "not_a_value")
    items: list[str] = [str(item) for item in raw]
    if len(set(items)) != len(items):
        return None, FieldError(f.id, "duplicate")
    mask = 0
    for item in items:
        value = f.value(item)
        if value is None or value.retired:
            return None, FieldError(f.id, "not_a_value")
        mask |= 1 << value.code
    if len(items) > 1:
        for item in items:
            if item in f.exclusive:
                return None, FieldError(f.id, "exclusive", (("value", item),))
    return mask, None


def _integer(f: Field, raw: object) -> tuple[int | None, FieldError | None]:
    if raw is None:
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None, FieldError(f.id, "not_a_number")
    assert f.minimum is not None and f.maximum is not None
    if not f.minimum <= raw <= f.maximum:
        return None, FieldError(
            f.id, "out_of_range", (("minimum", str(f.minimum)), ("maximum", str(f.maximum)))
        )
    return raw, None


def _is_set(f: Field, stored: int | None) -> bool:
    """True when a stored value says something (not empty, not "unknown")."""
    if stored is None:
        return False
    if f.kind is Kind.INT:
        return True
    if f.kind is Kind.MULTI:
        return stored != 1 << f.code_of(UNKNOWN)
    return stored != f.code_of(UNKNOWN)


def validate(values: Mapping[str, object]) -> StoredValues:
    """Valid values as stored codes; raises RegistrationInvalid with every field error."""
    errors: list[FieldError] = [
        FieldError(key, "unknown_field") for key in values if key not in FIELDS_BY_ID
    ]
    stored: StoredValues = {}
    for f in FIELDS:
        raw = values.get(f.id)
        if f.kind is Kind.MULTI:
            result, error = _multi(f, raw)
        elif f.kind is Kind.INT:
            result, error = _integer(f, raw)
        else:
            result, error = _single(f, raw)
        if error is not None:
            errors.append(error)
        stored[f.id] = result
    if errors:
        raise RegistrationInvalid(errors)

    for f in FIELDS:
        for condition in f.not_applicable_when:
            other = FIELDS_BY_ID[condition.field]
            other_code = stored[other.id]
            if other_code is None or not _is_set(f, stored[f.id]):
                continue
            other_value = other.by_code(other_code)
            if other_value is not None and other_value.id in condition.values:
                errors.append(
                    FieldError(
                        f.id,
                        "not_applicable",
                        (("other", other.id), ("value", other_value.id)),
                    )
                )
        # A field that does not apply is stored empty, not as "unknown".
        if any(
            stored[c.field] is not None
            and (v := FIELDS_BY_ID[c.field].by_code(stored[c.field] or 0)) is not None
            and v.id in c.values
            for c in f.not_applicable_when
        ):
            stored[f.id] = None

    age = stored["age"]
    minor = stored["is_minor"]
    if age is not None:
        derived = code("is_minor", "yes" if age < 18 else "no")
        if minor not in (None, code("is_minor", UNKNOWN), derived):
            errors.append(FieldError("is_minor", "age_contradiction", (("age", str(age)),)))
        stored["is_minor"] = derived
    if errors:
        raise RegistrationInvalid(errors)
    return stored


def to_api(stored: Mapping[str, int | None]) -> dict[str, object]:
    """Stored codes back to value ids, the shape the form sends."""
    out: dict[str, object] = {}
    for f in FIELDS:
        raw = stored.get(f.id)
        if raw is None:
            out[f.id] = None
        elif f.kind is Kind.INT:
            out[f.id] = raw
        elif f.kind is Kind.MULTI:
            out[f.id] = [v.id for v in f.values if raw & (1 << v.code)]
        else:
            value = f.by_code(raw)
            out[f.id] = value.id if value is not None else None
    return out
