"""JSON API for canned responses (counselor tools).

Personal texts belong to one staff member: only they see and change them. Team texts belong to
the organisation: every counselor sees them, only supervisors and admins change them.
Researchers have no chats, so no canned responses either. Bodies are plain text; the console
shows them with textContent and never as HTML.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.access import CHAT_ROLES, OVERSEERS, Permission
from baken.domain.counselor_tools import clean_canned
from baken.domain.text import TextError
from baken.store.canned_repo import CannedRepository, CannedResponse
from baken.store.clock import iso
from baken.store.staff_repo import StaffMember
from baken.web.guards import API, Refused, SameOriginApi, staff_for
from baken.web.services import services_of

MAX_BODY_BYTES = 16 * 1024


def _error(status: int, code: str, message: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code}
    if message:
        body["message"] = message
    return JSONResponse(body, status_code=status)


def canned_view(item: CannedResponse, member: StaffMember) -> dict[str, Any]:
    return {
        "id": item.id,
        "scope": "team" if item.is_team else "personal",
        "lang": item.lang,
        "title": item.title,
        "body": item.body,
        "updated_at": iso(item.updated_at),
        "editable": may_edit(member, item),
    }


def may_edit(member: StaffMember, item: CannedResponse) -> bool:
    if member.organisation_id != item.organisation_id or member.role not in CHAT_ROLES:
        return False
    if item.is_team:
        return member.role in OVERSEERS
    return item.owner_staff_id == member.id


Member = Annotated[StaffMember, Depends(staff_for(Permission(CHAT_ROLES), API))]


async def _payload(request: Request, allowed: set[str]) -> dict[str, Any] | Response:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "too_large")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _error(400, "bad_json")
    if not isinstance(data, dict) or set(data) - allowed:
        return _error(400, "bad_request")
    return data


def _repo(request: Request) -> CannedRepository:
    services = services_of(request.app)
    return CannedRepository(services.db, services.chat.repo.ciphers.master)


async def list_canned(request: Request, member: Member) -> Response:
    items = await _repo(request).visible_to(member.organisation_id, member.id)
    return JSONResponse(
        {
            "canned": [canned_view(item, member) for item in items],
            "may_manage_team": member.role in OVERSEERS,
        }
    )


async def create_canned(request: Request, member: Member, _origin: SameOriginApi) -> Response:
    data = await _payload(request, {"scope", "lang", "title", "body"})
    if isinstance(data, Response):
        return data
    scope = data.get("scope", "personal")
    if scope not in ("personal", "team"):
        return _error(400, "invalid_scope", "The scope must be personal or team.")
    if scope == "team" and member.role not in OVERSEERS:
        return _error(403, "forbidden", "Only a supervisor or admin can add team texts.")
    try:
        lang, title, body = clean_canned(data.get("lang"), data.get("title"), data.get("body"))
    except TextError as exc:
        return _error(422, exc.code, exc.message)
    item = await _repo(request).create(
        member.organisation_id,
        None if scope == "team" else member.id,
        lang,
        title,
        body,
        member.id,
    )
    return JSONResponse({"canned": canned_view(item, member)}, status_code=201)


async def _editable(request: Request, member: Member) -> tuple[StaffMember, CannedResponse]:
    """The text named in the path, when this member may change it (a guard: refused otherwise)."""
    item = await _repo(request).get(request.path_params["canned_id"])
    # Someone else's personal text, or another organisation's: as if it did not exist.
    if (
        item is None
        or item.organisation_id != member.organisation_id
        or (not item.is_team and item.owner_staff_id != member.id)
    ):
        raise Refused(_error(404, "not_found"))
    if not may_edit(member, item):
        raise Refused(_error(403, "forbidden", "Only a supervisor or admin can change team texts."))
    return member, item


Editable = Annotated[tuple[StaffMember, CannedResponse], Depends(_editable)]


async def update_canned(request: Request, found: Editable, _origin: SameOriginApi) -> Response:
    member, item = found
    data = await _payload(request, {"lang", "title", "body"})
    if isinstance(data, Response):
        return data
    try:
        lang, title, body = clean_canned(data.get("lang"), data.get("title"), data.get("body"))
    except TextError as exc:
        return _error(422, exc.code, exc.message)
    updated = await _repo(request).update(item.id, lang, title, body, member.id)
    if updated is None:
        return _error(404, "not_found")
    return JSONResponse({"canned": canned_view(updated, member)})


async def delete_canned(request: Request, _origin: SameOriginApi, found: Editable) -> Response:
    _, item = found
    if not await _repo(request).delete(item.id):
        return _error(404, "not_found")
    return Response(status_code=204)
