"""The routes' guards as FastAPI dependencies (issue 13, item 4): who is signed in, whether their
role may, and whether a state-changing request came from our own pages.

A route names its guards where it is declared — ``member: Annotated[StaffMember,
Depends(staff_for(FIGURES))]`` in the handler's signature, ``dependencies=[ORIGIN]`` beside it —
instead of repeating the same lines in every handler. Which roles may is data in baken/access.py
and web/staff_nav.py; a guard only asks. A refusal is the exact response the route gave before
the guards existed (``Refused``, answered by ``answer_refused``, registered in web/app.py): a
staff page sends a visitor without a session to the sign-in page and a role that may not to the
403 page; a JSON API answers 401/403 with an ``error`` code. tests/test_layers.py fails for a
state-changing route without an origin guard and for a staff route without a staff guard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.access import is_platform_admin
from baken.domain.conversation import Role
from baken.i18n import VISITOR_LANGUAGES, negotiate
from baken.store.staff_repo import StaffMember
from baken.web.cookies import STAFF_COOKIE
from baken.web.origin import same_origin
from baken.web.pages import error_page
from baken.web.services import services_of

# Issue 17, item 3: all a partner professional's session opens over HTTP.
PARTNER_PATHS = frozenset({"/staff/partner", "/staff/login", "/staff/logout", "/staff/password"})


async def current_staff(request: Request) -> StaffMember | None:
    """The staff member whose session cookie came with the request, or None."""
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


class Refused(Exception):
    """A guard said no; ``response`` is what the route answers."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def answer_refused(request: Request, exc: Exception) -> Response:
    """The exception handler for ``Refused`` (web/app.py)."""
    if not isinstance(exc, Refused):  # pragma: no cover - registered for Refused only
        raise exc
    return exc.response


Answer = Callable[[Request], Response]


def staff_language(request: Request) -> str:
    """The staff pages' language for this request, as their own ``_lang`` chooses it."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _sign_in(_request: Request) -> Response:
    return RedirectResponse("/staff/login", status_code=303)


def _forbidden_page(request: Request) -> Response:
    return error_page(staff_language(request), 403)


def _visitor_forbidden_page(request: Request) -> Response:
    query, header = request.query_params.get("lang"), request.headers.get("accept-language")
    return error_page(negotiate(query, header, VISITOR_LANGUAGES), 403)


def _json(status: int, code: str) -> Answer:
    return lambda _request: JSONResponse({"error": code}, status_code=status)


@dataclass(frozen=True)
class Answers:
    """How a kind of route says no: without a staff session, to a role that may not, and to a
    state-changing request from another site."""

    missing: Answer
    forbidden: Answer
    bad_origin: Answer


PAGE = Answers(missing=_sign_in, forbidden=_forbidden_page, bad_origin=_forbidden_page)
# A download or a chart image: nobody is sent to the sign-in page from inside a file, so no
# session is the 403 page too.
FILE = Answers(missing=_forbidden_page, forbidden=_forbidden_page, bad_origin=_forbidden_page)
API = Answers(
    missing=_json(401, "not_signed_in"),
    forbidden=_json(403, "forbidden"),
    bad_origin=_json(403, "bad_origin"),
)


class Opens(Protocol):
    """A page of web/staff_nav.py or an access.Permission: which roles it is open to."""

    def open_to(self, role: Role | str, platform: bool = False) -> bool: ...


class StaffGuard:
    """A signed-in staff member whose role ``who`` lets in (anyone signed in when None)."""

    def __init__(self, who: Opens | None, answers: Answers) -> None:
        self.who = who
        self.answers = answers

    async def __call__(self, request: Request) -> StaffMember:
        member = await current_staff(request)
        if member is None:
            raise Refused(self.answers.missing(request))
        if self.who is not None and not self.who.open_to(member.role, is_platform_admin(member)):
            raise Refused(self.answers.forbidden(request))
        return member


class OriginGuard:
    """A state-changing request that came from our own pages (web/origin.py)."""

    def __init__(self, refuse: Answer) -> None:
        self.refuse = refuse

    async def __call__(self, request: Request) -> None:
        if not same_origin(request, services_of(request.app).settings.allowed_origins):
            raise Refused(self.refuse(request))


_staff_guards: dict[tuple[Opens | None, Answers], StaffGuard] = {}
_origin_guards: dict[Answer, OriginGuard] = {}


def staff_for(who: Opens | None, answers: Answers = PAGE) -> StaffGuard:
    """The guard for ``who`` answering like ``answers``; the same object for the same arguments,
    so that FastAPI runs it once per request however many places name it."""
    return _staff_guards.setdefault((who, answers), StaffGuard(who, answers))


def origin_for(refuse: Answer | Answers = PAGE) -> OriginGuard:
    """The origin guard refusing with ``refuse`` (an ``Answers``' bad_origin, or its own)."""
    answer = refuse.bad_origin if isinstance(refuse, Answers) else refuse
    return _origin_guards.setdefault(answer, OriginGuard(answer))


# The two origin guards of the staff routes: the 403 page, and the JSON ``bad_origin``. A handler
# takes ``_origin: SameOrigin`` among its parameters; FastAPI runs the guards in their order.
ORIGIN = origin_for(PAGE)
API_ORIGIN = origin_for(API)
SameOrigin = Annotated[None, Depends(ORIGIN)]
SameOriginApi = Annotated[None, Depends(API_ORIGIN)]
# The visitor's forms answer with the visitor's 403 page; their JSON APIs (and the staff APIs that
# share their body reader) with ``forbidden_origin``.
VISITOR_ORIGIN = origin_for(_visitor_forbidden_page)
VISITOR_API_ORIGIN = origin_for(_json(403, "forbidden_origin"))
SameOriginVisitor = Annotated[None, Depends(VISITOR_ORIGIN)]
SameOriginVisitorApi = Annotated[None, Depends(VISITOR_API_ORIGIN)]
