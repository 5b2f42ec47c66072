"""The words of a referral and the rules between them: pure, no storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

# Where a referral stands.
PROPOSED: Final = "proposed"
CONTACT: Final = "contact"  # the visitor took the contact details for themselves
HANDOFF: Final = "handoff"  # the visitor agreed to a warm hand-off
DECLINED: Final = "declined"
WITHDRAWN: Final = "withdrawn"
STATUSES: Final = (PROPOSED, CONTACT, HANDOFF, DECLINED, WITHDRAWN)

# What the visitor chose (consent_level); NULL until they choose, and for a decline.
CONSENT_LEVELS: Final = (CONTACT, HANDOFF)
# What may be shared with the partner on a hand-off; an empty scope shares nothing.
SCOPE_ITEMS: Final = ("first_name", "age_band", "exploitation_type", "summary")

# What became of it (item 5), recorded later by the counselor.
OUTCOMES: Final = ("arrived", "appointment", "not_arrived", "declined", "unknown")

# The visitor's answers: a consent level, or no.
ANSWERS: Final = (CONTACT, HANDOFF, DECLINED)

# Bounds for what a counselor writes for the visitor to read.
SUMMARY_MAX_CHARS: Final = 2000


class ReferralRefused(Exception):
    """A referral action that is not allowed now; ``code`` is the stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def checked_answer(answer: str, scope: Sequence[str]) -> frozenset[str]:
    """The scope that goes with an answer: only a hand-off shares anything; unknown items or an
    unknown answer are refused whole."""
    if answer not in ANSWERS:
        raise ReferralRefused("invalid_answer", "Unknown answer.")
    unknown = [item for item in scope if item not in SCOPE_ITEMS]
    if unknown:
        raise ReferralRefused("invalid_scope", f"Unknown scope item: {unknown[0]}.")
    if answer != HANDOFF and scope:
        raise ReferralRefused("invalid_scope", "Only a warm hand-off shares data.")
    return frozenset(scope)


def status_after(answer: str) -> str:
    return {CONTACT: CONTACT, HANDOFF: HANDOFF, DECLINED: DECLINED}[answer]


def may_answer(status: str) -> bool:
    """Only a proposal is answered, once."""
    return status == PROPOSED


def may_withdraw(status: str) -> bool:
    """What the visitor agreed to can be taken back; a proposal not yet answered too (it then
    simply ends), a decline or a withdrawal has nothing left to take back."""
    return status in (PROPOSED, CONTACT, HANDOFF)


@dataclass(frozen=True, slots=True)
class Referral:
    id: str
    organisation_id: str
    conversation_id: str
    service_id: str
    service_type: str
    proposed_by: str
    proposed_at: datetime
    status: str
    consent_level: str | None
    consent_scope: tuple[str, ...]
    consent_at: datetime | None
    withdrawn_at: datetime | None
    outcome: str | None
    outcome_at: datetime | None
    outcome_by: str | None


@dataclass(frozen=True, slots=True)
class HandoffConsent:
    """A live consent to a warm hand-off (helper F's partner access rests on it)."""

    referral_id: str
    conversation_id: str
    organisation_id: str
    scope: frozenset[str]
    consent_at: datetime
    service_id: str


@dataclass(frozen=True, slots=True)
class Card:
    """What the visitor is shown, sealed with the referral as the consent's text."""

    lang: str
    service: dict[str, object]  # name, organisation, description, phones, email, url, hours
    texts: dict[str, str]  # the card's sentences in the visitor's language
    summary: str | None
