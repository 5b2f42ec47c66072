"""The partner directory's own view of an HSDS service: what Baken searches on and shows.

How Baken's facts are carried in HSDS 3.0 (docs/directory.md says the same):

- service type, exploitation types and gender: ``attributes`` whose ``taxonomy_term.taxonomy`` is
  ``baken:service_type``, ``baken:exploitation_type`` or ``baken:gender``, the code in
  ``taxonomy_term.code`` (one service type; exploitation types use the registration codebook's
  codes: sexual, criminal, labour, other);
- warm hand-offs: an attribute with taxonomy ``baken:warm_handoff`` and ``value`` "true"/"false";
- the partner's own Baken organisation: an attribute with taxonomy ``baken:organisation`` and the
  organisation's id in ``value``;
- ages: ``minimum_age`` / ``maximum_age``; languages: ``languages[].code`` (else ``name``);
  regions: ``service_areas[].name``; contact: ``phones[].number``, ``email``, ``url``; opening
  times: ``schedules`` (their ``description``, else days and hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from baken.registration.codebook import FIELDS_BY_ID

SERVICE_TYPES = (
    "shelter",
    "youth_care",
    "sexual_violence_centre",
    "legal_aid",
    "labour_inspectorate",
    "police",
    "coordination_centre",
    "interpreter",
    "other",
)
GENDERS = ("female", "male", "any")
# The registration codebook's codes, so a referral can be matched to a registration.
EXPLOITATION_TYPES = tuple(
    v.id for v in FIELDS_BY_ID["exploitation_types"].values if v.id not in ("unknown", "none")
)

TAXONOMY_SERVICE_TYPE = "baken:service_type"
TAXONOMY_EXPLOITATION = "baken:exploitation_type"
TAXONOMY_GENDER = "baken:gender"
TAXONOMY_WARM_HANDOFF = "baken:warm_handoff"
TAXONOMY_ORGANISATION = "baken:organisation"

DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}


@dataclass(frozen=True, slots=True)
class DirectoryService:
    """One service of an organisation's directory (the interface other packages use)."""

    id: str
    name: str
    description: str
    organization_name: str
    service_type: str
    phones: tuple[str, ...]
    email: str | None
    url: str | None
    opening_hours_text: str | None
    accepts_warm_handoff: bool
    baken_organisation_id: str | None
    languages: tuple[str, ...]
    age_min: int | None = None
    age_max: int | None = None
    genders: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    exploitation_types: tuple[str, ...] = ()
    organization_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "organization_name": self.organization_name,
            "organization_url": self.organization_url,
            "service_type": self.service_type,
            "phones": list(self.phones),
            "email": self.email,
            "url": self.url,
            "opening_hours_text": self.opening_hours_text,
            "accepts_warm_handoff": self.accepts_warm_handoff,
            "baken_organisation_id": self.baken_organisation_id,
            "languages": list(self.languages),
            "age_min": self.age_min,
            "age_max": self.age_max,
            "genders": list(self.genders),
            "regions": list(self.regions),
            "exploitation_types": list(self.exploitation_types),
        }


