"""JSON API for canned responses (counselor tools).

Personal texts belong to one staff member: only they see and change them. Team texts belong to
the organisation: every counselor sees them, only supervisors and admins change them.
Researchers have no chats, so no canned responses either. Bodies are plain text; the console
shows them with textContent and never as HTML.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.domain.conversation import Role
from baken.domain.counselor_tools import clean_canned
from baken.domain.text import TextError
from baken.store.canned_repo import CannedRepository, CannedResponse
from baken.store.clock import iso
from baken.store.staff_repo import StaffMember
from baken.web.origin import same_origin
from baken.web.services import services_of
from baken.web.staff_routes import current_staff

MAX_BODY_BYTES = 16 * 1024
OVERSEERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})


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


async def _member(request: Request) -> StaffMember | Response:
    member = await current_staff(request)
    if member is None:
        return _error(401, "not_signed_in")
    if member.role not in CHAT_ROLES:
        return _error(403, "forbidden")
    return member


async def _payload(request: Request, allowed: set[str]) -> dict[str, Any] | Response:
    if not same_origin(request, services_of(request.app).settings.allowed_origins):
        return _error(403, "bad_origin")
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


async def list_canned(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    items = await _repo(request).visible_to(member.organisation_id, member.id)
    return JSONResponse(
        {
            "canned": [canned_view(item, member) for item in items],
            "may_manage_team": member.role in OVERSEERS,
        }
    )


async def create_canned(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
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


async def _editable(request: Request) -> tuple[StaffMember, CannedResponse] | Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    item = await _repo(request).get(request.path_params["canned_id"])
    # Someone else's personal text, or another organisation's: as if it did not exist.
    if (
        item is None
        or item.organisation_id != member.organisation_id
        or (not item.is_team and item.owner_staff_id != member.id)
    ):
        return _error(404, "not_found")
    if not may_edit(member, item):
        return _error(403, "forbidden", "Only a supervisor or admin can change team texts.")
    return member, item


async def update_canned(request: Request) -> Response:
    found = await _editable(request)
    if isinstance(found, Response):
        return found
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


async def delete_canned(request: Request) -> Response:
    if not same_origin(request, services_of(request.app).settings.allowed_origins):
        return _error(403, "bad_origin")
    found = await _editable(request)
    if isinstance(found, Response):
        return found
    _, item = found
    if not await _repo(request).delete(item.id):
        return _error(404, "not_found")
    return Response(status_code=204)
