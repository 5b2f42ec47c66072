"""JSON API for a counselor's case link: "this visitor is the person from that earlier chat".

Object-level rule: the member must be allowed to register BOTH conversations — assigned to
each of them, or a supervisor or administrator of their organisation. Researchers never.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.access import NOT_RESEARCHERS, Permission
from baken.audit import kinds as audit_kinds
from baken.registration.case_links import Candidate, link_to_earlier
from baken.registration.case_links import link_candidates as candidates_of
from baken.registration.repository import RegistrationRepository
from baken.store.clock import iso
from baken.store.staff_repo import StaffMember
from baken.web.guards import API, SameOriginApi, staff_for
from baken.web.registration_routes import may_register
from baken.web.services import services_of

MAX_BODY_BYTES = 1024
MAX_CANDIDATES = 50


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


Member = Annotated[StaffMember, Depends(staff_for(Permission(NOT_RESEARCHERS), API))]


async def _may(request: Request, member: StaffMember, conversation_id: str) -> Response | None:
    access = await RegistrationRepository(services_of(request.app).db).access(conversation_id)
    if access is None:
        return _error(404, "not_found")
    if not may_register(member, access):
        return _error(403, "forbidden")
    return None


async def link_candidates(request: Request, member: Member) -> Response:
    """The member's own conversations that started before this one, newest first: the chats
    they handled and might recognise this person from."""
    conversation_id = request.path_params["conversation_id"]
    if (refused := await _may(request, member, conversation_id)) is not None:
        return refused
    services = services_of(request.app)
    repo = services.chat.repo
    own_case, rows = await candidates_of(
        services.db, conversation_id, member.id, member.organisation_id, MAX_CANDIDATES
    )

    def nickname(row: Candidate) -> str | None:
        if row.nickname_ct is None:
            return None
        return repo.cipher(row.id, row.wrapped_key).decrypt_field(row.nickname_ct)

    return JSONResponse(
        {
            "conversation_id": conversation_id,
            "candidates": [
                {
                    "id": row.id,
                    "nickname": nickname(row),
                    "created_at": iso(row.created_at),
                    "same_case": own_case is not None and row.case_id == own_case,
                }
                for row in rows
            ],
        }
    )


async def link_case(request: Request, _origin: SameOriginApi, member: Member) -> Response:
    services = services_of(request.app)
    conversation_id = request.path_params["conversation_id"]
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "too_large")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _error(400, "bad_json")
    if (
        not isinstance(payload, dict)
        or set(payload) != {"earlier_conversation_id"}
        or not isinstance(payload["earlier_conversation_id"], str)
    ):
        return _error(400, "bad_request")
    earlier_id: str = payload["earlier_conversation_id"]
    if earlier_id == conversation_id:
        return _error(422, "same_conversation")
    for checked in (conversation_id, earlier_id):
        if (refused := await _may(request, member, checked)) is not None:
            return refused
    await link_to_earlier(services.db, conversation_id, earlier_id)
    await services.chat.audit.record(
        audit_kinds.REGISTRATION_CHANGE,
        audit_kinds.Actor.of(member),
        audit_kinds.REGISTRATION,
        conversation_id,
        f"case_link={earlier_id}",
    )
    return JSONResponse({"conversation_id": conversation_id, "linked_to": earlier_id})
