"""What the warm hand-off needs from the referrals (issue 17, item 2) and the partner directory
(item 1), behind two small lookups that tests (and the live layer) can replace
(``PartnerAccessService`` takes them as arguments).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from baken.directory.repository import get_service
from baken.domain.organisation import KIND_PARTNER
from baken.referrals.model import HandoffConsent
from baken.referrals.repository import handoff_consent
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository

__all__ = [
    "SCOPES",
    "ConsentLookup",
    "HandoffConsent",
    "HandoffTarget",
    "TargetLookup",
    "handoff_target",
    "referral_consent",
]

# What a visitor may allow to be shared with the partner (the referral's consent scope).
SCOPE_FIRST_NAME = "first_name"
SCOPE_AGE_BAND = "age_band"
SCOPE_EXPLOITATION_TYPE = "exploitation_type"
SCOPE_SUMMARY = "summary"
SCOPES = frozenset({SCOPE_FIRST_NAME, SCOPE_AGE_BAND, SCOPE_EXPLOITATION_TYPE, SCOPE_SUMMARY})


@dataclass(frozen=True, slots=True)
class HandoffTarget:
    """The partner organisation (a Baken organisation of kind 'partner') behind a service."""

    service_id: str
    partner_organisation_id: str


ConsentLookup = Callable[[Database, str], Awaitable[HandoffConsent | None]]
TargetLookup = Callable[[Database, str, str], Awaitable[HandoffTarget | None]]


async def referral_consent(db: Database, referral_id: str) -> HandoffConsent | None:
    """The referral's live hand-off consent, or None (no consent, withdrawn, unknown)."""
    return await handoff_consent(db, referral_id)


async def handoff_target(
    db: Database, organisation_id: str, service_id: str
) -> HandoffTarget | None:
    """The service's partner organisation, when it accepts warm hand-offs through Baken and
    names an enabled Baken organisation of kind 'partner'."""
    service = await get_service(db, organisation_id, service_id)
    named = service.baken_organisation_id if service is not None else None
    if service is None or not service.accepts_warm_handoff or not named:
        return None
    # The directory keeps what its administrator typed: the organisation's id or its slug.
    organisations = OrganisationRepository(db)
    partner = await organisations.by_id(named) or await organisations.by_slug(named)
    if partner is None or not partner.active or partner.kind != KIND_PARTNER:
        return None
    return HandoffTarget(service_id, partner.id)