class NotBaken(ValueError):
    """A Baken attribute with a code Baken does not know; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _attributes(hsds: Mapping[str, Any]) -> Iterable[tuple[int, str, Mapping[str, Any]]]:
    for index, attribute in enumerate(hsds.get("attributes") or ()):
        term = attribute.get("taxonomy_term") or {}
        taxonomy = term.get("taxonomy")
        if isinstance(taxonomy, str) and taxonomy.startswith("baken:"):
            yield index, taxonomy, attribute


def _age(value: Any) -> int | None:
    return None if value is None else int(value)


def _hours(schedules: Iterable[Mapping[str, Any]]) -> str | None:
    parts: list[str] = []
    for schedule in schedules:
        if schedule.get("description"):
            parts.append(str(schedule["description"]))
            continue
        days = [DAYS.get(d.strip(), d.strip()) for d in str(schedule.get("byday") or "").split(",")]
        opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
        when = f"{str(opens)[:5]}–{str(closes)[:5]}" if opens and closes else ""
        text = " ".join(p for p in (" ".join(d for d in days if d), when) if p)
        if text:
            parts.append(text)
    return "; ".join(parts) or None


def from_hsds(hsds: Mapping[str, Any]) -> DirectoryService:
    """Baken's view of a validated HSDS service (hsds.Service accepted it already)."""
    service_type = "other"
    exploitation: list[str] = []
    genders: list[str] = []
    handoff = False
    baken_organisation: str | None = None
    for index, taxonomy, attribute in _attributes(hsds):
        code = (attribute.get("taxonomy_term") or {}).get("code")
        path = f"attributes[{index}].taxonomy_term.code"
        if taxonomy == TAXONOMY_SERVICE_TYPE:
            if code not in SERVICE_TYPES:
                raise NotBaken(path, f"unknown service type {code!r}")
            service_type = str(code)
        elif taxonomy == TAXONOMY_EXPLOITATION:
            if code not in EXPLOITATION_TYPES:
                raise NotBaken(path, f"unknown exploitation type {code!r}")
            exploitation.append(str(code))
        elif taxonomy == TAXONOMY_GENDER:
            if code not in GENDERS:
                raise NotBaken(path, f"unknown gender {code!r}")
            genders.append(str(code))
        elif taxonomy == TAXONOMY_WARM_HANDOFF:
            value = attribute.get("value")
            if value not in ("true", "false"):
                raise NotBaken(f"attributes[{index}].value", "must be 'true' or 'false'")
            handoff = value == "true"
        elif taxonomy == TAXONOMY_ORGANISATION:
            value = attribute.get("value")
            if not value or len(str(value)) > 40:
                raise NotBaken(f"attributes[{index}].value", "must be an organisation id")
            baken_organisation = str(value)
    organization = hsds.get("organization") or {}
    languages = tuple(
        str(lang.get("code") or lang.get("name")).lower()
        for lang in hsds.get("languages") or ()
        if lang.get("code") or lang.get("name")
    )
    return DirectoryService(
        id=str(hsds["id"]),
        name=str(hsds["name"]),
        description=str(hsds.get("description") or ""),
        organization_name=str(organization.get("name") or ""),
        organization_url=organization.get("website"),
        service_type=service_type,
        phones=tuple(str(p["number"]) for p in hsds.get("phones") or ()),
        email=hsds.get("email"),
        url=hsds.get("url"),
        opening_hours_text=_hours(hsds.get("schedules") or ()),
        accepts_warm_handoff=handoff,
        baken_organisation_id=baken_organisation,
        languages=languages,
        age_min=_age(hsds.get("minimum_age")),
        age_max=_age(hsds.get("maximum_age")),
        genders=tuple(genders),
        regions=tuple(str(a["name"]) for a in hsds.get("service_areas") or () if a.get("name")),
        exploitation_types=tuple(exploitation),
    )


def _term(attribute_id: str, taxonomy: str, code: str) -> dict[str, Any]:
    return {
        "id": attribute_id,
        "taxonomy_term": {
            "id": f"{taxonomy}:{code}",
            "code": code,
            "name": code,
            "description": code,
            "taxonomy": taxonomy,
        },
    }


def to_hsds(
    *,
    service_id: str,
    name: str,
    description: str,
    organization_name: str,
    service_type: str,
    phones: Iterable[str],
    email: str | None,
    url: str | None,
    opening_hours_text: str | None,
    accepts_warm_handoff: bool,
    baken_organisation_id: str | None,
    languages: Iterable[str],
    age_min: int | None,
    age_max: int | None,
    genders: Iterable[str],
    regions: Iterable[str],
    exploitation_types: Iterable[str],
) -> dict[str, Any]:
    """A service as HSDS JSON, for a service an administrator entered in the form."""
    hsds: dict[str, Any] = {"id": service_id, "name": name, "status": "active"}
    if description:
        hsds["description"] = description
    if url:
        hsds["url"] = url
    if email:
        hsds["email"] = email
    if age_min is not None:
        hsds["minimum_age"] = age_min
    if age_max is not None:
        hsds["maximum_age"] = age_max
    hsds["phones"] = [{"id": f"{service_id}-p{i}", "number": n} for i, n in enumerate(phones)]
    if opening_hours_text:
        hsds["schedules"] = [{"id": f"{service_id}-s0", "description": opening_hours_text}]
    hsds["service_areas"] = [{"id": f"{service_id}-a{i}", "name": r} for i, r in enumerate(regions)]
    hsds["languages"] = [
        {"id": f"{service_id}-l{i}", "code": code} for i, code in enumerate(languages)
    ]
    hsds["organization"] = {
        "id": f"{service_id}-org",
        "name": organization_name,
        "description": organization_name,
    }
    attributes = [_term(f"{service_id}-type", TAXONOMY_SERVICE_TYPE, service_type)]
    attributes += [
        _term(f"{service_id}-x{i}", TAXONOMY_EXPLOITATION, code)
        for i, code in enumerate(exploitation_types)
    ]
    attributes += [
        _term(f"{service_id}-g{i}", TAXONOMY_GENDER, code) for i, code in enumerate(genders)
    ]
    handoff = _term(f"{service_id}-handoff", TAXONOMY_WARM_HANDOFF, "warm_handoff")
    handoff["value"] = "true" if accepts_warm_handoff else "false"
    attributes.append(handoff)
    if baken_organisation_id:
        own = _term(f"{service_id}-baken", TAXONOMY_ORGANISATION, "organisation")
        own["value"] = baken_organisation_id
        attributes.append(own)
    hsds["attributes"] = attributes
    return hsds
