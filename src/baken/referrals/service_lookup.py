"""The partner directory as the referrals see it: one service by id, within the organisation.

The directory (issue 17, item 1) is its own package; this is the one place referrals read it.
What a referral keeps of a service is copied onto its card at the moment it is proposed, so a
service changed or removed later does not change what the visitor agreed to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from baken.directory import get_service
from baken.store.database import Database


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    id: str
    name: str
    organization_name: str
    description: str
    service_type: str
    phones: tuple[str, ...]
    email: str | None
    url: str | None
    opening_hours_text: str | None
    accepts_warm_handoff: bool


Lookup = Callable[[Database, str, str], Awaitable[ServiceInfo | None]]


def _phones(raw: Any) -> tuple[str, ...]:
    found = []
    for phone in raw or ():
        number = phone if isinstance(phone, str) else getattr(phone, "number", None)
        if number is None and isinstance(phone, dict):
            number = phone.get("number")
        if number:
            found.append(str(number))
    return tuple(found)


def _text(value: Any) -> str | None:
    return str(value) if value else None


def from_directory(service: Any) -> ServiceInfo:
    return ServiceInfo(
        id=str(service.id),
        name=str(service.name),
        organization_name=str(getattr(service, "organization_name", "") or ""),
        description=str(getattr(service, "description", "") or ""),
        service_type=str(getattr(service, "service_type", "") or "other")[:40],
        phones=_phones(getattr(service, "phones", ())),
        email=_text(getattr(service, "email", None)),
        url=_text(getattr(service, "url", None)),
        opening_hours_text=_text(getattr(service, "opening_hours_text", None)),
        accepts_warm_handoff=bool(getattr(service, "accepts_warm_handoff", False)),
    )


async def directory_lookup(
    db: Database, organisation_id: str, service_id: str
) -> ServiceInfo | None:
    """The service from the organisation's partner directory; None when it is unknown there."""
    service = await get_service(db, organisation_id, service_id)
    return None if service is None else from_directory(service)
