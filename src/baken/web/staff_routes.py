"""Staff login, logout and the counselor console page."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.domain.conversation import Role
from baken.i18n import negotiate
from baken.store.staff_repo import StaffMember
from baken.web.cookies import STAFF_COOKIE, clear_session_cookie
from baken.web.origin import same_origin
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_login_routes import password_step
from baken.web.staff_security import security_of
from baken.web.templating import render
from baken.web.ui_strings import console_strings

MAX_FORM_BYTES = 8 * 1024


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


# Issue 17, item 3: all a partner professional's session opens over HTTP.
PARTNER_PATHS = frozenset({"/staff/partner", "/staff/login", "/staff/logout", "/staff/password"})


async def current_staff(request: Request) -> StaffMember | None:
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    member = await services_of(request.app).staff.session_member(token)
    partner = member is not None and member.role is Role.PARTNER
    if partner and request.url.path not in PARTNER_PATHS:
        # No queue, chats, registrations, reports or settings: every other staff page and API
        # answers a partner like a page that does not exist.
        raise HTTPException(404)
    return member


async def login_page(request: Request) -> Response:
    member = await current_staff(request)
    if member is not None:
        home = "/staff/partner" if member.role is Role.PARTNER else "/staff"
        return RedirectResponse(home, status_code=303)
    return render("staff_login.html", _lang(request), error=None, username="")


async def login(request: Request) -> Response:
    # The password step; the second factor follows (web/staff_login_routes.py).
    return await password_step(request)


async def logout(request: Request) -> Response:
    services = services_of(request.app)
    if not same_origin(request, services.settings.allowed_origins):
        return error_page(_lang(request), 403)
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        member = await services.staff.session_member(token)
        await services.staff.end_session(token)
        security_of(request.app).guard.end_token(token)
        if member is not None:
            # Issue 15, item 4: nothing left hanging — open chats go back to the queue.
            await services.chat.handovers.sign_out(member)
    response = RedirectResponse("/staff/login", status_code=303)
    clear_session_cookie(response, STAFF_COOKIE)
    return response


async def console(request: Request) -> Response:
    services = services_of(request.app)
    member = await current_staff(request)
    if member is None:
        return RedirectResponse("/staff/login", status_code=303)
    if member.role is Role.RESEARCHER:
        return RedirectResponse("/research", status_code=303)
    return render(
        "console.html",
        _lang(request),
        console_strings,
        staff={
            "id": member.id,
            "username": member.username,
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        max_chats=await services.chat.statuses.capacity_of(member.id),
        ws_path="/ws/staff",
        max_chars=services.settings.max_message_chars,
        registration_required=services.settings.registration_required,
    )
