"""Staff login, logout and the counselor console page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.domain.conversation import Role
from baken.i18n import negotiate
from baken.store.staff_repo import StaffMember
from baken.web.cookies import STAFF_COOKIE, clear_session_cookie
from baken.web.guards import SameOrigin, current_staff, staff_for
from baken.web.services import services_of
from baken.web.staff_login_routes import password_step
from baken.web.staff_security import security_of
from baken.web.templating import render
from baken.web.ui_strings import console_strings

MAX_FORM_BYTES = 8 * 1024


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


async def login_page(request: Request) -> Response:
    member = await current_staff(request)
    if member is not None:
        home = "/staff/partner" if member.role is Role.PARTNER else "/staff"
        return RedirectResponse(home, status_code=303)
    return render("staff_login.html", _lang(request), error=None, username="")


async def login(request: Request, _origin: SameOrigin) -> Response:
    # The password step; the second factor follows (web/staff_login_routes.py).
    return await password_step(request)


async def logout(request: Request, _origin: SameOrigin) -> Response:
    services = services_of(request.app)
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


async def console(
    request: Request, member: Annotated[StaffMember, Depends(staff_for(None))]
) -> Response:
    services = services_of(request.app)
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
