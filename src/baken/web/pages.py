"""Generic error pages: calm words, no details, no stack traces.

Two audiences. Anyone may land on an error page, so the default is the visitor's version with quick
exit and 112. A signed-in staff member on a staff page (under /staff or /research) gets the staff
version instead: the staff header with its navigation and a way back to their own start page.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from baken.i18n import staff_language
from baken.store.staff_repo import StaffMember
from baken.web.cookies import STAFF_COOKIE
from baken.web.services import services_of
from baken.web.templating import render

log = logging.getLogger(__name__)

TITLE_KEYS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "bad_request"}
STAFF_PATH_PREFIXES = ("/staff", "/research")


def _title_key(status: int) -> str:
    return TITLE_KEYS.get(status, "server_error")


def is_staff_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PATH_PREFIXES)


class ErrorPage(HTMLResponse):
    """The visitor's error page, unless it turns out to be sent to staff on a staff page.

    The choice is made when the response is sent, where the request is known: routes and exception
    handlers alike just return ``error_page(lang, status)``, and none of them can forget it.
    """

    def __init__(self, lang: str, status: int) -> None:
        self.lang = lang
        visitor = render(
            "error.html", lang, status_code=status, status=status, title_key=_title_key(status)
        )
        super().__init__(visitor.body, status_code=status)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        staff = await _staff_member(scope) if is_staff_path(scope.get("path", "")) else None
        if staff is None:
            await super().__call__(scope, receive, send)
            return
        await staff_error_page(staff_language(self.lang), self.status_code, staff)(
            scope, receive, send
        )


def error_page(lang: str, status: int) -> HTMLResponse:
    return ErrorPage(lang, status)


def staff_error_page(lang: str, status: int, staff: StaffMember) -> HTMLResponse:
    """Staff header and navigation, a plain explanation, a link to the role's start page."""
    return render(
        "staff_error.html",
        lang,
        status_code=status,
        status=status,
        title_key=_title_key(status),
        staff={
            "display_name": staff.display_name,
            "role": staff.role.value,
            "organisation_id": staff.organisation_id,
        },
    )


async def _staff_member(scope: Scope) -> StaffMember | None:
    token = Request(scope).cookies.get(STAFF_COOKIE)
    if not token:
        return None
    try:
        return await services_of(scope["app"]).staff.session_member(token)
    except Exception as exc:
        # This may be the page for a database that just failed; the visitor's page needs no
        # database, so it is the safe answer whatever went wrong here.
        log.warning("error page: staff session not checked (%s)", type(exc).__name__)
        return None
