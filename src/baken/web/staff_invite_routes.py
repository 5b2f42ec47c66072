"""The one-time link of a new staff account (issue 15, item 5): choose a password, then the
normal two-step enrolment.

The link's token is the only credential; the page behind it sets a password once and then hands
over to the enrolment of web/staff_login_routes.py exactly as a first sign-in with a password
would (the challenge cookie, /staff/enrol), so two-step sign-in is set up before any session
exists. A used, expired, unknown or disabled account's link gets one calm page that says nothing
about the account. See docs/security.md, "Accounts".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.auth.passwords import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    PasswordPolicyError,
    check_policy,
    hash_password,
)
from baken.i18n import negotiate
from baken.slow_hashing import run_hash
from baken.store.invitation_repo import InvitationRepository, LinkState
from baken.store.login_repo import account_bucket
from baken.web.audit_hooks import audit
from baken.web.cookies import set_session_cookie
from baken.web.guards import SameOrigin
from baken.web.services import services_of
from baken.web.staff_login_routes import PENDING_COOKIE
from baken.web.staff_security import security_of
from baken.web.templating import render

INVITE_PATH = "/staff/invite"
MAX_FORM_BYTES = 8 * 1024
MAX_TOKEN_CHARS = 100


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _token(request: Request) -> str:
    return str(request.path_params.get("token", ""))[:MAX_TOKEN_CHARS]


def _page(
    request: Request, state: LinkState, error: str | None = None, status: int = 200
) -> Response:
    if state is not LinkState.VALID:
        # Unknown: 404; known but no longer usable: 410. The text is the same for both.
        status = 404 if state is LinkState.UNKNOWN else 410
    return render(
        "staff_invite.html",
        _lang(request),
        status_code=status,
        usable=state is LinkState.VALID,
        error=error,
        min_chars=MIN_PASSWORD_CHARS,
        max_chars=MAX_PASSWORD_CHARS,
    )


async def invite_page(request: Request) -> Response:
    state, _staff_id = await InvitationRepository(services_of(request.app).db).check(
        _token(request)
    )
    return _page(request, state)


async def accept_invite(request: Request, _origin: SameOrigin) -> Response:
    services = services_of(request.app)
    invitations = InvitationRepository(services.db)
    token = _token(request)
    state, _staff_id = await invitations.check(token)
    if state is not LinkState.VALID:
        return _page(request, state)
    form = await request.form(max_files=0, max_fields=5, max_part_size=MAX_FORM_BYTES)
    new, again = form.get("new"), form.get("again")
    if not isinstance(new, str) or not isinstance(again, str) or not new or not again:
        return _page(request, state, "required", 400)
    if new != again:
        return _page(request, state, "mismatch", 400)
    try:
        check_policy(new)
    except PasswordPolicyError as exc:
        return _page(request, state, exc.code, 400)
    state, staff_id = await invitations.redeem(token, await run_hash(hash_password, new))
    member = await services.staff.by_id(staff_id) if staff_id else None
    if state is not LinkState.VALID or member is None:
        return _page(request, state if state is not LinkState.VALID else LinkState.UNKNOWN)
    await audit(
        request,
        audit_kinds.ACCOUNT_PASSWORD,
        member,
        audit_kinds.STAFF,
        member.id,
        detail="via=invitation",
    )
    # From here on the same as a first sign-in with the password (staff_login_routes.py).
    security = security_of(request.app)
    enrolled = await security.two_factor.is_enrolled(member.id)
    challenge = await security.logins.start_challenge(
        member.id, "code" if enrolled else "enrol", account_bucket(member.username)
    )
    response = RedirectResponse("/staff/login/code" if enrolled else "/staff/enrol", 303)
    set_session_cookie(response, PENDING_COOKIE, challenge)
    return response
