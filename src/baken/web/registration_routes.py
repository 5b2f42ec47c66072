"""JSON API for the registration form beside a chat.

Only staff, and per conversation only the counselor it is assigned to, or a supervisor or
administrator of the same organisation. Researchers never see single registrations.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.access import NOT_RESEARCHERS, OVERSEERS, Permission
from baken.audit import kinds as audit_kinds
from baken.domain.conversation import Role
from baken.i18n import negotiate, translations
from baken.registration import codebook
from baken.registration.completeness import missing_fields, required_errors
from baken.registration.pending import pending_for
from baken.registration.repository import (
    ConversationAccess,
    ConversationNotFound,
    Registration,
    RegistrationRepository,
    VersionConflict,
)
from baken.registration.validation import RegistrationInvalid, to_api, validate
from baken.store.clock import iso
from baken.store.staff_repo import StaffMember
from baken.web.guards import API, SameOriginApi, staff_for
from baken.web.services import services_of

MAX_BODY_BYTES = 32 * 1024
Staff = Annotated[StaffMember, Depends(staff_for(None, API))]
# Researchers never see single registrations.
Member = Annotated[StaffMember, Depends(staff_for(Permission(NOT_RESEARCHERS), API))]


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _error(status: int, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, **extra}, status_code=status)


def may_register(member: StaffMember, conversation: ConversationAccess) -> bool:
    if member.role is Role.RESEARCHER or member.organisation_id != conversation.organisation_id:
        return False
    return member.role in OVERSEERS or conversation.counselor_id == member.id


def _body(registration: Registration | None, conversation_id: str) -> dict[str, Any]:
    if registration is None:
        return {
            "conversation_id": conversation_id,
            "version": 0,
            "codebook_version": codebook.CODEBOOK_VERSION,
            "values": to_api({}),
            "complete": False,
            "completed_at": None,
            "missing": missing_fields({}),
        }
    return {
        "conversation_id": conversation_id,
        "version": registration.version,
        "codebook_version": registration.codebook_version,
        "values": to_api(registration.values),
        "updated_at": registration.updated_at.isoformat(),
        "complete": registration.completed_at is not None,
        "completed_at": iso(registration.completed_at),
        # Which answers "Mark complete" would still ask for (issue 12): the console keeps its
        # count up to date while the counselor fills them in; the server still decides at the end.
        "missing": missing_fields(registration.values),
    }


async def _audit(
    request: Request,
    member: StaffMember,
    kind: str,
    conversation_id: str,
    detail: str | None = None,
) -> None:
    await services_of(request.app).chat.audit.record(
        kind, audit_kinds.Actor.of(member), audit_kinds.REGISTRATION, conversation_id, detail
    )


async def codebook_api(request: Request, _member: Staff) -> Response:
    return JSONResponse(codebook.as_json(_lang(request)))


async def _authorised(
    request: Request, member: StaffMember, conversation_id: str
) -> tuple[RegistrationRepository, StaffMember] | Response:
    repo = RegistrationRepository(services_of(request.app).db)
    conversation = await repo.access(conversation_id)
    if conversation is None:
        return _error(404, "not_found")
    if not may_register(member, conversation):
        return _error(403, "forbidden")
    return repo, member


async def get_registration(request: Request, member: Member) -> Response:
    conversation_id = request.path_params["conversation_id"]
    allowed = await _authorised(request, member, conversation_id)
    if isinstance(allowed, Response):
        return allowed
    repo, member = allowed
    await _audit(request, member, audit_kinds.REGISTRATION_READ, conversation_id)
    registration = await repo.get(conversation_id)
    body = _body(registration, conversation_id)
    body["required"] = services_of(request.app).settings.registration_required
    if registration is None:
        # A returning person: start from what the previous conversation registered.
        previous = await repo.previous_in_case(conversation_id)
        if previous is not None:
            body["defaults"] = to_api(previous.values)
    return JSONResponse(body)


async def put_registration(request: Request, _origin: SameOriginApi, member: Member) -> Response:
    services = services_of(request.app)
    conversation_id = request.path_params["conversation_id"]
    allowed = await _authorised(request, member, conversation_id)
    if isinstance(allowed, Response):
        return allowed
    repo, member = allowed
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "too_large")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _error(400, "bad_json")
    if (
        not isinstance(payload, dict)
        or set(payload) - {"version", "values", "complete"}
        or not isinstance(payload.get("complete", False), bool)
        or not isinstance(payload.get("version"), int)
        or isinstance(payload.get("version"), bool)
        or payload["version"] < 0
        or not isinstance(payload.get("values"), dict)
    ):
        return _error(400, "bad_request")
    lang = _lang(request)
    try:
        stored = validate(payload["values"])
    except RegistrationInvalid as exc:
        return JSONResponse({"error": "invalid", "fields": exc.as_json(lang)}, status_code=422)
    complete: bool | None = payload.get("complete")
    # Read before saving so that the audit record can say which fields changed (never the values).
    current = await repo.get(conversation_id)
    if complete is None:
        # A save without "complete" keeps a complete registration complete, so it must stay so.
        must_be_complete = current is not None and current.completed_at is not None
    else:
        must_be_complete = complete
    if must_be_complete and (missing := required_errors(stored, lang)):
        return JSONResponse({"error": "incomplete", "fields": missing}, status_code=422)
    try:
        saved = await repo.save(conversation_id, payload["version"], stored, member.id, complete)
    except VersionConflict as exc:
        return _error(
            409,
            "version_conflict",
            current_version=exc.current_version,
            message=translations(lang).gettext(
                "Someone else has just saved this registration. Reload it and check your changes."
            ),
        )
    except ConversationNotFound:
        return _error(404, "not_found")
    await _audit(
        request,
        member,
        audit_kinds.REGISTRATION_CHANGE,
        conversation_id,
        f"version={saved.version} fields={','.join(_changed_fields(current, saved)) or '-'}",
    )
    return JSONResponse(
        {**_body(saved, conversation_id), "required": services.settings.registration_required}
    )


def _changed_fields(before: Registration | None, after: Registration) -> list[str]:
    """Codebook ids of the fields whose stored value differs (who changed what, not to what)."""
    old = before.values if before is not None else {}
    return [f for f, value in after.values.items() if old.get(f) != value]


async def pending_registrations(request: Request, member: Member) -> Response:
    """The signed-in counselor's ended conversations whose registration is not complete."""
    services = services_of(request.app)
    repo = services.chat.repo

    def nickname_of(row: Any) -> str | None:
        if row.nickname_ct is None:
            return None
        return repo.cipher(row.id, row.wrapped_key).decrypt_field(row.nickname_ct)

    pending = await pending_for(services.db, member.id, member.organisation_id, nickname_of)
    return JSONResponse(
        {
            "conversations": [
                {
                    "id": p.id,
                    "nickname": p.nickname,
                    "created_at": iso(p.created_at),
                    "ended_at": iso(p.ended_at),
                    "registration": "draft" if p.has_draft else "none",
                    "required": services.settings.registration_required,
                }
                for p in pending
            ]
        }
    )
