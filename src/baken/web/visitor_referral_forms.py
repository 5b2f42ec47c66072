"""A visitor's referrals with their return code, as a page (issue 17, item 2; docs/referrals.md).

From the code box on the start page ("My referrals"), with or without JavaScript: the referrals of
every chat in the code's thread and, for each consent still in force, a button that withdraws it.
The code travels in the form (never in a URL or cookie), and every response is no-store
(web/security.py). A wrong code and an unknown referral get the same answer. A withdrawal is
announced on the broker (`referral_withdrawn`), so a partner's access ends on every process.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from baken.domain.return_code import CodeError
from baken.i18n import translations
from baken.realtime.chat_service import CodeNotAccepted, TryLater
from baken.realtime.referral_commands import publish_withdrawn
from baken.referrals.model import may_withdraw
from baken.referrals.repository import ReferralRepository
from baken.store.clock import iso
from baken.web.abuse_guard import form_gate
from baken.web.guards import SameOriginVisitor
from baken.web.organisation_entry import entry_of
from baken.web.services import services_of
from baken.web.templating import render
from baken.web.visitor_forms import _code_problem, _try_later, posted_form
from baken.web.visitor_routes import EXIT_PATH

REFERRALS_PATH = "/return/referrals"
WITHDRAW_PATH = "/return/referrals/withdraw"


def _page(request: Request, lang: str, status: int, code: str, **context: Any) -> Response:
    entry = entry_of(request)
    return render(
        "visitor_referrals.html",
        lang,
        status_code=status,
        code=code,
        base=entry.base,
        exit_path=entry.base + EXIT_PATH,
        emergency_number=entry.organisation.emergency,
        **context,
    )


async def _code_id(request: Request, raw: str) -> str | None:
    """The code's id, or None for a wrong one (CodeError / TryLater raised as they are)."""
    try:
        code = await services_of(request.app).chat.active_code(
            raw, entry_of(request).organisation.id
        )
    except CodeNotAccepted:
        return None
    return code.id


async def _listed(request: Request, code_id: str) -> list[dict[str, Any]]:
    repo = ReferralRepository(services_of(request.app).chat.repo)
    shown = []
    for referral in await repo.for_code(code_id):
        card = await repo.card(referral.id)
        shown.append(
            {
                "id": referral.id,
                "service": card.service.get("name") if card else referral.service_type,
                "proposed_at": (iso(referral.proposed_at) or "")[:10],
                "status": referral.status,
                "withdrawable": may_withdraw(referral.status),
            }
        )
    return shown


async def _answer(request: Request, withdrawing: bool) -> Response:
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    _ = translations(lang).gettext
    raw = form.get("code", "")
    if not form_gate(request):
        busy = _(
            "It is very busy right now. Please try again in a minute. In danger now? Call 112."
        )
        return _try_later(_page(request, lang, 429, raw, error=busy), 429, 60)
    try:
        code_id = await _code_id(request, raw)
    except CodeError as exc:
        return _page(request, lang, 400, raw, error=_code_problem(lang, exc.code))
    except TryLater:
        return _try_later(
            _page(request, lang, 429, raw, error=_code_problem(lang, "try_later")), 429
        )
    wanted = form.get("referral_id", "")
    if withdrawing:
        # Withdrawing: a wrong code and a referral that is not (any more) withdrawable in the
        # code's thread get the same answer, and nothing changes.
        withdrawn = None
        if code_id is not None and wanted:
            repo = ReferralRepository(services_of(request.app).chat.repo)
            withdrawn = await repo.withdraw(wanted, code_id)
        if withdrawn is None:
            return _page(request, lang, 404, raw, error=_("This could not be withdrawn."))
        publish_withdrawn(services_of(request.app).chat.broker, withdrawn)
        assert code_id is not None
        shown = await _listed(request, code_id)
        notice = _("Withdrawn. From now on nothing more is shared.")
        return _page(request, lang, 200, raw, referrals=shown, notice=notice)
    if code_id is None:
        return _page(request, lang, 400, raw, error=_code_problem(lang, "code_not_accepted"))
    return _page(request, lang, 200, raw, referrals=await _listed(request, code_id))


async def referrals_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /return/referrals (`code`, `lang`): the referrals of the code's thread."""
    return await _answer(request, withdrawing=False)


async def withdraw_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /return/referrals/withdraw (`code`, `referral_id`, `lang`)."""
    return await _answer(request, withdrawing=True)
