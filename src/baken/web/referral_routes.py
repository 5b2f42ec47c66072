"""Referrals outside the chat (issue 17, items 2 and 5; docs/referrals.md).

Staff: /staff/referrals lists the organisation's referrals a member may see (a counselor their
own proposals; supervisors and administrators all of the organisation), with the follow-up list
of those still without an outcome after BAKEN_REFERRAL_FOLLOWUP_DAYS, and records an outcome
(audited). A referral of another organisation, or a colleague's for a counselor, is the same 404
as one that does not exist.

Visitors: with their return code they see the referrals of their thread and withdraw one. A
wrong code and an unknown referral get the same answer; a withdrawal is announced on the broker
(`referral_withdrawn`), so a partner's access ends on every process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.access import OVERSEERS
from baken.audit import kinds
from baken.domain.return_code import CodeError
from baken.i18n import negotiate
from baken.realtime.chat_service import CodeNotAccepted, TryLater
from baken.realtime.referral_commands import publish_withdrawn
from baken.referrals.model import OUTCOMES, Referral
from baken.referrals.repository import ReferralRepository
from baken.store.clock import iso, utcnow
from baken.store.staff_repo import StaffMember
from baken.web.abuse_guard import way_back_gate
from baken.web.guards import SameOrigin, SameOriginVisitorApi, staff_for
from baken.web.organisation_entry import entry_of
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import REFERRALS
from baken.web.templating import render
from baken.web.visitor_routes import _json_body

MAX_FORM_BYTES = 1024
NOT_FOUND = {"error": "not_found"}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _repo(request: Request) -> ReferralRepository:
    return ReferralRepository(services_of(request.app).chat.repo)


Member = Annotated[StaffMember, Depends(staff_for(REFERRALS))]


def _may_see(member: StaffMember, referral: Referral | None) -> bool:
    return (
        referral is not None
        and referral.organisation_id == member.organisation_id
        and (member.role in OVERSEERS or referral.proposed_by == member.id)
    )


def _row(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "conversation_id": referral.conversation_id,
        "service_type": referral.service_type,
        "proposed_at": iso(referral.proposed_at),
        "status": referral.status,
        "consent_level": referral.consent_level,
        "consent_scope": list(referral.consent_scope),
        "outcome": referral.outcome,
    }


async def referrals_page(request: Request, member: Member) -> Response:
    services = services_of(request.app)
    repo = _repo(request)
    mine = None if member.role in OVERSEERS else member.id
    days = services.settings.referral_followup_days
    due = await repo.listed(member.organisation_id, mine, utcnow() - timedelta(days=days))
    return render(
        "staff_referrals.html",
        _lang(request),
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        referrals=[_row(r) for r in await repo.listed(member.organisation_id, mine)],
        due=[_row(r) for r in due],
        days=days,
        outcomes=OUTCOMES,
    )


async def outcome_form(request: Request, _origin: SameOrigin, member: Member) -> Response:
    services = services_of(request.app)
    repo = _repo(request)
    referral_id = request.path_params["referral_id"]
    if not _may_see(member, await repo.get(referral_id)):
        return error_page(_lang(request), 404)
    form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
    outcome = form.get("outcome")
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        return error_page(_lang(request), 400)
    await repo.set_outcome(referral_id, member.organisation_id, outcome, member.id)
    await services.chat.audit.record(
        kinds.REFERRAL_OUTCOME,
        kinds.Actor.of(member),
        kinds.REFERRAL,
        referral_id,
        f"outcome={outcome}",
    )
    return RedirectResponse("/staff/referrals?saved=1", status_code=303)


# --- the visitor, with their return code -----------------------------------------------------


async def _code_id(request: Request, data: dict[str, Any]) -> str | Response:
    raw = data.get("code")
    if not isinstance(raw, str):
        return JSONResponse({"error": "code_empty", "message": "Type your code."}, 400)
    refused = await way_back_gate(request, data)  # issue 16: proof, then address budget
    if refused is not None:
        return refused
    try:
        code = await services_of(request.app).chat.active_code(
            raw, entry_of(request).organisation.id
        )
    except CodeError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    except TryLater:
        return JSONResponse({"error": "try_later", "message": "Try again in a moment."}, 429)
    except CodeNotAccepted:
        return JSONResponse(NOT_FOUND, status_code=404)
    return code.id


async def visitor_referrals_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """POST /api/visitor/referrals {code}: the referrals of the code's thread and the consent
    given for each (the card's service, so the visitor knows which is which)."""
    data = await _json_body(request, {"code", "pow"})
    if isinstance(data, JSONResponse):
        return data
    code_id = await _code_id(request, data)
    if isinstance(code_id, Response):
        return code_id
    repo = _repo(request)
    shown = []
    for referral in await repo.for_code(code_id):
        card = await repo.card(referral.id)
        name = card.service.get("name") if card else None
        shown.append(
            {
                "id": referral.id,
                "service": name,
                "proposed_at": iso(referral.proposed_at),
                "status": referral.status,
                "consent_level": referral.consent_level,
                "consent_scope": list(referral.consent_scope),
            }
        )
    return JSONResponse({"referrals": shown})


async def visitor_withdraw_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """POST /api/visitor/referrals/withdraw {code, referral_id}: the consent is taken back; a
    wrong code, another thread's referral or one with nothing left to withdraw: the same 404."""
    data = await _json_body(request, {"code", "pow", "referral_id"})
    if isinstance(data, JSONResponse):
        return data
    referral_id = data.get("referral_id")
    if not isinstance(referral_id, str) or len(referral_id) > 64:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    code_id = await _code_id(request, data)
    if isinstance(code_id, Response):
        return code_id
    referral = await _repo(request).withdraw(referral_id, code_id)
    if referral is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    publish_withdrawn(services_of(request.app).chat.broker, referral)
    return JSONResponse({"status": referral.status, "withdrawn_at": iso(referral.withdrawn_at)})
