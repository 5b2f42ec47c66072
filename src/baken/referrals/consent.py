"""The card a visitor is shown for a referral, in their language, and what it says is shared.

The card's sentences are rendered once, when the counselor proposes, and sealed with the referral:
what is stored as the consent's text is exactly what the visitor read (docs/referrals.md).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from baken.i18n import translations
from baken.referrals.model import SCOPE_ITEMS, SUMMARY_MAX_CHARS, Card, Referral, ReferralRefused
from baken.referrals.service_lookup import ServiceInfo
from baken.store.clock import iso

if TYPE_CHECKING:
    from baken.realtime.wire import ReferralCard


def checked_summary(raw: str | None) -> str | None:
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > SUMMARY_MAX_CHARS:
        raise ReferralRefused(
            "summary_too_long", f"A summary can be at most {SUMMARY_MAX_CHARS} characters."
        )
    return text or None


def card_for(service: ServiceInfo, lang: str, summary: str | None) -> Card:
    _ = translations(lang).gettext
    who = service.organization_name or service.name
    texts = {
        "title": _("Your counselor suggests a place that can help"),
        "reach": _("How to reach them"),
        "next": _(
            "You decide what happens next. Nothing about you is passed on unless you choose it"
            " here."
        ),
        "contact": _("Just the contact details for me"),
        "contact_explain": _(
            "You keep the details and decide yourself whether and when to get in touch. We"
            " share nothing about you."
        ),
        "handoff": _("Warm hand-off"),
        "handoff_explain": _(
            "Someone from {organisation} may join this chat. Only what you tick below is"
            " shared with them."
        ).format(organisation=who),
        "scope": _("What may be shared?"),
        "scope_first_name": _("My nickname"),
        "scope_age_band": _("My age group"),
        "scope_exploitation_type": _("What kind of exploitation it is about"),
        "scope_summary": _("The summary my counselor wrote (shown here)"),
        "summary": _("What your counselor wrote"),
        "decline": _("No, thank you"),
        "withdraw": _("You can take your choice back later with your return code."),
        "danger": _("In danger now? Call 112."),
        "saved": _("Thank you. Your choice has been saved."),
        "closed": _("This suggestion can no longer be answered."),
    }
    shown: dict[str, object] = {
        "name": service.name,
        "organisation": service.organization_name,
        "description": service.description,
        "phones": list(service.phones),
        "email": service.email,
        "url": service.url,
        "opening_hours": service.opening_hours_text,
        "accepts_warm_handoff": service.accepts_warm_handoff,
    }
    return Card(lang=lang, service=shown, texts=texts, summary=summary)


def card_frame(referral: Referral, card: Card) -> ReferralCard:
    """The `referral_card` frame: the card and where the referral stands."""
    return {
        "type": "referral_card",
        "conversation_id": referral.conversation_id,
        "referral_id": referral.id,
        "status": referral.status,
        "lang": card.lang,
        "service": card.service,
        "texts": card.texts,
        "summary": card.summary,
        "scope_items": list(SCOPE_ITEMS),
        "handoff_possible": bool(card.service.get("accepts_warm_handoff")),
    }


def referral_view(referral: Referral, card: Card | None = None) -> dict[str, Any]:
    """A referral as the console shows it (the consent wherever the referral is)."""
    view = {
        key: (iso(value) if isinstance(value, datetime) else value)
        for key, value in asdict(referral).items()
    }
    view["consent_scope"] = list(referral.consent_scope)
    if card is not None:
        view["service"] = card.service
        view["summary"] = card.summary
    return view
