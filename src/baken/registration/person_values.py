"""A person's facts per year, derived from the registrations of their case (issue 20).

One row per year in which the case had a registered conversation: when the person was first seen
and first asked for help about trafficking, whether they asked in that year, and for every codebook
field the latest *known* value up to the end of that year. "Unknown" (an empty field, the value
``unknown``, an empty set) never overwrites a value that was known before, also not one from an
earlier year.

Pure functions: the repository (at write time), the backfill migration and the tests use the same
rule. The demo seed computes the same thing column-wise with numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from baken.registration.codebook import FIELDS, Kind, code, mask
from baken.registration.periods import local_year_month
from baken.store.clock import as_utc
from baken.store.tables import registrations, report_persons

# Fields the derived table carries (a codebook field added later needs a column in both tables;
# until then it is simply not carried and reads as unknown).
PERSON_FIELDS = tuple(f.id for f in FIELDS if f.id in report_persons.c and f.id in registrations.c)
MASK_FIELDS = frozenset(f.id for f in FIELDS if f.kind is Kind.MULTI)
_REQUEST_YES = code("trafficking_request", "yes")
_KINDS = {f.id: f.kind for f in FIELDS}


def is_known(field_id: str, value: int | None) -> bool:
    """Whether a stored value says something: not empty, not ``unknown``, not an empty set."""
    if value is None:
        return False
    kind = _KINDS[field_id]
    if kind is Kind.INT:
        return True
    if kind is Kind.MULTI:
        return value not in (0, mask(field_id, "unknown"))
    return value != 0  # "unknown" has code 0 in every single and yes/no field


@dataclass(frozen=True, slots=True)
class Registered:
    """What the derivation needs of one registration."""

    started_at: datetime
    conversation_id: str
    values: Mapping[str, int | None]


def person_years(
    organisation_id: str,
    case_id: str,
    first_seen_at: datetime | None,
    registered: Iterable[Registered],
) -> list[dict[str, Any]]:
    """Rows for ``report_persons``; empty when the case has no registration."""
    ordered: Sequence[Registered] = sorted(
        registered, key=lambda r: (as_utc(r.started_at), r.conversation_id)
    )
    if not ordered:
        return []
    seen = as_utc(ordered[0].started_at)
    if first_seen_at is not None and as_utc(first_seen_at) < seen:
        seen = as_utc(first_seen_at)
    seen_year, seen_month = local_year_month(seen)
    first_request = next(
        (r for r in ordered if r.values.get("trafficking_request") == _REQUEST_YES), None
    )
    request_year, request_month = (
        local_year_month(first_request.started_at) if first_request else (None, None)
    )
    known: dict[str, int | None] = dict.fromkeys(PERSON_FIELDS)
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for item in ordered:
        year = local_year_month(item.started_at)[0]
        if current is None or current["year"] != year:
            current = {
                "organisation_id": organisation_id,
                "case_id": case_id,
                "year": year,
                "first_seen_year": seen_year,
                "first_seen_month": seen_month,
                "first_request_year": request_year,
                "first_request_month": request_month,
                "request": 0,
            }
            rows.append(current)
        if item.values.get("trafficking_request") == _REQUEST_YES:
            current["request"] = 1
        for field_id in PERSON_FIELDS:
            value = item.values.get(field_id)
            if is_known(field_id, value):
                known[field_id] = value
            elif known[field_id] is None and value is not None:
                # An explicit "unknown" is kept until something is known.
                known[field_id] = value
        current.update(known)
    for row in rows:
        anchor = row["year"] == request_year
        row["counted_first_seen"] = seen_year if anchor else None
        row["counted_first_request"] = request_year if anchor else None
        row["returning_year"] = row["year"] if row["request"] and seen_year < row["year"] else None
    return rows
