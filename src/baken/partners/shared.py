"""What a partner professional is shown of the visitor: only the items of the consent scope
(issue 17, item 3), each from where it is kept: the nickname from the conversation, the age band
and the types of exploitation from the registration, the summary from the referral's sealed card.

Values are codes (``under_16``, ``sexual``…); the partner's page translates them.
"""

from __future__ import annotations

from typing import Any

from baken.domain.queue import AgeBand
from baken.partners.consent import (
    SCOPE_AGE_BAND,
    SCOPE_EXPLOITATION_TYPE,
    SCOPE_FIRST_NAME,
    SCOPE_SUMMARY,
)
from baken.referrals.repository import ReferralRepository
from baken.registration import codebook
from baken.registration.repository import RegistrationRepository
from baken.store.conversation_repo import ConversationRepository


def age_band(age: int) -> str:
    if age < 16:
        return AgeBand.UNDER_16.value
    return AgeBand.AGE_16_17.value if age < 18 else AgeBand.ADULT.value


def exploitation_types(mask: int) -> list[str]:
    field = codebook.get("exploitation_types")
    return [v.id for v in field.values if mask & (1 << v.code) and v.id != codebook.UNKNOWN]


async def consented_details(
    repo: ConversationRepository,
    scope: frozenset[str],
    conversation_id: str,
    referral_id: str,
    nickname: str | None,
) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    if SCOPE_FIRST_NAME in scope and nickname:
        shared[SCOPE_FIRST_NAME] = nickname
    if scope & {SCOPE_AGE_BAND, SCOPE_EXPLOITATION_TYPE}:
        registration = await RegistrationRepository(repo.db).get(conversation_id)
        values = registration.values if registration is not None else {}
        age = values.get("age")
        if SCOPE_AGE_BAND in scope and isinstance(age, int):
            shared[SCOPE_AGE_BAND] = age_band(age)
        types = values.get("exploitation_types")
        if SCOPE_EXPLOITATION_TYPE in scope and isinstance(types, int):
            found = exploitation_types(types)
            if found:
                shared[SCOPE_EXPLOITATION_TYPE] = found
    if SCOPE_SUMMARY in scope:
        card = await ReferralRepository(repo).card(referral_id)
        if card is not None and card.summary:
            shared[SCOPE_SUMMARY] = card.summary
    return shared
